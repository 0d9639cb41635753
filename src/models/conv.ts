/** Convolutional autoencoders for images, and the conv bodies the conv VAE shares. */
import { AekitError, Tensor } from '../engine/index.js';
import {
  Conv2d,
  ConvTranspose2d,
  Flatten,
  Linear,
  MaxPool2d,
  Sequential,
  Unflatten,
  Upsample,
} from '../nn/index.js';
import { Autoencoder, LossContext, LossTerms, reconstructionTerm } from './autoencoder.js';
import { ActivationName, ConvConfig } from './config.js';
import { activation } from './layers.js';

/** How images of one size pass through a stack of stride-2 stages. */
export interface ConvGeometry {
  /** Sides after padding to a multiple of 2^stages: [height, width]. */
  padded: [number, number];
  /** Zero padding [left, right, top, bottom] added to the input. */
  padding: [number, number, number, number];
  /** Feature map after the last stage: [channels, height, width]. */
  feature: [number, number, number];
}

/** Plans the padding and feature size; refuses sides that do not fit when asked to. */
export function convGeometry(
  inputShape: number[],
  channels: number[],
  sides: 'pad' | 'refuse',
): ConvGeometry {
  const [, height, width] = inputShape;
  const multiple = 2 ** channels.length;
  const fit = (n: number): number => Math.ceil(n / multiple) * multiple;
  if (sides === 'refuse' && (height % multiple !== 0 || width % multiple !== 0)) {
    throw new AekitError(
      'BAD_INPUT',
      `config.inputShape: sides ${height}x${width} are not a multiple of ${multiple} ` +
        `(2^${channels.length} stages); use sides 'pad' or resize to a multiple of ${multiple}`,
    );
  }
  const [h, w] = [fit(height), fit(width)];
  const top = Math.floor((h - height) / 2);
  const left = Math.floor((w - width) / 2);
  return {
    padded: [h, w],
    padding: [left, w - width - left, top, h - height - top],
    feature: [channels[channels.length - 1], h / multiple, w / multiple],
  };
}

/** Options of the conv encoder and decoder bodies. */
export interface ConvBodyOptions {
  inChannels: number;
  channels: number[];
  kernelSize: number;
  activation: ActivationName;
  downsample: 'stride' | 'pool';
  upsample: 'transpose' | 'nearest';
}

/** Stages that halve the sides: [batch, in, H, W] -> [batch, channels.at(-1), H/2^s, W/2^s]. */
export function convEncoderBody(o: ConvBodyOptions): Sequential {
  const body = new Sequential();
  const pad = (o.kernelSize - 1) / 2;
  let inChannels = o.inChannels;
  for (const out of o.channels) {
    if (o.downsample === 'stride') {
      body.append(new Conv2d(inChannels, out, o.kernelSize, { stride: 2, padding: pad }));
      body.append(activation(o.activation));
    } else {
      body.append(new Conv2d(inChannels, out, o.kernelSize, { padding: pad }));
      body.append(activation(o.activation));
      body.append(new MaxPool2d(2));
    }
    inChannels = out;
  }
  return body;
}

/** The mirror of {@link convEncoderBody}, ending in a conv to `inChannels` (raw output). */
export function convDecoderBody(o: ConvBodyOptions): Sequential {
  const body = new Sequential();
  const pad = (o.kernelSize - 1) / 2;
  const reversed = [...o.channels].reverse();
  for (let i = 0; i < reversed.length; i++) {
    const inChannels = reversed[i];
    const out = reversed[i + 1] ?? reversed[reversed.length - 1];
    if (o.upsample === 'transpose') {
      const options = { stride: 2, padding: pad, outputPadding: 1 };
      body.append(new ConvTranspose2d(inChannels, out, o.kernelSize, options));
      body.append(activation(o.activation));
    } else {
      body.append(new Conv2d(inChannels, out, o.kernelSize, { padding: pad }));
      body.append(activation(o.activation));
      body.append(new Upsample({ scaleFactor: 2, mode: 'nearest' }));
    }
  }
  body.append(new Conv2d(o.channels[0], o.inChannels, o.kernelSize, { padding: pad }));
  return body;
}

/** Zero-pads images to the planned size: [batch, C, H, W] -> [batch, C, H', W']. */
export function padImages(x: Tensor, geometry: ConvGeometry): Tensor {
  return geometry.padding.some((p) => p > 0) ? x.pad(geometry.padding) : x;
}

/** Crops padded outputs back to the input size. */
export function cropImages(y: Tensor, geometry: ConvGeometry, inputShape: number[]): Tensor {
  const [left, , top] = geometry.padding;
  if (geometry.padding.every((p) => p === 0)) return y;
  return y.narrow(2, top, inputShape[1]).narrow(3, left, inputShape[2]);
}

export class ConvAutoencoder extends Autoencoder {
  readonly config: Required<ConvConfig>;
  readonly geometry: ConvGeometry;
  readonly encoder: Sequential;
  readonly decoder: Sequential;

  constructor(config: Required<ConvConfig>) {
    super();
    this.config = config;
    this.geometry = convGeometry(config.inputShape, config.channels, config.sides);
    const body = { ...config, inChannels: config.inputShape[0] };
    const featureSize = this.geometry.feature.reduce((a, b) => a * b, 1);
    const encoder = convEncoderBody(body);
    const decoder = new Sequential();
    if (config.denseBottleneck) {
      encoder.append(new Flatten()).append(new Linear(featureSize, config.latentDim));
      decoder.append(new Linear(config.latentDim, featureSize));
      decoder.append(activation(config.activation));
    } else if (config.latentDim !== featureSize) {
      throw new AekitError(
        'BAD_INPUT',
        `config.latentDim: expected ${featureSize} (the last feature map, ` +
          `${this.geometry.feature.join('x')}) without a dense bottleneck, got ${config.latentDim}`,
      );
    } else {
      encoder.append(new Flatten());
    }
    decoder.append(new Unflatten(1, this.geometry.feature));
    for (const layer of convDecoderBody(body).children()) decoder.append(layer);
    this.encoder = this.registerModule('encoder', encoder);
    this.decoder = this.registerModule('decoder', decoder);
  }

  encode(x: Tensor): Tensor {
    return this.encoder.forward(padImages(x, this.geometry)); // [batch, latentDim]
  }

  decodeRaw(z: Tensor): Tensor {
    return cropImages(this.decoder.forward(z), this.geometry, this.config.inputShape);
  }

  lossTerms(x: Tensor, target: Tensor, _context: LossContext): LossTerms {
    const raw = this.decodeRaw(this.encode(x));
    const reconstruction = reconstructionTerm(raw, target, this.config.likelihood);
    return { loss: reconstruction.mean(), terms: { reconstruction } };
  }
}
