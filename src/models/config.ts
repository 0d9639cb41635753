/**
 * Model configurations: plain JSON objects that say which autoencoder to build. A model
 * file stores its config, and `buildModel(config)` rebuilds the same architecture.
 */
import {
  AekitError,
  checkInteger,
  checkNumber,
  checkType,
  describe,
  invalid,
} from '../engine/index.js';
import { type MapConfig, resolveMapConfig } from './map.js';

/** Hidden-layer nonlinearities. */
export type ActivationName = 'relu' | 'leaky_relu' | 'elu' | 'gelu' | 'silu' | 'tanh' | 'sigmoid';

/**
 * How reconstructions are scored, per sample, summed over every value:
 * - `bernoulli`: binary cross-entropy computed from logits (data in [0, 1]); the decoder's
 *   output passes through a sigmoid to give reconstructions.
 * - `gaussian`: squared error (a Gaussian likelihood with unit variance, up to constants),
 *   for data of any range; the decoder output is the reconstruction.
 */
export type Likelihood = 'bernoulli' | 'gaussian';

/** Sparsity penalty on the code of a dense autoencoder. */
export type Sparsity =
  /** weight * sum |code| per sample. */
  | { kind: 'l1'; weight: number }
  /**
   * weight * sum KL(target || mean activation) over code units, with sigmoid codes
   * (Ng, "Sparse autoencoder" lecture notes, 2011).
   */
  | { kind: 'kl'; target: number; weight: number };

interface CommonConfig {
  /** Shape of one sample: [features], [channels, height, width] or [channels, window]. */
  inputShape: number[];
  /** Size of the code. */
  latentDim: number;
  /** How reconstructions are scored. Default: 'bernoulli' ('gaussian' for sequences). */
  likelihood?: Likelihood;
  /** Hidden nonlinearity. Default: 'relu'. */
  activation?: ActivationName;
}

/** A dense (fully connected) autoencoder: input -> hidden... -> latent -> ...hidden -> input. */
export interface DenseConfig extends CommonConfig {
  family: 'dense';
  /** Hidden layer sizes of the encoder; the decoder mirrors them. Default: []. */
  hidden?: number[];
  /** Sparsity penalty on the code. Default: none. */
  sparsity?: Sparsity;
}

/**
 * A convolutional autoencoder for [channels, height, width] images. Each stage halves the
 * sides: a 3x3 convolution then a 2x2 max-pool ('pool'), or a stride-2 convolution
 * ('stride'). The decoder mirrors it with nearest upsampling + convolution ('nearest') or
 * stride-2 transposed convolutions ('transpose').
 */
export interface ConvConfig extends CommonConfig {
  family: 'conv';
  /** Channels of each down-sampling stage, e.g. [32, 64]. */
  channels: number[];
  /** Default: 3. */
  kernelSize?: number;
  /** Default: 'stride'. */
  downsample?: 'stride' | 'pool';
  /** Default: 'transpose'. */
  upsample?: 'transpose' | 'nearest';
  /**
   * A dense bottleneck of `latentDim` after the last stage (true), or the last feature map
   * itself as the code (false; then latentDim must equal its size). Default: true.
   */
  denseBottleneck?: boolean;
  /**
   * Sides that are not a multiple of 2^stages: 'pad' zero-pads the input and crops the
   * output back; 'refuse' is an error naming the multiple. Default: 'pad'.
   */
  sides?: 'pad' | 'refuse';
}

/** A variational autoencoder (Kingma & Welling, 2014) with a dense or convolutional body. */
export interface VaeConfig extends CommonConfig {
  family: 'vae';
  /** Body of encoder and decoder. Default: 'dense'. */
  body?: 'dense' | 'conv';
  /** Dense body: hidden sizes. Default: [512, 256]. */
  hidden?: number[];
  /** Conv body: channels per stage. Default: [32, 64]. */
  channels?: number[];
  /** Weight of the KL term (beta-VAE, Higgins et al. 2017). Default: 1. */
  beta?: number;
  /** Epochs over which the KL weight rises linearly from 0 to beta. Default: 0. */
  klWarmupEpochs?: number;
  /**
   * Free bits per latent dimension (Kingma et al. 2016, "Improved variational inference
   * with inverse autoregressive flow"): KL below this many nats per dim is not penalised.
   * Default: 0.
   */
  freeBits?: number;
  /** The log-variance is clamped to [-limit, limit] to stay finite. Default: 10. */
  logVarLimit?: number;
}

