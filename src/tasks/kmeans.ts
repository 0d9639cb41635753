/**
 * k-means clustering of small-dimensional points (Lloyd's algorithm from a k-means++ start,
 * Arthur and Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007), in
 * plain typed arrays: the cell map uses it to cut a 2-D map into cells.
 */
import { AekitError, checkInteger } from '../engine/index.js';
import { Xoshiro128 } from '../data/index.js';

/** Options of {@link kMeans}. */
export interface KMeansOptions {
  /** Lloyd iterations at most; it stops early when no point changes cluster. Default: 30. */
  iterations?: number;
  /** Seed of the k-means++ start. Default: 0. */
  seed?: number;
}

/** What {@link kMeans} returns. */
export interface KMeansResult {
  /** [clusters, dim] row-major: the mean of each cluster's points. */
  centres: Float32Array;
  /** [n]: the cluster of each point. */
  assignment: Int32Array;
}

/**
 * Cuts the n points of `points` ([n, dim] row-major) into `clusters` clusters by squared
 * Euclidean distance. Costs O(n x clusters x dim) per iteration.
 */
export function kMeans(
  points: Float32Array,
  dim: number,
  clusters: number,
  options: KMeansOptions = {},
): KMeansResult {
  checkInteger(dim, 'kMeans: dim', 1);
  if (points.length % dim !== 0) {
    throw new AekitError(
      'BAD_INPUT',
      `kMeans: points: expected a multiple of dim ${dim} values, got ${points.length}`,
    );
  }
  const n = points.length / dim;
  checkInteger(clusters, 'kMeans: clusters', 1, Math.max(1, n));
  const iterations = checkInteger(options.iterations ?? 30, 'kMeans: options.iterations', 0);
  const seed = checkInteger(options.seed ?? 0, 'kMeans: options.seed', 0);
  for (let i = 0; i < points.length; i++) {
    if (!Number.isFinite(points[i])) {
      throw new AekitError(
        'NOT_FINITE',
        `kMeans: points: value ${i} (point ${Math.floor(i / dim)}) is not finite`,
      );
    }
  }

  const centres = plusPlusStart(points, n, dim, clusters, new Xoshiro128(seed, 7));
  const assignment = new Int32Array(n).fill(-1);
  const nearest = new Float64Array(n);
  const sums = new Float64Array(clusters * dim);
  const counts = new Int32Array(clusters);
  for (let iteration = 0; iteration < iterations; iteration++) {
    // Assign each point to its nearest centre.
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const best = nearestCentre(points, i, dim, centres, clusters, nearest);
      if (assignment[i] !== best) changed++;
      assignment[i] = best;
    }
    if (changed === 0) break;

    // Move each centre to its points' mean; an emptied cluster takes the point farthest
    // from its centre.
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignment[i];
      counts[c]++;
      for (let t = 0; t < dim; t++) sums[c * dim + t] += points[i * dim + t];
    }
    for (let c = 0; c < clusters; c++) {
      if (counts[c] > 0) {
        for (let t = 0; t < dim; t++) centres[c * dim + t] = sums[c * dim + t] / counts[c];
        continue;
      }
      let far = 0;
      for (let i = 1; i < n; i++) if (nearest[i] > nearest[far]) far = i;
      nearest[far] = 0;
      for (let t = 0; t < dim; t++) centres[c * dim + t] = points[far * dim + t];
    }
  }
  // The centres moved after the last assignment (unless it converged): assign once more.
  for (let i = 0; i < n; i++)
    assignment[i] = nearestCentre(points, i, dim, centres, clusters, nearest);
  return { centres, assignment };
}

/** k-means++: each next centre drawn with probability proportional to its squared distance. */
function plusPlusStart(
  points: Float32Array,
  n: number,
  dim: number,
  clusters: number,
  random: Xoshiro128,
): Float32Array {
  const centres = new Float32Array(clusters * dim);
  const distance = new Float64Array(n).fill(Infinity);
  let pick = random.int(n);
  for (let c = 0; c < clusters; c++) {
    for (let t = 0; t < dim; t++) centres[c * dim + t] = points[pick * dim + t];
    let total = 0;
    for (let i = 0; i < n; i++) {
      distance[i] = Math.min(distance[i], squaredDistance(points, i, centres, c, dim));
      total += distance[i];
    }
    if (total <= 0) {
      pick = random.int(n); // every point is a centre already: duplicates are unavoidable
      continue;
    }
    let target = random.next() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= distance[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  return centres;
}

/** Index of the centre nearest point i; its squared distance goes to `distances[i]`. */
function nearestCentre(
  points: Float32Array,
  i: number,
  dim: number,
  centres: Float32Array,
  clusters: number,
  distances: Float64Array,
): number {
  let best = 0;
  distances[i] = Infinity;
  for (let c = 0; c < clusters; c++) {
    const d = squaredDistance(points, i, centres, c, dim);
    if (d < distances[i]) [best, distances[i]] = [c, d];
  }
  return best;
}

/** Squared distance from point i to centre c. */
function squaredDistance(
  points: Float32Array,
  i: number,
  centres: Float32Array,
  c: number,
  dim: number,
): number {
  let d = 0;
  for (let t = 0; t < dim; t++) {
    const diff = points[i * dim + t] - centres[c * dim + t];
    d += diff * diff;
  }
  return d;
}
