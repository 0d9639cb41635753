// The CLI's progress output and option parsers, in this process.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InvalidArgumentError } from 'commander';

import {
  corruption,
  imageSize,
  integer,
  number,
  schedule,
  sizes,
  sparsity,
} from '../../src/cli/options.js';
import {
  TrainingProgress,
  barLine,
  epochLine,
  formatDuration,
  formatNumber,
  plural,
} from '../../src/cli/progress.js';
import type { EpochRecord, TrainEvent } from '../../src/index.js';

/** A stream that keeps what is written. */
function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 100, write: (text: string) => chunks.push(text) };
}

const record: EpochRecord = {
  epoch: 0,
  train: { loss: 123.456, terms: { reconstruction: 120.01, kl: 3.446 } },
  validation: { loss: 130.2, terms: {} },
  learningRate: 0.001,
  seconds: 1.234,
  samplesPerSecond: 12345.6,
};

const events: TrainEvent[] = [
  { type: 'start', epochs: 2, batchesPerEpoch: 4, samples: 100, resumedAt: 0 },
  {
    type: 'batch',
    epoch: 0,
    batch: 2,
    batches: 4,
    loss: 150,
    samplesPerSecond: 900,
    etaSeconds: 75,
  },
  {
    type: 'batch',
    epoch: 0,
    batch: 4,
    batches: 4,
    loss: 125,
    samplesPerSecond: 1000,
    etaSeconds: 61,
  },
  { type: 'epoch', record, etaSeconds: 1.2 },
  { type: 'warning', code: 'FLAT_LOSS', message: 'the training loss is flat' },
  { type: 'checkpoint', path: 'm.aekit.ckpt', epoch: 0 },
  { type: 'stop', reason: 'finished', epoch: 0 },
];

test('numbers, durations and counts are formatted for people', () => {
  assert.equal(formatNumber(123.456), '123.5');
  assert.equal(formatNumber(0.012345), '0.01235');
  assert.equal(formatNumber(2), '2');
  assert.equal(formatNumber(1.5e-7), '1.5e-7');
  assert.equal(formatNumber(12345678), '1.235e+7');
  assert.equal(formatNumber(Infinity), 'Infinity');
  assert.equal(formatDuration(5), '0:05');
  assert.equal(formatDuration(125.4), '2:05');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(plural(1, 'epoch'), '1 epoch');
  assert.equal(plural(1200, 'batch', 'batches'), '1,200 batches');
  assert.equal(plural(3, 'epoch'), '3 epochs');
});

test('the bar and the epoch line say where training is', () => {
  const batch = events[1] as Extract<TrainEvent, { type: 'batch' }>;
  assert.equal(
    barLine(batch, 2),
    'epoch 1/2 [##########..........] 2/4 loss 150 900 samples/s ETA 1:15',
  );
  assert.equal(barLine(batch, 2, 30).length, 29, 'cut to the terminal width');
  assert.equal(
    epochLine(record, 2),
    'epoch 1/2  loss 123.5 (reconstruction 120, kl 3.446)  validation 130.2  lr 0.001  ' +
      '12,346 samples/s  1.23 s',
  );
  // A compressive model's rate is in bits.
  const codec = { ...record, train: { loss: 950, terms: { distortion: 2.5, rate: 812.4 } } };
  assert.match(epochLine(codec, 2), /loss 950 \(distortion 2\.5, rate 812\.4 bits\)/);
});

