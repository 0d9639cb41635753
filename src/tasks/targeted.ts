/**
 * Generation of a chosen kind with a VAE: encode examples of that kind (one class, or files
 * the user picked), fit a distribution to their codes, sample codes from it and decode them.
 * The distribution is one full-covariance Gaussian ({@link fitCodeGaussian}) or a small
 * mixture of Gaussians (full or diagonal covariances) fitted by expectation-maximisation
 * (Dempster, Laird and Rubin, "Maximum likelihood from incomplete data via the EM algorithm",
 * 1977), started from k-means++ seeds (Arthur and Vassilvitskii, 2007), or the examples'
 * aggregate posterior
 * ({@link encodePosteriors}): an equal mixture of each example's own posterior q(z|x), the
 * code distribution the VAE itself assigns to them (the "aggregated posterior" of Makhzani
 * et al., "Adversarial Autoencoders", 2015).
 */
import {
  AekitError,
  Generator,
  Tensor,
  cat,
  checkInteger,
  checkNumber,
  invalid,
  noGrad,
  tensor,
  tidy,
} from '../engine/index.js';
import { Dataset, Xoshiro128, take } from '../data/index.js';
import { VariationalAutoencoder } from '../models/index.js';
import { checkBatchSize, checkModelInput, runBatches } from './batches.js';
import { CodeGaussian, fitCodeGaussian, sampleCodes } from './generate.js';

/** The covariances a mixture's components may have. */
export const MIXTURE_COVARIANCES = ['full', 'diagonal'] as const;

/** A mixture of Gaussians over codes. */
export interface CodeMixture {
  /** Mixing weight of each component, summing to 1: [components]. */
  weights: Float64Array;
  /** Component means, [components, latentDim] row-major. */
  means: Float64Array;
  /** Component variances per dimension, [components, latentDim] row-major. */
  variances: Float64Array;
  /** 'full': each component's covariance is `scaleTrils`'s; 'diagonal': `variances` only. */
  covariance: (typeof MIXTURE_COVARIANCES)[number];
  /**
   * Lower Cholesky factor of each component's covariance, [components, latentDim,
   * latentDim] row-major; only for 'full'.
   */
  scaleTrils?: Float64Array;
  latentDim: number;
  /** Number of codes it was fitted to. */
  count: number;
  /** Mean log-likelihood per code at the end of fitting, in nats. */
  logLikelihood: number;
}

/**
 * The aggregate posterior of some examples: one diagonal Gaussian per example, its posterior
 * q(z|x), all weighted equally. Nothing is fitted; it is what the encoder says.
 */
export interface AggregatePosterior {
  /** Posterior mean of each example, [count, latentDim] row-major. */
  means: Float64Array;
  /** Posterior variance of each example per dimension, [count, latentDim] row-major. */
  variances: Float64Array;
  latentDim: number;
  /** Number of examples. */
  count: number;
}

/** The fitted code distribution: one Gaussian, a mixture, or the aggregate posterior. */
export type CodeDistribution =
  | { kind: 'gaussian'; gaussian: CodeGaussian }
  | { kind: 'mixture'; mixture: CodeMixture }
  | { kind: 'posterior'; posterior: AggregatePosterior };

/** The kinds of {@link CodeDistribution}. */
export const CODE_DISTRIBUTIONS = ['gaussian', 'mixture', 'posterior'] as const;

/** Options of {@link fitExamples}. */
export interface FitExamplesOptions {
  /**
   * What to fit: 'gaussian' (one full-covariance Gaussian to the posterior means),
   * 'mixture' (`components` Gaussians to them, by EM) or 'posterior' (the
   * aggregate posterior, which fits nothing and works from one example). Default:
   * 'mixture' when `components` is above 1, else 'gaussian'.
   */
  distribution?: (typeof CODE_DISTRIBUTIONS)[number];
  /** Mixture components; only for 'mixture'. Default: 1 (5 when `distribution` is 'mixture'). */
  components?: number;
  /** The mixture components' covariances; only for 'mixture'. Default: 'full'. */
  covariance?: (typeof MIXTURE_COVARIANCES)[number];
  /** Seed of the mixture's k-means++ start. Default: 0. */
  seed?: number;
  /** Examples per batch when encoding. Default: 256. */
  batchSize?: number;
}

