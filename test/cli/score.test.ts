// aekit score on tiny models: the scores file, each threshold rule, ROC-AUC with labels,
// and a one-line error with exit code 2 for each kind of bad input.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { readNpy, saveNpy } from '../../src/data/index.js';
import { manualSeed } from '../../src/engine/index.js';
import { buildModel, saveModel } from '../../src/models/index.js';
import { badInput, folder, saveDigits, spawn, succeed } from './task-helpers.js';

const { dir, remove } = folder('score');
after(remove);

before(async () => {
  // Normal data: ones; the data to score: 40 held-out ones and 40 sevens.
  await saveDigits(dir, 'ones', 150, [1]);
  const ones = await saveDigits(dir, 'test-ones', 40, [1], 150);
  const sevens = await saveDigits(dir, 'sevens', 40, [7]);
  const both = [...Array.from(ones), ...Array.from(sevens)];
  const images = new Float32Array(80 * 784);
  const read = async (name: string) => (await readNpy(path.join(dir, `${name}.npy`))).values;
  images.set(await read('test-ones'), 0);
  images.set(await read('sevens'), 40 * 784);
  saveNpy(path.join(dir, 'mixed.npy'), images, [80, 1, 28, 28]);
  saveNpy(path.join(dir, 'mixed-labels.npy'), Int32Array.from(both), [80]);
  // 0/1 anomaly labels: the sevens are the anomalies.
  const flags = Int32Array.from({ length: 80 }, (_, i) => (i < 40 ? 0 : 1));
  saveNpy(path.join(dir, 'mixed-anomalies.npy'), flags, [80]);
  const nan = images.slice(0, 2 * 784);
  nan[3] = NaN;
  saveNpy(path.join(dir, 'nan.npy'), nan, [2, 1, 28, 28]);
  saveNpy(path.join(dir, 'empty.npy'), new Float32Array(0), [0, 1, 28, 28]);
  saveNpy(path.join(dir, 'flat.npy'), new Float32Array(10 * 5), [10, 5]);

  const common = ['--data', 'ones.npy', '--hidden', '32', '--latent', '4', '--batch-size', '32'];
  await succeed(['train', ...common, '--epochs', '15', '-o', 'dense.aekit'], dir);
  await succeed(['train', ...common, '--model', 'vae', '--epochs', '10', '-o', 'vae.aekit'], dir);
  // A model saved through the API records no data source.
  manualSeed(0);
  const api = buildModel({ family: 'dense', inputShape: [1, 28, 28], latentDim: 2 });
  saveModel(path.join(dir, 'api.aekit'), api, {
    preprocessing: [],
    data: { source: 'memory', shape: [1, 28, 28], valueRange: [0, 1] },
    summary: null,
    extras: {},
  });
  writeFileSync(path.join(dir, 'not-a-model.aekit'), 'hello');
});

function csvRows(file: string): string[][] {
  return readFileSync(path.join(dir, file), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(','));
}

test('scores per sample, a percentile threshold of the training scores, and the AUCs', async () => {
  const result = await succeed(
    [
      'score',
      'mixed.npy',
      '--labels',
      'mixed-anomalies.npy',
      '--model',
      'dense.aekit',
      '--threshold',
      'percentile:95',
      '-o',
      'scores.csv',
    ],
    dir,
  );
  const rows = csvRows('scores.csv');
  assert.deepEqual(rows[0], ['index', 'label', 'reconstruction_error', 'anomaly']);
  assert.equal(rows.length, 81);
  assert.deepEqual(rows[1].slice(0, 2), ['0', '0']);
  assert.match(result.stdout, /by reconstruction error \(binary cross-entropy, nats\)/);
  assert.match(
    result.stdout,
    /threshold: percentile 95 of 150 training scores: [\d.]+: \d+ flagged/,
  );
  const auc = Number(
    /ROC-AUC ([\d.]+), PR-AUC ([\d.]+) \(40 anomalies, 40 normal\)/.exec(result.stdout)?.[1],
  );
  assert.ok(auc > 0.9, result.stdout);
  // Most sevens are above the 95th percentile of the ones' training scores; few ones are.
  const flagged = (from: number, to: number) =>
    rows.slice(1 + from, 1 + to).filter((row) => row[3] === '1').length;
  assert.ok(flagged(40, 80) >= 30 && flagged(0, 40) <= 10, `${flagged(0, 40)} ${flagged(40, 80)}`);
});

