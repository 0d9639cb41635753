import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  checkDataset,
  count,
  createDataset,
  observedRange,
  sampleShape,
  sampleSize,
  take,
} from '../../src/data/index.js';

function small() {
  // Three samples of shape [2, 2]: sample i holds i*10 + 0..3.
  const data = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
  return createDataset(data, [3, 2, 2], {
    labels: Int32Array.from([0, 1, 0]),
    labelNames: ['even', 'odd'],
    source: 'small.bin',
    preprocessing: [{ kind: 'scale', from: [0, 255], to: [0, 1] }],
  });
}

test('shape helpers', () => {
  const dataset = small();
  assert.deepEqual(sampleShape(dataset), [2, 2]);
  assert.equal(count(dataset), 3);
  assert.equal(sampleSize(dataset), 4);
  assert.deepEqual(dataset.valueRange, [0, 23]);
});

test('take copies the chosen samples and labels in order, repeats allowed', () => {
  const dataset = small();
  const picked = take(dataset, [2, 0, 2]);
  assert.deepEqual([...picked.data], [20, 21, 22, 23, 0, 1, 2, 3, 20, 21, 22, 23]);
  assert.deepEqual(picked.shape, [3, 2, 2]);
  assert.deepEqual([...(picked.labels ?? [])], [0, 0, 0]);
  assert.deepEqual(picked.labelNames, ['even', 'odd']);
  assert.deepEqual(picked.preprocessing, dataset.preprocessing);
  assert.notEqual(picked.preprocessing, dataset.preprocessing);

  // Writing the copy leaves the original alone.
  picked.data[0] = -1;
  assert.equal(dataset.data[8], 20);
});

test('take refuses an index out of range, naming it', () => {
  assert.throws(() => take(small(), [0, 3]), {
    name: 'RangeError',
    message: 'take: indices[1]: expected an integer from 0 to 2, got 3',
  });
  assert.throws(() => take(small(), [0.5]), /indices\[0\]: expected an integer/);
});

test('checkDataset names the source and the field', () => {
  const data = new Float32Array(6);
  assert.throws(() => createDataset(data, [4, 2], { source: 'x.csv' }), {
    code: 'SHAPE',
    message: 'x.csv: data: expected 8 values for shape [4, 2], got 6',
  });
  assert.throws(() => createDataset(new Float32Array(0), [0, 3], { source: 'e.csv' }), {
    code: 'BAD_INPUT',
    message: 'e.csv: samples: expected at least 1, got 0',
  });
  assert.throws(() => createDataset(data, [6], { source: 'flat' }), {
    code: 'SHAPE',
    message: /flat: shape: expected \[count, \.\.\.sampleShape\] with at least 2 axes, got \[6\]/,
  });

  const withNaN = Float32Array.from([0, 1, 2, NaN, 4, 5]);
  assert.throws(() => createDataset(withNaN, [3, 2], { source: 'n.npy' }), {
    code: 'NOT_FINITE',
    message: 'n.npy: data: expected finite numbers, got NaN at sample 1, element 1',
  });

  const labels = { labels: Int32Array.from([0, 1]), source: 'l.csv' };
  assert.throws(() => createDataset(data, [3, 2], labels), {
    message: 'l.csv: labels: expected 3 (one per sample), got 2',
  });
  const dataset = createDataset(data, [3, 2], { source: 'c', labelNames: ['a'] });
  dataset.labels = Int32Array.from([0, 1, 0]);
  assert.throws(() => checkDataset(dataset), {
    name: 'RangeError',
    message: 'c: labels[1]: expected a class index from 0 to 0, got 1',
  });
});

test('observedRange', () => {
  assert.deepEqual(observedRange([3, -1, 2]), [-1, 3]);
  assert.deepEqual(observedRange([]), [0, 0]);
});
