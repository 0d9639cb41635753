// aekit encode, decode and reconstruct, run as commands on a model trained for one epoch.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import sharp from 'sharp';

import { readNpy, saveNpy } from '../../src/data/index.js';
import {
  aekit,
  assertAllBadInput,
  assertBadInput,
  ok,
  workspace,
  writeDigits,
  writeTable,
} from './helpers.js';

let dir = '';
let remove = async () => {};
let labels: Int32Array;
const file = (name: string) => path.join(dir, name);

before(async () => {
  ({ dir, remove } = await workspace());
  labels = await writeDigits(dir, 60);
  await writeTable(dir);
  const train = ['train', '--epochs', '1', '--batch-size', '20', '--hidden', '8', '--latent', '3'];
  ok([...train, '--data', 'digits.npy', '--labels', 'digits-labels.npy', '-o', 'm.aekit'], dir);
  ok([...train, '--data', 'table.csv', '--label-column', 'kind', '-o', 'table.aekit'], dir);
});
after(() => remove());

test('encode writes the same codes as CSV, NPY and JSON, with the labels', async () => {
  const encode = ['encode', '--model', 'm.aekit', '--labels', 'digits-labels.npy'];
  const run = ok([...encode, '-o', 'codes.csv'], dir);
  assert.equal(run.stdout, 'wrote codes.csv: 60 codes of 3 values with labels\n');
  ok([...encode, '-o', 'codes.npy'], dir);
  ok([...encode, '-o', 'codes.json'], dir);

  // The model was trained on digits.npy, which encode reads when no --data is given.
  const csv = (await readFile(file('codes.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'label,z0,z1,z2');
  assert.equal(csv.length, 61);
  const csvLabels = csv.slice(1).map((line) => Number(line.split(',')[0]));
  assert.deepEqual(csvLabels, [...labels]);
  const csvCodes = csv.slice(1).flatMap((line) => line.split(',').slice(1).map(Number));

  const npy = await readNpy(file('codes.npy'));
  assert.equal(npy.dtype, 'float32');
  assert.deepEqual(npy.shape, [60, 3]);
  // The CSV text reads back to the very float32 values.
  assert.deepEqual(
    csvCodes.map((value) => Math.fround(value)),
    [...npy.values],
  );
  const npyLabels = await readNpy(file('codes.labels.npy'));
  assert.deepEqual([...npyLabels.values], [...labels]);

  const json = JSON.parse(await readFile(file('codes.json'), 'utf8')) as {
    latentDim: number;
    codes: number[][];
    labels: number[];
    labelNames: string[];
  };
  assert.equal(json.latentDim, 3);
  assert.deepEqual(json.codes.flat(), csvCodes);
  assert.deepEqual(json.labels, [...labels]);
  assert.deepEqual(json.labelNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

  // Table labels are written by name.
  ok(['encode', '--model', 'table.aekit', '--data', 'table.csv', '-o', 'table.csv.json'], dir);
  const table = JSON.parse(await readFile(file('table.csv.json'), 'utf8')) as {
    labels: number[];
    labelNames: string[];
  };
  assert.deepEqual(table.labelNames, ['x', 'y', 'z']);
  assert.deepEqual(table.labels.slice(0, 4), [0, 1, 2, 0]);
});

test('decode(encode(x)) is reconstruct(x), and image models decode to PNGs', async () => {
  ok(['encode', '--model', 'm.aekit', '-o', 'all.npy'], dir);
  ok(['decode', 'all.npy', '--model', 'm.aekit', '-o', 'decoded.npy'], dir);
  ok(['reconstruct', '--model', 'm.aekit', '--count', '60', '-o', 'reconstructed.npy'], dir);
  const decoded = await readNpy(file('decoded.npy'));
  const reconstructed = await readNpy(file('reconstructed.npy'));
  assert.deepEqual(decoded.shape, [60, 1, 28, 28]);
  assert.deepEqual(reconstructed.shape, [60, 1, 28, 28]);
  let largest = 0;
  for (let i = 0; i < decoded.values.length; i++) {
    largest = Math.max(largest, Math.abs(decoded.values[i] - reconstructed.values[i]));
  }
  assert.ok(largest < 1e-5, `decode(encode(x)) differs from reconstruct(x) by ${largest}`);

  // Hand-written JSON codes, as a bare array, to one PNG each.
  await writeFile(
    file('three.json'),
    JSON.stringify([
      [0, 0, 0],
      [1, -1, 0.5],
      [2, 2, 2],
    ]),
  );
  const run = ok(['decode', 'three.json', '--model', 'm.aekit', '-o', 'pngs', '--scale', '2'], dir);
  assert.equal(run.stdout, 'wrote 3 PNGs to pngs\n');
  assert.deepEqual(await readdir(file('pngs')), ['0.png', '1.png', '2.png']);
  const png = await sharp(file('pngs/1.png')).metadata();
  assert.deepEqual([png.width, png.height, png.channels], [56, 56, 1]);
});

test('reconstruct draws originals above their reconstructions', async () => {
  const run = ok(
    [
      'reconstruct',
      '--model',
      'm.aekit',
      '--count',
      '8',
      '--per-row',
      '4',
      '--scale',
      '1',
      '-o',
      'grid.png',
    ],
    dir,
  );
  assert.equal(run.stdout, 'wrote grid.png: 8 samples above their reconstructions\n');
  const { width, height, channels } = await sharp(file('grid.png')).metadata();
  // 4 tiles of 28 with 2-pixel padding; 2 pairs of rows, pairs 4 pixels apart.
  assert.equal(width, 4 * 28 + 5 * 2);
  assert.equal(height, 4 * 28 + 2 + 2 + 4 + 2 + 2);
  assert.equal(channels, 1);
});

test('encode, decode and reconstruct refuse bad input with one line and exit code 2', async () => {
  await writeFile(file('two.json'), JSON.stringify({ codes: [[1, 2]] }));
  await writeFile(file('none.json'), JSON.stringify({ codes: [] }));
  await writeFile(file('codes.txt'), '1,2,3\n');
  await writeFile(file('noise.bin'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  saveNpy(file('none.npy'), new Float32Array(0), [0, 1, 28, 28]);
  const model = ['--model', 'm.aekit'];
  const cases: [string[], RegExp][] = [
    [
      ['encode', ...model, '-o', 'codes.txt'],
      /codes\.txt: --output: expected a file ending in \.csv, \.npy or \.json/,
    ],
    [
      ['encode', '--model', 'gone.aekit', '-o', 'c.csv'],
      /^aekit: gone\.aekit: model file: .* got no such file$/,
    ],
    [['encode', '--model', 'digits.npy', '-o', 'c.csv'], /^aekit: digits\.npy: not a zip archive/],
    [
      ['encode', ...model, '--data', 'table.csv', '--label-column', 'kind', '-o', 'c.csv'],
      /table\.csv: sample shape: expected \[1, 28, 28\] .* got \[3\]$/,
    ],
    [
      ['encode', ...model, '--data', 'digits.npy', '--window', '3', '-o', 'c.csv'],
      /unknown option '--window'/,
    ],
    [
      ['decode', 'two.json', ...model, '-o', 'x.npy'],
      /two\.json: codes: expected 3 values per code \(the latent size of m\.aekit\), got 2$/,
    ],
    [
      ['decode', 'none.json', ...model, '-o', 'x.npy'],
      /none\.json: codes: expected at least 1 code, got none$/,
    ],
    [
      ['decode', 'codes.txt', ...model, '-o', 'x.npy'],
      /codes\.txt: codes: expected a \.csv, \.npy or \.json code file/,
    ],
    [
      ['decode', 'absent.csv', ...model, '-o', 'x.npy'],
      /absent\.csv: file: expected a readable file/,
    ],
    [
      ['decode', 'codes.json', '--model', 'table.aekit', '-o', 'out'],
      /out: --output: expected a \.npy file for a model of input \[3\]/,
    ],
    [['decode', 'codes.json', ...model], /required option '-o, --output <path>' not specified/],
    [
      ['reconstruct', ...model, '-o', 'grid.gif'],
      /grid\.gif: --output: expected a file ending in \.png or \.npy/,
    ],
    [
      ['reconstruct', '--model', 'table.aekit', '--data', 'table.csv', '-o', 'g.png'],
      /g\.png: --output: expected a \.npy file .*\(a PNG grid needs/,
    ],
    [['reconstruct', ...model, '--count', '0'], /'--count <n>' argument '0' is invalid/],
    // Every command: a file that is not a model, and data that is empty or does not fit.
    [
      ['encode', ...model, '--data', 'none.npy', '-o', 'c.csv'],
      /none\.npy: samples: expected at least 1/,
    ],
    [
      ['decode', 'codes.json', '--model', 'noise.bin', '-o', 'x.npy'],
      /^aekit: noise\.bin: not a zip archive/,
    ],
    [['reconstruct', '--model', 'noise.bin'], /^aekit: noise\.bin: not a zip archive/],
    [['reconstruct', ...model, '--data', 'none.npy'], /none\.npy: samples: expected at least 1/],
    [
      ['reconstruct', ...model, '--data', 'table.csv', '--label-column', 'kind'],
      /table\.csv: sample shape: expected \[1, 28, 28\] .* got \[3\]$/,
    ],
  ];
  await assertAllBadInput(cases, dir);

  // The same through the aekit binary, as a separate process.
  assertBadInput(aekit(cases[5][0], dir), cases[5][1]);
});
