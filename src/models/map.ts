/**
 * A parametric map: a dense autoencoder whose low-dimensional code (2-D for a picture) is
 * also shaped by the t-SNE objective, so that neighbours in the data stay neighbours in the
 * map, and new points are mapped by the encoder in one pass. This is parametric t-SNE (van
 * der Maaten, "Learning a Parametric Embedding by Preserving Local Structure", AISTATS
 * 2009): in each batch, Gaussian affinities P in the data space (each row calibrated to a
 * perplexity, van der Maaten and Hinton, "Visualizing Data using t-SNE", JMLR 2008) are
 * matched by Student-t affinities Q between the codes, minimising KL(P || Q). The decoder
 * keeps the map an autoencoder: codes decode back to data, and a small reconstruction term
 * ties the code to the whole input, not only to its neighbours.
 *
 * Limitation: P is computed within each training batch, so neighbourhoods are those among
 * the batch's samples; larger batches (1,000 or more) give finer maps.
 */
import {
  AekitError,
  Tensor,
  checkInteger,
  checkNumber,
  eye,
  invalid,
  full,
  noGrad,
  tidy,
  where,
  zeros,
} from '../engine/index.js';
import { Sequential } from '../nn/index.js';
import { Autoencoder, LossContext, LossTerms, reconstructionTerm } from './autoencoder.js';
import type { ActivationName, Likelihood } from './config.js';
import { mlp, sizeOf } from './layers.js';

/** A parametric map (parametric t-SNE with a decoder). */
export interface MapConfig {
  family: 'map';
  /** Shape of one sample: [features] or [channels, height, width]. */
  inputShape: number[];
  /** Dimensions of the map: 2 for a picture. */
  latentDim: number;
  /** How reconstructions are scored. Default: 'bernoulli'. */
  likelihood?: Likelihood;
  /** Hidden nonlinearity. Default: 'relu'. */
  activation?: ActivationName;
  /** Hidden sizes of the encoder; the decoder mirrors them. Default: [500, 500, 2000]. */
  hidden?: number[];
  /** Effective number of neighbours of each sample within a batch. Default: 30. */
  perplexity?: number;
  /**
   * Degrees of freedom of the Student-t kernel between codes: 1 is t-SNE's Cauchy kernel;
   * below 1 the tails are heavier and clusters separate more (Kobak et al., "Heavy-tailed
   * kernels reveal a finer cluster structure in t-SNE visualisations", ECML PKDD 2019).
   * Default: 1.
   */
  degreesOfFreedom?: number;
  /**
   * Weight of the reconstruction term (per sample, in the likelihood's units) against the
   * KL divergence of the batch. Default: 0.001.
   */
  reconstructionWeight?: number;
  /**
   * Cells of the map that the encoder chooses among; 0: the encoder outputs the coordinates.
   * With cells, `fitMap` lays out the training samples by t-SNE, cuts that map into this
   * many k-means cells, and trains the encoder to score which cell a sample falls in; a
   * sample's code is the mean of the cells' centres weighted by softmax(scores /
   * `cellTemperature`). A new sample then lands in a cell of its kind rather than between
   * cells, as a smooth regression puts samples it is unsure of (BENCHMARKS.md, Maps).
   * About one cell per 20 training samples suits Fashion-MNIST. 2-D maps only. Default: 0.
   */
  cells?: number;
  /**
   * Temperature of the softmax over cells: lower chooses more sharply. 0.05 kept the
   * neighbourhoods of Fashion-MNIST training images held out from the fit best, with and
   * without offsets (BENCHMARKS.md, Maps). Default: 0.05.
   */
  cellTemperature?: number;
  /**
   * With cells: the encoder also outputs an offset from the cell's centre, trained onto
   * where t-SNE put the sample within its cell, and added to the code. Training samples then
   * keep their places inside a cell instead of sharing its centre, and a new sample lands
   * near the training samples it resembles most. Default: false.
   */
  cellOffsets?: boolean;
}

/** Steps of the bisection that calibrates each row of P to the perplexity. */
const BISECTION_STEPS = 40;

/**
 * Fills in a map config's defaults after `resolveConfig` has checked the fields every
 * family shares (`common`), and checks the map's own fields.
 */