/** A sequence autoencoder for windows [channels, window] of a time series. */
export interface SequenceConfig extends CommonConfig {
  family: 'sequence';
  /** LSTM encoder/decoder, or 1-D convolutions. Default: 'lstm'. */
  kind?: 'lstm' | 'conv1d';
  /** LSTM hidden size, or channels of each Conv1D stage. Default: 64 / [32, 64]. */
  hidden?: number;
  channels?: number[];
}

/**
 * A compressive autoencoder for [channels, height, width] images (see
 * `CompressiveAutoencoder`): stride-2 convolutions with GDN, quantised latents with a learned
 * factorised prior, trained on lambda * distortion + rate. Its likelihood is 'gaussian'.
 */
export interface CompressiveConfig extends CommonConfig {
  family: 'compressive';
  /** Channels of each stride-2 analysis stage; the synthesis mirrors them. Default: [64, 64]. */
  channels?: number[];
  /** Default: 5. */
  kernelSize?: number;
  /**
   * A dense latent of `latentDim` after the last stage (true), or the last feature map
   * itself (false; then latentDim must equal its size). Default: true.
   */
  denseBottleneck?: boolean;
  /** GDN / inverse GDN between stages (true) or `activation` (false). Default: true. */
  gdn?: boolean;
  /**
   * Weight of the distortion (squared error summed per image, values in the data's units)
   * against the rate in bits: the quality knob. Default: 100.
   */
  lambda?: number;
  /** Hidden widths of each latent element's density network. Default: [3, 3, 3]. */
  densityFilters?: number[];
  /**
   * What the decoder sees in training: the rounded latents with a straight-through
   * gradient ('round') or the latents plus uniform noise ('noise'). Default: 'round'.
   */
  decoderQuantization?: 'round' | 'noise';
}

export type ModelConfig =
  DenseConfig | ConvConfig | VaeConfig | SequenceConfig | CompressiveConfig | MapConfig;
export type Family = ModelConfig['family'];

const FAMILIES: Family[] = ['dense', 'conv', 'vae', 'sequence', 'compressive', 'map'];
const ACTIVATIONS: ActivationName[] = [
  'relu',
  'leaky_relu',
  'elu',
  'gelu',
  'silu',
  'tanh',
  'sigmoid',
];

function checkSizes(value: unknown, what: string, allowEmpty: boolean): number[] {
  checkType(Array.isArray(value), what, 'an array of positive integers', value);
  const sizes = value as unknown[];
  if (!allowEmpty && sizes.length === 0) {
    throw new RangeError(invalid(what, 'at least one size', value));
  }
  return sizes.map((size, i) => checkInteger(size, `${what}[${i}]`, 1));
}

function checkChoice<T extends string>(value: unknown, what: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new TypeError(invalid(what, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value));
  }
  return value as T;
}

/**
 * Checks a config and returns a copy with every default filled in, so that a stored config
 * always rebuilds the same model even if defaults change later.
 */
