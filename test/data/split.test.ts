import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  createDataset,
  indexBatches,
  shuffled,
  trainValidationSplit,
} from '../../src/data/index.js';

/** n samples of 2 values; sample i holds [i, -i], label i % 3. */
function numbered(n: number) {
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[2 * i] = i;
    data[2 * i + 1] = -i;
  }
  return createDataset(data, [n, 2], {
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    labelNames: ['a', 'b', 'c'],
    source: 'numbered',
  });
}

test('trainValidationSplit is seeded, disjoint and complete', () => {
  const dataset = numbered(50);
  const split = trainValidationSplit(dataset, { validationFraction: 0.2, seed: 5 });
  assert.equal(split.validation.shape[0], 10);
  assert.equal(split.train.shape[0], 40);
  const all = [...split.trainIndices, ...split.validationIndices].sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 50 }, (_, i) => i),
  );

  // Samples and labels travel together.
  split.validationIndices.forEach((original, i) => {
    assert.equal(split.validation.data[2 * i], original);
    assert.equal(split.validation.data[2 * i + 1], -original);
    assert.equal(split.validation.labels?.[i], original % 3);
  });

  const again = trainValidationSplit(dataset, { validationFraction: 0.2, seed: 5 });
  assert.deepEqual(again.validationIndices, split.validationIndices);
  const other = trainValidationSplit(dataset, { validationFraction: 0.2, seed: 6 });
  assert.notDeepEqual(other.validationIndices, split.validationIndices);
});

test('trainValidationSplit keeps at least one sample on each side', () => {
  const tiny = trainValidationSplit(numbered(3), { validationFraction: 0.01 });
  assert.equal(tiny.validation.shape[0], 1);
  const most = trainValidationSplit(numbered(3), { validationFraction: 0.99 });
  assert.equal(most.train.shape[0], 1);
  assert.throws(() => trainValidationSplit(numbered(1)), {
    code: 'BAD_INPUT',
    message: 'numbered: samples: expected at least 2 to split into training and validation, got 1',
  });
  assert.throws(() => trainValidationSplit(numbered(4), { validationFraction: 1 }), {
    name: 'RangeError',
  });
});

test('shuffled reorders samples with their labels', () => {
  const result = shuffled(numbered(20), 1);
  const firsts = Array.from({ length: 20 }, (_, i) => result.data[2 * i]);
  assert.notDeepEqual(
    firsts,
    Array.from({ length: 20 }, (_, i) => i),
  );
  firsts.forEach((original, i) => assert.equal(result.labels?.[i], original % 3));
  assert.deepEqual(shuffled(numbered(20), 1).data, result.data);
});

test('indexBatches covers every sample once with a last partial batch', () => {
  const plan = indexBatches(10, { batchSize: 4, seed: 2 });
  const batches = [...plan];
  assert.deepEqual(
    batches.map((b) => b.length),
    [4, 4, 2],
  );
  assert.equal(plan.batchCount, 3);
  assert.equal(plan.samplesPerEpoch, 10);
  assert.deepEqual(plan.notices, []);
  assert.deepEqual(
    batches.flatMap((b) => [...b]).sort((a, b) => a - b),
    Array.from({ length: 10 }, (_, i) => i),
  );
  // Iterating again gives the same order; another epoch another one.
  assert.deepEqual([...plan], batches);
  const next = [...indexBatches(10, { batchSize: 4, seed: 2, epoch: 1 })];
  assert.notDeepEqual(next, batches);
});

test('indexBatches with dropLast and without shuffle', () => {
  const plan = indexBatches(10, { batchSize: 4, shuffle: false, dropLast: true });
  assert.deepEqual(
    [...plan].map((b) => [...b]),
    [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ],
  );
  assert.equal(plan.samplesPerEpoch, 8);
});

test('indexBatches clamps a batch size larger than the data, with a notice', () => {
  const plan = indexBatches(5, { batchSize: 64, shuffle: false, dropLast: true });
  assert.equal(plan.batchSize, 5);
  assert.deepEqual(
    [...plan].map((b) => [...b]),
    [[0, 1, 2, 3, 4]],
  );
  assert.deepEqual(plan.notices, ['batch size 64 is larger than the 5 samples; using 5']);
  assert.throws(() => indexBatches(0, { batchSize: 4 }), {
    message: 'indexBatches: sampleCount: expected at least 1, got 0',
  });
  assert.throws(() => indexBatches(5, { batchSize: 0 }), {
    name: 'RangeError',
    message: 'indexBatches: batchSize: expected an integer >= 1, got number 0',
  });
});
