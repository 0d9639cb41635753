/**
 * Non-parametric t-SNE of a k-nearest-neighbour graph (van der Maaten and Hinton,
 * "Visualizing data using t-SNE", JMLR 2008): the map's coordinates themselves are fitted by
 * gradient descent, the attraction summed over the graph's edges and the repulsion between
 * all pairs approximated on a quadtree, as in Barnes-Hut t-SNE (van der Maaten,
 * "Accelerating t-SNE using tree-based algorithms", JMLR 2014), with nearby points sharing
 * one descent of the tree. Plain TypeScript over typed arrays, on one core; the engine is not
 * used.
 */
import { AekitError, checkInteger, checkNumber, checkRange, checkType } from '../engine/index.js';
import { Xoshiro128 } from '../data/index.js';
import type { NeighbourGraph } from './embed.js';

/** Options of {@link tsne}. */
export interface TsneOptions {
  /** Steps of gradient descent. Default: 1000. */
  iterations?: number;
  /**
   * Early exaggeration: the attraction is multiplied by this over the first
   * `exaggerationIterations`, so that clusters form before they spread out. At least 1.
   * Default: 12.
   */
  exaggeration?: number;
  /** Iterations with early exaggeration (and momentum 0.5 rather than 0.8). Default: 250. */
  exaggerationIterations?: number;
  /**
   * Step size of gradient descent. Default: max(n / exaggeration / 4, 50), the rate of
   * Belkina et al. ("Automated optimized parameters for t-distributed stochastic neighbor
   * embedding improve visualization and analysis of large datasets", Nature Communications
   * 2019) for a gradient that carries t-SNE's factor 4, as scikit-learn's 'auto'.
   */
  learningRate?: number;
  /**
   * Accuracy of the Barnes-Hut repulsion, from 0 to 1: a quadtree cell is taken as one body
   * at its centre of mass when its width divided by its distance is below theta. Nearby
   * points share one descent of the tree, with the distance taken to the nearest of them,
   * so each point's criterion holds at least as strictly. 0 is the exact sum over all
   * pairs, O(n^2) per iteration. Default: 0.5.
   */
  theta?: number;
  /** Seed of the random start (when no `init` is given). Default: 0. */
  seed?: number;
  /**
   * Start positions, [n, 2] row-major, e.g. the first two principal components scaled to a
   * standard deviation of 1e-4. Default: normal with standard deviation 1e-4, from `seed`.
   */
  init?: Float32Array;
  /**
   * Called after every 50 iterations and after the last, with the iterations done and
   * KL(P || Q) of the map at that point (without exaggeration; with theta above 0 its
   * normaliser is the Barnes-Hut estimate).
   */
  onIteration?: (iteration: number, divergence: number) => void;
}

/** Options of {@link tsneGradient}. */
export interface TsneGradientOptions {
  /** Factor on the attraction, as in early exaggeration. Default: 1. */
  exaggeration?: number;
  /** Accuracy of the Barnes-Hut repulsion (see {@link TsneOptions}); 0 is exact. Default: 0.5. */
  theta?: number;
}

/** t-SNE's objective and its gradient at some coordinates ({@link tsneGradient}). */
export interface TsneGradient {
  /** [n, 2] row-major: the gradient of the objective with respect to each coordinate. */
  gradient: Float64Array;
  /** KL(P || Q), with P not exaggerated. */
  divergence: number;
  /** Z, the sum of the Student-t kernel 1 / (1 + d^2) over all ordered pairs of points. */
  normaliser: number;
}

/** Iterations between calls of `onIteration`. */
const REPORT_EVERY = 50;
/**
 * Points whose repulsion is summed together: each subtree of at most this many points
 * descends the tree once, for all of them.
 */
const GROUP = 32;
/** Deepest level of the quadtree: points nearer than its cells' width share a leaf. */
const MAX_DEPTH = 48;
const MOMENTUM_EARLY = 0.5;
const MOMENTUM_LATE = 0.8;
const GAIN_STEP = 0.2;
const GAIN_DECAY = 0.8;
const GAIN_FLOOR = 0.01;
/** Standard deviation of the random start, as in the t-SNE papers. */
const INIT_SCALE = 1e-4;

