// aekit eval, run as a command on models trained for one epoch on tiny data.
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { saveNpy } from '../../src/data/index.js';
import {
  aekit,
  assertAllBadInput,
  assertBadInput,
  ok,
  workspace,
  writeDigits,
  writeImages,
  writeTable,
} from './helpers.js';

interface EvalResult {
  samples: number;
  likelihood: string;
  reconstruction: { perSample: number; perValue: number };
  mse: number;
  psnr: number | null;
  ssim: number | null;
  elbo: number | null;
  logLikelihoodBound: { nats: number; k: number; bitsPerDimension: number | null } | null;
}

let dir = '';
let remove = async () => {};
const evaluate = (...args: string[]) =>
  JSON.parse(ok(['eval', ...args, '--json'], dir).stdout) as EvalResult;

before(async () => {
  ({ dir, remove } = await workspace());
  await writeDigits(dir, 100);
  await writeTable(dir);
  await writeImages(dir);
  const train = ['train', '--epochs', '1', '--batch-size', '25', '--latent', '2'];
  ok([...train, '--data', 'digits.npy', '--hidden', '16', '-o', 'dense.aekit'], dir);
  ok(
    [...train, '--data', 'digits.npy', '--model', 'vae', '--hidden', '16', '-o', 'vae.aekit'],
    dir,
  );
  const table = ['--data', 'table.csv', '--label-column', 'kind', '--hidden', '4'];
  ok([...train, ...table, '-o', 'table.aekit'], dir);
});
after(() => remove());

test('eval scores reconstructions: loss per sample and per value, MSE, PSNR, SSIM', () => {
  const result = evaluate('--model', 'dense.aekit', '--data', 'digits.npy');
  assert.equal(result.samples, 100);
  assert.equal(result.likelihood, 'bernoulli');
  const { perSample, perValue } = result.reconstruction;
  assert.ok(Math.abs(perValue * 784 - perSample) < 1e-6 * perSample);
  // Binary cross-entropy of values in [0, 1]: positive, below log(2) per value plus slack
  // for a model one epoch old.
  assert.ok(perValue > 0 && perValue < 1, `per value ${perValue}`);
  assert.ok(result.mse > 0 && result.mse < 1);
  // The mean of per-image PSNR is at least the PSNR of the mean squared error (Jensen).
  assert.ok((result.psnr as number) >= 10 * Math.log10(1 / result.mse) - 1e-9);
  assert.ok((result.ssim as number) > -1 && (result.ssim as number) < 1);
  assert.equal(result.elbo, null);
  assert.equal(result.logLikelihoodBound, null);

  // The table prints the same numbers, to 4 significant digits.
  const table = ok(['eval', '--model', 'dense.aekit', '--data', 'digits.npy'], dir).stdout;
  const row = (label: string) => new RegExp(`^${label} +(\\S+)`, 'm').exec(table)?.[1];
  assert.equal(Number(row('reconstruction loss')), Number(perSample.toPrecision(4)));
  assert.equal(Number(row('mean squared error')), Number(result.mse.toPrecision(4)));
  assert.equal(Number(row('PSNR')), Number((result.psnr as number).toPrecision(4)));
  assert.equal(Number(row('SSIM')), Number((result.ssim as number).toPrecision(4)));
  assert.match(table, /^data +digits\.npy: 100 samples$/m);
});

test('eval of a VAE gives the ELBO and an importance-weighted bound above it', () => {
  const result = evaluate(
    '--model',
    'vae.aekit',
    '--data',
    'digits.npy',
    '--limit',
    '40',
    '--iw-samples',
    '20',
  );
  assert.equal(result.samples, 40);
  const bound = result.logLikelihoodBound as NonNullable<EvalResult['logLikelihoodBound']>;
  assert.equal(bound.k, 20);
  const elbo = result.elbo as number;
  assert.ok(elbo < 0 && bound.nats < 0);
  // Burda et al. 2016: the k-sample bound is never below the ELBO from the same draws.
  assert.ok(bound.nats >= elbo, `bound ${bound.nats} below ELBO ${elbo}`);
  assert.ok(Math.abs((bound.bitsPerDimension as number) + bound.nats / (784 * Math.LN2)) < 1e-9);

  // One draw per sample: the bound is the ELBO.
  const single = evaluate(
    '--model',
    'vae.aekit',
    '--data',
    'digits.npy',
    '--limit',
    '40',
    '--iw-samples',
    '1',
  );
  const singleBound = single.logLikelihoodBound as NonNullable<EvalResult['logLikelihoodBound']>;
  assert.ok(
    Math.abs(singleBound.nats - (single.elbo as number)) < 1e-6 * Math.abs(singleBound.nats),
  );
});

