/**
 * Log-likelihood estimates for variational autoencoders from per-sample log-weights
 * `log w_ij = log p(x_i, z_ij) - log q(z_ij | x_i)`, one row of k draws `z_ij ~ q(z | x_i)`
 * per data point: the ELBO and the importance-weighted bound of Burda, Grosse and
 * Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016.
 */

import { checkInteger, checkNumber } from '../engine/errors.js';
import { checkLength, checkOptions, checkShape, checkValues, type Values } from './checks.js';

/**
 * `log(mean(exp(values)))` computed without overflow or underflow, by factoring out the
 * largest value. -Infinity entries (weights of zero) are allowed; NaN and +Infinity are not.
 *
 * @example
 * ```ts
 * logMeanExp(new Float64Array([1000, 1000])); // 1000, where the naive form overflows
 * ```
 */
export function logMeanExp(values: Values): number {
  checkValues(values, 'logMeanExp: values', true);
  return rowLogMeanExp(values, 0, values.length);
}

/**
 * {@link logMeanExp} of each row of a C-order `[n, k]` array: `n` results.
 */
export function logMeanExpRows(values: Values, shape: [number, number]): Float64Array {
  const [n, k] = checkRows('logMeanExpRows', 'values', values, shape);
  const result = new Float64Array(n);
  for (let i = 0; i < n; i++) result[i] = rowLogMeanExp(values, i * k, k);
  return result;
}

function checkRows(fn: string, what: string, values: unknown, shape: unknown): number[] {
  const sizes = checkShape(shape, `${fn}: shape`, [2]);
  checkValues(values, `${fn}: ${what}`, true);
  checkLength(values.length, sizes[0] * sizes[1], `${fn}: ${what}`, `shape [${sizes.join(', ')}]`);
  return sizes;
}

function rowLogMeanExp(values: Values, start: number, k: number): number {
  let max = -Infinity;
  for (let j = start; j < start + k; j++) if (values[j] > max) max = values[j];
  if (max === -Infinity) return -Infinity;

  // The largest term contributes exp(0) = 1, so the sum is at least 1 and its log is exact
  // enough; the others underflow harmlessly to 0.
  let sum = 0;
  for (let j = start; j < start + k; j++) sum += Math.exp(values[j] - max);
  return max + Math.log(sum) - Math.log(k);
}

/** Options of {@link importanceWeightedBound}. */
export interface ImportanceWeightedOptions {
  /** `[n, k]`: n data points, k draws from the encoder for each. Required. */
  shape: [number, number];
}

/** The bounds on the log-likelihood that one set of log-weights gives, in nats. */
export interface ImportanceWeightedBound {
  /** `L_k(x_i) = log (1/k) sum_j w_ij` for each data point: n values. */
  perSample: Float64Array;
  /** Mean of `perSample`: the k-sample bound on the mean log-likelihood, in nats. */
  mean: number;
  /**
   * Mean of all log-weights: the ELBO (the k = 1 bound) estimated from the same draws.
   * Never above `mean` (Jensen's inequality), and equal to it when k = 1.
   */
  elbo: number;
  /** Draws per data point. */
  k: number;
}

/**
 * The importance-weighted lower bound on the log-likelihood (Burda et al. 2016, eq. 8):
 *
 * `L_k(x) = log (1/k) sum_{j=1..k} p(x, z_j) / q(z_j | x)`, with `z_j ~ q(z | x)`,
 *
 * from log-weights `[n, k]`. `L_1` is the ELBO; `L_k` rises with k towards `log p(x)`
 * (their Theorem 1), so with k = 5000, as in the paper's evaluation, it is the usual
 * estimate of a VAE's test log-likelihood. Computed with the log-mean-exp trick, so
 * log-weights of -10,000 nats are as exact as those near 0.
 *
 * @example
 * ```ts
 * // logWeights[i * k + j] = log p(x_i | z_ij) + log p(z_ij) - log q(z_ij | x_i)
 * const { mean, elbo } = importanceWeightedBound(logWeights, { shape: [n, k] });
 * bitsPerDimension(mean, 28 * 28); // the bound in bits per pixel
 * ```
 */
export function importanceWeightedBound(
  logWeights: Values,
  options: ImportanceWeightedOptions,
): ImportanceWeightedBound {
  checkOptions(options, 'importanceWeightedBound: options');
  const [n, k] = checkRows(
    'importanceWeightedBound',
    'logWeights',
    logWeights,
    (options ?? {}).shape,
  );

  const perSample = new Float64Array(n);
  let sum = 0;
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    perSample[i] = rowLogMeanExp(logWeights, i * k, k);
    sum += perSample[i];
    for (let j = i * k; j < (i + 1) * k; j++) weightSum += logWeights[j];
  }
  return { perSample, mean: sum / n, elbo: weightSum / (n * k), k };
}

/**
 * A log-likelihood in nats per data point as bits per dimension,
 * `-logLikelihood / (dimensions * ln 2)`: lower is better.
 *
 * @example
 * ```ts
 * bitsPerDimension(-784 * Math.LN2, 784); // 1
 * ```
 */
export function bitsPerDimension(logLikelihood: number, dimensions: number): number {
  checkNumber(logLikelihood, 'bitsPerDimension: logLikelihood');
  checkInteger(dimensions, 'bitsPerDimension: dimensions', 1);
  return -logLikelihood / (dimensions * Math.LN2);
}
