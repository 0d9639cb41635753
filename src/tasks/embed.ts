/**
 * Maps for visualisation: the code of every sample from a model with a low-dimensional code
 * ({@link embed}), and fitting a parametric map ({@link fitMap}): the exact k-nearest-
 * neighbour graph of the training data ({@link neighbourGraph}) gives pairs of neighbours,
 * and the map's encoder learns to keep each pair closer than the other points of its batch
 * (the InfoNC-t-SNE loss, `neighbourPairLoss`), while its decoder learns to reconstruct.
 * Graph-based training of a parametric map follows parametric UMAP (Sainburg, McInnes and
 * Gentner, "Parametric UMAP embeddings for representation and semisupervised learning",
 * Neural Computation 2021), with t-SNE's kernel in place of UMAP's.
 */
import {
  AekitError,
  Op,
  callOp,
  checkInteger,
  checkNumber,
  invalid,
  noGrad,
  tensor,
  tidy,
  wrap,
} from '../engine/index.js';
import { Dataset, Xoshiro128, permutation, sampleSize } from '../data/index.js';
import {
  Autoencoder,
  ParametricMap,
  neighbourAffinities,
  neighbourPairLoss,
  sparseMapDivergence,
} from '../models/index.js';
import { Adam, CosineAnnealingLR } from '../optim/index.js';
import { checkBatchSize, checkModelInput, runBatches } from './batches.js';
import { checkFiniteStep, fitCellMap, mapStep } from './cell-map.js';

/** The code of each sample of `dataset`: [n, latentDim] row-major (a VAE's posterior mean). */
export function embed(model: Autoencoder, dataset: Dataset, batchSize?: number): Float32Array {
  checkModelInput(model, dataset, 'embed');
  const size = checkBatchSize(batchSize, 'embed: batchSize');
  return runBatches(model, dataset, size, (x) => model.encode(x));
}

/** The k nearest neighbours of every point, by Euclidean distance, itself excluded. */
export interface NeighbourGraph {
  /** Number of points. */
  n: number;
  /** Neighbours per point. */
  k: number;
  /** [n, k] row-major: the neighbours of point i, nearest first. */
  indices: Int32Array;
  /** [n, k] row-major: squared Euclidean distances to those neighbours. */
  distances: Float32Array;
}

const TOPK = new Op('aten::topk');
/** Rows whose distances to all points are computed at once (rows x n floats). */
const GRAPH_BLOCK = 1024;

/**
 * The exact k-nearest-neighbour graph of the samples of `dataset`, from pairwise distances
 * computed block by block on the engine (O(n^2 x features) time, O(block x n) memory).
 */