export function resolveMapConfig(
  c: Record<string, unknown>,
  common: {
    inputShape: number[];
    latentDim: number;
    likelihood: Likelihood;
    activation: ActivationName;
  },
): Required<MapConfig> {
  const hidden = c.hidden ?? [500, 500, 2000];
  if (!Array.isArray(hidden)) {
    throw new TypeError(invalid('config.hidden', 'an array of positive integers', hidden));
  }
  const cells = checkCells(c.cells ?? 0, common.latentDim);
  const cellOffsets = checkFlag(c.cellOffsets ?? false, 'config.cellOffsets');
  if (cellOffsets && cells === 0) {
    throw new RangeError('config.cellOffsets: offsets are within cells, got config.cells 0');
  }
  return {
    family: 'map',
    ...common,
    hidden: hidden.map((size, i) => checkInteger(size, `config.hidden[${i}]`, 1)),
    perplexity: checkNumber(c.perplexity ?? 30, 'config.perplexity', 1),
    degreesOfFreedom: checkNumber(c.degreesOfFreedom ?? 1, 'config.degreesOfFreedom', 0.01),
    reconstructionWeight: checkNumber(
      c.reconstructionWeight ?? 0.001,
      'config.reconstructionWeight',
      0,
    ),
    cells,
    cellTemperature: checkNumber(c.cellTemperature ?? 0.05, 'config.cellTemperature', 1e-3),
    cellOffsets,
  };
}

function checkFlag(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(invalid(what, 'true or false', value));
  return value;
}

function checkCells(cells: unknown, latentDim: number): number {
  const count = checkInteger(cells, 'config.cells', 0);
  if (count > 0 && latentDim !== 2) {
    throw new RangeError(`config.cells: cells need a 2-D map, got latentDim ${latentDim}`);
  }
  return count;
}

export class ParametricMap extends Autoencoder {
  readonly config: Required<MapConfig>;
  readonly encoder: Sequential;
  readonly decoder: Sequential;
  /** [cells, latentDim]: the centre of each cell, set by `fitMap`; null without cells. */
  readonly centres: Tensor | null;

  constructor(config: Required<MapConfig>) {
    super();
    this.config = config;
    const sizes = [sizeOf(config.inputShape), ...config.hidden, config.latentDim];
    const outputs = config.cells + (config.cellOffsets ? config.latentDim : 0);
    const encoderSizes = config.cells > 0 ? [...sizes.slice(0, -1), outputs] : sizes;
    this.encoder = this.registerModule('encoder', mlp(encoderSizes, config.activation));
    this.decoder = this.registerModule('decoder', mlp([...sizes].reverse(), config.activation));
    this.centres =
      config.cells > 0
        ? this.registerBuffer('centres', zeros([config.cells, config.latentDim]))
        : null;
  }

  encode(x: Tensor): Tensor {
    const out = this.encoder.forward(x.flatten(1)); // [batch, cells or latentDim]
    if (this.centres === null) return out;
    return this.codesOfScores(out); // [batch, latentDim]
  }

  /**
   * The encoder's score of each cell: [batch, cells], followed by the offset from the centre
   * ([batch, cells + latentDim]) with `cellOffsets`. Only for a map with cells.
   */
  cellScores(x: Tensor): Tensor {
    if (this.centres === null) {
      throw new AekitError('BAD_INPUT', 'cellScores: this map has no cells (config.cells 0)');
    }
    return this.encoder.forward(x.flatten(1));
  }

  /**
   * Codes from the output of {@link cellScores}: the centres weighted by the softmax of the
   * scores, plus the offset with `cellOffsets`.
   */
  codesOfScores(scores: Tensor): Tensor {
    if (this.centres === null) {
      throw new AekitError('BAD_INPUT', 'codesOfScores: this map has no cells (config.cells 0)');
    }
    const { cells, cellTemperature, cellOffsets, latentDim } = this.config;
    const weights = scores.narrow(1, 0, cells).div(cellTemperature).softmax(1);
    const centre = weights.matmul(this.centres);
    return cellOffsets ? centre.add(scores.narrow(1, cells, latentDim)) : centre;
  }