test('a VAE scores by -ELBO; contamination, auto and --normal-class; JSON output', async () => {
  const args = ['score', '--model', 'vae.aekit', '--data', 'mixed.npy'];
  const json = await succeed(
    [
      ...args,
      '--labels',
      'mixed-labels.npy',
      '--normal-class',
      '1',
      '--threshold',
      'contamination:0.5',
      '-o',
      'vae.json',
      '--json',
    ],
    dir,
  );
  const result = JSON.parse(json.stdout) as {
    score: string;
    threshold: { method: string; flagged: number };
    labels: { anomalies: number; rocAuc: number };
  };
  assert.equal(result.score, 'negative-elbo');
  assert.equal(result.threshold.method, 'contamination');
  assert.equal(result.threshold.flagged, 40);
  assert.equal(result.labels.anomalies, 40);
  assert.ok(result.labels.rocAuc > 0.85, `${result.labels.rocAuc}`);
  const written = JSON.parse(readFileSync(path.join(dir, 'vae.json'), 'utf8')) as {
    scores: { index: number; label: string; negative_elbo: number; anomaly: number }[];
  };
  assert.equal(written.scores.length, 80);
  assert.equal(written.scores[79].label, '7');
  assert.ok(written.scores[0].negative_elbo > 0);

  const auto = await succeed(
    [...args, '--threshold', 'auto', '--score', 'reconstruction', '-o', 'a.csv'],
    dir,
  );
  assert.match(auto.stdout, /by reconstruction error/);
  assert.match(auto.stdout, /threshold: median [\d.]+ \+ 3 x 1\.4826 x MAD/);
  // Class labels without --normal-class give a notice, not AUCs; no threshold, a notice.
  const plain = await succeed([...args, '--labels', 'mixed-labels.npy', '-o', 'p.csv'], dir);
  assert.match(plain.stderr, /labels are 2 classes, not 0\/1 anomaly labels: pass --normal-class/);
  assert.match(plain.stderr, /no --threshold given: scores only, nothing flagged/);
  assert.doesNotMatch(plain.stdout, /ROC-AUC/);
  assert.deepEqual(csvRows('p.csv')[0], [
    'index',
    'label',
    'reconstruction_error',
    'negative_elbo',
  ]);
});

test('rows of a table and windows of a series get a score each', async () => {
  const rows = ['a,b,kind'];
  for (let i = 0; i < 60; i++) rows.push(`${i % 5},${(i * 3) % 7},${i % 2 ? 'odd' : 'even'}`);
  rows.push('40,-30,odd'); // far from the rest
  writeFileSync(path.join(dir, 'table.csv'), rows.join('\n') + '\n');
  const series = ['t,x'];
  for (let i = 0; i < 80; i++) series.push(`${i},${Math.sin(i / 3).toFixed(4)}`);
  writeFileSync(path.join(dir, 'series.csv'), series.join('\n') + '\n');

  const table = ['--data', 'table.csv', '--label-column', 'kind', '--hidden', '8', '--latent', '2'];
  await succeed(['train', ...table, '--epochs', '20', '-o', 'table.aekit'], dir);
  const scored = await succeed(
    ['score', 'table.csv', '--model', 'table.aekit', '-o', 't.csv'],
    dir,
  );
  assert.match(scored.stdout, /by reconstruction error \(squared error\)/);
  const tableRows = csvRows('t.csv');
  assert.deepEqual(tableRows[0], ['index', 'label', 'reconstruction_error']);
  assert.equal(tableRows.length, 62);
  const errors = tableRows.slice(1).map((row) => Number(row[2]));
  assert.equal(errors.indexOf(Math.max(...errors)), 60, 'the far row scores highest');

  const windows = ['--data', 'series.csv', '--columns', 'x', '--window', '10', '--stride', '5'];
  await succeed(['train', ...windows, '--model', 'conv1d', '--epochs', '2', '-o', 's.aekit'], dir);
  const args = ['score', '--model', 's.aekit', '--data', 'series.csv'];
  await succeed([...args, '-o', 'w.csv'], dir);
  const windowRows = csvRows('w.csv');
  assert.deepEqual(windowRows[0], ['index', 'start', 'reconstruction_error']);
  assert.deepEqual(windowRows[3].slice(0, 2), ['2', '10']);
});