test('eval applies the recorded columns and statistics to new CSV data', async () => {
  // The first 9 rows, columns reordered and without labels: standardisation refitted on
  // them would give other values, so equal scores show the recorded statistics were used.
  const table = (await readFile(path.join(dir, 'table.csv'), 'utf8')).trim().split('\n');
  const rows = table.slice(1, 10).map((line) => {
    const [a, b, c] = line.split(',');
    return [c, b, a].join(',');
  });
  const original = evaluate('--model', 'table.aekit', '--data', 'table.csv', '--limit', '9');
  await writeFile(path.join(dir, 'new.csv'), ['c,b,a', ...rows].join('\n') + '\n');
  const moved = evaluate('--model', 'table.aekit', '--data', 'new.csv');
  assert.equal(moved.samples, 9);
  assert.ok(
    Math.abs(moved.mse - original.mse) < 1e-9 * original.mse,
    `${moved.mse} ${original.mse}`,
  );
  assert.equal(original.likelihood, 'gaussian');
  assert.equal(original.psnr, null);
});

test('eval refuses bad input with one line and exit code 2', async () => {
  await writeFile(path.join(dir, 'noise.bin'), Buffer.from([7, 1, 255, 0, 42, 99, 3, 8, 8, 8, 8]));
  await copyFile(path.join(dir, 'images', 'bars', '0.png'), path.join(dir, 'picture.png'));
  const bright = new Float32Array(3 * 784).fill(200);
  saveNpy(path.join(dir, 'bright.npy'), bright, [3, 1, 28, 28]);
  saveNpy(path.join(dir, 'none.npy'), new Float32Array(0), [0, 1, 28, 28]);
  saveNpy(path.join(dir, 'three.npy'), new Float32Array(6), [2, 3]);
  const dense = ['--model', 'dense.aekit'];
  const cases: [string[], RegExp][] = [
    [
      ['--model', 'absent.aekit'],
      /^aekit: absent\.aekit: model file: expected an aekit model file .* got no such file$/,
    ],
    [['--model', 'picture.png'], /^aekit: picture\.png: not a zip archive/],
    [['--model', 'noise.bin'], /^aekit: noise\.bin: not a zip archive/],
    [['--model', 'dense.aekit.ckpt'], /format: expected 'aekit-model', got a training checkpoint$/],
    [['--model', 'images'], /^aekit: images: model file: .* got a folder$/],
    [
      [...dense, '--data', 'images'],
      /^aekit: images: sample shape: expected \[1, 28, 28\] \(the input of dense\.aekit\), got \[1, 20, 20\]$/,
    ],
    [
      [...dense, '--data', 'bright.npy'],
      /bright\.npy: values: expected values in \[0, 1\] for the Bernoulli likelihood of dense\.aekit, got values from 200 to 200$/,
    ],
    [
      [...dense, '--data', 'none.npy'],
      /^aekit: none\.npy: samples: expected at least 1, got 0 \(empty set\)$/,
    ],
    [
      ['--model', 'table.aekit', '--data', 'three.npy'],
      /three\.npy: preprocessing: expected the columns step recorded in table\.aekit/,
    ],
    [[...dense, '--iw-samples', 'many'], /'--iw-samples <k>' argument 'many' is invalid/],
    [[...dense, '--batch-size', '0'], /'--batch-size <n>' argument '0' is invalid/],
    [['--data', 'digits.npy'], /required option '--model <file>' not specified/],
  ];
  const evals = cases.map(([args, pattern]): [string[], RegExp] => [['eval', ...args], pattern]);
  await assertAllBadInput(evals, dir);

  // The same through the aekit binary, as a separate process.
  assertBadInput(aekit(evals[0][0], dir), evals[0][1]);
  assertBadInput(aekit(evals[5][0], dir), evals[5][1]);
});
