/**
 * What the task modules share: checking that data fits a model before any work, and running
 * a model over a dataset in batches without gradients.
 */
import { AekitError, Tensor, checkInteger, noGrad, tensor, tidy } from '../engine/index.js';
import { Dataset, checkFinite, sampleShape, sampleSize } from '../data/index.js';
import { Autoencoder } from '../models/index.js';

/** Samples per batch when a task's options do not say. */
export const DEFAULT_BATCH_SIZE = 256;

/**
 * Checks that `dataset` can go through `model`: at least one sample, the model's sample
 * shape, finite values, and values in [0, 1] for a Bernoulli likelihood. Errors name the
 * data source, the field and the task (`what`).
 */
export function checkModelInput(model: Autoencoder, dataset: Dataset, what: string): void {
  const source = dataset.source;
  if (dataset.shape[0] === 0 || dataset.data.length === 0) {
    throw new AekitError('BAD_INPUT', `${source}: ${what}: expected at least 1 sample, got none`);
  }
  const expected = model.config.inputShape;
  const got = sampleShape(dataset);
  if (got.length !== expected.length || got.some((size, i) => size !== expected[i])) {
    throw new AekitError(
      'BAD_INPUT',
      `${source}: ${what}: expected samples of shape [${expected.join(', ')}] (the model's ` +
        `input), got [${got.join(', ')}]`,
    );
  }
  // One pass for finiteness and the range; the reader's check names the first bad value.
  const values = dataset.data;
  let low = Infinity;
  let high = -Infinity;
  let finite = true;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value - value !== 0) finite = false; // NaN or an infinity
    if (value < low) low = value;
    if (value > high) high = value;
  }
  if (!finite) checkFinite(values, source, 'data', sampleSize(dataset));
  if (model.config.likelihood === 'bernoulli' && (low < 0 || high > 1)) {
    throw new AekitError(
      'BAD_INPUT',
      `${source}: data: expected values in [0, 1] for a model with a Bernoulli likelihood, ` +
        `got values from ${low} to ${high}`,
    );
  }
}

/** Checks a batch size option. */
export function checkBatchSize(value: unknown, what: string): number {
  return checkInteger(value ?? DEFAULT_BATCH_SIZE, what, 1);
}

/**
 * Runs `fn` on the samples of `dataset`, `batchSize` at a time, in evaluation mode and
 * without gradients, and returns its outputs (each `[batch, ...]`) joined in one float32
 * array. The model's training mode is restored afterwards.
 */
export function runBatches(
  model: Autoencoder,
  dataset: Dataset,
  batchSize: number,
  fn: (x: Tensor, start: number) => Tensor,
): Float32Array {
  const wasTraining = model.training;
  model.eval();
  const n = dataset.shape[0];
  const size = sampleSize(dataset);
  const parts: Float32Array[] = [];
  try {
    noGrad(() => {
      for (let start = 0; start < n; start += batchSize) {
        const count = Math.min(batchSize, n - start);
        const values = dataset.data.subarray(start * size, (start + count) * size);
        parts.push(
          tidy(() => {
            const x = tensor(values, { shape: [count, ...sampleShape(dataset)] });
            return fn(x, start).toFloat32Array();
          }),
        );
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const joined = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