/** Options of {@link fitCodeMixture}. */
export interface MixtureOptions {
  /** Number of components. Required. */
  components: number;
  /**
   * 'full' (each component's own covariance) or 'diagonal' (variances per dimension only:
   * fewer parameters per component, no correlations). Default: 'full'.
   */
  covariance?: (typeof MIXTURE_COVARIANCES)[number];
  /** EM iterations at most. Default: 200. */
  iterations?: number;
  /** Stop when the mean log-likelihood improves by less than this. Default: 1e-6. */
  tolerance?: number;
  /** Seed of the k-means++ start. Default: 0. */
  seed?: number;
  /**
   * Floor on each variance, as a fraction of that dimension's variance over all codes,
   * so that no component collapses onto a few codes (for 'full', added to the covariance's
   * diagonal). Default: 1e-3.
   */
  varianceFloor?: number;
}

/** The posterior means of every sample of `dataset`: [n, latentDim] row-major. */
export function encodeDataset(
  model: VariationalAutoencoder,
  dataset: Dataset,
  batchSize?: number,
): Float32Array {
  checkModelInput(model, dataset, 'encode');
  const size = checkBatchSize(batchSize, 'encodeDataset: batchSize');
  return runBatches(model, dataset, size, (x) => model.encode(x));
}

/**
 * The posterior q(z|x) of every sample of `dataset`: means and variances, each
 * [n, latentDim] row-major, as an {@link AggregatePosterior}.
 */
export function encodePosteriors(
  model: VariationalAutoencoder,
  dataset: Dataset,
  batchSize?: number,
): AggregatePosterior {
  checkModelInput(model, dataset, 'encode');
  const size = checkBatchSize(batchSize, 'encodePosteriors: batchSize');
  const d = model.config.latentDim;
  const joined = runBatches(model, dataset, size, (x) => {
    const { mu, logVar } = model.posterior(x);
    return cat([mu, logVar.exp()], 1); // [batch, 2 * latentDim]
  });
  const n = dataset.shape[0];
  const means = new Float64Array(n * d);
  const variances = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      means[i * d + j] = joined[i * 2 * d + j];
      variances[i * d + j] = joined[i * 2 * d + d + j];
    }
  }
  return { means, variances, latentDim: d, count: n };
}

/** The samples of `dataset` whose label is `label` (a class index), in order. */
export function samplesOfClass(dataset: Dataset, label: number): Dataset {
  const labels = dataset.labels;
  if (!labels) {
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: labels: expected labelled data to pick a class from, got none`,
    );
  }
  const chosen: number[] = [];
  labels.forEach((value, i) => value === label && chosen.push(i));
  if (chosen.length === 0) {
    const name = dataset.labelNames?.[label] ?? String(label);
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: labels: expected samples of class ${name}, got none`,
    );
  }
  return take(dataset, chosen);
}

/**
 * Fits a mixture of `components` Gaussians to codes `[n, latentDim]` by EM, each with its
 * own full covariance or, with `covariance: 'diagonal'`, its own variances per dimension.
 * Needs at least two codes per component.
 */
