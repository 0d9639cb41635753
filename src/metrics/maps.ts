/**
 * How faithful a low-dimensional map (2-D or 3-D codes) is to the data it was made from:
 * k-nearest-neighbour accuracy of the codes, and the trustworthiness and continuity of
 * their neighbourhoods (Venna and Kaski 2001).
 *
 * Points are C-order `[n, dim]` typed arrays; distances are Euclidean. Neighbours at equal
 * distance are ordered by index, so results never depend on sort stability.
 */

import { permutation } from '../data/random.js';
import { checkInteger, checkRange, checkType } from '../engine/errors.js';
import { checkLabels, checkLength, checkOptions, checkValues, type Values } from './checks.js';

/** Options of {@link knnAccuracy}. */
export interface KnnAccuracyOptions {
  /** Values per point. Required. */
  dim: number;
  /** Neighbours that vote. Default: 5. */
  k?: number;
}

/** What {@link knnAccuracy} measured. */
export interface KnnAccuracy {
  /** Fraction of test points whose predicted label equals their label, from 0 to 1. */
  accuracy: number;
  /** Number of test points predicted correctly. */
  correct: number;
  /** Number of test points. */
  total: number;
  /** The predicted label of each test point. */
  predictions: Int32Array;
}

/**
 * Accuracy of a k-nearest-neighbour classifier fitted on `trainPoints` and evaluated on
 * `testPoints`: each test point takes the label most common among its k nearest training
 * points; a tie between labels goes to the tied label whose member is nearest. Use
 * separate train and test points: a test point that is also a training point finds
 * itself.
 *
 * Runs in O(nTrain * nTest * dim) time.
 *
 * @example
 * ```ts
 * // codes: [n, 2] from an encoder; accuracy of 5-NN from 80% of the codes on the rest
 * const { accuracy } = knnAccuracy(trainCodes, trainLabels, testCodes, testLabels, { dim: 2 });
 * ```
 */
export function knnAccuracy(
  trainPoints: Values,
  trainLabels: ArrayLike<number>,
  testPoints: Values,
  testLabels: ArrayLike<number>,
  options: KnnAccuracyOptions,
): KnnAccuracy {
  checkOptions(options, 'knnAccuracy: options');
  const given = (options ?? {}) as Partial<KnnAccuracyOptions>;
  const dim = checkInteger(given.dim, 'knnAccuracy: options.dim', 1);
  checkValues(trainPoints, 'knnAccuracy: trainPoints');
  checkValues(testPoints, 'knnAccuracy: testPoints');
  const nTrain = pointCount('knnAccuracy', 'trainPoints', trainPoints, dim);
  const nTest = pointCount('knnAccuracy', 'testPoints', testPoints, dim);
  const train = checkLabels(trainLabels, 'knnAccuracy: trainLabels', nTrain);
  const test = checkLabels(testLabels, 'knnAccuracy: testLabels', nTest);
  const k = checkNeighbours('knnAccuracy', given.k ?? 5, nTrain, 'training points');

  // Dense class indices, so that votes are counted in one reused array.
  const classOf = new Map<number, number>();
  const classLabels: number[] = [];
  const trainClass = new Int32Array(nTrain);
  for (let i = 0; i < nTrain; i++) {
    let c = classOf.get(train[i]);
    if (c === undefined) {
      c = classLabels.length;
      classOf.set(train[i], c);
      classLabels.push(train[i]);
    }
    trainClass[i] = c;
  }

  const votes = new Int32Array(classLabels.length);
  const nearest = new Neighbours(k);
  const predictions = new Int32Array(nTest);
  let correct = 0;
  for (let t = 0; t < nTest; t++) {
    nearest.clear();
    for (let i = 0; i < nTrain; i++) {
      nearest.offer(squaredDistance(testPoints, t * dim, trainPoints, i * dim, dim), i);
    }

    // Scanning from the nearest, a label replaces the leader only with strictly more votes,
    // so among tied labels the one with the nearest member wins.
    for (let j = 0; j < k; j++) votes[trainClass[nearest.index[j]]]++;
    let best = trainClass[nearest.index[0]];
    for (let j = 1; j < k; j++) {
      const c = trainClass[nearest.index[j]];
      if (votes[c] > votes[best]) best = c;
    }
    for (let j = 0; j < k; j++) votes[trainClass[nearest.index[j]]] = 0;

    predictions[t] = classLabels[best];
    if (predictions[t] === test[t]) correct++;
  }
  return { accuracy: correct / nTest, correct, total: nTest, predictions };
}

