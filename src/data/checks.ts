/**
 * Value checks done before training: pixel scaling and whether the data can be the target
 * of a given output activation and loss.
 */

import { AekitError } from '../engine/errors.js';
import { checkFinite, observedRange, type Dataset, type ScaleStep } from './dataset.js';

/** The record of scaling uint8 values from [0, 255] to [0, 1]. */
export const UINT8_TO_UNIT: ScaleStep = { kind: 'scale', from: [0, 255], to: [0, 1] };

/** Uint8 values (e.g. pixels) divided by 255 into floats in [0, 1]. */
export function scaleUint8(values: Uint8Array | Uint8ClampedArray): Float32Array {
  const result = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) result[i] = values[i] / 255;
  return result;
}

/** The notice a reader adds when it scaled uint8 data. */
export function uint8Notice(source: string): string {
  return `${source}: uint8 values scaled from [0, 255] to [0, 1]`;
}

/** Output activations whose range {@link checkTargetsFor} knows. */
export type OutputActivation = 'sigmoid' | 'tanh' | 'identity';

/** Reconstruction losses whose target range {@link checkTargetsFor} knows. */
export type ReconstructionLoss = 'bce' | 'mse' | 'l1' | 'huber';

const ACTIVATION_RANGES: Record<OutputActivation, [number, number]> = {
  sigmoid: [0, 1],
  tanh: [-1, 1],
  identity: [-Infinity, Infinity],
};

const LOSS_RANGES: Record<ReconstructionLoss, [number, number]> = {
  // Binary cross-entropy reads each target as a probability.
  bce: [0, 1],
  mse: [-Infinity, Infinity],
  l1: [-Infinity, Infinity],
  huber: [-Infinity, Infinity],
};

/**
 * Refuses, before any training, data that a model with this output activation and loss
 * cannot reconstruct: values outside the activation's range (sigmoid [0, 1], tanh [-1, 1])
 * or outside the loss's target range (bce [0, 1]). The error names the dataset's source,
 * the observed range and the range allowed. NaN and infinities are refused too.
 *
 * @returns the observed [min, max] of the data.
 */
export function checkTargetsFor(
  dataset: Dataset,
  outputActivation: OutputActivation,
  loss: ReconstructionLoss,
): [number, number] {
  if (!Object.hasOwn(ACTIVATION_RANGES, outputActivation)) {
    throw new TypeError(
      `checkTargetsFor: outputActivation: expected one of ` +
        `${Object.keys(ACTIVATION_RANGES).join(', ')}, got ${JSON.stringify(outputActivation)}`,
    );
  }
  if (!Object.hasOwn(LOSS_RANGES, loss)) {
    throw new TypeError(
      `checkTargetsFor: loss: expected one of ${Object.keys(LOSS_RANGES).join(', ')}, ` +
        `got ${JSON.stringify(loss)}`,
    );
  }

  checkFinite(dataset.data, dataset.source, 'values');
  const [min, max] = observedRange(dataset.data);
  const limits: [string, [number, number], string][] = [
    [`output activation '${outputActivation}'`, ACTIVATION_RANGES[outputActivation], 'activation'],
    [`loss '${loss}'`, LOSS_RANGES[loss], 'loss'],
  ];
  for (const [what, [low, high], other] of limits) {
    if (min < low || max > high) {
      throw new AekitError(
        'BAD_INPUT',
        `${dataset.source}: values: expected values in [${low}, ${high}] for ${what}, ` +
          `got values from ${min} to ${max}; rescale the data or choose another ${other}`,
      );
    }
  }
  return [min, max];
}