export function fitCodeMixture(
  codes: Float32Array | Float64Array,
  latentDim: number,
  options: MixtureOptions,
): CodeMixture {
  const d = checkInteger(latentDim, 'fitCodeMixture: latentDim', 1);
  const k = checkInteger(options?.components, 'fitCodeMixture: options.components', 1);
  const iterations = checkInteger(options.iterations ?? 200, 'fitCodeMixture: iterations', 1);
  const covariance = options.covariance ?? 'full';
  if (!MIXTURE_COVARIANCES.includes(covariance)) {
    throw new TypeError(invalid('fitCodeMixture: covariance', "'full' or 'diagonal'", covariance));
  }
  const tolerance = options.tolerance ?? 1e-6;
  const floorFraction = options.varianceFloor ?? 1e-3;
  const n = codes.length / d;
  if (!Number.isInteger(n) || n < 2 * k) {
    throw new AekitError(
      'BAD_INPUT',
      `fitCodeMixture: codes: expected at least ${2 * k} codes (two per component) of ` +
        `${d} values, got ${codes.length} values`,
    );
  }
  for (let i = 0; i < codes.length; i++) {
    if (!Number.isFinite(codes[i])) {
      throw new AekitError(
        'NOT_FINITE',
        `fitCodeMixture: codes: expected finite numbers, got ${codes[i]} at code ` +
          `${Math.floor(i / d)}`,
      );
    }
  }

  // Variance of each dimension over all codes, for the floor and the start.
  const globalMean = new Float64Array(d);
  const globalVariance = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) globalMean[j] += codes[i * d + j] / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) globalVariance[j] += (codes[i * d + j] - globalMean[j]) ** 2 / n;
  }
  const floor = globalVariance.map((v) => Math.max(v * floorFraction, 1e-12));
  const start = globalVariance.map((v, j) => Math.max(v, floor[j]));

  const means = kMeansPlusPlus(codes, n, d, k, new Xoshiro128(options.seed ?? 0, 17));
  const variances = new Float64Array(k * d);
  // 'full': each component's covariance as its Cholesky factor, starting diagonal.
  const scaleTrils = covariance === 'full' ? new Float64Array(k * d * d) : undefined;
  const restart = (c: number) => {
    variances.set(start, c * d);
    if (scaleTrils) {
      scaleTrils.fill(0, c * d * d, (c + 1) * d * d);
      for (let j = 0; j < d; j++) scaleTrils[c * d * d + j * d + j] = Math.sqrt(start[j]);
    }
  };
  for (let c = 0; c < k; c++) restart(c);
  const weights = new Float64Array(k).fill(1 / k);
  const responsibilities = new Float64Array(n * k);
  const density = new ComponentDensity(d);

  let previous = -Infinity;
  let logLikelihood = -Infinity;
  for (let iteration = 0; iteration < iterations; iteration++) {
    // E step: responsibilities from log densities, normalised with log-sum-exp.
    for (let c = 0; c < k; c++) {
      density.set(means, variances, scaleTrils, c);
      const logWeight = Math.log(weights[c]);
      for (let i = 0; i < n; i++) {
        responsibilities[i * k + c] = logWeight + density.logDensity(codes, i);
      }
    }
    let total = 0;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, responsibilities[i * k + c]);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(responsibilities[i * k + c] - max);
      const logSum = max + Math.log(sum);
      total += logSum;
      for (let c = 0; c < k; c++) {
        responsibilities[i * k + c] = Math.exp(responsibilities[i * k + c] - logSum);
      }
    }
    logLikelihood = total / n;

    // M step: weights, means and floored (co)variances from the responsibilities.
    for (let c = 0; c < k; c++) {
      let mass = 0;
      for (let i = 0; i < n; i++) mass += responsibilities[i * k + c];
      // A component that lost every code restarts on the worst-explained code.
      if (mass < 1e-8) {
        const worst = worstExplained(responsibilities, n, k);
        means.set(codes.subarray(worst * d, (worst + 1) * d), c * d);
        restart(c);
        weights[c] = 1 / n;
        continue;
      }
      weights[c] = mass / n;
      const mean = means.subarray(c * d, (c + 1) * d).fill(0);
      for (let i = 0; i < n; i++) {
        const r = responsibilities[i * k + c] / mass;
        for (let j = 0; j < d; j++) mean[j] += r * codes[i * d + j];
      }
      const scatter = weightedScatter(codes, n, d, responsibilities, k, c, mean, !scaleTrils);
      for (let j = 0; j < d; j++) {
        const variance = scatter[j * d + j] / mass;
        variances[c * d + j] = scaleTrils ? variance + floor[j] : Math.max(variance, floor[j]);
      }
      if (scaleTrils) {
        for (let j = 0; j < d; j++) {
          for (let m = 0; m <= j; m++) scatter[j * d + m] /= mass;
          scatter[j * d + j] += floor[j];
        }
        scaleTrils.set(choleskyFactor(scatter, d), c * d * d);
      }
    }
    const weightSum = weights.reduce((a, b) => a + b, 0);
    for (let c = 0; c < k; c++) weights[c] /= weightSum;
    if (Math.abs(logLikelihood - previous) < tolerance) break;
    previous = logLikelihood;
  }
  return {
    weights,
    means,
    variances,
    covariance,
    ...(scaleTrils ? { scaleTrils } : {}),
    latentDim: d,
    count: n,
    logLikelihood,
  };
}

