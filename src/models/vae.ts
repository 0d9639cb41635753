/**
 * Variational autoencoders (Kingma & Welling, "Auto-Encoding Variational Bayes", 2014):
 * the encoder gives a diagonal Gaussian posterior q(z|x), the decoder a likelihood p(x|z),
 * and training maximises the evidence lower bound (ELBO) with the reparameterisation
 * trick. With a Gaussian likelihood the decoder's scale is one learned parameter shared by
 * every value (a calibrated decoder, Rybkin et al., "Simple and Effective VAE Training with
 * Calibrated Decoders", 2021), so the ELBO is a real bound in nats.
 */
import { Generator, Tensor, cat, randn, randnLike, zeros } from '../engine/index.js';
import { Flatten, Linear, Sequential, Unflatten } from '../nn/index.js';
import { Autoencoder, LossContext, LossTerms, reconstructionTerm } from './autoencoder.js';
import { VaeConfig } from './config.js';
import {
  ConvGeometry,
  convDecoderBody,
  convEncoderBody,
  convGeometry,
  cropImages,
  padImages,
} from './conv.js';
import { activation, mlp, sizeOf } from './layers.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** The posterior of each sample: mean and log-variance, [batch, latentDim] each. */
export interface Posterior {
  mu: Tensor;
  logVar: Tensor;
}

export class VariationalAutoencoder extends Autoencoder {
  readonly config: Required<VaeConfig>;
  readonly encoder: Sequential;
  readonly toMu: Linear;
  readonly toLogVar: Linear;
  readonly decoder: Sequential;
  readonly geometry: ConvGeometry | null;
  /** log sigma of the Gaussian likelihood (Gaussian likelihood only). */
  readonly logScale: Tensor | null;

  constructor(config: Required<VaeConfig>) {
    super();
    this.config = config;
    const encoder = new Sequential();
    const decoder = new Sequential();
    let featureSize: number;
    if (config.body === 'conv') {
      this.geometry = convGeometry(config.inputShape, config.channels, 'pad');
      const body = {
        inChannels: config.inputShape[0],
        channels: config.channels,
        kernelSize: 3,
        activation: config.activation,
        downsample: 'stride' as const,
        upsample: 'transpose' as const,
      };
      featureSize = sizeOf(this.geometry.feature);
      for (const layer of convEncoderBody(body).children()) encoder.append(layer);
      encoder.append(new Flatten());
      decoder
        .append(new Linear(config.latentDim, featureSize))
        .append(activation(config.activation));
      decoder.append(new Unflatten(1, this.geometry.feature));
      for (const layer of convDecoderBody(body).children()) decoder.append(layer);
    } else {
      this.geometry = null;
      const sizes = [sizeOf(config.inputShape), ...config.hidden];
      featureSize = sizes[sizes.length - 1];
      for (const layer of mlp(sizes, config.activation, true).children()) encoder.append(layer);
      const back = [config.latentDim, ...[...sizes].reverse()];
      for (const layer of mlp(back, config.activation).children()) decoder.append(layer);
    }
    this.encoder = this.registerModule('encoder', encoder);
    this.toMu = this.registerModule('to_mu', new Linear(featureSize, config.latentDim));
    this.toLogVar = this.registerModule('to_logvar', new Linear(featureSize, config.latentDim));
    this.decoder = this.registerModule('decoder', decoder);
    this.logScale =
      config.likelihood === 'gaussian' ? this.registerParameter('log_scale', zeros([1])) : null;
  }

  /** q(z|x): mean and log-variance, the log-variance clamped to stay finite. */
  posterior(x: Tensor): Posterior {
    const input = this.geometry ? padImages(x, this.geometry) : x.flatten(1);
    const features = this.encoder.forward(input); // [batch, featureSize]
    const limit = this.config.logVarLimit;
    return {
      mu: this.toMu.forward(features), // [batch, latentDim]
      logVar: this.toLogVar.forward(features).clamp(-limit, limit), // [batch, latentDim]
    };
  }

  encode(x: Tensor): Tensor {
    return this.posterior(x).mu;
  }

  decodeRaw(z: Tensor): Tensor {
    const out = this.decoder.forward(z);
    if (this.geometry) return cropImages(out, this.geometry, this.config.inputShape);
    return out.reshape([-1, ...this.config.inputShape]);
  }