/** Options of {@link trustworthiness}, {@link continuity} and {@link neighborhoodPreservation}. */
export interface NeighborhoodOptions {
  /** Number of points (rows of both arrays). Required. */
  n: number;
  /** Values per point in the original data. Required. */
  dimHigh: number;
  /** Values per point in the map. Required. */
  dimLow: number;
  /** Neighbourhood size; must be below n / 2. Default: 5. */
  k?: number;
  /**
   * Above this many points, the measure is computed on a subsample of this many, drawn
   * without replacement by `seed`. Default: 10,000.
   */
  maxPoints?: number;
  /** Seed of the subsample. Default: 0. */
  seed?: number;
}

/** Trustworthiness and continuity of a map, and what they were computed on. */
export interface NeighborhoodPreservation {
  /** Trustworthiness T(k), from 0 to 1 (1: no point in a map neighbourhood is a stranger). */
  trustworthiness: number;
  /** Continuity C(k), from 0 to 1 (1: every data neighbourhood stays together). */
  continuity: number;
  /** Neighbourhood size. */
  k: number;
  /** Points the measures were computed on: `n`, or `maxPoints` when subsampled. */
  points: number;
  /** Whether a seeded subsample of the points was used because `n` exceeded `maxPoints`. */
  subsampled: boolean;
  /** Seed of the subsample, when there was one. */
  seed?: number;
}

/**
 * Trustworthiness and continuity (Venna and Kaski, "Neighborhood preservation in
 * nonlinear projection methods: an experimental study", ICANN 2001), computed together
 * because they share the distances:
 *
 * `T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_k(i)} (r(i, j) - k)`
 *
 * where `U_k(i)` holds the points among the k nearest neighbours of i in the map but not
 * in the data, and `r(i, j)` is the rank of j among i's neighbours in the data (1 for the
 * nearest). Continuity `C(k)` swaps the roles: points near in the data but not in the map,
 * ranked in the map. Both are 1 for a perfect map. T equals scikit-learn's
 * `sklearn.manifold.trustworthiness` with the Euclidean metric.
 *
 * Ranks are exact, with ties in distance ordered by index (scikit-learn's order among
 * exactly tied distances is its sort's, so only then can the two differ). Time is
 * O(n^2 * (dimHigh / 2 + dimLow + k)), memory O(n * k) beyond the inputs. Measured on one
 * core (CPU seconds; 2-D maps, float32 data): n = 2,000 takes 0.3-0.5 s for 50-D data and
 * 2.1 s for 784-D; n = 10,000 takes 5-10 s for 50-D and 50 s for 784-D. Above
 * `maxPoints` (10,000 by default) a seeded subsample is used and the result says so:
 * values on a subsample compare only with values for the same number of points and k.
 *
 * Limitation: single-threaded; the data-space distances dominate, so n = 10,000 points
 * of 784-D images take about a minute. Lower `maxPoints` to trade exactness for time.
 *
 * @example
 * ```ts
 * const result = neighborhoodPreservation(images, codes, { n, dimHigh: 784, dimLow: 2 });
 * result.trustworthiness; // e.g. 0.95
 * ```
 */
export function neighborhoodPreservation(
  high: Values,
  low: Values,
  options: NeighborhoodOptions,
): NeighborhoodPreservation {
  return preservation('neighborhoodPreservation', high, low, options);
}

/**
 * Trustworthiness T(k) of a map (Venna and Kaski 2001): see
 * {@link neighborhoodPreservation}, which also returns continuity for the same cost.
 * Equals `sklearn.manifold.trustworthiness` with the Euclidean metric.
 *
 * @example
 * ```ts
 * trustworthiness(images, codes, { n: 2000, dimHigh: 784, dimLow: 2, k: 5 }).trustworthiness;
 * ```
 */
