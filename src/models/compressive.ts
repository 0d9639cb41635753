/**
 * Compressive autoencoders: a learned lossy codec for images, trained on the rate-distortion
 * objective of Balle, Laparra and Simoncelli, "End-to-end optimized image compression"
 * (ICLR 2017):
 *
 *   loss = lambda * distortion + rate,
 *
 * per image, where the distortion is the squared error summed over the image's values and
 * the rate is the length in bits of its quantised latents under a learned prior, the
 * factorised density of {@link FactorizedDensity}. A larger lambda buys quality with bits:
 * one model per lambda gives a ladder of rates.
 *
 * Quantisation is rounding. Rounding has no useful gradient, so training relaxes it: the
 * rate is measured on the latents plus uniform noise on [-1/2, 1/2] (whose density is the
 * prior's bin probability, Balle et al. 2017), and the decoder sees either the same noisy
 * latents ('noise', as in Balle et al. 2017) or the rounded ones with the gradient passed
 * straight through ('round', as in Theis, Shi, Cunningham and Huszar, "Lossy image
 * compression with compressive autoencoders", ICLR 2017), which removes the mismatch
 * between what the decoder sees in training and at test. In evaluation mode the latents
 * are rounded and the rate is the prior's, so validation losses are those of the codec.
 */
import { AekitError, F, Tensor, full, randLike, tensor } from '../engine/index.js';
import {
  ConvTranspose2d,
  Conv2d,
  Flatten,
  Linear,
  Module,
  Sequential,
  Unflatten,
} from '../nn/index.js';
import { Autoencoder, LossContext, LossTerms, reconstructionTerm } from './autoencoder.js';
import { CompressiveConfig } from './config.js';
import { ConvGeometry, convGeometry, cropImages, padImages } from './conv.js';
import { FactorizedDensity } from './density.js';
import { activation, sizeOf } from './layers.js';

/**
 * Generalized divisive normalization (Balle, Laparra and Simoncelli, "Density modeling of
 * images using a generalized normalization transformation", ICLR 2016), per position:
 *
 *   y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2),
 *
 * and its approximate inverse (IGDN) with the product instead of the quotient. Beta and
 * gamma stay non-negative as squares of the stored parameters (a simpler
 * reparameterisation than the paper's); beta is at least 1e-6.
 */
export class GDN extends Module {
  readonly channels: number;
  /** Inverse GDN (a product) instead of GDN (a quotient). */
  readonly inverse: boolean;
  /** sqrt(beta - 1e-6): [channels]. */
  readonly beta: Tensor;
  /** sqrt(gamma): [channels, channels]. */
  readonly gamma: Tensor;

  constructor(channels: number, inverse = false) {
    super();
    this.channels = channels;
    this.inverse = inverse;
    this.beta = this.registerParameter('beta', full([channels], 1));
    // gamma starts at 0.1 on the diagonal: close to the identity map for small inputs.
    const eye = new Float32Array(channels * channels);
    for (let i = 0; i < channels; i++) eye[i * channels + i] = Math.sqrt(0.1);
    this.gamma = this.registerParameter('gamma', tensor(eye, { shape: [channels, channels] }));
  }

  /** [batch, channels, H, W] -> the same shape. */
  forward(x: Tensor): Tensor {
    const beta = this.beta.square().add(1e-6);
    // A per-position linear map over channels; as a 1x1 convolution its backward pass is
    // many times slower in libtorch on CPU.
    const squares = x.square().permute(0, 2, 3, 1); // [batch, H, W, C]
    const norm = F.linear(squares, this.gamma.square(), beta).permute(0, 3, 1, 2).sqrt();
    return this.inverse ? x.mul(norm) : x.div(norm);
  }
}

/**
 * A compressive autoencoder: analysis transform, rounding, a factorised prior over the
 * integers, synthesis transform. `encode` gives the rounded latents, `rate` their cost in
 * bits; the codec layer (`ImageCodec`) turns them into bytes.
 *
 * @example
 * ```ts
 * const model = buildModel({
 *   family: 'compressive', inputShape: [1, 28, 28], channels: [64, 32],
 *   denseBottleneck: false, latentDim: 32 * 7 * 7, lambda: 250,
 * });
 * train(model, dataset, { epochs: 10 }); // loss terms: distortion, rate
 * ```
 */
export class CompressiveAutoencoder extends Autoencoder {
  readonly config: Required<CompressiveConfig>;
  /** How the images pass through the stride-2 stages (padding, latent map size). */
  readonly geometry: ConvGeometry;
  /** The analysis transform: images -> continuous latents [batch, latentDim]. */
  readonly analysis: Sequential;
  /** The synthesis transform: latents [batch, latentDim] -> images (before cropping). */
  readonly synthesis: Sequential;
  /** The prior of the quantised latents, one density per latent element. */
  readonly prior: FactorizedDensity;