/**
 * A 2-D map of the points of `graph` by Barnes-Hut t-SNE. `conditional` holds p(j | i) for
 * each point i and its graph neighbours j, [n, k] in the graph's order, each row summing to
 * 1 (`neighbourAffinities` computes them at a perplexity). The joint affinities are
 * p_ij = (p(j | i) + p(i | j)) / 2n over the symmetrised graph (rescaled to sum to 1 where
 * the rows do not). Gradient descent as in the t-SNE papers: momentum 0.5 during early
 * exaggeration and 0.8 after it, each coordinate's step scaled by its own gain (Jacobs'
 * delta-bar-delta), the map centred after every step. Returns [n, 2] row-major coordinates.
 *
 * Time per iteration is O(n k) for the attraction and about O(n log n) for the repulsion.
 * Measured for 1000 iterations at k = 90, perplexity 30, on one core of a 2-core machine
 * shared with other work: 15 s for 10,000 points, 107-114 s for 60,000 (Fashion-MNIST
 * images and 50-D Gaussian blobs alike), the graph and affinities not included.
 *
 * Limitation: one thread, and 2-D maps only.
 *
 * @example
 * ```ts
 * const graph = neighbourGraph(dataset, 90);
 * const conditional = neighbourAffinities(graph.distances, graph.k, 30);
 * const map = tsne(graph, conditional, { seed: 1 }); // [n, 2]
 * ```
 */
export function tsne(
  graph: NeighbourGraph,
  conditional: Float32Array,
  options?: TsneOptions,
): Float32Array {
  const n = checkGraph(graph, conditional, 'tsne');
  const given = checkOptions(options, 'tsne: options');
  const iterations = checkInteger(given.iterations ?? 1000, 'tsne: options.iterations', 1);
  const exaggeration = checkFinite(given.exaggeration ?? 12, 'tsne: options.exaggeration', 1);
  const exaggerationIterations = checkInteger(
    given.exaggerationIterations ?? 250,
    'tsne: options.exaggerationIterations',
    0,
  );
  const learningRate = checkFinite(
    given.learningRate ?? Math.max(n / exaggeration / 4, 50),
    'tsne: options.learningRate',
    0,
    true,
  );
  const theta = checkNumber(given.theta ?? 0.5, 'tsne: options.theta', 0, 1);
  const seed = checkInteger(given.seed ?? 0, 'tsne: options.seed', 0);
  const onIteration = given.onIteration;
  checkType(
    onIteration === undefined || typeof onIteration === 'function',
    'tsne: options.onIteration',
    'a function',
    onIteration,
  );
  const start = new Float64Array(2 * n); // [n, 2]
  if (given.init !== undefined) {
    start.set(checkPositions(given.init, n, 'tsne: options.init', false));
  } else {
    // Box-Muller: each pair of uniforms gives a point's two coordinates.
    const random = new Xoshiro128(seed);
    for (let i = 0; i < n; i++) {
      const radius = INIT_SCALE * Math.sqrt(-2 * Math.log(1 - random.next()));
      const angle = 2 * Math.PI * random.next();
      start[2 * i] = radius * Math.cos(angle);
      start[2 * i + 1] = radius * Math.sin(angle);
    }
  }

  // Inside, the points are numbered breadth first over the graph, so that the attraction
  // reads the positions of neighbours from nearby memory.
  const { joint, order } = breadthFirst(jointAffinities(graph, conditional));
  const positions = new Float64Array(2 * n); // [n, 2], in that order
  for (let r = 0; r < n; r++) {
    positions[2 * r] = start[2 * order[r]];
    positions[2 * r + 1] = start[2 * order[r] + 1];
  }
  const tree = new QuadTree(n);
  const gradient = new Float64Array(2 * n); // [n, 2]
  const update = new Float64Array(2 * n); // [n, 2], the last step
  const gains = new Float64Array(2 * n).fill(1); // [n, 2]
  centre(positions, n);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const early = iteration < exaggerationIterations;
    const normaliser = gradientAt(
      positions,
      joint,
      tree,
      early ? exaggeration : 1,
      theta,
      gradient,
    );
    if (!Number.isFinite(normaliser)) {
      throw new AekitError(
        'NOT_FINITE',
        `tsne: the map's coordinates are not finite at iteration ${iteration + 1}; try a ` +
          'lower options.learningRate',
      );
    }
    if (onIteration !== undefined && iteration > 0 && iteration % REPORT_EVERY === 0) {
      onIteration(iteration, divergenceAt(positions, joint, normaliser));
    }

    // A coordinate whose gradient still opposes its last step, so that it goes on the same
    // way, gains 0.2; one about to turn back loses a fifth of its gain (Jacobs,
    // "Increased rates of convergence through learning rate adaptation", 1988).
    const momentum = early ? MOMENTUM_EARLY : MOMENTUM_LATE;
    for (let c = 0; c < 2 * n; c++) {
      const g = gradient[c];
      const gain =
        g * update[c] < 0 ? gains[c] + GAIN_STEP : Math.max(gains[c] * GAIN_DECAY, GAIN_FLOOR);
      gains[c] = gain;
      update[c] = momentum * update[c] - learningRate * gain * g;
      positions[c] += update[c];
    }
    centre(positions, n);
  }
  if (onIteration !== undefined) {
    tree.build(positions, n);
    const normaliser = tree.repel(positions, n, theta, gradient);
    onIteration(iterations, divergenceAt(positions, joint, normaliser));
  }
  const map = new Float32Array(2 * n); // [n, 2]
  for (let r = 0; r < n; r++) {
    map[2 * order[r]] = positions[2 * r];
    map[2 * order[r] + 1] = positions[2 * r + 1];
  }
  return map;
}

