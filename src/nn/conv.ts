/** Convolutions and transposed convolutions over 1-D and 2-D inputs. */
import { F, Tensor, checkInteger } from '../engine/index.js';
import { Pair, checkBoolean, checkDimSize, checkInput, checkOptions, checkPair } from './checks.js';
import { resetWeightAndBias } from './linear.js';
import { Module, ParameterOptions, newTensor } from './module.js';

/** Options of the convolutions; `Size` is a number in 1-D and a number or pair in 2-D. */
export interface ConvOptions<Size extends Pair = Pair> extends ParameterOptions {
  /** Step between applications of the kernel. Default: 1. */
  stride?: Size;
  /** Zeros added to both sides of each spatial dim of the input. Default: 0. */
  padding?: Size;
  /** Spacing between kernel taps. Default: 1. */
  dilation?: Size;
  /** Groups the channels are split into; both channel counts must divide by it. Default: 1. */
  groups?: number;
  /** Whether to add a learned bias per output channel. Default: true. */
  bias?: boolean;
}

/** Options of the transposed convolutions. */
export interface ConvTransposeOptions<Size extends Pair = Pair> extends ConvOptions<Size> {
  /**
   * Size added to one side of each spatial dim of the output, to choose among the output
   * sizes that a stride above 1 allows; less than the stride or the dilation. With kernel
   * 3, padding 1 and outputPadding 1, stride 2 exactly doubles the size. Default: 0.
   */
  outputPadding?: Size;
}

/** Options of {@link Conv1d}. */
export type Conv1dOptions = ConvOptions<number>;
/** Options of {@link Conv2d}. */
export type Conv2dOptions = ConvOptions<Pair>;
/** Options of {@link ConvTranspose1d}. */
export type ConvTranspose1dOptions = ConvTransposeOptions<number>;
/** Options of {@link ConvTranspose2d}. */
export type ConvTranspose2dOptions = ConvTransposeOptions<Pair>;

/** What the four convolution layers share: options, parameters, input checks. */
export abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Kernel size per spatial dim. */
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  /** Output padding per spatial dim (zeros for the plain convolutions). */
  readonly outputPadding: number[];
  readonly groups: number;
  /** [out, in / groups, ...kernel], or [in, out / groups, ...kernel] when transposed. */
  readonly weight: Tensor;
  /** [out], or null without a bias. */
  readonly bias: Tensor | null;
  private readonly spatialDims: 1 | 2;
  private readonly transposed: boolean;

  protected constructor(
    spatialDims: 1 | 2,
    transposed: boolean,
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    options: ConvTransposeOptions | undefined,
  ) {
    super();
    const name = this.constructor.name;
    const o = checkOptions(options, `${name}: options`);
    const sizes = (value: unknown, what: string, min: number): number[] =>
      spatialDims === 2
        ? checkPair(value, `${name}: ${what}`, min)
        : [checkInteger(value, `${name}: ${what}`, min)];
    this.spatialDims = spatialDims;
    this.transposed = transposed;
    this.inChannels = checkInteger(inChannels, `${name}: inChannels`, 1);
    this.outChannels = checkInteger(outChannels, `${name}: outChannels`, 1);
    this.kernelSize = sizes(kernelSize, 'kernelSize', 1);
    this.stride = sizes(o.stride ?? 1, 'stride', 1);
    this.padding = sizes(o.padding ?? 0, 'padding', 0);
    this.dilation = sizes(o.dilation ?? 1, 'dilation', 1);
    this.outputPadding = transposed
      ? sizes(o.outputPadding ?? 0, 'outputPadding', 0)
      : new Array<number>(spatialDims).fill(0);
    this.groups = checkInteger(o.groups ?? 1, `${name}: groups`, 1);
    for (const [what, count] of [
      ['inChannels', this.inChannels],
      ['outChannels', this.outChannels],
    ] as const) {
      if (count % this.groups !== 0) {
        throw new RangeError(
          `${name}: ${what}: expected a multiple of groups (${this.groups}), got number ${count}`,
        );
      }
    }

    const weightShape = transposed
      ? [this.inChannels, this.outChannels / this.groups, ...this.kernelSize]
      : [this.outChannels, this.inChannels / this.groups, ...this.kernelSize];
    const weight = newTensor(weightShape, o);
    const hasBias = checkBoolean(o.bias, `${name}: bias`, true);
    const bias = hasBias ? newTensor([this.outChannels], o) : null;
    resetWeightAndBias(weight, bias, o.generator);
    this.weight = this.registerParameter('weight', weight);
    this.bias = bias === null ? null : this.registerParameter('bias', bias);
  }

  /** input: [batch, inChannels, ...spatial] or unbatched [inChannels, ...spatial]. */
  forward(input: Tensor): Tensor {
    const name = this.constructor.name;
    const dims = this.spatialDims === 2 ? 'height, width' : 'length';
    const layout =
      `a ${this.spatialDims + 2}-D [batch, channels, ${dims}] ` +
      `or ${this.spatialDims + 1}-D [channels, ${dims}] tensor`;
    const shape = checkInput(name, input, [this.spatialDims + 1, this.spatialDims + 2], layout);
    checkDimSize(name, shape, -this.spatialDims - 1, this.inChannels, 'channels');
    const options = {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    } as F.ConvOptions;
    if (this.transposed) {
      const transposeOptions = { ...options, outputPadding: this.outputPadding };
      const fn = this.spatialDims === 2 ? F.convTranspose2d : F.convTranspose1d;
      return fn(input, this.weight, this.bias, transposeOptions as F.ConvTransposeOptions);
    }
    const fn = this.spatialDims === 2 ? F.conv2d : F.conv1d;
    return fn(input, this.weight, this.bias, options);
  }
}

/**
 * 1-D convolution: [batch, inChannels, length] -> [batch, outChannels, length'].
 * Limitation: only zero padding of a given size ('same', 'valid' and the reflect and
 * replicate padding modes are not offered); pad the input first for those.
 */
export class Conv1d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options?: Conv1dOptions,
  ) {
    super(1, false, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 2-D convolution: [batch, inChannels, H, W] -> [batch, outChannels, H', W'], with
 * H' = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1. Padding is zeros
 * only, as in {@link Conv1d}.
 *
 * @example
 * const conv = new Conv2d(1, 16, 3, { stride: 2, padding: 1 }); // 28x28 -> 14x14
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options?: Conv2dOptions) {
    super(2, false, inChannels, outChannels, kernelSize, options);
  }
}

/** 1-D transposed convolution (the gradient of {@link Conv1d}), for upsampling decoders. */
export class ConvTranspose1d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options?: ConvTranspose1dOptions,
  ) {
    super(1, true, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * 2-D transposed convolution, for upsampling decoders: H' = (H - 1) stride - 2 padding +
 * dilation (kernel - 1) + outputPadding + 1.
 *
 * @example
 * const up = new ConvTranspose2d(16, 1, 3, { stride: 2, padding: 1, outputPadding: 1 });
 * // [batch, 16, 14, 14] -> [batch, 1, 28, 28]
 */
export class ConvTranspose2d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    options?: ConvTranspose2dOptions,
  ) {
    super(2, true, inChannels, outChannels, kernelSize, options);
  }
}
