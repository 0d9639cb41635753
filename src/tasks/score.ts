/**
 * Anomaly scores: how badly a model trained on normal data explains each sample (a row of
 * a table, an image, a window of a series). The reconstruction error is the model's own
 * reconstruction term (binary cross-entropy for a Bernoulli likelihood, squared error for a
 * Gaussian one), summed over the sample; a VAE adds its negative evidence lower bound
 * (Kingma & Welling 2014), in nats. Higher means more anomalous.
 *
 * Thresholds and ROC/PR curves live in the metrics layer (`percentileThreshold`,
 * `contaminationThreshold`, `autoThreshold`, `rocAuc`, `prAuc`), which works on the plain
 * arrays returned here.
 */
import { AekitError, Generator, checkInteger } from '../engine/index.js';
import { Dataset } from '../data/index.js';
import { Autoencoder, isVae } from '../models/index.js';
import { checkBatchSize, checkModelInput, runBatches } from './batches.js';

/** The scores {@link anomalyScores} can compute. */
export type ScoreKind = 'reconstruction' | 'negative-elbo';

/** Options of {@link anomalyScores}. */
export interface ScoreOptions {
  /** Samples per batch. Default: 256. */
  batchSize?: number;
  /**
   * VAE only: posterior draws averaged for each sample's -ELBO; more draws give a less noisy
   * score at the cost of one decoder pass each. Default: 4.
   */
  elboSamples?: number;
  /** Seed of the VAE's posterior draws, so that scores repeat. Default: 0. */
  seed?: number;
}

/** Per-sample anomaly scores, one value per sample of the scored data. */
export interface AnomalyScores {
  /** Reconstruction error from the code (a VAE's posterior mean), summed over the sample. */
  reconstruction: Float64Array;
  /** VAE only: -ELBO in nats, averaged over `elboSamples` posterior draws. */
  negativeElbo?: Float64Array;
}

/**
 * Scores every sample of `dataset` with `model`.
 *
 * @example
 * ```ts
 * const { reconstruction } = anomalyScores(model, testSet);
 * const { threshold } = percentileThreshold(anomalyScores(model, trainSet).reconstruction, 99);
 * const flagged = reconstruction.map((s) => (s > threshold ? 1 : 0));
 * ```
 */
export function anomalyScores(
  model: Autoencoder,
  dataset: Dataset,
  options: ScoreOptions = {},
): AnomalyScores {
  checkModelInput(model, dataset, 'anomalyScores');
  const batchSize = checkBatchSize(options.batchSize, 'anomalyScores: options.batchSize');
  const elboSamples = checkInteger(options.elboSamples ?? 4, 'anomalyScores: elboSamples', 1);
  const seed = checkInteger(options.seed ?? 0, 'anomalyScores: options.seed', 0);

  const reconstruction = Float64Array.from(
    runBatches(model, dataset, batchSize, (x) => model.reconstructionError(x)),
  );
  checkScores(reconstruction, dataset, 'reconstruction error');
  if (!isVae(model)) return { reconstruction };

  // One generator for the whole pass, so the draws depend only on the seed and the order.
  const generator = new Generator(seed);
  const negativeElbo = Float64Array.from(
    runBatches(model, dataset, batchSize, (x) => {
      let total = model.negativeElbo(x, generator); // [batch]
      for (let draw = 1; draw < elboSamples; draw++) {
        total = total.add(model.negativeElbo(x, generator));
      }
      return total.div(elboSamples);
    }),
  );
  checkScores(negativeElbo, dataset, 'negative ELBO');
  return { reconstruction, negativeElbo };
}

/** The score of `kind` from `scores`, or an error saying which models have it. */
export function pickScore(scores: AnomalyScores, kind: ScoreKind, model: string): Float64Array {
  if (kind === 'reconstruction') return scores.reconstruction;
  if (!scores.negativeElbo) {
    throw new AekitError(
      'BAD_INPUT',
      `${model}: score: expected a VAE for the negative ELBO, got a model without one; use ` +
        "the 'reconstruction' score",
    );
  }
  return scores.negativeElbo;
}

/** A model can overflow on data far from its training data; such a score is no score. */
function checkScores(scores: Float64Array, dataset: Dataset, what: string): void {
  const bad = scores.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new AekitError(
      'NOT_FINITE',
      `${dataset.source}: ${what}: expected a finite score, got ${scores[bad]} for sample ${bad}`,
    );
  }
}