export function neighbourGraph(dataset: Dataset, k: number): NeighbourGraph {
  const n = dataset.shape[0];
  const dim = sampleSize(dataset);
  checkInteger(k, 'neighbourGraph: k', 1, Math.max(1, n - 1));
  if (n < 2) {
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: neighbourGraph: expected at least 2 samples, got ${n}`,
    );
  }
  const indices = new Int32Array(n * k);
  const squaredDistances = new Float32Array(n * k);
  noGrad(() =>
    tidy(() => {
      const points = tensor(dataset.data, { shape: [n, dim] });
      const norms = points.square().sum(1).unsqueeze(0); // [1, n]
      const rowNorms = norms.toFloat32Array();
      for (let start = 0; start < n; start += GRAPH_BLOCK) {
        const rows = Math.min(GRAPH_BLOCK, n - start);
        tidy(() => {
          const block = points.narrow(0, start, rows); // [rows, dim]
          // |a|^2 + |b|^2 - 2 a.b; the row's own norm is a constant per row and left out.
          const distances = norms.sub(block.matmul(points.t()).mul(2)); // [rows, n]
          const [values, nearest] = callOp<unknown[]>(TOPK, [
            distances.handle,
            k + 1,
            1,
            false,
            true,
          ]);
          const found = wrap(nearest).toNumbers(); // [rows, k + 1]
          const partial = wrap(values).toFloat32Array(); // [rows, k + 1], less the row's norm
          for (let r = 0; r < rows; r++) {
            const i = start + r;
            let written = 0;
            for (let j = 0; j <= k && written < k; j++) {
              const candidate = found[r * (k + 1) + j];
              if (candidate === i) continue;
              // Rounding can leave a tiny negative for a duplicate point.
              squaredDistances[i * k + written] = Math.max(
                0,
                partial[r * (k + 1) + j] + rowNorms[i],
              );
              indices[i * k + written++] = candidate;
            }
          }
        });
      }
    }),
  );
  return { n, k, indices, distances: squaredDistances };
}

/** Options of {@link fitMap}. */
export interface FitMapOptions {
  /** Passes over the training samples. */
  epochs: number;
  /**
   * The map's loss. 'pairs': each step takes anchors with one neighbour each, and each point
   * should be nearer its partner than the rest of the batch (InfoNC-t-SNE,
   * `neighbourPairLoss`). 'tsne': parametric t-SNE (van der Maaten 2009): each step takes a
   * batch of points and minimises KL(P || Q) among them (`sparseMapDivergence`), P from
   * perplexity-calibrated affinities on the kNN graph (the config's `perplexity`), Q the
   * Student-t affinities of their codes normalised over the batch. Default: 'pairs',
   * level with 'tsne' on 10,000 Fashion-MNIST images and ahead on all 60,000 and on MNIST
   * digits (BENCHMARKS.md).
   *
   * Limitation: with 'tsne', P is restricted to the batch's points, so a point meets about
   * k x batchSize / n of its k graph neighbours per step; with n much larger than the batch
   * (60,000 Fashion-MNIST images) its map was weaker than the pair loss's.
   *
   * 'cells', for a map with `config.cells` > 0 (and its default there): t-SNE lays out the
   * training samples, k-means cuts the layout into the cells, and each step trains the
   * encoder to score a batch's cells (cross-entropy); see `fitCellMap`.
   */
  loss?: 'pairs' | 'tsne' | 'cells';
  /**
   * Anchors per step (each brings one neighbour) for 'pairs'; points per step for 'tsne' and
   * 'cells'. Default: 512, and 64 for 'cells'. (For 'tsne', 2048 points per step made 4
   * times fewer steps and a worse map of MNIST digits in 40 epochs.)
   */
  batchSize?: number;
  /** Iterations of the t-SNE layout, for 'cells'. Default: 1000. */
  tsneIterations?: number;
  /**
   * Called as the t-SNE layout of 'cells' proceeds (every 50 iterations and after the last)
   * with the iterations done and the layout's KL divergence.
   */
  onLayout?: (iteration: number, divergence: number) => void;
  /** Adam's learning rate. Default: 1e-3. */
  learningRate?: number;
  /**
   * Neighbours per sample in the graph. Default: 15 for 'pairs'; for 'tsne' three times the
   * config's perplexity (90 at perplexity 30), as Barnes-Hut t-SNE takes.
   */
  neighbours?: number;
  /** Seed of the anchor order and neighbour draws. Default: 0. */
  seed?: number;
  /** A graph computed earlier for the same dataset (it takes a while on large data). */
  graph?: NeighbourGraph;
  /**
   * Share of each batch that the decoder reconstructs (at least one sample): the decoder
   * costs as much as the encoder, and a share of the batch gives it an unbiased gradient at
   * a fraction of the cost. Default: 0.25.
   */
  decoderShare?: number;
  /**
   * How many points of the data each negative in a batch stands for (see
   * `neighbourPairLoss`; 'pairs' only). Default: (n - 2) / (2 batchSize - 2), the whole
   * data's normaliser.
   */
  negativeWeight?: number;
  /**
   * Early exaggeration, as in t-SNE (van der Maaten and Hinton 2008): the attraction of
   * neighbours is multiplied by this over the first `exaggerationEpochs`, so that clusters
   * form before they are spread out. Default: 1 (none).
   */
  exaggeration?: number;
  /** Epochs with exaggeration. Default: a quarter of the epochs. */
  exaggerationEpochs?: number;
  /**
   * The learning rate falls along a half cosine to 0 over the epochs ('cosine').
   * Default: 'cosine'.
   */
  schedule?: 'cosine' | 'constant';
  /** Called after each epoch. */
  onEpoch?: (record: FitMapEpoch) => void;
}

/** One epoch of {@link fitMap}. */
export interface FitMapEpoch {
  epoch: number;
  /** Mean of the map's loss over the steps: the pair loss, or the batches' KL(P || Q). */
  neighbourhood: number;
  /** Mean reconstruction term per sample. */
  reconstruction: number;
  seconds: number;
}

/** What {@link fitMap} returns; it goes into the model file's training summary. */
export interface FitMapSummary {
  trainer: 'fitMap';
  history: FitMapEpoch[];
  epochsRun: number;
  seconds: number;
  seed: number;
  options: {
    epochs: number;
    loss: 'pairs' | 'tsne' | 'cells';
    batchSize: number;
    tsneIterations?: number;
    learningRate: number;
    neighbours: number;
    decoderShare: number;
    schedule: 'cosine' | 'constant';
    negativeWeight: number;
    exaggeration: number;
    exaggerationEpochs: number;
  };
}

/**
 * Trains a parametric map on `dataset` with the chosen loss (see {@link FitMapOptions}):
 * 'pairs' takes `batchSize` anchors per step in a seeded order, each with one of its nearest
 * neighbours; 'tsne' takes `batchSize` points per step and the affinities among them. Both
 * add the reconstruction term of a share of the batch, weighted by the config's
 * `reconstructionWeight`. The model keeps the final weights.
 *
 * Limitation: no checkpoints or resume, unlike `train`; a killed run starts again.
 */
export function fitMap(
  model: ParametricMap,
  dataset: Dataset,
  options: FitMapOptions,
): FitMapSummary {
  checkModelInput(model, dataset, 'fitMap');
  const epochs = checkInteger(options?.epochs, 'fitMap: options.epochs', 1);
  const withCells = model.config.cells > 0;
  const loss = options.loss ?? (withCells ? 'cells' : 'pairs');
  if (loss !== 'pairs' && loss !== 'tsne' && loss !== 'cells') {
    throw new TypeError(invalid('fitMap: options.loss', "'pairs', 'tsne' or 'cells'", loss));
  }
  if ((loss === 'cells') !== withCells) {
    throw new AekitError(
      'BAD_INPUT',
      withCells
        ? `fitMap: options.loss: a map with cells is fitted with 'cells', got '${loss}'`
        : "fitMap: options.loss: 'cells' needs a map with config.cells > 0",
    );
  }
  const batchSize = checkInteger(
    options.batchSize ?? (withCells ? 64 : 512),
    'fitMap: options.batchSize',
    2,
  );
  const tsneIterations = checkInteger(
    options.tsneIterations ?? 1000,
    'fitMap: options.tsneIterations',
    1,
  );
  const learningRate = checkNumber(options.learningRate ?? 1e-3, 'fitMap: options.learningRate', 0);
  const seed = checkInteger(options.seed ?? 0, 'fitMap: options.seed', 0);
  const n = dataset.shape[0];
  if (n < 4) {
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: fitMap: expected at least 4 samples, got ${n}`,
    );
  }
  const decoderShare = checkNumber(
    options.decoderShare ?? 0.25,
    'fitMap: options.decoderShare',
    0,
    1,
  );
  const schedule = options.schedule ?? 'cosine';
  if (schedule !== 'cosine' && schedule !== 'constant') {
    throw new TypeError(
      `fitMap: options.schedule: expected 'cosine' or 'constant', got ${String(schedule)}`,
    );
  }
  const perplexity = model.config.perplexity;
  const neighbours = checkInteger(
    options.neighbours ?? Math.min(loss === 'pairs' ? 15 : Math.ceil(3 * perplexity), n - 1),
    'fitMap: options.neighbours',
    1,
    n - 1,
  );
  const graph = options.graph ?? neighbourGraph(dataset, neighbours);
  const negativeWeight = checkNumber(
    options.negativeWeight ?? Math.max(1, (n - 2) / (2 * Math.min(batchSize, n) - 2)),
    'fitMap: options.negativeWeight',
    1e-6,
  );
  const exaggeration = checkNumber(options.exaggeration ?? 1, 'fitMap: options.exaggeration', 0);
  const exaggerationEpochs = checkInteger(
    options.exaggerationEpochs ?? Math.floor(epochs / 4),
    'fitMap: options.exaggerationEpochs',
    0,
  );
  if (graph.n !== n) {
    throw new AekitError(
      'BAD_INPUT',
      `fitMap: options.graph: expected a graph of ${n} points, got ${graph.n}`,
    );
  }
  // p(j | i) over each point's graph neighbours, for 'tsne' only.
  const conditional =
    loss === 'tsne' ? neighbourAffinities(graph.distances, graph.k, perplexity) : null;

  const started = Date.now();
  const summarise = (history: FitMapEpoch[]): FitMapSummary => ({
    trainer: 'fitMap',
    history,
    epochsRun: history.length,
    seconds: (Date.now() - started) / 1000,
    seed,
    options: {
      epochs,
      loss,
      batchSize,
      ...(loss === 'cells' ? { tsneIterations } : {}),
      learningRate,
      neighbours: graph.k,
      decoderShare,
      schedule,
      negativeWeight,
      exaggeration,
      exaggerationEpochs,
    },
  });
  if (loss === 'cells') {
    const settings = { epochs, batchSize, learningRate, seed, decoderShare, schedule };
    return summarise(
      fitCellMap(model, dataset, {
        ...settings,
        tsneIterations,
        graph,
        onEpoch: options.onEpoch,
        onLayout: options.onLayout,
      }),
    );
  }

  const optimizer = new Adam(model.parameters(), { lr: learningRate });
  const scheduler =
    schedule === 'cosine' ? new CosineAnnealingLR(optimizer, { tMax: epochs }) : null;
  const inputs = tensor(dataset.data, { shape: dataset.shape });
  const history: FitMapEpoch[] = [];
  const dof = model.config.degreesOfFreedom;
  model.train();
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const epochStart = Date.now();
      const order = permutation(n, seed, epoch);
      const random = new Xoshiro128(seed, 1000 + epoch);
      const strength = epoch < exaggerationEpochs ? exaggeration : 1;
      let neighbourhoodTotal = 0;
      let reconstructionTotal = 0;
      let steps = 0;
      // A last batch of fewer than 2 points would have nothing to compare; it is left out.
      for (let start = 0; start + 2 <= n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const batch =
          conditional === null
            ? pairBatch(order, start, size, graph, random)
            : affinityBatch(order, start, size, graph, conditional);
        if (batch === null) continue; // no pair of neighbours among these points
        const [mapLoss, reconstruction] = tidy(() => {
          const x = inputs.indexSelect(0, tensor(batch.picked, { dtype: 'int64' })); // [b, ...]
          const codes = model.encode(x); // [b, latentDim]
          const neighbourhood =
            batch.pairs === undefined || batch.affinities === undefined
              ? neighbourPairLoss(codes, dof, { negativeWeight, exaggeration: strength })
              : sparseMapDivergence(
                  codes,
                  tensor(batch.pairs, { dtype: 'int64' }),
                  tensor(batch.affinities),
                  dof,
                  strength,
                );
          // The batch's first points come in a random order: a share of them is an unbiased
          // sample for the decoder, which costs as much as the encoder.
          const decoded = Math.max(1, Math.round(decoderShare * codes.shape[0]));
          return mapStep(model, optimizer, neighbourhood, x, codes.narrow(0, 0, decoded));
        });
        checkFiniteStep([mapLoss, reconstruction], epoch, steps);
        neighbourhoodTotal += mapLoss;
        reconstructionTotal += reconstruction;
        steps++;
      }
      if (steps === 0) {
        throw new AekitError(
          'BAD_INPUT',
          `${dataset.source}: fitMap: no batch of ${batchSize} points holds a pair of ` +
            'neighbours; raise options.batchSize',
        );
      }
      const record: FitMapEpoch = {
        epoch,
        neighbourhood: neighbourhoodTotal / steps,
        reconstruction: reconstructionTotal / steps,
        seconds: (Date.now() - epochStart) / 1000,
      };
      history.push(record);
      scheduler?.step();
      options.onEpoch?.(record);
    }
  } finally {
    inputs.dispose();
    optimizer.dispose();
    model.eval();
  }
  return summarise(history);
}