export function trustworthiness(
  high: Values,
  low: Values,
  options: NeighborhoodOptions,
): NeighborhoodPreservation {
  return preservation('trustworthiness', high, low, options);
}

/**
 * Continuity C(k) of a map (Venna and Kaski 2001): see {@link neighborhoodPreservation}.
 * It equals the trustworthiness of the data as a "map" of the codes, i.e.
 * `trustworthiness(low, high)` with the dimensions swapped.
 */
export function continuity(
  high: Values,
  low: Values,
  options: NeighborhoodOptions,
): NeighborhoodPreservation {
  return preservation('continuity', high, low, options);
}

function preservation(
  fn: string,
  high: Values,
  low: Values,
  options: NeighborhoodOptions,
): NeighborhoodPreservation {
  checkOptions(options, `${fn}: options`);
  const given = (options ?? {}) as Partial<NeighborhoodOptions>;
  const total = checkInteger(given.n, `${fn}: options.n`, 1);
  const dimHigh = checkInteger(given.dimHigh, `${fn}: options.dimHigh`, 1);
  const dimLow = checkInteger(given.dimLow, `${fn}: options.dimLow`, 1);
  const maxPoints = checkInteger(given.maxPoints ?? 10_000, `${fn}: options.maxPoints`, 3);
  const seed = checkInteger(given.seed ?? 0, `${fn}: options.seed`, 0);
  checkValues(high, `${fn}: high`);
  checkValues(low, `${fn}: low`);
  checkLength(high.length, total * dimHigh, `${fn}: high`, `n ${total} x dimHigh ${dimHigh}`);
  checkLength(low.length, total * dimLow, `${fn}: low`, `n ${total} x dimLow ${dimLow}`);

  const subsampled = total > maxPoints;
  const n = subsampled ? maxPoints : total;
  const k = checkNeighbourhood(fn, given.k ?? 5, n, subsampled);

  let highPoints = high;
  let lowPoints = low;
  if (subsampled) {
    const chosen = permutation(total, seed).subarray(0, n).sort();
    highPoints = gatherRows(high, chosen, dimHigh);
    lowPoints = gatherRows(low, chosen, dimLow);
  }

  const [trustSum, continuitySum] = rankExcess(highPoints, lowPoints, n, dimHigh, dimLow, k);
  const scale = 2 / (n * k * (2 * n - 3 * k - 1));
  const result: NeighborhoodPreservation = {
    trustworthiness: 1 - scale * trustSum,
    continuity: 1 - scale * continuitySum,
    k,
    points: n,
    subsampled,
  };
  if (subsampled) result.seed = seed;
  return result;
}

// Points per tile of the pair loop: two tiles of rows stay in cache while every pair
// between them is measured.
const TILE = 32;

/**
 * The two sums of Venna and Kaski's measures: over every point i, `r(i, j) - k` summed over
 * map neighbours j that are not data neighbours (r: rank by data distance), and the same
 * with data and map swapped.
 *
 * A point j is among i's k nearest exactly when its rank is at most k, so each sum only
 * needs the ranks of the k neighbours from the other space, clipped at k. The expensive
 * data-space distances are measured once per pair, in tiles: each updates the ranks and
 * the nearest neighbours of both its points.
 */
