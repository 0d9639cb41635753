/**
 * Anomaly detection by score: how well scores rank anomalies above normal points (AUROC,
 * average precision) and where to put the threshold above which a score is an anomaly.
 *
 * Convention: a higher score is more anomalous; label 1 is an anomaly (the positive
 * class) and 0 is normal; a score strictly above a threshold is flagged.
 */

import { AekitError, checkInteger, checkNumber, describe } from '../engine/errors.js';
import {
  checkBinaryLabels,
  checkFiniteNumber,
  checkNotConstant,
  checkOptions,
  checkValues,
  type Values,
} from './checks.js';

/** The scores of anomalies and of normal points, each sorted ascending. */
function splitSorted(
  fn: string,
  scores: Values,
  labels: ArrayLike<number | boolean>,
): { anomalies: Float64Array; normals: Float64Array } {
  checkValues(scores, `${fn}: scores`);
  const checked = checkBinaryLabels(labels, `${fn}: labels`, scores.length);
  checkNotConstant(scores, `${fn}: scores`);

  const anomalies = new Float64Array(checked.positives);
  const normals = new Float64Array(scores.length - checked.positives);
  let a = 0;
  let b = 0;
  for (let i = 0; i < scores.length; i++) {
    if (checked.labels[i] === 1) anomalies[a++] = scores[i];
    else normals[b++] = scores[i];
  }
  // Typed-array sort without a comparator is numeric and runs natively.
  return { anomalies: anomalies.sort(), normals: normals.sort() };
}

/**
 * Area under the ROC curve: the probability that a random anomaly scores above a random
 * normal point, ties counting one half. This is the Mann-Whitney U statistic of the
 * anomaly scores divided by (anomalies x normals), i.e. ties take their average rank, and
 * equals scikit-learn's `roc_auc_score`.
 *
 * Constant scores are refused: they rank nothing, and the 0.5 they would give usually
 * hides a broken scorer.
 *
 * @example
 * ```ts
 * rocAuc(new Float64Array([0.1, 0.4, 0.35, 0.8]), [0, 0, 1, 1]); // 0.75
 * ```
 */
export function rocAuc(scores: Values, labels: ArrayLike<number | boolean>): number {
  const { anomalies, normals } = splitSorted('rocAuc', scores, labels);

  // For each anomaly in ascending order, normals[0..below) score lower and
  // normals[below..notAbove) score the same; both bounds only move up.
  let below = 0;
  let notAbove = 0;
  let u = 0;
  for (let i = 0; i < anomalies.length; i++) {
    const score = anomalies[i];
    while (below < normals.length && normals[below] < score) below++;
    if (notAbove < below) notAbove = below;
    while (notAbove < normals.length && normals[notAbove] <= score) notAbove++;
    u += below + 0.5 * (notAbove - below);
  }
  return u / (anomalies.length * normals.length);
}

/**
 * Average precision, the area under the precision-recall curve as scikit-learn's
 * `average_precision_score` defines it: `sum_n (R_n - R_(n-1)) P_n` over the distinct
 * scores taken as thresholds from the highest down, where `P_n` and `R_n` are the
 * precision and recall of flagging every score at or above the n-th threshold. No
 * interpolation between points. A random scorer gets the fraction of anomalies; a perfect
 * one gets 1. Constant scores and one-class labels are refused.
 *
 * @example
 * ```ts
 * prAuc(new Float64Array([0.1, 0.4, 0.35, 0.8]), [0, 0, 1, 1]); // 0.8333...
 * ```
 */
export function prAuc(scores: Values, labels: ArrayLike<number | boolean>): number {
  const { anomalies, normals } = splitSorted('prAuc', scores, labels);

  let a = anomalies.length - 1;
  let b = normals.length - 1;
  let truePositives = 0;
  let falsePositives = 0;
  let previousRecall = 0;
  let sum = 0;
  while (a >= 0 || b >= 0) {
    // The next threshold: the highest score not yet passed, and every score equal to it.
    const threshold =
      a < 0 ? normals[b] : b < 0 ? anomalies[a] : Math.max(anomalies[a], normals[b]);
    while (a >= 0 && anomalies[a] === threshold) {
      truePositives++;
      a--;
    }
    while (b >= 0 && normals[b] === threshold) {
      falsePositives++;
      b--;
    }
    const recall = truePositives / anomalies.length;
    sum += (recall - previousRecall) * (truePositives / (truePositives + falsePositives));
    previousRecall = recall;
    if (a < 0) break; // full recall: later thresholds add nothing
  }
  return sum;
}