  constructor(config: Required<CompressiveConfig>) {
    super();
    this.config = config;
    this.geometry = convGeometry(config.inputShape, config.channels, 'pad');
    const featureSize = sizeOf(this.geometry.feature);
    if (!config.denseBottleneck && config.latentDim !== featureSize) {
      throw new AekitError(
        'BAD_INPUT',
        `config.latentDim: expected ${featureSize} (the last feature map, ` +
          `${this.geometry.feature.join('x')}) without a dense bottleneck, got ${config.latentDim}`,
      );
    }
    const inChannels = config.inputShape[0];
    const k = config.kernelSize;
    const pad = (k - 1) / 2;
    const stages = config.channels.length;
    const normalise = (channels: number, inverse: boolean): Module =>
      config.gdn ? new GDN(channels, inverse) : activation(config.activation);

    const analysis = new Sequential();
    let from = inChannels;
    config.channels.forEach((to, i) => {
      analysis.append(new Conv2d(from, to, k, { stride: 2, padding: pad }));
      // A map latent is the last convolution's output itself.
      if (i + 1 < stages || config.denseBottleneck) analysis.append(normalise(to, false));
      from = to;
    });
    if (config.denseBottleneck) {
      analysis.append(new Flatten()).append(new Linear(featureSize, config.latentDim));
    } else {
      analysis.append(new Flatten());
    }

    const synthesis = new Sequential();
    const last = config.channels[stages - 1];
    if (config.denseBottleneck) synthesis.append(new Linear(config.latentDim, featureSize));
    synthesis.append(new Unflatten(1, this.geometry.feature));
    if (config.denseBottleneck) synthesis.append(normalise(last, true));
    for (let i = stages - 1; i >= 0; i--) {
      const to = i > 0 ? config.channels[i - 1] : inChannels;
      const options = { stride: 2, padding: pad, outputPadding: 1 };
      synthesis.append(new ConvTranspose2d(config.channels[i], to, k, options));
      if (i > 0) synthesis.append(normalise(to, true));
    }

    this.analysis = this.registerModule('analysis', analysis);
    this.synthesis = this.registerModule('synthesis', synthesis);
    this.prior = this.registerModule(
      'prior',
      new FactorizedDensity(config.latentDim, config.densityFilters),
    );
  }

  /**
   * The latents as a map: [channels, height, width] of the last convolution, or [latentDim,
   * 1, 1] for a dense bottleneck. The codec's context tables take neighbours on it.
   */
  get latentShape(): [number, number, number] {
    const [c, h, w] = this.geometry.feature;
    return this.config.denseBottleneck ? [this.config.latentDim, 1, 1] : [c, h, w];
  }

  /** The continuous latents, before quantisation: [batch, latentDim]. */
  analyze(x: Tensor): Tensor {
    return this.analysis.forward(padImages(x, this.geometry));
  }

  /** The quantised code: the latents rounded to integers, [batch, latentDim]. */
  encode(x: Tensor): Tensor {
    return this.analyze(x).round();
  }

  decodeRaw(z: Tensor): Tensor {
    return cropImages(this.synthesis.forward(z), this.geometry, this.config.inputShape);
  }

  /** Bits of each sample's quantised code under the prior: [batch, latentDim] -> [batch]. */
  rate(code: Tensor): Tensor {
    return this.prior.bits(code);
  }

  /**
   * Per-sample terms: `distortion` (squared error summed over the image) and `rate` (bits).
   * The loss is the batch mean of lambda * distortion + rate.
   */
  lossTerms(x: Tensor, target: Tensor, _context: LossContext): LossTerms {
    const y = this.analyze(x); // [batch, latentDim]
    let rate: Tensor;
    let decoded: Tensor;
    if (this.training) {
      const noisy = y.add(randLike(y).sub(0.5)); // y + U(-1/2, 1/2)
      rate = this.prior.bits(noisy);
      decoded =
        this.config.decoderQuantization === 'noise' ? noisy : y.add(y.round().sub(y).detach());
    } else {
      decoded = y.round();
      rate = this.prior.bits(decoded);
    }
    const distortion = reconstructionTerm(this.decodeRaw(decoded), target, 'gaussian'); // [batch]
    const loss = distortion.mul(this.config.lambda).add(rate).mean();
    return { loss, terms: { distortion, rate } };
  }
}