/**
 * t-SNE's objective, KL(P || Q), and its gradient at `positions` ([n, 2] row-major), for the
 * joint affinities that {@link tsne} builds from `graph` and `conditional`: for point i,
 * 4 (exaggeration sum_j p_ij w_ij (y_i - y_j) - sum_j w_ij^2 (y_i - y_j) / Z), with
 * w_ij = 1 / (1 + |y_i - y_j|^2) and Z the sum of w over all pairs. The repulsion and Z are
 * the Barnes-Hut estimates unless theta is 0. For checking maps and the approximation.
 */
export function tsneGradient(
  graph: NeighbourGraph,
  conditional: Float32Array,
  positions: Float32Array | Float64Array,
  options?: TsneGradientOptions,
): TsneGradient {
  const n = checkGraph(graph, conditional, 'tsneGradient');
  checkOptions(options, 'tsneGradient: options');
  const exaggeration = checkFinite(
    options?.exaggeration ?? 1,
    'tsneGradient: options.exaggeration',
    0,
  );
  const theta = checkNumber(options?.theta ?? 0.5, 'tsneGradient: options.theta', 0, 1);
  const at = Float64Array.from(checkPositions(positions, n, 'tsneGradient: positions', true));
  const joint = jointAffinities(graph, conditional);
  const gradient = new Float64Array(2 * n);
  const normaliser = gradientAt(at, joint, new QuadTree(n), exaggeration, theta, gradient);
  return { gradient, divergence: divergenceAt(at, joint, normaliser), normaliser };
}

/** The symmetric joint affinities P, as compressed sparse rows. */
interface JointAffinities {
  n: number;
  /** [n + 1]: row i's entries are rowStart[i] to rowStart[i + 1] - 1. */
  rowStart: Int32Array;
  /** The column j of each entry. */
  columns: Int32Array;
  /** p_ij of each entry; all of them sum to 1. */
  values: Float32Array;
  /** The sum of p log p over the entries, the constant part of KL(P || Q). */
  negativeEntropy: number;
}

/**
 * P from the graph: each edge i -> j adds p(j | i) to both p_ij and p_ji, so an edge found
 * from both ends gets both conditionals; all divided by their total (2n when every row of
 * `conditional` sums to 1).
 */
