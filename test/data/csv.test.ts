import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { loadCsv, type Preprocessing } from '../../src/data/index.js';
import { temporaryFolder } from './helpers.js';

let dir = '';
let remove = async () => {};
before(async () => ({ dir, remove } = await temporaryFolder()));
after(() => remove());

async function csv(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

const close = (actual: ArrayLike<number>, expected: number[]) => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) < 1e-6, `[${i}] ${actual[i]} ${e}`));
};

test('loadCsv reads numeric columns and text labels', async () => {
  const file = await csv('plain.csv', 'x,y,kind\n1,2,cat\n3,4.5,dog\n-1,1e2,cat\n');
  const { dataset, report } = await loadCsv(file, { labelColumn: 'kind' });
  assert.deepEqual(dataset.shape, [3, 2]);
  assert.deepEqual([...dataset.data], [1, 2, 3, 4.5, -1, 100]);
  assert.deepEqual([...(dataset.labels ?? [])], [0, 1, 0]);
  assert.deepEqual(dataset.labelNames, ['cat', 'dog']);
  assert.deepEqual(dataset.valueRange, [-1, 100]);
  assert.deepEqual(dataset.preprocessing, [
    { kind: 'columns', columns: ['x', 'y'], labelColumn: 'kind', labelNames: ['cat', 'dog'] },
  ]);
  assert.deepEqual(report.missing, { x: 0, y: 0 });
  assert.deepEqual(report.notices, []);
  assert.equal(report.rows, 3);
});

test('loadCsv picks and orders columns; numeric labels sort as numbers', async () => {
  const file = await csv('pick.csv', 'a;b;c;label\n1;2;3;10\n4;5;6;9\n7;8;9;10\n');
  const { dataset } = await loadCsv(file, {
    delimiter: ';',
    columns: ['c', 'a'],
    labelColumn: 'label',
  });
  assert.deepEqual([...dataset.data], [3, 1, 6, 4, 9, 7]);
  assert.deepEqual(dataset.labelNames, ['9', '10']);
  assert.deepEqual([...(dataset.labels ?? [])], [1, 0, 1]);
});

test('a missing value is an error naming file, row and column by default', async () => {
  const file = await csv('holes.csv', 'a,b\n1,2\n3,\n5,NA\n');
  await assert.rejects(loadCsv(file), {
    code: 'BAD_INPUT',
    message:
      `${file}: row 2 (line 3), column 'b': expected a number ` +
      `(or choose missing: 'mean' or 'median'), got missing value ""`,
  });
});

test('mean and median imputation, counted per column and recorded', async () => {
  const file = await csv('impute.csv', 'a,b,c\n1,10,?\n,20,5\n5,,7\n6,90,nan\n');
  const mean = await loadCsv(file, { missing: 'mean' });
  close(mean.dataset.data, [1, 10, 6, 4, 20, 5, 5, 40, 7, 6, 90, 6]);
  assert.deepEqual(mean.report.missing, { a: 1, b: 1, c: 2 });
  assert.deepEqual(mean.report.imputed, { a: 4, b: 40, c: 6 });
  assert.deepEqual(mean.dataset.preprocessing[1], {
    kind: 'impute',
    strategy: 'mean',
    columns: ['a', 'b', 'c'],
    values: [4, 40, 6],
  });
  assert.deepEqual(mean.report.notices, [
    `${file}: column 'a': 1 missing values replaced by the mean 4`,
    `${file}: column 'b': 1 missing values replaced by the mean 40`,
    `${file}: column 'c': 2 missing values replaced by the mean 6`,
  ]);

  const median = await loadCsv(file, { missing: 'median' });
  assert.deepEqual(median.report.imputed, { a: 5, b: 20, c: 6 });
  assert.equal(median.dataset.data[3], 5);
});

test('a column with every value missing cannot be imputed', async () => {
  const file = await csv('empty-column.csv', 'a,b\n1,\n2,NA\n');
  await assert.rejects(loadCsv(file, { missing: 'median' }), {
    message:
      `${file}: column 'b': expected at least one value to compute the median from, ` +
      'got all 2 values missing',
  });
});