/**
 * The lower triangle of sum_i r_i (x_i - mean)(x_i - mean)^T over the codes, r_i being
 * their responsibilities for component `c`: [d, d] row-major (the upper triangle left 0).
 * `diagonalOnly` computes the diagonal alone.
 */
function weightedScatter(
  codes: Float32Array | Float64Array,
  n: number,
  d: number,
  responsibilities: Float64Array,
  k: number,
  c: number,
  mean: Float64Array,
  diagonalOnly: boolean,
): Float64Array {
  const scatter = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const r = responsibilities[i * k + c];
    if (r < 1e-12) continue;
    for (let j = 0; j < d; j++) centred[j] = codes[i * d + j] - mean[j];
    for (let j = 0; j < d; j++) {
      const rj = r * centred[j];
      if (diagonalOnly) {
        scatter[j * d + j] += rj * centred[j];
        continue;
      }
      for (let m = 0; m <= j; m++) scatter[j * d + m] += rj * centred[m];
    }
  }
  return scatter;
}

/**
 * The lower Cholesky factor of a symmetric positive definite matrix given by its lower
 * triangle ([d, d] row-major). Were rounding to leave a pivot at or below zero, the
 * diagonal is raised by a little more each time until none is.
 */
function choleskyFactor(lower: Float64Array, d: number): Float64Array {
  let trace = 0;
  for (let j = 0; j < d; j++) trace += lower[j * d + j];
  for (let jitter = 0; ; jitter = jitter === 0 ? 1e-10 * (trace / d) : jitter * 10) {
    const l = new Float64Array(d * d);
    let positive = true;
    for (let j = 0; j < d && positive; j++) {
      for (let m = 0; m <= j; m++) {
        let sum = lower[j * d + m] + (j === m ? jitter : 0);
        for (let p = 0; p < m; p++) sum -= l[j * d + p] * l[m * d + p];
        if (j === m) {
          if (!(sum > 0)) positive = false;
          l[j * d + j] = Math.sqrt(sum);
        } else {
          l[j * d + m] = sum / l[m * d + m];
        }
      }
    }
    if (positive) return l;
  }
}

/** The log density of one mixture component at codes, its factor computed once. */
class ComponentDensity {
  private readonly d: number;
  private readonly centred: Float64Array;
  private mean: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private variances: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private scaleTril: Float64Array<ArrayBufferLike> | undefined;
  private constant = 0;

  constructor(d: number) {
    this.d = d;
    this.centred = new Float64Array(d);
  }

  /** Component `c` of a mixture's parameters. */
  set(
    means: Float64Array,
    variances: Float64Array,
    scaleTrils: Float64Array | undefined,
    c: number,
  ): void {
    const d = this.d;
    this.mean = means.subarray(c * d, (c + 1) * d);
    this.variances = variances.subarray(c * d, (c + 1) * d);
    this.scaleTril = scaleTrils?.subarray(c * d * d, (c + 1) * d * d);
    let logDeterminant = 0;
    for (let j = 0; j < d; j++) {
      logDeterminant += this.scaleTril
        ? 2 * Math.log(this.scaleTril[j * d + j])
        : Math.log(this.variances[j]);
    }
    this.constant = -0.5 * (logDeterminant + d * Math.log(2 * Math.PI));
  }

  /** log N(code i; mean, covariance). */
  logDensity(codes: Float32Array | Float64Array, i: number): number {
    const d = this.d;
    const y = this.centred;
    let squared = 0;
    if (!this.scaleTril) {
      for (let j = 0; j < d; j++) {
        const difference = codes[i * d + j] - this.mean[j];
        squared += (difference * difference) / this.variances[j];
      }
      return this.constant - 0.5 * squared;
    }
    // Forward substitution: L y = x - mean, so that |y|^2 is the Mahalanobis distance.
    const l = this.scaleTril;
    for (let j = 0; j < d; j++) {
      let sum = codes[i * d + j] - this.mean[j];
      for (let m = 0; m < j; m++) sum -= l[j * d + m] * y[m];
      y[j] = sum / l[j * d + j];
      squared += y[j] * y[j];
    }
    return this.constant - 0.5 * squared;
  }
}

