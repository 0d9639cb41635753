/**
 * Fitting a map with cells (`config.cells` > 0): the training samples are laid out by
 * t-SNE on their k-nearest-neighbour graph, that 2-D map is cut into k-means cells, and the
 * encoder learns to score the cell of each sample (cross-entropy), while the decoder learns
 * to reconstruct from the resulting code. A new sample's code is the mean of the cells'
 * centres weighted by the softmax of its scores, so an image the encoder is unsure of lands
 * in one of the cells it hesitates between, not midway between them as a smooth regression
 * onto the t-SNE map puts it. This is parametric t-SNE distilled into a classifier over
 * regions of the map; on Fashion-MNIST it keeps held-out neighbourhoods far better than a
 * regression onto the same map (BENCHMARKS.md, Maps). With `config.cellOffsets` the encoder
 * also learns each sample's place within its cell (squared error, scaled to unit mean
 * square, added to the cross-entropy), so that a cell's samples do not all share its centre.
 */
import { AekitError, F, Tensor, noGrad, tensor, tidy } from '../engine/index.js';
import { Dataset, permutation } from '../data/index.js';
import { ParametricMap, neighbourAffinities, reconstructionTerm } from '../models/index.js';
import { Adam, CosineAnnealingLR } from '../optim/index.js';
import type { FitMapEpoch, NeighbourGraph } from './embed.js';
import { kMeans } from './kmeans.js';
import { tsne } from './tsne.js';

/** The settings {@link fitCellMap} takes from `fitMap`'s checked options. */
export interface CellMapSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  decoderShare: number;
  schedule: 'cosine' | 'constant';
  tsneIterations: number;
  graph: NeighbourGraph;
  onEpoch?: (record: FitMapEpoch) => void;
  onLayout?: (iteration: number, divergence: number) => void;
}

/**
 * Lays out `dataset` by t-SNE, cuts the layout into the model's cells, sets the model's
 * centres, and trains its encoder and decoder for `settings.epochs`. Returns the epochs'
 * records (the neighbourhood term is the mean cross-entropy of the cells, plus the offsets'
 * scaled squared error with `cellOffsets`).
 */
export function fitCellMap(
  model: ParametricMap,
  dataset: Dataset,
  settings: CellMapSettings,
): FitMapEpoch[] {
  const { graph, epochs, batchSize, seed } = settings;
  const cells = model.config.cells;
  const n = dataset.shape[0];
  if (model.centres === null || cells < 1) {
    throw new AekitError('BAD_INPUT', "fitMap: loss 'cells' needs a map with config.cells > 0");
  }
  if (cells > n) {
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: fitMap: expected at least config.cells ${cells} samples, got ${n}`,
    );
  }

  // The layout of the training samples, and its cells.
  const conditional = neighbourAffinities(graph.distances, graph.k, model.config.perplexity);
  const layout = tsne(graph, conditional, {
    iterations: settings.tsneIterations,
    seed,
    onIteration: settings.onLayout,
  });
  const { centres, assignment } = kMeans(layout, 2, cells, { seed });
  tidy(() => noGrad(() => void model.centres?.copy_(tensor(centres, { shape: [cells, 2] }))));

  const optimizer = new Adam(model.parameters(), { lr: settings.learningRate });
  const scheduler =
    settings.schedule === 'cosine' ? new CosineAnnealingLR(optimizer, { tMax: epochs }) : null;
  const inputs = tensor(dataset.data, { shape: dataset.shape });
  const targets = tensor(assignment, { dtype: 'int64' }); // [n]
  // With offsets: where t-SNE put each sample within its cell, scaled to unit mean square.
  const places = model.config.cellOffsets ? cellOffsets(layout, centres, assignment) : null;
  const offsets = places === null ? null : tensor(places.offsets, { shape: [n, 2] });
  const offsetScale = places?.scale ?? 1;
  const history: FitMapEpoch[] = [];
  model.train();
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const epochStart = Date.now();
      const order = permutation(n, seed, epoch);
      let cellTotal = 0;
      let reconstructionTotal = 0;
      let steps = 0;
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const [cellLoss, reconstruction] = tidy(() => {
          const index = tensor(order.subarray(start, start + size), { dtype: 'int64' });
          const x = inputs.indexSelect(0, index); // [b, ...]
          const outputs = model.cellScores(x); // [b, cells (+ 2)]
          const scores = outputs.narrow(1, 0, cells);
          const choice = F.crossEntropy(scores, targets.indexSelect(0, index));
          const cellTerm =
            offsets === null
              ? choice
              : choice.add(
                  outputs
                    .narrow(1, cells, 2)
                    .sub(offsets.indexSelect(0, index))
                    .pow(2)
                    .sum(1)
                    .mean()
                    .div(offsetScale),
                );
          // The order is random: the first share of the batch is an unbiased sample.
          const decoded = Math.max(1, Math.round(settings.decoderShare * size));
          const codes = model.codesOfScores(outputs.narrow(0, 0, decoded)); // [decoded, 2]
          return mapStep(model, optimizer, cellTerm, x, codes);
        });
        checkFiniteStep([cellLoss, reconstruction], epoch, steps);
        cellTotal += cellLoss;
        reconstructionTotal += reconstruction;
        steps++;
      }
      const record: FitMapEpoch = {
        epoch,
        neighbourhood: cellTotal / steps,
        reconstruction: reconstructionTotal / steps,
        seconds: (Date.now() - epochStart) / 1000,
      };
      history.push(record);
      scheduler?.step();
      settings.onEpoch?.(record);
    }
  } finally {
    inputs.dispose();
    targets.dispose();
    offsets?.dispose();
    optimizer.dispose();
    model.eval();
  }
  return history;
}

/**
 * One optimiser step on a map's loss `term` plus the reconstruction term of the first
 * samples of `x` from their `codes` ([decoded, latentDim]), weighted by the config's
 * `reconstructionWeight`. Returns both terms' values.
 */
export function mapStep(
  model: ParametricMap,
  optimizer: Adam,
  term: Tensor,
  x: Tensor,
  codes: Tensor,
): [number, number] {
  const rebuilt = reconstructionTerm(
    model.decodeRaw(codes),
    x.narrow(0, 0, codes.shape[0]),
    model.config.likelihood,
  ).mean();
  const total = term.add(rebuilt, model.config.reconstructionWeight);
  optimizer.zeroGrad();
  total.backward();
  optimizer.step();
  return [term.item(), rebuilt.item()];
}

/**
 * Each sample's place in its cell: `offsets`, its layout position less its cell's centre
 * ([n, 2] row-major), and `scale`, their mean squared length (at least 1e-12).
 */
export function cellOffsets(
  layout: Float32Array,
  centres: Float32Array,
  assignment: Int32Array,
): { offsets: Float32Array; scale: number } {
  const out = new Float32Array(layout.length);
  let sum = 0;
  for (let i = 0; i < assignment.length; i++) {
    for (let d = 0; d < 2; d++) {
      out[2 * i + d] = layout[2 * i + d] - centres[2 * assignment[i] + d];
      sum += out[2 * i + d] ** 2;
    }
  }
  return { offsets: out, scale: Math.max(1e-12, sum / assignment.length) };
}

/** Throws when a step's loss terms are not finite (epoch and step counted from 0). */
export function checkFiniteStep(terms: number[], epoch: number, step: number): void {
  if (terms.every(Number.isFinite)) return;
  throw new AekitError(
    'NOT_FINITE',
    `fitMap: the loss is not finite at epoch ${epoch + 1}, step ${step + 1}; try a lower ` +
      'learning rate',
  );
}