function jointAffinities(graph: NeighbourGraph, conditional: Float32Array): JointAffinities {
  const { n, k, indices } = graph;
  const rowStart = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      rowStart[i + 1]++;
      rowStart[indices[i * k + t] + 1]++;
      total += 2 * conditional[i * k + t];
    }
  }
  for (let i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];

  // Both directions of every edge, duplicates included.
  const filled = rowStart.slice(0, n);
  const rawColumns = new Int32Array(2 * n * k);
  const rawValues = new Float64Array(2 * n * k);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const j = indices[i * k + t];
      const p = conditional[i * k + t];
      rawColumns[filled[i]] = j;
      rawValues[filled[i]++] = p;
      rawColumns[filled[j]] = i;
      rawValues[filled[j]++] = p;
    }
  }

  // Merge the duplicates of each row in place: seen[j] is where column j went, valid while
  // it is not before the row's first entry.
  const seen = new Int32Array(n).fill(-1);
  let written = 0;
  let negativeEntropy = 0;
  for (let i = 0; i < n; i++) {
    const first = written;
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
      const j = rawColumns[e];
      if (seen[j] >= first) {
        rawValues[seen[j]] += rawValues[e];
      } else {
        seen[j] = written;
        rawColumns[written] = j;
        rawValues[written++] = rawValues[e];
      }
    }
    rowStart[i] = first;
    for (let e = first; e < written; e++) {
      const p = (rawValues[e] /= total);
      if (p > 0) negativeEntropy += p * Math.log(p);
    }
  }
  rowStart[n] = written;
  return {
    n,
    rowStart,
    columns: rawColumns.slice(0, written),
    values: Float32Array.from(rawValues.subarray(0, written)),
    negativeEntropy,
  };
}

/**
 * P with its points renumbered breadth first over its entries (from each point not yet
 * reached in turn), and the order: point order[r] is numbered r.
 */
function breadthFirst(joint: JointAffinities): { joint: JointAffinities; order: Int32Array } {
  const { n, rowStart, columns, values } = joint;
  const order = new Int32Array(n);
  const reached = new Uint8Array(n);
  let queued = 0;
  for (let root = 0; root < n; root++) {
    if (reached[root]) continue;
    reached[root] = 1;
    let head = queued;
    order[queued++] = root;
    while (head < queued) {
      const i = order[head++];
      for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
        const j = columns[e];
        if (!reached[j]) {
          reached[j] = 1;
          order[queued++] = j;
        }
      }
    }
  }

  const rank = new Int32Array(n);
  for (let r = 0; r < n; r++) rank[order[r]] = r;
  const newStart = new Int32Array(n + 1);
  const newColumns = new Int32Array(columns.length);
  const newValues = new Float32Array(values.length);
  for (let r = 0; r < n; r++) {
    const i = order[r];
    let written = newStart[r];
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
      newColumns[written] = rank[columns[e]];
      newValues[written++] = values[e];
    }
    newStart[r + 1] = written;
  }
  return { joint: { ...joint, rowStart: newStart, columns: newColumns, values: newValues }, order };
}

/**
 * Writes t-SNE's gradient at `positions` into `gradient` ([n, 2]) and returns Z: the
 * attraction is exact over P's entries, the repulsion is the tree's.
 */
function gradientAt(
  positions: Float64Array,
  joint: JointAffinities,
  tree: QuadTree,
  exaggeration: number,
  theta: number,
  gradient: Float64Array,
): number {
  const { n, rowStart, columns, values } = joint;
  tree.build(positions, n);
  const normaliser = tree.repel(positions, n, theta, gradient);
  const repulsion = 4 / normaliser;
  const attraction = 4 * exaggeration;
  for (let i = 0; i < n; i++) {
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    let forceX = 0;
    let forceY = 0;
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
      const j = columns[e];
      const dx = x - positions[2 * j];
      const dy = y - positions[2 * j + 1];
      const weight = values[e] / (1 + dx * dx + dy * dy);
      forceX += weight * dx;
      forceY += weight * dy;
    }
    gradient[2 * i] = attraction * forceX - repulsion * gradient[2 * i];
    gradient[2 * i + 1] = attraction * forceY - repulsion * gradient[2 * i + 1];
  }
  return normaliser;
}