/**
 * `n` codes drawn from a mixture: [n, latentDim]. Repeatable by `seed`. A `temperature`
 * below 1 draws closer to the component means (each standard deviation times it).
 */
export function sampleMixture(mixture: CodeMixture, n: number, seed = 0, temperature = 1): Tensor {
  checkInteger(n, 'sampleMixture: n', 1);
  checkNumber(temperature, 'sampleMixture: temperature', 0);
  const cumulative = new Float64Array(mixture.weights.length);
  let sum = 0;
  mixture.weights.forEach((w, c) => (cumulative[c] = sum += w));
  const pick = (random: Xoshiro128) => {
    const u = random.next() * sum;
    const c = cumulative.findIndex((edge) => u < edge);
    return c < 0 ? cumulative.length - 1 : c;
  };
  return drawComponents(mixture, n, new Xoshiro128(seed, 23), pick, temperature);
}

/**
 * `n` codes [n, latentDim], each from the Gaussian `pick` chooses: a mean plus `temperature`
 * times its Cholesky factor (or, diagonal, its standard deviations) times standard normal
 * draws.
 */
function drawComponents(
  components: {
    means: Float64Array;
    variances: Float64Array;
    scaleTrils?: Float64Array;
    latentDim: number;
  },
  n: number,
  random: Xoshiro128,
  pick: (random: Xoshiro128) => number,
  temperature: number,
): Tensor {
  const { means, variances, scaleTrils, latentDim: d } = components;
  const out = new Float32Array(n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const c = pick(random);
    for (let j = 0; j < d; j++) z[j] = standardNormal(random);
    for (let j = 0; j < d; j++) {
      let offset = 0;
      if (scaleTrils) {
        const row = (c * d + j) * d;
        for (let m = 0; m <= j; m++) offset += scaleTrils[row + m] * z[m];
      } else {
        offset = Math.sqrt(variances[c * d + j]) * z[j];
      }
      out[i * d + j] = means[c * d + j] + temperature * offset;
    }
  }
  return tensor(out, { shape: [n, d] });
}

/**
 * `n` codes drawn from an aggregate posterior: [n, latentDim]. Each picks an example
 * uniformly and draws from its posterior. Repeatable by `seed`. A `temperature` below 1
 * draws closer to the examples' posterior means (each standard deviation times it; at 0,
 * the codes of the examples themselves).
 *
 * Limitation: each draw comes from one example's posterior, never from between examples, so
 * with a VAE trained with a small KL weight (narrow posteriors) the samples are variations of
 * single examples, close to copies when the posteriors are very narrow.
 */
export function sampleAggregatePosterior(
  posterior: AggregatePosterior,
  n: number,
  seed = 0,
  temperature = 1,
): Tensor {
  checkInteger(n, 'sampleAggregatePosterior: n', 1);
  checkNumber(temperature, 'sampleAggregatePosterior: temperature', 0);
  const pick = (random: Xoshiro128) => random.int(posterior.count);
  return drawComponents(posterior, n, new Xoshiro128(seed, 29), pick, temperature);
}

/**
 * Fits the code distribution of `examples` (see {@link FitExamplesOptions.distribution}):
 * one full Gaussian by default, a mixture of `components` diagonal Gaussians, or their
 * aggregate posterior.
 *
 * @example
 * ```ts
 * const sevens = samplesOfClass(digits, 7);
 * const distribution = fitExamples(vae, sevens, { distribution: 'posterior' });
 * const images = generateFrom(vae, distribution, 64); // [64, 1, 28, 28]
 * disposeDistribution(distribution);
 * ```
 */
