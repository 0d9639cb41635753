// Anomaly scores: a model trained on one digit scores other digits higher, scores do not
// depend on the batch size, a VAE's -ELBO repeats with its seed, and bad data is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed } from '../../src/engine/index.js';
import { Dataset, createDataset, loadMnist, take } from '../../src/data/index.js';
import { buildModel } from '../../src/models/index.js';
import { train } from '../../src/train/index.js';
import { anomalyScores, pickScore } from '../../src/tasks/index.js';
import { rocAuc } from '../../src/metrics/index.js';

const { dataset: digits } = await loadMnist({ limit: 2000 });
const labels = digits.labels as Int32Array;
const indicesOf = (keep: (label: number) => boolean) =>
  Array.from(labels.keys()).filter((i) => keep(labels[i]));
const ones = indicesOf((label) => label === 1);
const normalTrain = take(digits, ones.slice(0, 150));
const test_ = take(digits, [...ones.slice(150, 200), ...indicesOf((l) => l === 0).slice(0, 50)]);
const isAnomaly = Int32Array.from(test_.labels as Int32Array, (label) => (label === 1 ? 0 : 1));

manualSeed(0);
const dense = buildModel({ family: 'dense', inputShape: [1, 28, 28], hidden: [32], latentDim: 4 });
train(dense, normalTrain, { epochs: 15, batchSize: 32 });

test('a model trained on ones scores zeros as anomalies, whatever the batch size', () => {
  const scores = anomalyScores(dense, test_, { batchSize: 256 });
  assert.equal(scores.reconstruction.length, 100);
  assert.equal(scores.negativeElbo, undefined);
  const auc = rocAuc(scores.reconstruction, isAnomaly);
  assert.ok(auc > 0.95, `ROC-AUC ${auc}`);

  const small = anomalyScores(dense, test_, { batchSize: 7 });
  small.reconstruction.forEach((value, i) => {
    assert.ok(Math.abs(value - scores.reconstruction[i]) < 1e-3 * Math.abs(value), `sample ${i}`);
  });
  assert.equal(dense.training, true, 'training mode is restored');
  assert.throws(
    () => pickScore(scores, 'negative-elbo', 'dense.aekit'),
    /dense\.aekit: score: expected a VAE for the negative ELBO/,
  );
});

test("a VAE's negative ELBO is at least its bound's reconstruction part and repeats by seed", () => {
  manualSeed(1);
  const vae = buildModel({ family: 'vae', inputShape: [1, 28, 28], hidden: [32], latentDim: 4 });
  train(vae, normalTrain, { epochs: 10, batchSize: 32 });
  const a = anomalyScores(vae, test_, { seed: 3, elboSamples: 2 });
  const b = anomalyScores(vae, test_, { seed: 3, elboSamples: 2 });
  const c = anomalyScores(vae, test_, { seed: 4, elboSamples: 2 });
  assert.ok(a.negativeElbo && b.negativeElbo && c.negativeElbo);
  assert.deepEqual(a.negativeElbo, b.negativeElbo);
  assert.notDeepEqual(a.negativeElbo, c.negativeElbo);
  assert.equal(pickScore(a, 'negative-elbo', 'vae'), a.negativeElbo);
  // -ELBO = E[-log p(x|z)] + KL, both about the size of the mean-code reconstruction error.
  const meanOf = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  assert.ok(meanOf(a.negativeElbo) > 0.9 * meanOf(a.reconstruction));
  const auc = rocAuc(a.negativeElbo, isAnomaly);
  assert.ok(auc > 0.9, `ROC-AUC ${auc}`);
  vae.dispose();
});

test('data that does not fit the model is refused, naming the source and field', () => {
  const wrongShape = createDataset(new Float32Array(2 * 10), [2, 10], { source: 'table.csv' });
  assert.throws(
    () => anomalyScores(dense, wrongShape),
    /^AekitError: table\.csv: anomalyScores: expected samples of shape \[1, 28, 28\] \(the model's input\), got \[10\]$/,
  );
  const values = new Float32Array(784 * 2);
  values[800] = NaN;
  const withNaN: Dataset = { ...take(digits, [0, 1]), data: values, source: 'nan.npy' };
  assert.throws(
    () => anomalyScores(dense, withNaN),
    /nan\.npy: data: expected finite numbers, got NaN at sample 1, element 16/,
  );
  const empty: Dataset = { ...withNaN, data: new Float32Array(0), shape: [0, 1, 28, 28] };
  assert.throws(() => anomalyScores(dense, empty), /nan\.npy: anomalyScores: expected at least 1/);
  const outside: Dataset = { ...withNaN, data: new Float32Array(784 * 2).fill(3) };
  assert.throws(
    () => anomalyScores(dense, outside),
    /expected values in \[0, 1\] for a model with a Bernoulli likelihood, got values from 3 to 3/,
  );
  assert.throws(() => anomalyScores(dense, test_, { batchSize: 0 }), /batchSize/);
});
