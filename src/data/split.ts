/** Seeded shuffling and train/validation splits of a {@link Dataset}. */

import { AekitError, checkNumber } from '../engine/errors.js';
import { count, take, type Dataset } from './dataset.js';
import { permutation } from './random.js';

/** A dataset in a seeded random order. */
export function shuffled(dataset: Dataset, seed: number): Dataset {
  return take(dataset, permutation(count(dataset), seed));
}

/** Options of {@link trainValidationSplit}. */
export interface SplitOptions {
  /** Share of samples held out for validation, in (0, 1). Default 0.1. */
  validationFraction?: number;
  /** Seed of the shuffle before splitting. Default 0. */
  seed?: number;
}

/** What {@link trainValidationSplit} returns. */
export interface Split {
  train: Dataset;
  validation: Dataset;
  /** Indices into the original dataset, so the split can be recorded and repeated. */
  trainIndices: Int32Array;
  validationIndices: Int32Array;
}

/**
 * Shuffles with `seed` and holds out `round(count * validationFraction)` samples (at least
 * one) for validation; at least one sample stays in training.
 *
 * @example
 * ```ts
 * const { train, validation } = trainValidationSplit(dataset, { validationFraction: 0.2 });
 * ```
 */
export function trainValidationSplit(dataset: Dataset, options: SplitOptions = {}): Split {
  const fraction = options.validationFraction ?? 0.1;
  const seed = options.seed ?? 0;
  checkNumber(fraction, 'trainValidationSplit: validationFraction', 0, 1);
  if (fraction <= 0 || fraction >= 1) {
    throw new RangeError(
      `trainValidationSplit: validationFraction: expected a number between 0 and 1 ` +
        `(exclusive), got number ${fraction}`,
    );
  }

  const n = count(dataset);
  if (n < 2) {
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: samples: expected at least 2 to split into training and validation, ` +
        `got ${n}`,
    );
  }
  const validationCount = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));

  const order = permutation(n, seed);
  const validationIndices = order.slice(0, validationCount).sort();
  const trainIndices = order.slice(validationCount).sort();
  return {
    train: take(dataset, trainIndices),
    validation: take(dataset, validationIndices),
    trainIndices,
    validationIndices,
  };
}