/** How a threshold was chosen. */
export type ThresholdMethod = 'percentile' | 'contamination' | 'mad' | 'otsu';

/** A threshold on scores (scores strictly above it are anomalies) and how it was chosen. */
export interface Threshold {
  /** Scores strictly above this are flagged as anomalies. */
  threshold: number;
  /** The rule that chose it. */
  method: ThresholdMethod;
  /** The rule's inputs and intermediate values, e.g. `{ median, mad, k }`. */
  parameters: Record<string, number>;
  /** One line for people: the rule and its numbers. */
  description: string;
}

/**
 * The `p`-th percentile of `sorted` (ascending), interpolating linearly between the two
 * nearest ranks: NumPy's default `percentile(..., method='linear')`.
 */
function percentileOfSorted(sorted: Float64Array, p: number): number {
  const position = ((sorted.length - 1) * p) / 100;
  const below = Math.floor(position);
  if (below >= sorted.length - 1) return sorted[sorted.length - 1];
  return sorted[below] + (position - below) * (sorted[below + 1] - sorted[below]);
}

function sortedCopy(values: Values): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * The `p`-th percentile (0 to 100) of scores of normal training data, interpolated
 * linearly as NumPy's `percentile` does: with p = 99, about 1% of data like the training
 * data is flagged.
 *
 * @example
 * ```ts
 * const { threshold } = percentileThreshold(trainErrors, 99);
 * const flagged = testErrors.map((e) => (e > threshold ? 1 : 0));
 * ```
 */
export function percentileThreshold(trainScores: Values, p: number): Threshold {
  checkValues(trainScores, 'percentileThreshold: trainScores');
  checkNumber(p, 'percentileThreshold: p', 0, 100);
  const threshold = percentileOfSorted(sortedCopy(trainScores), p);
  return {
    threshold,
    method: 'percentile',
    parameters: { p },
    description: `percentile ${p} of ${trainScores.length} training scores: ${threshold}`,
  };
}

/**
 * The threshold that flags the top `fraction` of `scores` (0 < fraction < 1), for data
 * whose share of anomalies is known: the percentile `100 (1 - fraction)`, the convention
 * of PyOD's `contamination` (Zhao, Nasrullah and Li, "PyOD: A Python toolbox for scalable
 * outlier detection", JMLR 20, 2019). Ties at the threshold are not flagged, so the share
 * flagged can fall below `fraction` when many scores are equal. Constant scores are
 * refused.
 */
export function contaminationThreshold(scores: Values, fraction: number): Threshold {
  checkValues(scores, 'contaminationThreshold: scores');
  checkNumber(fraction, 'contaminationThreshold: fraction', 0, 1);
  if (fraction === 0 || fraction === 1) {
    throw new RangeError(
      `contaminationThreshold: fraction: expected a number between 0 and 1 (exclusive), ` +
        `got ${describe(fraction)}`,
    );
  }
  checkNotConstant(scores, 'contaminationThreshold: scores');
  const threshold = percentileOfSorted(sortedCopy(scores), 100 * (1 - fraction));
  return {
    threshold,
    method: 'contamination',
    parameters: { fraction },
    description:
      `top ${fraction * 100}% of ${scores.length} scores: percentile ` +
      `${100 * (1 - fraction)} = ${threshold}`,
  };
}

/** Options of {@link autoThreshold}. */
export interface AutoThresholdOptions {
  /**
   * `'mad'`: median + k x scaled MAD, for scores of mostly normal data (one mode with a
   * tail). `'otsu'`: Otsu's split of a histogram, for scores with two modes (normal and
   * anomalous). Default: `'mad'`.
   */
  method?: 'mad' | 'otsu';
  /** For `'mad'`: how many scaled MADs above the median. Default: 3. */
  k?: number;
  /** For `'otsu'`: histogram bins. Default: 256. */
  bins?: number;
}

/** 1 / Phi^-1(3/4): makes the MAD estimate the standard deviation of normal data. */
const MAD_TO_SD = 1.482602218505602;

