import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkTargetsFor, createDataset, scaleUint8 } from '../../src/data/index.js';

function values(list: number[], source = 'targets.csv') {
  return createDataset(Float32Array.from(list), [list.length, 1], { source });
}

test('scaleUint8 maps 0..255 to 0..1', () => {
  const scaled = scaleUint8(Uint8Array.from([0, 51, 255]));
  assert.deepEqual([...scaled], [0, Math.fround(0.2), 1]);
});

test('checkTargetsFor accepts data inside the ranges and returns the observed range', () => {
  assert.deepEqual(checkTargetsFor(values([0, 0.5, 1]), 'sigmoid', 'bce'), [0, 1]);
  assert.deepEqual(checkTargetsFor(values([-1, 0.5]), 'tanh', 'mse'), [-1, 0.5]);
  assert.deepEqual(checkTargetsFor(values([-7, 30]), 'identity', 'mse'), [-7, 30]);
});

test('checkTargetsFor refuses what the activation or loss cannot produce', () => {
  assert.throws(() => checkTargetsFor(values([-0.5, 2]), 'sigmoid', 'mse'), {
    code: 'BAD_INPUT',
    message:
      "targets.csv: values: expected values in [0, 1] for output activation 'sigmoid', " +
      'got values from -0.5 to 2; rescale the data or choose another activation',
  });
  assert.throws(() => checkTargetsFor(values([-1, 1], 'std.csv'), 'tanh', 'bce'), {
    message:
      "std.csv: values: expected values in [0, 1] for loss 'bce', got values from -1 to 1; " +
      'rescale the data or choose another loss',
  });
  assert.throws(() => checkTargetsFor(values([0, 1.5]), 'tanh', 'mse'), /\[-1, 1\]/);
  assert.throws(() => checkTargetsFor(values([0]), 'relu' as 'tanh', 'mse'), {
    name: 'TypeError',
    message:
      'checkTargetsFor: outputActivation: expected one of sigmoid, tanh, identity, got "relu"',
  });
  assert.throws(() => checkTargetsFor(values([0]), 'sigmoid', 'kl' as 'mse'), {
    name: 'TypeError',
  });
});

test('checkTargetsFor refuses NaN, naming the element', () => {
  const dataset = values([0, 0.5]);
  dataset.data[1] = NaN;
  assert.throws(() => checkTargetsFor(dataset, 'identity', 'mse'), {
    code: 'NOT_FINITE',
    message: 'targets.csv: values: expected finite numbers, got NaN at element 1',
  });
});