  decodeRaw(z: Tensor): Tensor {
    return this.decoder.forward(z).reshape([-1, ...this.config.inputShape]);
  }

  lossTerms(x: Tensor, target: Tensor, _context: LossContext): LossTerms {
    if (this.centres !== null) {
      throw new AekitError(
        'BAD_INPUT',
        'a map with cells is trained by fitMap (aekit fit-map), which lays out its cells first',
      );
    }
    const batch = x.shape[0];
    const code = this.encode(x);
    const raw = this.decodeRaw(code);
    const reconstruction = reconstructionTerm(raw, target, this.config.likelihood); // [batch]
    // Affinities between clean samples: the data's neighbourhoods, not the noise's.
    const p = noGrad(() => tidy(() => dataAffinities(target.flatten(1), this.config.perplexity)));
    const kl = mapDivergence(p, code, this.config.degreesOfFreedom); // []
    const neighbourhood = kl.expand(batch); // [batch], like the other terms
    const loss = kl.add(reconstruction.mean(), this.config.reconstructionWeight);
    return { loss, terms: { neighbourhood, reconstruction } };
  }
}

/**
 * Symmetric t-SNE affinities of the rows of `x` ([n, features]): for each row i a Gaussian
 * over the others whose precision is set by bisection so that the perplexity of row i is
 * `perplexity` (capped below (n - 1) / 3), then P = (P_cond + P_cond^T) / 2n: [n, n], zero
 * diagonal, summing to 1.
 */
export function dataAffinities(x: Tensor, perplexity: number): Tensor {
  const n = x.shape[0];
  if (n < 2)
    throw new AekitError('BAD_INPUT', `dataAffinities: x: expected at least 2 rows, got ${n}`);
  const target = Math.log(Math.min(perplexity, Math.max((n - 1) / 3, 1.01)));
  const offDiagonal = eye(n).rsub(1); // [n, n]
  const squared = x.square().sum(1, true); // [n, 1]
  const distances = squared
    .add(squared.t())
    .sub(x.matmul(x.t()).mul(2))
    .clamp(0, null)
    .mul(offDiagonal); // [n, n]
  // Scaled per row by the mean distance, so one bisection range suits every row.
  const scaled = distances.div(
    distances
      .sum(1, true)
      .div(n - 1)
      .clamp(1e-12, null),
  ); // [n, n]

  let low = full([n, 1], Math.log(1e-3));
  let high = full([n, 1], Math.log(1e4));
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const [nextLow, nextHigh] = tidy(() => {
      const logBeta = low.add(high).mul(0.5); // [n, 1]
      const beta = logBeta.exp();
      const w = scaled.mul(beta).neg().exp().mul(offDiagonal); // [n, n]
      const total = w.sum(1, true).clamp(1e-30, null); // [n, 1]
      const entropy = total.log().add(scaled.mul(w).sum(1, true).div(total).mul(beta)); // [n, 1]
      const tooFlat = entropy.gt(target); // precision too low: raise it
      return [where(tooFlat, logBeta, low), where(tooFlat, high, logBeta)];
    });
    low.dispose();
    high.dispose();
    low = nextLow;
    high = nextHigh;
  }
  const beta = low.add(high).mul(0.5).exp();
  const w = scaled.mul(beta).neg().exp().mul(offDiagonal);
  const conditional = w.div(w.sum(1, true).clamp(1e-30, null)); // [n, n], rows sum to 1
  return conditional.add(conditional.t()).div(2 * n);
}

/**
 * log (1 + |z_i - z_j|^2 / dof)^(-(dof + 1) / 2) for every pair of rows of `codes`
 * ([n, dim]): the unnormalised Student-t affinities of a map, as logs ([n, n], 0 on the
 * diagonal).
 */
function studentTLogKernel(codes: Tensor, dof: number): Tensor {
  const squared = codes.square().sum(1, true); // [n, 1]
  const products = codes.matmul(codes.t()).mul(2); // [n, n]
  const distances = squared.add(squared.t()).sub(products).clamp(0, null); // [n, n]
  return distances
    .div(dof)
    .add(1)
    .log()
    .mul(-(dof + 1) / 2);
}