export function fitExamples(
  model: VariationalAutoencoder,
  examples: Dataset,
  options: FitExamplesOptions = {},
): CodeDistribution {
  const given = options.components;
  if (given !== undefined) checkInteger(given, 'fitExamples: components', 1);
  const kind = options.distribution ?? (given !== undefined && given > 1 ? 'mixture' : 'gaussian');
  if (!CODE_DISTRIBUTIONS.includes(kind)) {
    const choices = CODE_DISTRIBUTIONS.map((c) => `'${c}'`).join(', ');
    throw new TypeError(invalid('fitExamples: distribution', `one of ${choices}`, kind));
  }
  if (kind !== 'mixture' && given !== undefined && given !== 1) {
    throw new AekitError(
      'BAD_INPUT',
      `fitExamples: components: expected 1 or none for the ${kind} distribution (components ` +
        `are for 'mixture'), got ${given}`,
    );
  }
  if (kind !== 'mixture' && options.covariance !== undefined) {
    throw new AekitError(
      'BAD_INPUT',
      `fitExamples: covariance: expected none for the ${kind} distribution (it is for ` +
        `'mixture'), got '${options.covariance}'`,
    );
  }
  if (kind === 'posterior') {
    return { kind, posterior: encodePosteriors(model, examples, options.batchSize) };
  }
  const components = kind === 'mixture' ? (given ?? 5) : 1;
  const codes = encodeDataset(model, examples, options.batchSize);
  const d = model.config.latentDim;
  if (kind === 'gaussian') {
    if (examples.shape[0] < 2) {
      throw new AekitError(
        'BAD_INPUT',
        `${examples.source}: examples: expected at least 2 to fit a code distribution, got ` +
          `${examples.shape[0]}`,
      );
    }
    const gaussian = tidy(() => fitCodeGaussian(tensor(codes, { shape: [codes.length / d, d] })));
    return { kind: 'gaussian', gaussian };
  }
  const mixture = fitCodeMixture(codes, d, {
    components,
    seed: options.seed,
    covariance: options.covariance,
  });
  return { kind: 'mixture', mixture };
}

/**
 * Samples `n` codes from a fitted distribution and decodes them: [n, ...inputShape]. A
 * `temperature` below 1 scales the spread of the codes around the mean (the truncation
 * trade: samples more typical of the examples, less varied); for a mixture or the aggregate
 * posterior, around each component's mean. Default 1.
 */
export function generateFrom(
  model: VariationalAutoencoder,
  distribution: CodeDistribution,
  n: number,
  seed = 0,
  temperature = 1,
): Tensor {
  checkInteger(n, 'generateFrom: n', 1);
  checkNumber(temperature, 'generateFrom: temperature', 0);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() =>
      tidy(() => {
        let codes: Tensor;
        if (distribution.kind === 'gaussian') {
          const { mean } = distribution.gaussian;
          codes = sampleCodes(distribution.gaussian, n, new Generator(seed)); // [n, latentDim]
          if (temperature !== 1) codes = codes.sub(mean).mul(temperature).add(mean);
        } else if (distribution.kind === 'posterior') {
          codes = sampleAggregatePosterior(distribution.posterior, n, seed, temperature);
        } else {
          codes = sampleMixture(distribution.mixture, n, seed, temperature);
        }
        return model.decode(codes);
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

/** Frees the tensors a fitted distribution holds (a Gaussian's mean and factor). */
export function disposeDistribution(distribution: CodeDistribution): void {
  if (distribution.kind === 'gaussian') {
    distribution.gaussian.mean.dispose();
    distribution.gaussian.scaleTril.dispose();
  }
}

/** The code whose largest responsibility is smallest. */
function worstExplained(responsibilities: Float64Array, n: number, k: number): number {
  let worst = 0;
  let lowest = Infinity;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 0; c < k; c++) best = Math.max(best, responsibilities[i * k + c]);
    if (best < lowest) {
      lowest = best;
      worst = i;
    }
  }
  return worst;
}

/** k-means++ seeding: each next centre drawn with probability proportional to D(x)^2. */
function kMeansPlusPlus(
  codes: Float32Array | Float64Array,
  n: number,
  d: number,
  k: number,
  random: Xoshiro128,
): Float64Array {
  const centres = new Float64Array(k * d);
  const first = random.int(n);
  centres.set(codes.subarray(first * d, (first + 1) * d), 0);
  const nearest = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      let distance = 0;
      for (let j = 0; j < d; j++) distance += (codes[i * d + j] - centres[(c - 1) * d + j]) ** 2;
      nearest[i] = Math.min(nearest[i], distance);
      total += nearest[i];
    }
    let u = random.next() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= nearest[i];
      if (u < 0) {
        pick = i;
        break;
      }
    }
    centres.set(codes.subarray(pick * d, (pick + 1) * d), c * d);
  }
  return centres;
}

/** A standard normal draw (Box-Muller). */
function standardNormal(random: Xoshiro128): number {
  const u = 1 - random.next(); // (0, 1]
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