/**
 * KL(P || Q) = sum p log p + sum p log(1 + d^2) + log Z, since q_ij = w_ij / Z and P sums
 * to 1.
 */
function divergenceAt(positions: Float64Array, joint: JointAffinities, normaliser: number) {
  const { n, rowStart, columns, values } = joint;
  let sum = joint.negativeEntropy + Math.log(normaliser);
  for (let i = 0; i < n; i++) {
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
      const j = columns[e];
      const dx = positions[2 * i] - positions[2 * j];
      const dy = positions[2 * i + 1] - positions[2 * j + 1];
      sum += values[e] * Math.log1p(dx * dx + dy * dy);
    }
  }
  return sum;
}

/** Moves the map's mean to the origin. */
function centre(positions: Float64Array, n: number): void {
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += positions[2 * i];
    meanY += positions[2 * i + 1];
  }
  meanX /= n;
  meanY /= n;
  for (let i = 0; i < n; i++) {
    positions[2 * i] -= meanX;
    positions[2 * i + 1] -= meanY;
  }
}

/**
 * A point quadtree over the map, rebuilt every iteration into flat arrays indexed by node;
 * the four children of a node are consecutive nodes. A leaf holds one point, or a chain of
 * points at one place (or in one cell at the deepest level), so duplicates end the split.
 */
class QuadTree {
  private capacity = 0;
  private size = 0;
  /** Scratch for {@link boundingBox}. */
  private readonly box = new Float64Array(4);
  /**
   * [capacity, 4]: each node's centre of mass (the sum of its points while building), the
   * half width of its square cell and its number of points, side by side so that a visit
   * reads one cache line.
   */
  private cells = new Float64Array(0);
  /** [capacity, 2]: the centre of each node's cell. */
  private centres = new Float64Array(0);
  /**
   * Each node's first child (the four are consecutive) when at least 0; -1 for an empty
   * leaf; -2 - p for a leaf whose first point is p.
   */
  private link = new Int32Array(0);
  /** [n]: the next point in the same leaf, or -1. */
  private readonly next: Int32Array;
  /** [n]: the points in the order of the tree's leaves, so that neighbours follow. */
  private readonly order: Int32Array;
  /** [capacity]: where each node's points begin in `order`. */
  private start = new Int32Array(0);
  /**
   * [capacity + n, 3]: the bodies a group of points meets, as x, y and mass (a cell's
   * centre of mass and count, or a point and 1).
   */
  private bodies = new Float64Array(0);
  /**
   * Nodes waiting to be visited, for the groups and within a group's descent; each level of
   * a descent leaves at most 3 behind.
   */
  private readonly stack = new Int32Array(2 * (3 * (MAX_DEPTH + 2) + 4));

  constructor(n: number) {
    this.next = new Int32Array(n);
    this.order = new Int32Array(n).map((_, i) => i);
    this.grow(2 * n + 8);
  }

