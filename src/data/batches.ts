/** Batches of sample indices for one epoch, seeded, with a last partial batch or not. */

import { AekitError, checkInteger } from '../engine/errors.js';
import { permutation } from './random.js';

/** Options of {@link indexBatches}. */
export interface BatchOptions {
  /** Samples per batch; clamped to the sample count with a notice. */
  batchSize: number;
  /** Visit samples in a seeded random order. Default true. */
  shuffle?: boolean;
  /** Seed of the order. Default 0. */
  seed?: number;
  /** Epoch number, mixed into the seed so each epoch has its own order. Default 0. */
  epoch?: number;
  /** Leave out a last batch smaller than `batchSize`. Default false. */
  dropLast?: boolean;
}

/** An epoch's batches; iterate it (more than once if needed, same order each time). */
export interface BatchPlan extends Iterable<Int32Array> {
  /** The batch size in use, after clamping. */
  batchSize: number;
  /** Number of batches one iteration yields. */
  batchCount: number;
  /** Samples that one iteration visits (fewer than the count when `dropLast` drops some). */
  samplesPerEpoch: number;
  /** Recoverable oddities, e.g. a batch size larger than the data. */
  notices: string[];
}

/**
 * Plans one epoch of index batches over `sampleCount` samples.
 *
 * @example
 * ```ts
 * const plan = indexBatches(train.shape[0], { batchSize: 64, seed: 1, epoch });
 * for (const indices of plan) { const batch = take(train, indices); ... }
 * ```
 */
export function indexBatches(sampleCount: number, options: BatchOptions): BatchPlan {
  checkInteger(sampleCount, 'indexBatches: sampleCount', 0);
  let batchSize = checkInteger(options.batchSize, 'indexBatches: batchSize', 1);
  const shuffle = options.shuffle ?? true;
  const seed = checkInteger(options.seed ?? 0, 'indexBatches: seed', 0);
  const epoch = checkInteger(options.epoch ?? 0, 'indexBatches: epoch', 0);
  const dropLast = options.dropLast ?? false;
  if (sampleCount === 0) {
    throw new AekitError('BAD_INPUT', 'indexBatches: sampleCount: expected at least 1, got 0');
  }

  const notices: string[] = [];
  if (batchSize > sampleCount) {
    notices.push(
      `batch size ${batchSize} is larger than the ${sampleCount} samples; using ${sampleCount}`,
    );
    batchSize = sampleCount;
  }
  const batchCount = dropLast
    ? Math.floor(sampleCount / batchSize)
    : Math.ceil(sampleCount / batchSize);
  const samplesPerEpoch = dropLast ? batchCount * batchSize : sampleCount;

  const order = shuffle ? permutation(sampleCount, seed, epoch) : identity(sampleCount);
  return {
    batchSize,
    batchCount,
    samplesPerEpoch,
    notices,
    *[Symbol.iterator]() {
      for (let b = 0; b < batchCount; b++) {
        yield order.slice(b * batchSize, Math.min((b + 1) * batchSize, sampleCount));
      }
    },
  };
}

function identity(n: number): Int32Array {
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  return indices;
}
