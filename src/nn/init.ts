/**
 * Parameter initialisation, as `torch.nn.init`: each function fills a tensor in place,
 * without recording gradients, and returns it. The bounds are computed exactly as
 * PyTorch computes them, so with the same seed the values are PyTorch's bit for bit.
 */
import {
  Generator,
  OPS,
  Tensor,
  callInPlace,
  checkNumber,
  checkType,
  invalid,
  noGrad,
} from '../engine/index.js';

/** Nonlinearities known to {@link calculateGain}, with PyTorch's names. */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** Which fan the Kaiming functions scale by. */
export type FanMode = 'fan_in' | 'fan_out';

/** Options of {@link xavierUniform} and {@link xavierNormal}. */
export interface XavierOptions {
  /** Scale factor, e.g. from {@link calculateGain}. Default: 1. */
  gain?: number;
  /** The random stream. Default: the global generator. */
  generator?: Generator;
}

/** Options of {@link kaimingUniform} and {@link kaimingNormal}. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (used only for 'leaky_relu'). Default: 0. */
  a?: number;
  /** 'fan_in' keeps the forward variance, 'fan_out' the backward one. Default: 'fan_in'. */
  mode?: FanMode;
  /** The nonlinearity that follows, for the gain. Default: 'leaky_relu'. */
  nonlinearity?: Nonlinearity;
  /** The random stream. Default: the global generator. */
  generator?: Generator;
}

/**
 * The recommended gain for a nonlinearity (PyTorch's `calculate_gain`). `param` is the
 * negative slope for 'leaky_relu' (default 0.01).
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.sqrt(2);
    case 'leaky_relu': {
      const slope = param === undefined ? 0.01 : checkNumber(param, 'calculateGain: param');
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new TypeError(
        invalid('calculateGain: nonlinearity', 'a nonlinearity such as relu', nonlinearity),
      );
  }
}

/**
 * Fan-in and fan-out of a weight (PyTorch's `_calculate_fan_in_and_fan_out`): dims 1 and 0
 * times the receptive field (the product of the remaining dims). For a transposed
 * convolution's weight [in, out / groups, ...kernel], fan-in comes from dim 1.
 */
export function fanInAndFanOut(tensor: Tensor): { fanIn: number; fanOut: number } {
  checkTensor(tensor, 'fanInAndFanOut');
  const shape = tensor.shape;
  if (shape.length < 2) {
    throw new RangeError(
      `fanInAndFanOut: expected a tensor of 2 or more dims, got shape [${shape.join(', ')}]`,
    );
  }
  const receptiveField = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptiveField, fanOut: shape[0] * receptiveField };
}

/** Fills `tensor` with draws from U(low, high). */
export function uniform(tensor: Tensor, low = 0, high = 1, generator?: Generator): Tensor {
  checkTensor(tensor, 'uniform');
  checkNumber(low, 'uniform: low');
  checkNumber(high, 'uniform: high', low);
  noGrad(() => callInPlace(OPS.uniformInPlace, [tensor.handle, low, high, handleOf(generator)]));
  return tensor;
}

/** Fills `tensor` with draws from N(mean, std^2). */
export function normal(tensor: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  checkTensor(tensor, 'normal');
  checkNumber(mean, 'normal: mean');
  checkNumber(std, 'normal: std', 0);
  noGrad(() => callInPlace(OPS.normalInPlace, [tensor.handle, mean, std, handleOf(generator)]));
  return tensor;
}

/** Fills `tensor` with `value`. */
export function constant(tensor: Tensor, value: number): Tensor {
  checkTensor(tensor, 'constant');
  checkNumber(value, 'constant: value');
  noGrad(() => tensor.fill_(value));
  return tensor;
}

/** Fills `tensor` with zeros. */
export function zeros(tensor: Tensor): Tensor {
  return constant(tensor, 0);
}

/** Fills `tensor` with ones. */
export function ones(tensor: Tensor): Tensor {
  return constant(tensor, 1);
}

/**
 * Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural
 * networks" (2010): U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)).
 */
export function xavierUniform(tensor: Tensor, options: XavierOptions = {}): Tensor {
  const std = xavierStd(tensor, options, 'xavierUniform');
  const bound = Math.sqrt(3) * std;
  return uniform(tensor, -bound, bound, options.generator);
}

/** Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal(tensor: Tensor, options: XavierOptions = {}): Tensor {
  return normal(tensor, 0, xavierStd(tensor, options, 'xavierNormal'), options.generator);
}

/**
 * He et al., "Delving deep into rectifiers" (2015): U(-b, b) with
 * b = gain * sqrt(3 / fan). PyTorch's layers use this with a = sqrt(5), which gives
 * b = 1 / sqrt(fanIn).
 */
export function kaimingUniform(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const std = kaimingStd(tensor, options, 'kaimingUniform');
  const bound = Math.sqrt(3) * std;
  return uniform(tensor, -bound, bound, options.generator);
}

/** He et al. (2015): N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(tensor, 0, kaimingStd(tensor, options, 'kaimingNormal'), options.generator);
}

function xavierStd(tensor: Tensor, options: XavierOptions, what: string): number {
  checkTensor(tensor, what);
  const gain = checkNumber(options.gain ?? 1, `${what}: gain`, 0);
  const { fanIn, fanOut } = fanInAndFanOut(tensor);
  if (fanIn + fanOut === 0) return 0; // no elements to draw
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

function kaimingStd(tensor: Tensor, options: KaimingOptions, what: string): number {
  checkTensor(tensor, what);
  const a = checkNumber(options.a ?? 0, `${what}: a`);
  const mode = options.mode ?? 'fan_in';
  if (mode !== 'fan_in' && mode !== 'fan_out') {
    throw new TypeError(invalid(`${what}: mode`, "'fan_in' or 'fan_out'", mode));
  }
  const fans = fanInAndFanOut(tensor);
  const fan = mode === 'fan_in' ? fans.fanIn : fans.fanOut;
  // A zero fan means a tensor with no elements: the draw that follows does nothing.
  if (fan === 0) return 0;
  return calculateGain(options.nonlinearity ?? 'leaky_relu', a) / Math.sqrt(fan);
}

function checkTensor(tensor: unknown, what: string): void {
  checkType(tensor instanceof Tensor && !tensor.isDisposed, `${what}: tensor`, 'a Tensor', tensor);
}

function handleOf(generator: Generator | undefined): unknown {
  if (generator === undefined) return null;
  checkType(generator instanceof Generator, 'generator', 'a Generator', generator);
  return generator.handle;
}