  /** Builds the tree of the first n points of `positions` ([n, 2]). */
  build(positions: Float64Array, n: number): void {
    const [minX, maxX, minY, maxY] = boundingBox(positions, null, 0, n, this.box);
    // A slightly larger square, so that no point lies on its far edges.
    const extent = Math.max(maxX - minX, maxY - minY) / 2;
    this.size = 0;
    this.addNode((minX + maxX) / 2, (minY + maxY) / 2, extent > 0 ? extent * (1 + 1e-6) : 1);
    // In the last tree's leaf order, points that are near in the map get nearby nodes.
    for (let listed = 0; listed < n; listed++) this.insert(positions, this.order[listed]);

    // Sums to centres of mass, and the points in leaf order (depth first).
    const { cells, link, next, order, start, stack } = this;
    for (let node = 0; node < this.size; node++) {
      const count = cells[4 * node + 3];
      if (count > 0) {
        cells[4 * node] /= count;
        cells[4 * node + 1] /= count;
      }
    }
    let listed = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      const children = link[node];
      start[node] = listed;
      if (children >= 0) {
        for (let c = children + 3; c >= children; c--) stack[top++] = c;
      } else {
        for (let p = -2 - children; p >= 0; p = next[p]) order[listed++] = p;
      }
    }
  }

  /**
   * Writes the unnormalised repulsion on each point, sum_j w_ij^2 (y_i - y_j), into
   * `forces` ([n, 2]) and returns Z = sum over i != j of w_ij. The points descend the tree in
   * groups, the largest subtrees of at most GROUP points: a cell of m points counts as m
   * points at its centre of mass for the whole group when its width is below theta times
   * the distance from that centre to the group's bounding box, and the box does not overlap
   * the cell (which can happen only for theta above 1 / sqrt 2). Every point of the group
   * thus meets the cell at least as far away as the single-point criterion asks, and the
   * group's points then run through one shared list of bodies in a tight loop.
   */
  repel(positions: Float64Array, n: number, theta: number, forces: Float64Array): number {
    const { cells, centres, link, order, start, stack, bodies } = this;
    // width / distance < theta, squared, with the width twice the half width.
    const limit = (theta * theta) / 4;
    const checkOverlap = theta > Math.SQRT1_2;
    let normaliser = 0;

    // Groups: the largest subtrees of at most GROUP points (or single leaves).
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      const children = link[node];
      if (children >= 0 && cells[4 * node + 3] > GROUP) {
        for (let c = children; c < children + 4; c++) if (link[c] !== -1) stack[top++] = c;
        continue;
      }
      const first = start[node];
      const last = first + cells[4 * node + 3];

      // The box around the group's points.
      const [minX, maxX, minY, maxY] = boundingBox(positions, order, first, last, this.box);
      const boxX = (minX + maxX) / 2;
      const boxY = (minY + maxY) / 2;
      const boxHalfX = (maxX - minX) / 2;
      const boxHalfY = (maxY - minY) / 2;

      // The bodies that every point of the group meets: cells far enough from the whole
      // box, as one body each, and the points of the leaves that are not.
      let count = 0;
      const bottom = top;
      if (link[0] >= 0) stack[top++] = 0;
      else count = this.addLeaf(positions, 0, count);
      while (top > bottom) {
        const opened = link[stack[--top]];
        for (let c = opened; c < opened + 4; c++) {
          const children = link[c];
          if (children === -1) continue;
          if (children < 0) {
            count = this.addLeaf(positions, c, count);
            continue;
          }
          const massX = cells[4 * c];
          const massY = cells[4 * c + 1];
          const half = cells[4 * c + 2];
          const gapX = Math.max(0, Math.abs(massX - boxX) - boxHalfX);
          const gapY = Math.max(0, Math.abs(massY - boxY) - boxHalfY);
          if (
            half * half < limit * (gapX * gapX + gapY * gapY) &&
            !(
              checkOverlap &&
              Math.abs(centres[2 * c] - boxX) <= half + boxHalfX &&
              Math.abs(centres[2 * c + 1] - boxY) <= half + boxHalfY
            )
          ) {
            bodies[3 * count] = massX;
            bodies[3 * count + 1] = massY;
            bodies[3 * count + 2] = cells[4 * c + 3];
            count++;
          } else {
            stack[top++] = c;
          }
        }
      }

      // Each point of the group against the bodies; it meets itself once, at distance 0.
      for (let listed = first; listed < last; listed++) {
        const i = order[listed];
        const x = positions[2 * i];
        const y = positions[2 * i + 1];
        let forceX = 0;
        let forceY = 0;
        let sum = -1;
        for (let b = 0; b < 3 * count; b += 3) {
          const dx = x - bodies[b];
          const dy = y - bodies[b + 1];
          const w = 1 / (1 + dx * dx + dy * dy);
          const mw = bodies[b + 2] * w;
          sum += mw;
          forceX += mw * w * dx;
          forceY += mw * w * dy;
        }
        normaliser += sum;
        forces[2 * i] = forceX;
        forces[2 * i + 1] = forceY;
      }
    }
    return normaliser;
  }

  /** Appends the points of leaf `node` to the bodies, each of mass 1; returns their count. */
  private addLeaf(positions: Float64Array, node: number, count: number): number {
    const { bodies, next } = this;
    for (let p = -2 - this.link[node]; p >= 0; p = next[p]) {
      bodies[3 * count] = positions[2 * p];
      bodies[3 * count + 1] = positions[2 * p + 1];
      bodies[3 * count + 2] = 1;
      count++;
    }
    return count;
  }

  /** Adds point i to every cell on its way down, splitting the leaf it ends in if needed. */
  private insert(positions: Float64Array, i: number): void {
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    let node = 0;
    for (let depth = 0; ; depth++) {
      const cells = this.cells;
      cells[4 * node] += x;
      cells[4 * node + 1] += y;
      cells[4 * node + 3]++;
      const children = this.link[node];
      if (children >= 0) {
        node = children + this.quadrant(node, x, y);
        continue;
      }
      if (children === -1) {
        this.link[node] = -2 - i;
        this.next[i] = -1;
        return;
      }
      const resident = -2 - children;
      const residentX = positions[2 * resident];
      const residentY = positions[2 * resident + 1];
      if (depth >= MAX_DEPTH || (residentX === x && residentY === y)) {
        this.next[i] = resident;
        this.link[node] = -2 - i;
        return;
      }

      // Split: the leaf's points, all at one place, move down together; i goes on down.
      const first = this.size;
      if (first + 4 > this.capacity) this.grow(2 * this.capacity);
      const half = this.cells[4 * node + 2] / 2;
      const centreX = this.centres[2 * node];
      const centreY = this.centres[2 * node + 1];
      this.addNode(centreX - half, centreY - half, half);
      this.addNode(centreX + half, centreY - half, half);
      this.addNode(centreX - half, centreY + half, half);
      this.addNode(centreX + half, centreY + half, half);
      this.link[node] = first;
      const moved = first + this.quadrant(node, residentX, residentY);
      const residents = this.cells[4 * node + 3] - 1;
      this.cells[4 * moved] = residents * residentX;
      this.cells[4 * moved + 1] = residents * residentY;
      this.cells[4 * moved + 3] = residents;
      this.link[moved] = children;
      node = first + this.quadrant(node, x, y);
    }
  }

  /** Which child of `node` holds (x, y): 0 to 3, x's half in the low bit. */
  private quadrant(node: number, x: number, y: number): number {
    return (x >= this.centres[2 * node] ? 1 : 0) + (y >= this.centres[2 * node + 1] ? 2 : 0);
  }

  private addNode(centreX: number, centreY: number, half: number): void {
    const node = this.size++;
    this.cells.fill(0, 4 * node, 4 * node + 4);
    this.cells[4 * node + 2] = half;
    this.centres[2 * node] = centreX;
    this.centres[2 * node + 1] = centreY;
    this.link[node] = -1;
  }

  /** Room for `capacity` nodes, keeping the ones built. */
  private grow(capacity: number): void {
    const cells = new Float64Array(4 * capacity);
    const centres = new Float64Array(2 * capacity);
    const link = new Int32Array(capacity);
    this.start = new Int32Array(capacity);
    this.bodies = new Float64Array(3 * (capacity + this.next.length));
    cells.set(this.cells);
    centres.set(this.centres);
    link.set(this.link);
    this.cells = cells;
    this.centres = centres;
    this.link = link;
    this.capacity = capacity;
  }
}

