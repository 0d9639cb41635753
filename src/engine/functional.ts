/**
 * Layer and loss functions on tensors, as in `torch.nn.functional`. The nn layer classes
 * hold parameters and call these.
 */
import { Op, callOp } from './op.js';
import { OPS } from './ops.js';
import { Reduction, Tensor, reductionCode, wrap } from './tensor.js';
import { TensorHandle } from './native.js';

type Pair = number | [number, number];
const h = (t: Tensor | null | undefined): TensorHandle | null => (t ? t.handle : null);

/** `input @ weight^T + bias`. input: [..., in], weight: [out, in] -> [..., out]. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrap(callOp(OPS.linear, [input.handle, weight.handle, h(bias)]));
}

/** Options of the convolutions, as in PyTorch. */
export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

function convolution(
  op: Op,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  o: ConvOptions,
): Tensor {
  const args = [input.handle, weight.handle, h(bias), o.stride ?? 1, o.padding ?? 0];
  return wrap(callOp(op, [...args, o.dilation ?? 1, o.groups ?? 1]));
}

function transposedConvolution(
  op: Op,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  o: ConvTransposeOptions,
): Tensor {
  const args = [input.handle, weight.handle, h(bias), o.stride ?? 1, o.padding ?? 0];
  return wrap(callOp(op, [...args, o.outputPadding ?? 0, o.groups ?? 1, o.dilation ?? 1]));
}

/** input: [batch, in, length], weight: [out, in / groups, kernel] -> [batch, out, length'] */
export function conv1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: ConvOptions = {},
): Tensor {
  return convolution(OPS.conv1d, input, weight, bias, o);
}

/** input: [batch, in, H, W], weight: [out, in / groups, kH, kW] -> [batch, out, H', W'] */
export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: ConvOptions = {},
): Tensor {
  return convolution(OPS.conv2d, input, weight, bias, o);
}

/** Options of the transposed convolutions. */
export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: Pair;
}

/** input: [batch, in, length], weight: [in, out / groups, kernel] */
export function convTranspose1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: ConvTransposeOptions = {},
): Tensor {
  return transposedConvolution(OPS.convTranspose1d, input, weight, bias, o);
}

/** input: [batch, in, H, W], weight: [in, out / groups, kH, kW] */
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: ConvTransposeOptions = {},
): Tensor {
  return transposedConvolution(OPS.convTranspose2d, input, weight, bias, o);
}

/** Options of the pooling functions; `stride` defaults to the kernel size. */
export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

export function maxPool1d(input: Tensor, kernelSize: number, o: PoolOptions = {}): Tensor {
  const args = [
    input.handle,
    kernelSize,
    o.stride ?? kernelSize,
    o.padding ?? 0,
    1,
    o.ceilMode ?? false,
  ];
  return wrap(callOp(OPS.maxPool1d, args));
}

export function maxPool2d(input: Tensor, kernelSize: Pair, o: PoolOptions = {}): Tensor {
  const args = [
    input.handle,
    kernelSize,
    o.stride ?? kernelSize,
    o.padding ?? 0,
    1,
    o.ceilMode ?? false,
  ];
  return wrap(callOp(OPS.maxPool2d, args));
}

export function avgPool1d(input: Tensor, kernelSize: number, o: PoolOptions = {}): Tensor {
  const args = [
    input.handle,
    kernelSize,
    o.stride ?? kernelSize,
    o.padding ?? 0,
    o.ceilMode ?? false,
  ];
  return wrap(callOp(OPS.avgPool1d, args));
}

export function avgPool2d(input: Tensor, kernelSize: Pair, o: PoolOptions = {}): Tensor {
  const args = [
    input.handle,
    kernelSize,
    o.stride ?? kernelSize,
    o.padding ?? 0,
    o.ceilMode ?? false,
  ];
  return wrap(callOp(OPS.avgPool2d, args));
}

/** Options of {@link upsample}: an output size or a scale factor (one of the two). */
export interface UpsampleOptions {
  size?: number[];
  scaleFactor?: number | number[];
  mode?: 'nearest' | 'linear' | 'bilinear';
  alignCorners?: boolean;
}

/** Nearest or (bi)linear resampling of [batch, C, L] or [batch, C, H, W] inputs. */
export function upsample(input: Tensor, o: UpsampleOptions): Tensor {
  const spatial = input.ndim - 2;
  const scale =
    o.scaleFactor === undefined
      ? null
      : Array.isArray(o.scaleFactor)
        ? o.scaleFactor
        : new Array(spatial).fill(o.scaleFactor);
  const size = o.size ?? null;
  const mode = o.mode ?? 'nearest';
  if (mode === 'nearest') {
    const op = spatial === 1 ? OPS.upsampleNearest1d : OPS.upsampleNearest2d;
    return wrap(callOp(op, [input.handle, size, scale]));
  }
  const op = spatial === 1 ? OPS.upsampleLinear1d : OPS.upsampleBilinear2d;
  return wrap(callOp(op, [input.handle, size, o.alignCorners ?? false, scale]));
}

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** Normalises over every dim but the channel dim (1); updates running stats in training. */
export function batchNorm(input: Tensor, o: BatchNormOptions = {}): Tensor {
  const args = [input.handle, h(o.weight), h(o.bias), h(o.runningMean), h(o.runningVar)];
  return wrap(
    callOp(OPS.batchNorm, [...args, o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5, true]),
  );
}