  /** z = mu + sigma * eps, eps ~ N(0, I) (the reparameterisation trick). */
  samplePosterior(posterior: Posterior, generator?: Generator): Tensor {
    // [batch, latentDim]
    const eps = generator ? randn(posterior.mu.shape, { generator }) : randnLike(posterior.mu);
    return posterior.logVar.mul(0.5).exp().mul(eps).add(posterior.mu);
  }

  /** Samples from the prior N(0, I), decoded: [n, ...inputShape]. */
  sample(n: number, generator?: Generator): Tensor {
    const z = randn([n, this.config.latentDim], { generator });
    return this.decode(z);
  }

  /** -log p(x|z) per sample, in nats: [batch]. */
  negativeLogLikelihood(raw: Tensor, target: Tensor): Tensor {
    if (this.config.likelihood === 'bernoulli') return reconstructionTerm(raw, target, 'bernoulli');
    // Gaussian with scale sigma = exp(logScale), per value:
    // 0.5 (x - mu)^2 / sigma^2 + log sigma + log(2 pi) / 2
    const logScale = this.logScale as Tensor;
    const squared = reconstructionTerm(raw, target, 'gaussian'); // [batch]
    const size = this.sampleSize;
    return squared
      .mul(logScale.mul(-2).exp())
      .mul(0.5)
      .add(logScale.mul(size))
      .add(0.5 * LOG_2PI * size);
  }

  /** The KL weight at this point of training: beta, ramped up over the warm-up epochs. */
  klWeight(context: LossContext): number {
    const warmup = this.config.klWarmupEpochs;
    if (warmup <= 0) return this.config.beta;
    return this.config.beta * Math.min(1, (context.epoch + context.progress) / warmup);
  }

  lossTerms(x: Tensor, target: Tensor, context: LossContext): LossTerms {
    const posterior = this.posterior(x);
    const z = this.samplePosterior(posterior);
    const reconstruction = this.negativeLogLikelihood(this.decodeRaw(z), target); // [batch]
    const klPerDim = klPerDimension(posterior); // [batch, latentDim]
    const kl = klPerDim.sum(1); // [batch]
    let penalised: Tensor = kl;
    if (this.config.freeBits > 0) {
      // Free bits: each dimension's batch-mean KL below the allowance costs nothing.
      const perDim = klPerDim.mean(0).clamp(this.config.freeBits, null).sum(); // []
      penalised = perDim.expand(kl.shape[0]);
    }
    const loss = reconstruction.add(penalised, this.klWeight(context)).mean();
    return { loss, terms: { reconstruction, kl } };
  }

  /** -ELBO per sample with one posterior sample, in nats: [batch]. */
  negativeElbo(x: Tensor, generator?: Generator): Tensor {
    const posterior = this.posterior(x);
    const z = this.samplePosterior(posterior, generator);
    const nll = this.negativeLogLikelihood(this.decodeRaw(z), x);
    return nll.add(klPerDimension(posterior).sum(1));
  }

  /**
   * Importance weights log p(x, z_k) - log q(z_k | x) for k posterior samples: [batch, k].
   * logmeanexp over k is the IWAE bound on log p(x) (Burda et al., "Importance Weighted
   * Autoencoders", 2016); k = 1 gives the ELBO.
   */
  logImportanceWeights(x: Tensor, k: number, generator?: Generator): Tensor {
    const posterior = this.posterior(x);
    const columns: Tensor[] = [];
    for (let i = 0; i < k; i++) {
      const eps = randn(posterior.mu.shape, { generator }); // [batch, latentDim]
      const std = posterior.logVar.mul(0.5).exp();
      const z = std.mul(eps).add(posterior.mu);
      const logLikelihood = this.negativeLogLikelihood(this.decodeRaw(z), x).neg(); // [batch]
      const logPrior = z.square().add(LOG_2PI).sum(1).mul(-0.5);
      const logPosterior = eps.square().add(LOG_2PI).add(posterior.logVar).sum(1).mul(-0.5);
      columns.push(logLikelihood.add(logPrior).sub(logPosterior).unsqueeze(1));
    }
    return cat(columns, 1);
  }
}

/** KL(q(z|x) || N(0, I)) per dimension: 0.5 (mu^2 + sigma^2 - 1 - log sigma^2). */
export function klPerDimension(posterior: Posterior): Tensor {
  const { mu, logVar } = posterior;
  return mu.square().add(logVar.exp()).sub(1).sub(logVar).mul(0.5); // [batch, latentDim]
}
