/**
 * Denoising with an autoencoder trained on corrupted inputs against clean targets
 * (Vincent et al., "Extracting and Composing Robust Features with Denoising Autoencoders",
 * 2008): the reconstruction of a noisy input is the denoised output. Also the corruption a
 * model was trained with, as its model file records it, and seeded corruption of clean data
 * for measuring how well a model denoises.
 */
import { AekitError, Generator, checkInteger, noGrad, tensor, tidy } from '../engine/index.js';
import { Dataset, observedRange } from '../data/index.js';
import { Autoencoder, Corruption, checkCorruption, corrupt } from '../models/index.js';
import { checkBatchSize, checkModelInput, runBatches } from './batches.js';

/** Options of {@link denoise}. */
export interface DenoiseOptions {
  /** Samples per batch. Default: 256. */
  batchSize?: number;
}

/**
 * The model's reconstruction of each (noisy) sample of `dataset`, `[n, ...inputShape]`
 * row-major, in the data's value range. Use a model trained with a corruption like the
 * noise in the data; {@link trainedCorruption} says which one a model saw.
 *
 * @example
 * ```ts
 * const clean = denoise(model, noisyImages); // Float32Array like noisyImages.data
 * ```
 */
export function denoise(
  model: Autoencoder,
  dataset: Dataset,
  options: DenoiseOptions = {},
): Float32Array {
  checkModelInput(model, dataset, 'denoise');
  const batchSize = checkBatchSize(options.batchSize, 'denoise: options.batchSize');
  return runBatches(model, dataset, batchSize, (x) => model.reconstruct(x));
}

/**
 * The corruption a model was trained with, from the training summary in its model file
 * (`summary.options.corruption`), or null when it was trained on clean inputs or the file
 * has no training summary.
 */
export function trainedCorruption(summary: unknown): Corruption | null {
  const options = (summary as { options?: { corruption?: unknown } } | null)?.options;
  const corruption = options?.corruption;
  if (corruption === undefined || corruption === null) return null;
  return checkCorruption(corruption);
}

/**
 * A copy of `dataset` with `corruption` applied, drawn from a generator seeded by `seed`,
 * so that the same seed gives the same noise. Gaussian noise is clipped to the data's value
 * range unless the corruption gives its own `clip`.
 */
export function corruptDataset(dataset: Dataset, corruption: Corruption, seed = 0): Dataset {
  checkCorruption(corruption);
  checkInteger(seed, 'corruptDataset: seed', 0);
  if (dataset.shape[0] === 0) {
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: corruptDataset: expected samples, got none`,
    );
  }
  const [low, high] = dataset.valueRange;
  const resolved: Corruption =
    corruption.kind === 'gaussian' && !corruption.clip
      ? { ...corruption, clip: [low, high] }
      : corruption.kind === 'salt_pepper'
        ? { low, high, ...corruption }
        : corruption;
  const generator = new Generator(seed);
  const data = noGrad(() =>
    tidy(() =>
      corrupt(tensor(dataset.data, { shape: dataset.shape }), resolved, generator).toFloat32Array(),
    ),
  );
  return {
    ...dataset,
    data,
    // Clipped noise stays in the range; unclipped noise widens it.
    valueRange: widen(dataset.valueRange, observedRange(data)),
    source: `${dataset.source} (${describeCorruption(corruption)})`,
  };
}

function widen(a: [number, number], b: [number, number]): [number, number] {
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

/** A corruption in words: `gaussian noise sigma 0.3`, `10% salt and pepper`, `25% masked`. */
export function describeCorruption(corruption: Corruption): string {
  switch (corruption.kind) {
    case 'gaussian':
      return `gaussian noise sigma ${corruption.sigma}`;
    case 'salt_pepper':
      return `${Number((corruption.amount * 100).toPrecision(4))}% salt and pepper`;
    case 'mask':
      return `${Number((corruption.fraction * 100).toPrecision(4))}% masked`;
  }
}