function rankExcess(
  high: Values,
  low: Values,
  n: number,
  dimHigh: number,
  dimLow: number,
  k: number,
): [number, number] {
  // [n, k] each: neighbours by (distance, index), nearest first; a row starts full of
  // (Infinity, n) placeholders that every real point beats.
  const lowIndex = new Int32Array(n * k);
  const highIndex = new Int32Array(n * k).fill(n);
  const highDistance = new Float64Array(n * k).fill(Infinity);
  // [n, k]: data-space distance from i to each of its map neighbours, and that
  // neighbour's rank among i's data-space neighbours, counted up as pairs go by.
  const threshold = new Float64Array(n * k);
  const rank = new Float64Array(n * k).fill(1);
  // [n]: the largest threshold of each row; a pair farther apart changes no rank.
  const widest = new Float64Array(n);

  // Map-space neighbours, one row of distances at a time (the map is low-dimensional).
  const row = new Float64Array(n);
  const nearest = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = squaredDistance(low, i * dimLow, low, j * dimLow, dimLow);
    row[i] = Infinity;
    nearestOf(row, i, lowIndex, nearest, k);
    for (let m = 0; m < k; m++) {
      const j = lowIndex[i * k + m];
      threshold[i * k + m] = squaredDistance(high, i * dimHigh, high, j * dimHigh, dimHigh);
      if (threshold[i * k + m] > widest[i]) widest[i] = threshold[i * k + m];
    }
  }

  // Data space: every pair once.
  for (let tileI = 0; tileI < n; tileI += TILE) {
    const endI = Math.min(tileI + TILE, n);
    for (let tileJ = tileI; tileJ < n; tileJ += TILE) {
      const endJ = Math.min(tileJ + TILE, n);
      for (let i = tileI; i < endI; i++) {
        for (let j = tileJ === tileI ? i + 1 : tileJ; j < endJ; j++) {
          const d = squaredDistance(high, i * dimHigh, high, j * dimHigh, dimHigh);
          if (d <= widest[i]) countBefore(threshold, lowIndex, rank, i * k, k, d, j);
          if (d <= widest[j]) countBefore(threshold, lowIndex, rank, j * k, k, d, i);
          insert(highDistance, highIndex, i * k, k, d, j);
          insert(highDistance, highIndex, j * k, k, d, i);
        }
      }
    }
  }

  let trustSum = 0;
  for (let a = 0; a < n * k; a++) if (rank[a] > k) trustSum += rank[a] - k;

  // Continuity: ranks in the map of each point's data-space neighbours that are not map
  // neighbours (a map neighbour has rank <= k and adds nothing), all counted in one pass.
  const missing = new Int32Array(k);
  const missingDistance = new Float64Array(k);
  let continuitySum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) row[j] = squaredDistance(low, i * dimLow, low, j * dimLow, dimLow);
    row[i] = Infinity; // never before a real neighbour

    let count = 0;
    let farthest = 0;
    for (let m = 0; m < k; m++) {
      const j = highIndex[i * k + m];
      if (contains(lowIndex, i * k, k, j)) continue;
      missing[count] = j;
      missingDistance[count] = row[j];
      if (row[j] > farthest) farthest = row[j];
      count++;
    }
    if (count === 0) continue;

    continuitySum += count * (1 - k);
    for (let l = 0; l < n; l++) {
      const d = row[l];
      if (d > farthest) continue;
      for (let m = 0; m < count; m++) {
        if (d < missingDistance[m] || (d === missingDistance[m] && l < missing[m])) continuitySum++;
      }
    }
  }
  return [trustSum, continuitySum];
}

function contains(index: Int32Array, base: number, k: number, j: number): boolean {
  for (let m = base; m < base + k; m++) if (index[m] === j) return true;
  return false;
}

/** Adds 1 to each rank of row `base` whose (threshold, index) comes after (d, j). */
function countBefore(
  threshold: Float64Array,
  index: Int32Array,
  rank: Float64Array,
  base: number,
  k: number,
  d: number,
  j: number,
): void {
  for (let m = base; m < base + k; m++) {
    if (d < threshold[m] || (d === threshold[m] && j < index[m])) rank[m]++;
  }
}

/** Inserts (d, j) into the sorted row `base` of (distance, index) when it beats the last. */
function insert(
  distance: Float64Array,
  index: Int32Array,
  base: number,
  k: number,
  d: number,
  j: number,
): void {
  let at = base + k - 1;
  if (!(d < distance[at] || (d === distance[at] && j < index[at]))) return;
  while (at > base && (distance[at - 1] > d || (distance[at - 1] === d && index[at - 1] > j))) {
    distance[at] = distance[at - 1];
    index[at] = index[at - 1];
    at--;
  }
  distance[at] = d;
  index[at] = j;
}

