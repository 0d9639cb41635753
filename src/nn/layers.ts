/** Layers without parameters: dropout, reshaping, pooling and resampling. */
import { F, Tensor, checkInteger, checkNumber, checkType, invalid } from '../engine/index.js';
import {
  Pair,
  checkBoolean,
  checkInput,
  checkOptions,
  checkPair,
  checkProbability,
} from './checks.js';
import { Module } from './module.js';

/**
 * Dropout (Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
 * Overfitting", 2014): in training, zeroes each element with probability `p` and scales
 * the rest by 1 / (1 - p); in evaluation, returns the input unchanged.
 */
export class Dropout extends Module {
  readonly p: number;

  /** @param p - probability of zeroing an element, from 0 to 1. Default: 0.5. */
  constructor(p = 0.5) {
    super();
    this.p = checkProbability(p, 'Dropout: p');
  }

  /** In training, drops elements of `input`; in evaluation, returns it unchanged. */
  forward(input: Tensor): Tensor {
    checkInput('Dropout', input, () => true, 'a tensor');
    return F.dropout(input, this.p, this.training);
  }
}

/** Flattens dims `startDim` to `endDim` into one: by default [batch, ...] -> [batch, n]. */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  /**
   * @param startDim - first dim to flatten. Default: 1 (keeps the batch dim).
   * @param endDim - last dim to flatten. Default: -1.
   */
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = checkInteger(startDim, 'Flatten: startDim');
    this.endDim = checkInteger(endDim, 'Flatten: endDim');
  }

  /** [d0, ..., dn] -> the same values with dims startDim..endDim merged. */
  forward(input: Tensor): Tensor {
    checkInput('Flatten', input, () => true, 'a tensor');
    return input.flatten(this.startDim, this.endDim);
  }
}

/** Splits dim `dim` into `sizes`: e.g. Unflatten(1, [1, 28, 28]) maps [b, 784] to images. */
export class Unflatten extends Module {
  readonly dim: number;
  readonly sizes: number[];

  /**
   * @param dim - the dim to split.
   * @param sizes - the new sizes, whose product is that dim's size; one may be -1.
   */
  constructor(dim: number, sizes: number[]) {
    super();
    this.dim = checkInteger(dim, 'Unflatten: dim');
    checkType(Array.isArray(sizes), 'Unflatten: sizes', 'an array of sizes', sizes);
    sizes.forEach((size, i) => checkInteger(size, `Unflatten: sizes[${i}]`, -1));
    this.sizes = [...sizes];
  }

  /** [..., n, ...] -> [..., ...sizes, ...] at dim `dim`. */
  forward(input: Tensor): Tensor {
    checkInput('Unflatten', input, (rank) => rank >= 1, 'a tensor of 1 or more dims');
    return input.unflatten(this.dim, this.sizes);
  }
}

/** Options of the pooling layers; `Size` is a number in 1-D and a number or pair in 2-D. */
export interface PoolOptions<Size extends Pair = Pair> {
  /** Step between windows. Default: the kernel size. */
  stride?: Size;
  /** Implicit padding on both sides (-inf for max, zeros for average). Default: 0. */
  padding?: Size;
  /** Whether to round the output size up instead of down. Default: false. */
  ceilMode?: boolean;
}

/** Options of {@link MaxPool1d} and {@link AvgPool1d}. */
export type Pool1dOptions = PoolOptions<number>;
/** Options of {@link MaxPool2d} and {@link AvgPool2d}. */
export type Pool2dOptions = PoolOptions<Pair>;

/** What the pooling layers share. */
export abstract class PoolNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  private readonly spatialDims: 1 | 2;
  private readonly kind: 'max' | 'avg';

  protected constructor(
    spatialDims: 1 | 2,
    kind: 'max' | 'avg',
    kernelSize: Pair,
    options: PoolOptions | undefined,
  ) {
    super();
    const name = this.constructor.name;
    const o = checkOptions(options, `${name}: options`);
    const sizes = (value: unknown, what: string, min: number): number[] =>
      spatialDims === 2
        ? checkPair(value, `${name}: ${what}`, min)
        : [checkInteger(value, `${name}: ${what}`, min)];
    this.spatialDims = spatialDims;
    this.kind = kind;
    this.kernelSize = sizes(kernelSize, 'kernelSize', 1);
    this.stride = o.stride === undefined ? [...this.kernelSize] : sizes(o.stride, 'stride', 1);
    this.padding = sizes(o.padding ?? 0, 'padding', 0);
    this.ceilMode = checkBoolean(o.ceilMode, `${name}: ceilMode`, false);
  }

  /** input: [batch, channels, ...spatial] or unbatched [channels, ...spatial]. */
  forward(input: Tensor): Tensor {
    const dims = this.spatialDims === 2 ? 'height, width' : 'length';
    const layout =
      `a ${this.spatialDims + 2}-D [batch, channels, ${dims}] ` +
      `or ${this.spatialDims + 1}-D [channels, ${dims}] tensor`;
    checkInput(this.constructor.name, input, [this.spatialDims + 1, this.spatialDims + 2], layout);
    const options = { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode };
    if (this.spatialDims === 1) {
      const o1 = { ...options, stride: this.stride[0], padding: this.padding[0] };
      const fn = this.kind === 'max' ? F.maxPool1d : F.avgPool1d;
      return fn(input, this.kernelSize[0], o1);
    }
    const kernel = this.kernelSize as [number, number];
    const o2 = options as F.PoolOptions;
    return this.kind === 'max' ? F.maxPool2d(input, kernel, o2) : F.avgPool2d(input, kernel, o2);
  }
}