export function resolveConfig(config: unknown): Required<ModelConfig> {
  checkType(typeof config === 'object' && config !== null, 'config', 'an object', config);
  const c = config as Record<string, unknown>;
  const family = checkChoice(c.family, 'config.family', FAMILIES);
  const inputShape = checkSizes(c.inputShape, 'config.inputShape', false);
  const latentDim = checkInteger(c.latentDim, 'config.latentDim', 1);
  // Series are standardised, so their default likelihood is Gaussian; images are in [0, 1].
  // A compressive model's distortion is squared error, whatever the data.
  const defaultLikelihood =
    family === 'sequence' || family === 'compressive' ? 'gaussian' : 'bernoulli';
  const likelihood = checkChoice(c.likelihood ?? defaultLikelihood, 'config.likelihood', [
    'bernoulli',
    'gaussian',
  ] as const);
  const activation = checkChoice(c.activation ?? 'relu', 'config.activation', ACTIVATIONS);
  const common = { inputShape, latentDim, likelihood, activation };

  switch (family) {
    case 'dense':
      return {
        family,
        ...common,
        hidden: checkSizes(c.hidden ?? [], 'config.hidden', true),
        // Left out when absent, so that the config stays plain JSON.
        ...(c.sparsity === undefined || c.sparsity === null
          ? {}
          : { sparsity: checkSparsity(c.sparsity) }),
      } as Required<DenseConfig>;
    case 'conv': {
      requireImage(inputShape, 'conv');
      return {
        family,
        ...common,
        channels: checkSizes(c.channels, 'config.channels', false),
        kernelSize: checkOdd(c.kernelSize ?? 3, 'config.kernelSize'),
        downsample: checkChoice(c.downsample ?? 'stride', 'config.downsample', [
          'stride',
          'pool',
        ] as const),
        upsample: checkChoice(c.upsample ?? 'transpose', 'config.upsample', [
          'transpose',
          'nearest',
        ] as const),
        denseBottleneck: checkBool(c.denseBottleneck ?? true, 'config.denseBottleneck'),
        sides: checkChoice(c.sides ?? 'pad', 'config.sides', ['pad', 'refuse'] as const),
      } as Required<ConvConfig>;
    }
    case 'vae': {
      const body = checkChoice(c.body ?? 'dense', 'config.body', ['dense', 'conv'] as const);
      if (body === 'conv') requireImage(inputShape, 'vae with a conv body');
      return {
        family,
        ...common,
        body,
        hidden: checkSizes(c.hidden ?? [512, 256], 'config.hidden', true),
        channels: checkSizes(c.channels ?? [32, 64], 'config.channels', false),
        beta: checkNumber(c.beta ?? 1, 'config.beta', 0),
        klWarmupEpochs: checkInteger(c.klWarmupEpochs ?? 0, 'config.klWarmupEpochs', 0),
        freeBits: checkNumber(c.freeBits ?? 0, 'config.freeBits', 0),
        logVarLimit: checkNumber(c.logVarLimit ?? 10, 'config.logVarLimit', 1),
      } as Required<VaeConfig>;
    }
    case 'sequence': {
      if (inputShape.length !== 2) {
        throw new RangeError(
          invalid('config.inputShape', '[channels, window] for a sequence model', c.inputShape),
        );
      }
      return {
        family,
        ...common,
        kind: checkChoice(c.kind ?? 'lstm', 'config.kind', ['lstm', 'conv1d'] as const),
        hidden: checkInteger(c.hidden ?? 64, 'config.hidden', 1),
        channels: checkSizes(c.channels ?? [32, 64], 'config.channels', false),
      } as Required<SequenceConfig>;
    }
    case 'compressive':
      return resolveCompressive(c, common);
    case 'map':
      return resolveMapConfig(c, common);
  }
}

function resolveCompressive(
  c: Record<string, unknown>,
  common: Omit<Required<CommonConfig>, 'family'>,
): Required<CompressiveConfig> {
  requireImage(common.inputShape, 'compressive');
  if (common.likelihood !== 'gaussian') {
    throw new RangeError(
      invalid('config.likelihood', "'gaussian' for a compressive model", c.likelihood),
    );
  }
  return {
    family: 'compressive',
    ...common,
    channels: checkSizes(c.channels ?? [64, 64], 'config.channels', false),
    kernelSize: checkOdd(c.kernelSize ?? 5, 'config.kernelSize'),
    denseBottleneck: checkBool(c.denseBottleneck ?? true, 'config.denseBottleneck'),
    gdn: checkBool(c.gdn ?? true, 'config.gdn'),
    lambda: checkNumber(c.lambda ?? 100, 'config.lambda', 0),
    densityFilters: checkSizes(c.densityFilters ?? [3, 3, 3], 'config.densityFilters', true),
    decoderQuantization: checkChoice(
      c.decoderQuantization ?? 'round',
      'config.decoderQuantization',
      ['round', 'noise'] as const,
    ),
  };
}

function checkSparsity(value: unknown): Sparsity {
  checkType(typeof value === 'object', 'config.sparsity', "{ kind: 'l1' | 'kl', ... }", value);
  const s = value as Record<string, unknown>;
  const kind = checkChoice(s.kind, 'config.sparsity.kind', ['l1', 'kl'] as const);
  const weight = checkNumber(s.weight, 'config.sparsity.weight', 0);
  if (kind === 'l1') return { kind, weight };
  const target = checkNumber(s.target, 'config.sparsity.target', 1e-6, 1 - 1e-6);
  return { kind, target, weight };
}

function checkOdd(value: unknown, what: string): number {
  const n = checkInteger(value, what, 1);
  if (n % 2 === 0) throw new RangeError(invalid(what, 'an odd integer', value));
  return n;
}

function checkBool(value: unknown, what: string): boolean {
  checkType(typeof value === 'boolean', what, 'a boolean', value);
  return value as boolean;
}

function requireImage(shape: number[], what: string): void {
  if (shape.length !== 3) {
    throw new AekitError(
      'BAD_INPUT',
      `config.inputShape: expected [channels, height, width] for a ${what} model, got ` +
        `[${shape.join(', ')}] (${describe(shape)})`,
    );
  }
}