/** Normalises over the last `normalizedShape.length` dims. */
export function layerNorm(
  input: Tensor,
  normalizedShape: number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return wrap(
    callOp(OPS.layerNorm, [input.handle, normalizedShape, h(weight), h(bias), eps, true]),
  );
}

/** Zeroes elements with probability p and scales the rest by 1 / (1 - p), in training. */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  return wrap(callOp(OPS.dropout, [input.handle, p, training]));
}

/** Options shared by {@link lstm} and {@link gru}. */
export interface RecurrentOptions {
  numLayers: number;
  hasBiases: boolean;
  dropout?: number;
  training?: boolean;
  bidirectional?: boolean;
  batchFirst?: boolean;
}

/**
 * Runs a stacked LSTM. params: per layer and direction [w_ih, w_hh, b_ih, b_hh].
 * Returns output [batch, seq, dirs * hidden] (batch first), and final h and c, each
 * [layers * dirs, batch, hidden].
 */
export function lstm(
  input: Tensor,
  state: [Tensor, Tensor],
  params: Tensor[],
  o: RecurrentOptions,
): { output: Tensor; h: Tensor; c: Tensor } {
  const flags = [
    o.hasBiases,
    o.numLayers,
    o.dropout ?? 0,
    o.training ?? false,
    o.bidirectional ?? false,
  ];
  const args = [input.handle, state.map((t) => t.handle), params.map((t) => t.handle), ...flags];
  const [output, hOut, cOut] = callOp<TensorHandle[]>(OPS.lstm, [...args, o.batchFirst ?? true]);
  return { output: wrap(output), h: wrap(hOut), c: wrap(cOut) };
}

/** Runs a stacked GRU; params per layer and direction [w_ih, w_hh, b_ih, b_hh]. */
export function gru(
  input: Tensor,
  state: Tensor,
  params: Tensor[],
  o: RecurrentOptions,
): { output: Tensor; h: Tensor } {
  const flags = [
    o.hasBiases,
    o.numLayers,
    o.dropout ?? 0,
    o.training ?? false,
    o.bidirectional ?? false,
  ];
  const args = [input.handle, state.handle, params.map((t) => t.handle), ...flags];
  const [output, hOut] = callOp<TensorHandle[]>(OPS.gru, [...args, o.batchFirst ?? true]);
  return { output: wrap(output), h: wrap(hOut) };
}

// ---- losses ----------------------------------------------------------------------------

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return wrap(callOp(OPS.mseLoss, [input.handle, target.handle, reductionCode(reduction)]));
}

export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return wrap(callOp(OPS.l1Loss, [input.handle, target.handle, reductionCode(reduction)]));
}

/** Binary cross-entropy of probabilities in [0, 1]. Prefer {@link bceWithLogits}. */
export function bce(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return wrap(callOp(OPS.bce, [input.handle, target.handle, null, reductionCode(reduction)]));
}

/** Binary cross-entropy computed from logits, stable for large |logits|. */
export function bceWithLogits(
  logits: Tensor,
  target: Tensor,
  reduction: Reduction = 'mean',
): Tensor {
  return wrap(
    callOp(OPS.bceWithLogits, [logits.handle, target.handle, null, null, reductionCode(reduction)]),
  );
}

/** Cross-entropy of class logits [batch, classes] against int64 labels [batch]. */
export function crossEntropy(
  logits: Tensor,
  labels: Tensor,
  reduction: Reduction = 'mean',
  labelSmoothing = 0,
): Tensor {
  const args = [logits.handle, labels.handle, null, reductionCode(reduction), -100, labelSmoothing];
  return wrap(callOp(OPS.crossEntropy, args));
}

/**
 * KL divergence from N(mu, exp(logVar)) to N(0, I), summed over the last dim: one value per
 * sample. Closed form from Kingma & Welling, "Auto-Encoding Variational Bayes" (2014),
 * appendix B: -1/2 * sum(1 + logVar - mu^2 - exp(logVar)).
 */
export function gaussianKl(mu: Tensor, logVar: Tensor): Tensor {
  const mu2 = mu.square();
  const variance = logVar.exp();
  const inner = logVar.sub(mu2).sub(variance).add(1); // [batch, latent]
  const perSample = inner.sum(-1).mul(-0.5); // [batch]
  for (const t of [mu2, variance, inner]) t.dispose();
  return perSample;
}