/** Maximum over windows of [batch, channels, length] inputs. */
export class MaxPool1d extends PoolNd {
  constructor(kernelSize: number, options?: Pool1dOptions) {
    super(1, 'max', kernelSize, options);
  }
}

/** Maximum over windows of [batch, channels, height, width] inputs. */
export class MaxPool2d extends PoolNd {
  constructor(kernelSize: Pair, options?: Pool2dOptions) {
    super(2, 'max', kernelSize, options);
  }
}

/** Mean over windows of [batch, channels, length] inputs (padding counts as zeros). */
export class AvgPool1d extends PoolNd {
  constructor(kernelSize: number, options?: Pool1dOptions) {
    super(1, 'avg', kernelSize, options);
  }
}

/** Mean over windows of [batch, channels, height, width] inputs (padding counts as zeros). */
export class AvgPool2d extends PoolNd {
  constructor(kernelSize: Pair, options?: Pool2dOptions) {
    super(2, 'avg', kernelSize, options);
  }
}

/** Resampling modes of {@link Upsample}: 'linear' needs 3-D inputs, 'bilinear' 4-D. */
export type UpsampleMode = 'nearest' | 'linear' | 'bilinear';

/** Options of {@link Upsample}: give `size` or `scaleFactor`, not both. */
export interface UpsampleOptions {
  /** The output's spatial size, one number per spatial dim. Default: none. */
  size?: number[];
  /** Factor on each spatial size (one for all, or one per dim). Default: none. */
  scaleFactor?: number | number[];
  /** How new values are computed. Default: 'nearest'. */
  mode?: UpsampleMode;
  /** For 'linear' and 'bilinear': whether corner pixels line up exactly. Default: false. */
  alignCorners?: boolean;
}

/**
 * Resamples [batch, channels, length] or [batch, channels, height, width] inputs.
 *
 * @example
 * const up = new Upsample({ scaleFactor: 2, mode: 'bilinear' }); // 14x14 -> 28x28
 */
export class Upsample extends Module {
  readonly size: number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: UpsampleMode;
  readonly alignCorners: boolean;

  constructor(options: UpsampleOptions) {
    super();
    const o = checkOptions(options, 'Upsample: options');
    if ((o.size === undefined) === (o.scaleFactor === undefined)) {
      throw new TypeError(
        invalid('Upsample: options', 'exactly one of size and scaleFactor', options),
      );
    }
    if (o.size !== undefined) {
      checkType(Array.isArray(o.size), 'Upsample: size', 'an array of sizes', o.size);
      o.size.forEach((s, i) => checkInteger(s, `Upsample: size[${i}]`, 1));
    }
    const factors = o.scaleFactor === undefined ? [] : [o.scaleFactor].flat();
    factors.forEach((f, i) => checkNumber(f, `Upsample: scaleFactor[${i}]`, Number.MIN_VALUE));
    const mode = o.mode ?? 'nearest';
    if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') {
      throw new TypeError(invalid('Upsample: mode', "'nearest', 'linear' or 'bilinear'", mode));
    }
    this.size = o.size === undefined ? null : [...o.size];
    this.scaleFactor = o.scaleFactor ?? null;
    this.mode = mode;
    this.alignCorners = checkBoolean(o.alignCorners, 'Upsample: alignCorners', false);
  }

  /** [batch, channels, ...spatial] -> [batch, channels, ...resampled spatial]. */
  forward(input: Tensor): Tensor {
    const ranks = this.mode === 'linear' ? [3] : this.mode === 'bilinear' ? [4] : [3, 4];
    const layout =
      this.mode === 'linear'
        ? "a 3-D [batch, channels, length] tensor for mode 'linear'"
        : this.mode === 'bilinear'
          ? "a 4-D [batch, channels, height, width] tensor for mode 'bilinear'"
          : 'a 3-D [batch, channels, length] or 4-D [batch, channels, height, width] tensor';
    checkInput('Upsample', input, ranks, layout);
    return F.upsample(input, {
      size: this.size ?? undefined,
      scaleFactor: this.scaleFactor ?? undefined,
      mode: this.mode,
      alignCorners: this.mode === 'nearest' ? undefined : this.alignCorners,
    });
  }
}