test('bad input is one line naming the file and field, with exit code 2', async () => {
  const score = (...args: string[]) => ['score', '--model', 'dense.aekit', ...args];
  await badInput(
    ['score', '--model', 'missing.aekit', 'mixed.npy', '-o', 's.csv'],
    dir,
    /missing\.aekit: model file: expected an aekit model file/,
  );
  await badInput(
    ['score', '--model', 'not-a-model.aekit', 'mixed.npy', '-o', 's.csv'],
    dir,
    /not-a-model\.aekit/,
  );
  await badInput(
    score('mixed.npy', '--score', 'elbo', '-o', 's.csv'),
    dir,
    /dense\.aekit: model: expected a VAE for aekit score --score elbo/,
  );
  await badInput(
    score('flat.npy', '-o', 's.csv'),
    dir,
    /flat\.npy: sample shape: expected \[1, 28, 28\]/,
  );
  await badInput(
    score('nan.npy', '-o', 's.csv'),
    dir,
    /nan\.npy: data: expected finite numbers, got NaN at sample 0/,
  );
  await badInput(
    score('empty.npy', '-o', 's.csv'),
    dir,
    /empty\.npy: samples: expected at least 1/,
  );
  await badInput(
    score('mixed.npy', '--threshold', 'median', '-o', 's.csv'),
    dir,
    /option '--threshold <spec>' argument 'median' is invalid\. expected percentile:P/,
  );
  await badInput(
    score('mixed.npy', '--threshold', 'percentile:120', '-o', 's.csv'),
    dir,
    /'--threshold <spec>' argument 'percentile:120' is invalid/,
  );
  await badInput(
    score('mixed.npy', '-o', 's.txt'),
    dir,
    /s\.txt: --output: expected a file ending in \.csv or \.json/,
  );
  await badInput(
    score('mixed.npy', '--normal-class', '1', '-o', 's.csv'),
    dir,
    /mixed\.npy: labels: expected labelled data for --normal-class/,
  );
  await badInput(
    score('mixed.npy', '--labels', 'mixed-labels.npy', '--normal-class', '4', '-o', 's.csv'),
    dir,
    /mixed\.npy: --normal-class: expected labels of the data \(1, 7\), got '4'/,
  );
  await badInput(
    score('mixed.npy', '--data', 'ones.npy', '-o', 's.csv'),
    dir,
    /--data: expected the data source once/,
  );
  await badInput(
    ['score', '--model', 'api.aekit', 'mixed.npy', '--threshold', 'percentile:99', '-o', 's.csv'],
    dir,
    /api\.aekit: data source: expected a training data source recorded by aekit train .*pass --train-data SOURCE/,
  );
});

test('the aekit binary exits with code 2 on bad input', () => {
  const result = spawn(
    ['score', '--model', 'dense.aekit', 'mixed.npy', '-o', 's.csv', '--threshold', 'x'],
    dir,
  );
  assert.equal(result.code, 2);
  assert.match(result.stderr, /argument 'x' is invalid/);
});