/**
 * A threshold chosen from the distribution of the scores alone.
 *
 * `'mad'` (the default) is `median + k * 1.4826 * MAD`, with MAD the median absolute
 * deviation from the median: the robust outlier rule that Leys, Ley, Klein, Bernard and
 * Licata recommend over mean + k SD ("Detecting outliers: Do not use standard deviation
 * around the mean, use absolute deviation around the median", Journal of Experimental
 * Social Psychology 49(4), 2013), with their "very conservative" k = 3. Anomalies in the
 * data barely move it, so it suits training scores and test scores alike. Refused when
 * more than half the scores are equal (MAD 0).
 *
 * `'otsu'` is Otsu's method (Otsu, "A threshold selection method from gray-level
 * histograms", IEEE Transactions on Systems, Man, and Cybernetics 9(1), 1979): the
 * histogram of the scores is split where the between-class variance is largest, and the
 * threshold is the upper edge of the last bin of the lower class. Use it when the scores
 * have two modes; on one mode it cuts through the middle of the normal scores. The split
 * bin equals scikit-image's `threshold_otsu`, which reports that bin's centre instead.
 *
 * Constant scores are refused by both.
 *
 * @example
 * ```ts
 * const choice = autoThreshold(testErrors); // { threshold, method: 'mad', description, ... }
 * ```
 */
export function autoThreshold(scores: Values, options: AutoThresholdOptions = {}): Threshold {
  checkOptions(options, 'autoThreshold: options');
  const given = options ?? {};
  const method = given.method ?? 'mad';
  if (method !== 'mad' && method !== 'otsu') {
    throw new TypeError(
      `autoThreshold: options.method: expected 'mad' or 'otsu', got ${describe(method)}`,
    );
  }
  checkValues(scores, 'autoThreshold: scores');
  checkNotConstant(scores, 'autoThreshold: scores');
  if (method === 'mad') {
    return madThreshold(scores, checkFiniteNumber(given.k ?? 3, 'autoThreshold: options.k', 0));
  }
  return otsuThreshold(scores, checkInteger(given.bins ?? 256, 'autoThreshold: options.bins', 2));
}

function madThreshold(scores: Values, k: number): Threshold {
  const sorted = sortedCopy(scores);
  const median = percentileOfSorted(sorted, 50);
  for (let i = 0; i < sorted.length; i++) sorted[i] = Math.abs(sorted[i] - median);
  const mad = percentileOfSorted(sorted.sort(), 50);
  if (mad === 0) {
    throw new AekitError(
      'BAD_INPUT',
      `autoThreshold: scores: expected spread around the median (MAD > 0), got MAD 0: at ` +
        `least half of the ${scores.length} scores equal the median ${median}; ` +
        `use method 'otsu' or a percentile`,
    );
  }
  const threshold = median + k * MAD_TO_SD * mad;
  return {
    threshold,
    method: 'mad',
    parameters: { median, mad, k },
    description: `median ${median} + ${k} x 1.4826 x MAD ${mad} = ${threshold}`,
  };
}

function otsuThreshold(scores: Values, bins: number): Threshold {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] < min) min = scores[i];
    if (scores[i] > max) max = scores[i];
  }

  // Equal-width bins over [min, max], the last one closed, as numpy.histogram makes them.
  const counts = new Float64Array(bins);
  const width = (max - min) / bins;
  const scale = bins / (max - min);
  for (let i = 0; i < scores.length; i++) {
    const bin = Math.floor((scores[i] - min) * scale);
    counts[bin < bins ? bin : bins - 1]++;
  }

  // The upper class's weight and weighted sum for each split, summed from the top.
  const upperWeight = new Float64Array(bins);
  const upperSum = new Float64Array(bins);
  let weight = 0;
  let sum = 0;
  for (let b = bins - 1; b >= 0; b--) {
    weight += counts[b];
    sum += counts[b] * (min + (b + 0.5) * width);
    upperWeight[b] = weight;
    upperSum[b] = sum;
  }

  // Between-class variance (up to a constant) of splitting after bin b; the first maximum
  // wins, so across an empty gap between two modes the split hugs the lower mode.
  let best = 0;
  let bestVariance = -Infinity;
  let lowerWeight = 0;
  let lowerSum = 0;
  for (let b = 0; b < bins - 1; b++) {
    lowerWeight += counts[b];
    lowerSum += counts[b] * (min + (b + 0.5) * width);
    const difference = lowerSum / lowerWeight - upperSum[b + 1] / upperWeight[b + 1];
    const variance = lowerWeight * upperWeight[b + 1] * difference * difference;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = b;
    }
  }

  const threshold = min + (best + 1) * width;
  return {
    threshold,
    method: 'otsu',
    parameters: { bins, bin: best, min, max },
    description:
      `Otsu split of a ${bins}-bin histogram of ${scores.length} scores over ` +
      `[${min}, ${max}] after bin ${best}: ${threshold}`,
  };
}
