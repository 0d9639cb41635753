/**
 * The base of every autoencoder family: encode, decode, and the training loss as named
 * per-sample terms. Losses are summed over every value of a sample (pixels, features,
 * time steps) and then averaged over the batch, so they are in nats per sample for
 * likelihood terms; per-value figures are these divided by the sample size.
 */
import { F, Tensor } from '../engine/index.js';
import { Module } from '../nn/index.js';
import { Likelihood, ModelConfig } from './config.js';

/** Where training is, for terms whose weight changes over time (KL warm-up). */
export interface LossContext {
  /** Zero-based epoch. */
  epoch: number;
  /** Fraction of the epoch done, from 0 to 1. */
  progress: number;
}

/** The loss of one batch. */
export interface LossTerms {
  /** The scalar that training minimises: the batch mean of the weighted per-sample sum. */
  loss: Tensor;
  /** Each term per sample, unweighted, [batch]: e.g. reconstruction, kl, sparsity. */
  terms: Record<string, Tensor>;
}

export abstract class Autoencoder extends Module {
  abstract readonly config: Required<ModelConfig>;

  /** The code of each sample: [batch, latentDim] (a VAE returns the posterior mean). */
  abstract encode(x: Tensor): Tensor;

  /** The decoder's raw output, [batch, ...inputShape]: logits for a Bernoulli likelihood. */
  abstract decodeRaw(z: Tensor): Tensor;

  /** Reconstructions in data space from codes: [batch, ...inputShape]. */
  decode(z: Tensor): Tensor {
    const raw = this.decodeRaw(z);
    if (this.config.likelihood === 'gaussian') return raw;
    const values = raw.sigmoid();
    raw.dispose();
    return values;
  }

  /** decode(encode(x)). */
  reconstruct(x: Tensor): Tensor {
    const z = this.encode(x);
    const out = this.decode(z);
    z.dispose();
    return out;
  }

  forward(x: Tensor): Tensor {
    return this.reconstruct(x);
  }

  /** The loss of a batch: inputs `x` (possibly corrupted) against clean `target`. */
  abstract lossTerms(x: Tensor, target: Tensor, context: LossContext): LossTerms;

  /** Per-sample reconstruction error of `x` under the model's likelihood: [batch]. */
  reconstructionError(x: Tensor): Tensor {
    const z = this.encode(x);
    const raw = this.decodeRaw(z);
    const error = reconstructionTerm(raw, x, this.config.likelihood);
    z.dispose();
    raw.dispose();
    return error;
  }

  /** Number of values in one sample. */
  get sampleSize(): number {
    return this.config.inputShape.reduce((a, b) => a * b, 1);
  }
}

/**
 * The per-sample reconstruction term, summed over all values: [batch].
 * Bernoulli: binary cross-entropy from logits. Gaussian: squared error.
 */
export function reconstructionTerm(raw: Tensor, target: Tensor, likelihood: Likelihood): Tensor {
  const elementwise =
    likelihood === 'bernoulli'
      ? F.bceWithLogits(raw, target, 'none') // [batch, ...]
      : raw.sub(target).square();
  const perSample = elementwise.flatten(1).sum(1); // [batch]
  elementwise.dispose();
  return perSample;
}