/**
 * KL(P || Q) between data affinities `p` ([n, n], summing to 1) and Student-t affinities of
 * the codes ([n, dim]) with `dof` degrees of freedom: q_ij proportional to
 * (1 + |z_i - z_j|^2 / dof)^(-(dof + 1) / 2). A scalar tensor with gradients for the codes.
 */
export function mapDivergence(p: Tensor, codes: Tensor, dof: number): Tensor {
  const n = codes.shape[0];
  const logKernel = studentTLogKernel(codes, dof); // [n, n], 0 on the diagonal
  const offDiagonal = eye(n).rsub(1);
  const logNormaliser = logKernel.exp().mul(offDiagonal).sum().log(); // []
  // sum p log p is a constant for the codes; it makes the value a true KL divergence.
  const entropyTerm = noGrad(() => p.mul(p.clamp(1e-30, null).log()).sum().item());
  return p.mul(logKernel).sum().neg().add(logNormaliser).add(entropyTerm);
}

/** Options of {@link neighbourPairLoss}. */
export interface PairLossOptions {
  /**
   * Each negative stands for this many points of the whole data set: with n data points and
   * a batch of b, (n - 2) / (b - 2) makes the normaliser estimate the whole data's, so that a
   * neighbour already near its partner is not let go (the t-SNE limit of the loss). 1 is
   * plain InfoNCE over the batch. Default: 1.
   */
  negativeWeight?: number;
  /** Weight of the attraction term; above 1 it exaggerates neighbourhoods. Default: 1. */
  exaggeration?: number;
}

/**
 * The map's loss on pairs of neighbours: `codes` holds n anchors then their n neighbours in
 * the data ([2n, dim]); each of the 2n points should be nearer its partner than the other
 * 2n - 2 points of the batch, by the Student-t kernel w = (1 + d^2 / dof)^(-(dof + 1) / 2):
 * `-e log w(i, partner) + log(w(i, partner) + r sum_{k != i, partner} w(i, k))`, averaged,
 * with e the exaggeration and r the negative weight. With e = r = 1 this is InfoNC-t-SNE
 * (Damrich, Böhm, Hamprecht and Kobak, "From t-SNE to UMAP with contrastive learning",
 * ICLR 2023), which approaches t-SNE's objective as the batch grows; r > 1 stands in for a
 * larger batch. A scalar tensor.
 */
export function neighbourPairLoss(
  codes: Tensor,
  dof: number,
  options: PairLossOptions = {},
): Tensor {
  const total = codes.shape[0];
  if (total < 4 || total % 2 !== 0) {
    throw new AekitError(
      'BAD_INPUT',
      `neighbourPairLoss: codes: expected an even number of rows, at least 4, got ${total}`,
    );
  }
  const negativeWeight = checkNumber(options.negativeWeight ?? 1, 'negativeWeight', 1e-12);
  const exaggeration = checkNumber(options.exaggeration ?? 1, 'exaggeration', 0);
  const n = total / 2;
  const squared = codes.square().sum(1, true); // [2n, 1]
  const products = codes.matmul(codes.t()).mul(2); // [2n, 2n]
  const distances = squared.add(squared.t()).sub(products).clamp(0, null); // [2n, 2n]
  const logKernel = distances
    .div(dof)
    .add(1)
    .log()
    .mul(-(dof + 1) / 2); // [2n, 2n]
  // Row i's partner is i + n for an anchor and i - n for a neighbour.
  const partners = eye(n).repeat(2, 2).sub(eye(total)); // [2n, 2n], 1 at each partner
  const self = eye(total).gt(0.5);
  const weighted = logKernel.add(partners.rsub(1).mul(Math.log(negativeWeight))); // [2n, 2n]
  const logNormaliser = weighted.maskedFill(self, -Infinity).logsumexp(1); // [2n]
  const attraction = logKernel.mul(partners).sum(1); // [2n]
  return logNormaliser.sub(attraction.mul(exaggeration)).mean();
}