test('standardisation records mean and std, and reports constant columns by name', async () => {
  const file = await csv('scale.csv', 'a,const,b\n1,7,10\n2,7,10\n3,7,40\n');
  const { dataset, report } = await loadCsv(file, { standardize: true });
  const std = Math.sqrt(2 / 3);
  const stdB = Math.sqrt(200);
  close(dataset.data, [-1 / std, 0, -10 / stdB, 0, 0, -10 / stdB, 1 / std, 0, 20 / stdB]);
  assert.deepEqual(report.constantColumns, ['const']);
  assert.deepEqual(report.notices, [
    `${file}: constant columns left at 0 by standardisation: const`,
  ]);
  const step = dataset.preprocessing[1];
  assert.equal(step.kind, 'standardize');
  if (step.kind !== 'standardize') return;
  assert.deepEqual(step.mean, [2, 7, 20]);
  close(step.std, [std, 1, stdB]);

  // The record is JSON and re-applies the training statistics to new data.
  const reuse = JSON.parse(JSON.stringify(dataset.preprocessing)) as Preprocessing[];
  const fresh = await csv('fresh.csv', 'b,a,const,extra\n20,4,8,x\n');
  const again = await loadCsv(fresh, { reuse });
  close(again.dataset.data, [2 / std, 1, 0]);
  assert.deepEqual(again.report.constantColumns, []);
  assert.deepEqual(again.dataset.preprocessing, dataset.preprocessing);
});

test('reuse applies recorded imputation values and label names', async () => {
  const train = await csv('train.csv', 'a,y\n1,no\n3,yes\n');
  const trained = await loadCsv(train, { labelColumn: 'y', missing: 'mean' });
  const test2 = await csv('later.csv', 'y,a\nyes,\nno,10\n');
  const { dataset, report } = await loadCsv(test2, { reuse: trained.dataset.preprocessing });
  assert.deepEqual([...dataset.data], [2, 10]);
  assert.deepEqual(report.imputed, { a: 2 });
  assert.deepEqual([...(dataset.labels ?? [])], [1, 0]);

  const unknown = await csv('unknown.csv', 'y,a\nmaybe,1\n');
  await assert.rejects(loadCsv(unknown, { reuse: trained.dataset.preprocessing }), {
    message: `${unknown}: row 1, column 'y': expected a recorded label (no, yes), got "maybe"`,
  });
  const lacking = await csv('lacking.csv', 'y,b\nno,1\n');
  await assert.rejects(loadCsv(lacking, { reuse: trained.dataset.preprocessing }), {
    message: `${lacking}: column 'a': expected a column of the header (y, b), got none`,
  });
});

test('bad CSV input gets a one-line error naming the file and field', async () => {
  const text = await csv('text.csv', 'a,b\n1,2\n3,abc\n');
  await assert.rejects(loadCsv(text), {
    message: `${text}: row 2 (line 3), column 'b': expected a number, got "abc"`,
  });
  const infinite = await csv('inf.csv', 'a\nInfinity\n');
  await assert.rejects(loadCsv(infinite), /row 1 \(line 2\), column 'a': expected a number/);

  const ragged = await csv('ragged.csv', 'a,b\n1,2\n3\n');
  await assert.rejects(loadCsv(ragged), {
    code: 'BAD_FILE',
    message: `${ragged}: CSV: Invalid Record Length: expect 2, got 1 on line 3`,
  });
  const quote = await csv('quote.csv', 'a,b\n1,"2\n');
  await assert.rejects(loadCsv(quote), (error: Error) => {
    assert.match(error.message, new RegExp(`^${quote}: CSV: .*quote`));
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });

  const empty = await csv('empty.csv', '');
  await assert.rejects(loadCsv(empty), {
    message: `${empty}: header: expected a first row of column names, got an empty file`,
  });
  const header = await csv('header.csv', 'a,b\n');
  await assert.rejects(loadCsv(header), {
    code: 'BAD_INPUT',
    message: `${header}: rows: expected at least 1 data row, got 0 (empty set)`,
  });
  const twice = await csv('twice.csv', 'a,a\n1,2\n');
  await assert.rejects(loadCsv(twice), {
    message: `${twice}: header: expected distinct column names, got 'a' twice`,
  });
  const noColumn = await csv('nocolumn.csv', 'a,b\n1,2\n');
  await assert.rejects(loadCsv(noColumn, { labelColumn: 'kind' }), {
    message: `${noColumn}: column 'kind': expected a column of the header (a, b), got none`,
  });
  const emptyLabel = await csv('emptylabel.csv', 'a,k\n1,x\n2,\n');
  await assert.rejects(loadCsv(emptyLabel, { labelColumn: 'k' }), {
    message: `${emptyLabel}: row 2 (line 3), column 'k': expected a label, got an empty cell`,
  });
  await assert.rejects(
    loadCsv(path.join(dir, 'absent.csv')),
    /absent\.csv: file: expected a readable file, got ENOENT/,
  );
});