/** The k nearest of `row` (self already at Infinity) by (distance, index) into row i. */
function nearestOf(
  row: Float64Array,
  i: number,
  index: Int32Array,
  distance: Float64Array,
  k: number,
): void {
  const base = i * k;
  distance.fill(Infinity);
  for (let m = 0; m < k; m++) index[base + m] = row.length;
  for (let j = 0; j < row.length; j++) {
    const d = row[j];
    let at = k - 1;
    if (!(d < distance[at])) continue; // indices rise, so an equal distance never wins
    while (at > 0 && distance[at - 1] > d) {
      distance[at] = distance[at - 1];
      index[base + at] = index[base + at - 1];
      at--;
    }
    distance[at] = d;
    index[base + at] = j;
  }
}

/** Squared Euclidean distance between `a[ai..ai+dim)` and `b[bi..bi+dim)`. */
function squaredDistance(a: Values, ai: number, b: Values, bi: number, dim: number): number {
  // Four partial sums break the dependency chain of one running sum.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    const e0 = a[ai + d] - b[bi + d];
    const e1 = a[ai + d + 1] - b[bi + d + 1];
    const e2 = a[ai + d + 2] - b[bi + d + 2];
    const e3 = a[ai + d + 3] - b[bi + d + 3];
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  for (; d < dim; d++) {
    const e = a[ai + d] - b[bi + d];
    s0 += e * e;
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * The k nearest candidates seen so far, sorted by distance and then index. Candidates are
 * offered in increasing index order, so an equal distance never displaces a member.
 */
class Neighbours {
  readonly size: number;
  readonly distance: Float64Array;
  readonly index: Int32Array;
  private count = 0;

  constructor(size: number) {
    this.size = size;
    this.distance = new Float64Array(size);
    this.index = new Int32Array(size);
  }

  clear(): void {
    this.count = 0;
  }

  offer(distance: number, index: number): void {
    let at = this.count;
    if (at === this.size) {
      if (!(distance < this.distance[at - 1])) return;
      at--;
    } else {
      this.count++;
    }
    while (at > 0 && this.distance[at - 1] > distance) {
      this.distance[at] = this.distance[at - 1];
      this.index[at] = this.index[at - 1];
      at--;
    }
    this.distance[at] = distance;
    this.index[at] = index;
  }
}

function pointCount(fn: string, what: string, points: Values, dim: number): number {
  if (points.length % dim !== 0) {
    throw new RangeError(
      `${fn}: ${what}: expected a multiple of dim ${dim} values ([n, dim]), ` +
        `got ${points.length}`,
    );
  }
  return points.length / dim;
}

function checkNeighbours(fn: string, k: unknown, n: number, what: string): number {
  return checkIntegerIn(k, `${fn}: options.k`, 1, n, `at most the ${n} ${what}`);
}

function checkNeighbourhood(fn: string, k: unknown, n: number, subsampled: boolean): number {
  // Venna and Kaski's normalisation 2 / (n k (2n - 3k - 1)) holds for k < n / 2.
  const max = Math.ceil(n / 2) - 1;
  const points = subsampled ? `${n} points after subsampling` : `${n} points`;
  if (max < 1) {
    throw new RangeError(
      `${fn}: options.n: expected at least 3 points (k must be below n / 2), got ${n}`,
    );
  }
  return checkIntegerIn(k, `${fn}: options.k`, 1, max, `below n / 2 for ${points}`);
}

function checkIntegerIn(
  value: unknown,
  what: string,
  min: number,
  max: number,
  why: string,
): number {
  checkType(typeof value === 'number' && Number.isInteger(value), what, 'an integer', value);
  const k = value as number;
  checkRange(k >= min && k <= max, what, `an integer from ${min} to ${max} (${why})`, value);
  return k;
}

function gatherRows(points: Values, rows: Int32Array, dim: number): Float64Array {
  const result = new Float64Array(rows.length * dim);
  for (let r = 0; r < rows.length; r++) {
    const from = rows[r] * dim;
    for (let d = 0; d < dim; d++) result[r * dim + d] = points[from + d];
  }
  return result;
}