/**
 * Checks the graph and the conditional affinities on it and returns n: at least 2 points,
 * k from 1 to n - 1, neighbours other than the point itself, and n x k finite affinities
 * that are not negative and not all 0.
 */
/** `options` itself: undefined or an object; returns it, or an empty object. */
function checkOptions<T extends object>(options: T | undefined, what: string): Partial<T> {
  checkType(
    options === undefined || (typeof options === 'object' && options !== null),
    what,
    'an options object',
    options,
  );
  return options ?? {};
}

function checkGraph(graph: NeighbourGraph, conditional: Float32Array, what: string): number {
  checkType(typeof graph === 'object' && graph !== null, `${what}: graph`, 'a graph', graph);
  const n = checkInteger(graph.n, `${what}: graph.n`, 0);
  if (n < 2) {
    throw new AekitError('BAD_INPUT', `${what}: expected at least 2 points, got ${n}`);
  }
  const k = checkInteger(graph.k, `${what}: graph.k`, 1, n - 1);
  checkType(
    graph.indices instanceof Int32Array,
    `${what}: graph.indices`,
    'an Int32Array',
    graph.indices,
  );
  if (graph.indices.length !== n * k) {
    throw new AekitError(
      'BAD_INPUT',
      `${what}: graph.indices: expected n x k = ${n * k} values, got ${graph.indices.length}`,
    );
  }
  for (let e = 0; e < n * k; e++) {
    const j = graph.indices[e];
    if (j < 0 || j >= n || j === Math.floor(e / k)) {
      throw new AekitError(
        'BAD_INPUT',
        `${what}: graph.indices: expected neighbours from 0 to ${n - 1} other than the point ` +
          `itself, got ${j} for point ${Math.floor(e / k)}`,
      );
    }
  }
  checkType(
    conditional instanceof Float32Array,
    `${what}: conditional`,
    'a Float32Array',
    conditional,
  );
  if (conditional.length !== n * k) {
    throw new AekitError(
      'BAD_INPUT',
      `${what}: conditional: expected n x k = ${n * k} values, got ${conditional.length}`,
    );
  }
  let total = 0;
  for (let e = 0; e < n * k; e++) {
    const p = conditional[e];
    if (!(p >= 0 && p < Infinity)) {
      throw new AekitError(
        'BAD_INPUT',
        `${what}: conditional: expected finite values >= 0, got ${p} at index ${e}`,
      );
    }
    total += p;
  }
  if (total === 0) {
    throw new AekitError('BAD_INPUT', `${what}: conditional: expected some values above 0`);
  }
  return n;
}