/** The points of one step and, for 'tsne', the affinities among them. */
interface MapBatch {
  /** Indices of the batch's points in the dataset. */
  picked: Int32Array;
  /** Flat indices a * size + b of the pairs with an affinity ('tsne' only). */
  pairs?: Int32Array;
  /** Their affinities, symmetric and summing to 1 ('tsne' only). */
  affinities?: Float32Array;
}

/** `size` anchors from `order`, then one random graph neighbour of each, in the same order. */
function pairBatch(
  order: Int32Array,
  start: number,
  size: number,
  graph: NeighbourGraph,
  random: Xoshiro128,
): MapBatch {
  const picked = new Int32Array(2 * size);
  for (let b = 0; b < size; b++) {
    const anchor = order[start + b];
    picked[b] = anchor;
    picked[size + b] = graph.indices[anchor * graph.k + random.int(graph.k)];
  }
  return { picked };
}

/**
 * `size` points from `order` and t-SNE's joint affinities among them: p_ab proportional to
 * p(b | a) + p(a | b) over the graph edges that join two points of the batch, normalised over
 * the batch, as parametric t-SNE computes P within each batch. Null when no edge joins two
 * of the points.
 */
function affinityBatch(
  order: Int32Array,
  start: number,
  size: number,
  graph: NeighbourGraph,
  conditional: Float32Array,
): MapBatch | null {
  const picked = Int32Array.from(order.subarray(start, start + size));
  const position = new Map<number, number>();
  picked.forEach((point, b) => position.set(point, b));
  // Each ordered pair once: an edge found from both ends adds both conditionals.
  const joint = new Map<number, number>();
  let total = 0;
  for (let a = 0; a < size; a++) {
    const point = picked[a];
    for (let t = 0; t < graph.k; t++) {
      const b = position.get(graph.indices[point * graph.k + t]);
      if (b === undefined) continue;
      const p = conditional[point * graph.k + t];
      joint.set(a * size + b, (joint.get(a * size + b) ?? 0) + p);
      joint.set(b * size + a, (joint.get(b * size + a) ?? 0) + p);
      total += 2 * p;
    }
  }
  if (joint.size === 0 || total <= 0) return null;
  const pairs = Int32Array.from(joint.keys());
  const affinities = Float32Array.from(joint.values(), (p) => p / total);
  return { picked, pairs, affinities };
}
