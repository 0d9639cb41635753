/** Normalisation layers: batch norm over channels, layer norm over trailing dims. */
import {
  AekitError,
  F,
  Tensor,
  checkInteger,
  checkNumber,
  checkType,
  noGrad,
} from '../engine/index.js';
import { checkBoolean, checkDimSize, checkInput, checkOptions, shapeText } from './checks.js';
import { ones, zeros } from './init.js';
import { Module, ParameterOptions, newTensor } from './module.js';

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}. */
export interface BatchNormOptions extends ParameterOptions {
  /** Added to the variance before its square root, for stability. Default: 1e-5. */
  eps?: number;
  /**
   * Weight of the new batch in the running statistics: running = (1 - momentum) running +
   * momentum batch. null keeps a plain cumulative average instead. Default: 0.1.
   */
  momentum?: number | null;
  /** Whether to learn a per-channel scale (weight) and shift (bias). Default: true. */
  affine?: boolean;
  /**
   * Whether to keep running mean and variance, updated in training and used in
   * evaluation. Without them, batch statistics are used in both modes. Default: true.
   */
  trackRunningStats?: boolean;
}

/** What the batch norms share; dim 1 of the input is the channel (feature) dim. */
export abstract class BatchNormNd extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  /** [numFeatures] scale, or null when not affine. */
  readonly weight: Tensor | null;
  /** [numFeatures] shift, or null when not affine. */
  readonly bias: Tensor | null;
  /** [numFeatures], or null without running statistics. */
  readonly runningMean: Tensor | null;
  /** [numFeatures], or null without running statistics. */
  readonly runningVar: Tensor | null;
  /** int64 scalar: training batches seen, or null without running statistics. */
  readonly numBatchesTracked: Tensor | null;

  protected constructor(numFeatures: number, options: BatchNormOptions | undefined) {
    super();
    const name = this.constructor.name;
    const o = checkOptions(options, `${name}: options`);
    this.numFeatures = checkInteger(numFeatures, `${name}: numFeatures`, 1);
    this.eps = checkNumber(o.eps ?? 1e-5, `${name}: eps`, 0);
    this.momentum =
      o.momentum === null ? null : checkNumber(o.momentum ?? 0.1, `${name}: momentum`, 0, 1);
    const affine = checkBoolean(o.affine, `${name}: affine`, true);
    const track = checkBoolean(o.trackRunningStats, `${name}: trackRunningStats`, true);
    const shape = [this.numFeatures];

    this.weight = affine ? this.registerParameter('weight', ones(newTensor(shape, o))) : null;
    this.bias = affine ? this.registerParameter('bias', zeros(newTensor(shape, o))) : null;
    if (track) {
      this.runningMean = this.registerBuffer('running_mean', zeros(newTensor(shape, o)));
      this.runningVar = this.registerBuffer('running_var', ones(newTensor(shape, o)));
      const count = newTensor([], { device: o.device, dtype: 'int64' });
      this.numBatchesTracked = this.registerBuffer('num_batches_tracked', count);
    } else {
      this.runningMean = null;
      this.runningVar = null;
      this.numBatchesTracked = null;
    }
  }

  /** The ranks this layer accepts and how to describe them. */
  protected abstract inputLayout(): { ranks: number[]; layout: string };

  /**
   * Normalises `input` per channel: by batch statistics in training (updating the running
   * ones), by the running statistics in evaluation.
   */
  forward(input: Tensor): Tensor {
    const name = this.constructor.name;
    const { ranks, layout } = this.inputLayout();
    const shape = checkInput(name, input, ranks, layout);
    checkDimSize(name, shape, 1, this.numFeatures, 'channels');

    // As PyTorch: count the batch, and with momentum null average over all batches so far.
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked !== null) {
      const count = this.numBatchesTracked;
      noGrad(() => count.add_(1));
      if (this.momentum === null) factor = 1 / count.item();
    }

    // Batch statistics in training, and always when there are no running ones.
    const useBatchStats = this.training || this.runningMean === null;
    return F.batchNorm(input, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }
}

/**
 * Batch normalisation (Ioffe & Szegedy, "Batch Normalization", 2015) of [batch, features]
 * or [batch, channels, length] inputs, per feature or channel.
 */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, options?: BatchNormOptions) {
    super(numFeatures, options);
  }

  protected inputLayout(): { ranks: number[]; layout: string } {
    return {
      ranks: [2, 3],
      layout: 'a 2-D [batch, features] or 3-D [batch, channels, length] tensor',
    };
  }
}

/** Batch normalisation of [batch, channels, height, width] inputs, per channel. */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, options?: BatchNormOptions) {
    super(numFeatures, options);
  }

  protected inputLayout(): { ranks: number[]; layout: string } {
    return { ranks: [4], layout: 'a 4-D [batch, channels, height, width] tensor' };
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions extends ParameterOptions {
  /** Added to the variance before its square root, for stability. Default: 1e-5. */
  eps?: number;
  /** Whether to learn an elementwise scale (weight) and shift (bias). Default: true. */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalisation (Ba, Kiros & Hinton, "Layer Normalization", 2016) over the last
 * dims of the input, whose sizes are `normalizedShape`; the same in training and eval.
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  /** normalizedShape scale, or null when not elementwise affine. */
  readonly weight: Tensor | null;
  /** normalizedShape shift, or null when not elementwise affine. */
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | number[], options?: LayerNormOptions) {
    super();
    const o = checkOptions(options, 'LayerNorm: options');
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    checkType(Array.isArray(shape), 'LayerNorm: normalizedShape', 'an array', normalizedShape);
    shape.forEach((size, i) => checkInteger(size, `LayerNorm: normalizedShape[${i}]`, 1));
    this.normalizedShape = [...shape];
    this.eps = checkNumber(o.eps ?? 1e-5, 'LayerNorm: eps', 0);
    const affine = checkBoolean(o.elementwiseAffine, 'LayerNorm: elementwiseAffine', true);
    this.weight = affine ? this.registerParameter('weight', ones(newTensor(shape, o))) : null;
    this.bias = affine ? this.registerParameter('bias', zeros(newTensor(shape, o))) : null;
  }

  /** Normalises `input` over its last `normalizedShape.length` dims. */
  forward(input: Tensor): Tensor {
    const n = this.normalizedShape.length;
    const layout = `a tensor [..., ${this.normalizedShape.join(', ')}]`;
    const shape = checkInput('LayerNorm', input, (rank) => rank >= n, layout);
    const trailing = shape.slice(shape.length - n);
    if (trailing.some((size, i) => size !== this.normalizedShape[i])) {
      throw new AekitError(
        'SHAPE',
        `LayerNorm input: expected ${layout}, got shape ${shapeText(shape)}`,
      );
    }
    return F.layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