/** Checks that `positions` holds n x 2 finite coordinates and returns it. */
function checkPositions(
  positions: Float32Array | Float64Array,
  n: number,
  what: string,
  either: boolean,
): Float32Array | Float64Array {
  const ok = positions instanceof Float32Array || (either && positions instanceof Float64Array);
  checkType(ok, what, either ? 'a Float32Array or Float64Array' : 'a Float32Array', positions);
  if (positions.length !== 2 * n) {
    throw new AekitError(
      'BAD_INPUT',
      `${what}: expected n x 2 = ${2 * n} coordinates, got ${positions.length}`,
    );
  }
  for (let c = 0; c < 2 * n; c++) {
    if (!Number.isFinite(positions[c])) {
      throw new AekitError(
        'BAD_INPUT',
        `${what}: expected finite coordinates, got ${positions[c]} at index ${c}`,
      );
    }
  }
  return positions;
}

/** A finite number at least `min` (above it when `strict`). */
function checkFinite(value: unknown, what: string, min: number, strict = false): number {
  checkNumber(value, what);
  const n = value as number;
  const ok = Number.isFinite(n) && (strict ? n > min : n >= min);
  checkRange(ok, what, `a finite number ${strict ? '>' : '>='} ${min}`, value);
  return n;
}

/**
 * [minX, maxX, minY, maxY] of the points `order[first..last)` of `positions` ([n, 2]), or of
 * points first..last when `order` is null; written into `out` and returned.
 */
function boundingBox(
  positions: Float64Array,
  order: Int32Array | null,
  first: number,
  last: number,
  out: Float64Array,
): Float64Array {
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let listed = first; listed < last; listed++) {
    const i = order === null ? listed : order[listed];
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  out[0] = minX;
  out[1] = maxX;
  out[2] = minY;
  out[3] = maxY;
  return out;
}