test('on a terminal, a bar is redrawn in place and cleared before each line', () => {
  const out = stream(false);
  const err = stream(true);
  const progress = new TrainingProgress(TrainingProgress.modeFor(false, err), out, err);
  assert.equal(progress.mode, 'bar');
  for (const event of events) progress.onEvent(event);
  assert.deepEqual(out.chunks, []);
  // The terminal's erase-to-end-of-line sequence, shown as <clear>.
  const text = err.chunks.join('').replaceAll('\x1b[K', '<clear>');
  assert.match(text, /^training on 100 samples, 4 batches per epoch, 2 epochs\n/);
  // Each redraw starts with a carriage return and ends by clearing the rest of the line.
  assert.match(text, /\repoch 1\/2 \[#{10}\.{10}\] 2\/4 loss 150 .*<clear>/);
  assert.match(
    text,
    /\repoch 1\/2 \[#{20}\] 4\/4 loss 125 .*<clear>\r<clear>epoch 1\/2 {2}loss 123\.5/,
  );
  assert.match(text, /\nwarning: the training loss is flat\n$/);
});

test('without a terminal, one line per epoch; with --json, every event on stdout', () => {
  const out = stream(false);
  const err = stream(false);
  const lines = new TrainingProgress(TrainingProgress.modeFor(false, err), out, err);
  for (const event of events) lines.onEvent(event);
  assert.deepEqual(err.chunks.join('').trim().split('\n'), [
    'training on 100 samples, 4 batches per epoch, 2 epochs',
    epochLine(record, 2),
    'warning: the training loss is flat',
  ]);

  const json = new TrainingProgress(TrainingProgress.modeFor(true, err), out, stream(true));
  for (const event of events) json.onEvent(event);
  assert.deepEqual(
    out.chunks.map((line) => JSON.parse(line)),
    JSON.parse(JSON.stringify(events)),
  );
  assert.ok(out.chunks.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n')));
});

test('option parsers accept their forms and refuse others with what was expected', () => {
  assert.equal(integer(1)('12'), 12);
  assert.equal(number(0, 1, true)('0.25'), 0.25);
  assert.deepEqual(sizes('256, 64'), [256, 64]);
  assert.deepEqual(imageSize('28'), [28, 28]);
  assert.deepEqual(imageSize('64x48'), [64, 48]);
  assert.deepEqual(corruption('gaussian:0.3'), { kind: 'gaussian', sigma: 0.3 });
  assert.deepEqual(corruption('salt-pepper:0.1'), { kind: 'salt_pepper', amount: 0.1 });
  assert.deepEqual(corruption('mask:0.25'), { kind: 'mask', fraction: 0.25 });
  assert.deepEqual(schedule('step:5:0.5'), { kind: 'step', stepSize: 5, gamma: 0.5 });
  assert.deepEqual(schedule('cosine'), { kind: 'cosine', minLr: undefined });
  assert.deepEqual(schedule('plateau:3'), { kind: 'plateau', patience: 3, factor: undefined });
  assert.deepEqual(sparsity('kl:0.05:1'), { kind: 'kl', target: 0.05, weight: 1 });
  assert.deepEqual(sparsity('l1:0.001'), { kind: 'l1', weight: 0.001 });

  const refusals: [() => unknown, RegExp][] = [
    [() => integer(1)('1.5'), /expected an integer >= 1/],
    [() => integer(1, 64)('65'), /expected an integer from 1 to 64/],
    [() => number(0, 1, true)('1'), /expected a number in \(0, 1\)/],
    [() => number(0)('abc'), /expected a number in \[0, inf\]/],
    [() => sizes('256,,64'), /expected positive integers separated by commas/],
    [() => imageSize('28x'), /expected a size such as 28 or 64x48/],
    [() => corruption('mask:2'), /amount and fraction in \[0, 1\]/],
    [() => corruption('gaussian'), /expected gaussian:SIGMA/],
    [() => schedule('linear'), /expected step\[:EPOCHS\[:GAMMA\]\]/],
    [() => schedule('step:2:1.5'), /GAMMA and FACTOR in \(0, 1\)/],
    [() => sparsity('kl:0.05'), /expected l1:WEIGHT or kl:TARGET:WEIGHT/],
  ];
  for (const [parse, message] of refusals) {
    assert.throws(parse, (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.match(error.message, message);
      return true;
    });
  }
});