/**
 * t-SNE's conditional affinities p(j | i) over each point's k nearest neighbours (van der
 * Maaten and Hinton 2008, computed on a kNN graph as in Barnes-Hut t-SNE, van der Maaten,
 * JMLR 2014): a Gaussian over the neighbours' squared distances whose precision is set by
 * bisection so that each row's perplexity is `perplexity` (capped at k, where the row is
 * uniform). `squaredDistances` is [n, k] row-major; the result is too, each row summing to 1.
 * The symmetric joint affinities are p_ij = (p(j | i) + p(i | j)) / 2n.
 */
export function neighbourAffinities(
  squaredDistances: Float32Array,
  k: number,
  perplexity: number,
): Float32Array {
  checkInteger(k, 'neighbourAffinities: k', 1);
  checkNumber(perplexity, 'neighbourAffinities: perplexity', 1);
  if (squaredDistances.length % k !== 0) {
    throw new AekitError(
      'BAD_INPUT',
      `neighbourAffinities: squaredDistances: expected a multiple of k ${k} values, got ` +
        `${squaredDistances.length}`,
    );
  }
  const n = squaredDistances.length / k;
  const target = Math.log(perplexity);
  const out = new Float32Array(n * k);
  const shifted = new Float64Array(k);
  const weights = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const row = squaredDistances.subarray(i * k, (i + 1) * k);
    let nearest = Infinity;
    let mean = 0;
    for (let t = 0; t < k; t++) nearest = Math.min(nearest, row[t]);
    // Distances less the nearest's leave every row's weights the same and keep exp() from
    // underflowing; scaled by their mean, one bisection range suits every row.
    for (let t = 0; t < k; t++) mean += (row[t] - nearest) / k;
    for (let t = 0; t < k; t++) shifted[t] = mean > 0 ? (row[t] - nearest) / mean : 0;
    let low = Math.log(1e-6);
    let high = Math.log(1e6);
    let beta = 0; // uniform where the perplexity cannot be reached (perplexity >= k)
    if (perplexity < k && mean > 0) {
      for (let step = 0; step < BISECTION_STEPS + 24; step++) {
        beta = Math.exp((low + high) / 2);
        let total = 0;
        let spread = 0;
        for (let t = 0; t < k; t++) {
          weights[t] = Math.exp(-beta * shifted[t]);
          total += weights[t];
          spread += shifted[t] * weights[t];
        }
        const entropy = Math.log(total) + (beta * spread) / total;
        if (entropy > target) low = (low + high) / 2;
        else high = (low + high) / 2;
      }
      beta = Math.exp((low + high) / 2);
    }
    let total = 0;
    for (let t = 0; t < k; t++) total += weights[t] = Math.exp(-beta * shifted[t]);
    for (let t = 0; t < k; t++) out[i * k + t] = weights[t] / total;
  }
  return out;
}

/**
 * KL(P || Q) of a batch under t-SNE's objective, with sparse data affinities: `pairs` holds
 * flat indices a * n + b into the [n, n] pairs of `codes` ([n, dim]), each ordered pair at
 * most once, `affinities` their p_ab (symmetric, summing to 1), and Q the Student-t
 * affinities among all n codes, normalised over the batch as in parametric t-SNE (van der
 * Maaten 2009). With `exaggeration` a above 1 the attraction is a times stronger, t-SNE's
 * early exaggeration; at 1 the value is the KL divergence. A scalar tensor.
 */
export function sparseMapDivergence(
  codes: Tensor,
  pairs: Tensor,
  affinities: Tensor,
  dof: number,
  exaggeration = 1,
): Tensor {
  const n = codes.shape[0];
  if (n < 2) {
    throw new AekitError(
      'BAD_INPUT',
      `sparseMapDivergence: codes: expected at least 2 rows, got ${n}`,
    );
  }
  const logKernel = studentTLogKernel(codes, dof); // [n, n]
  const self = eye(n).gt(0.5);
  const logNormaliser = logKernel.maskedFill(self, -Infinity).flatten().logsumexp(0); // []
  const attraction = logKernel.flatten().indexSelect(0, pairs).mul(affinities).sum(); // []
  // sum p log p is a constant for the codes; it makes the value a true KL divergence.
  const entropyTerm = noGrad(() =>
    affinities.mul(affinities.clamp(1e-30, null).log()).sum().item(),
  );
  return logNormaliser.sub(attraction.mul(exaggeration)).add(entropyTerm);
}
