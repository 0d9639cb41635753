/** The fully connected layer. */
import { F, Generator, Tensor, checkInteger } from '../engine/index.js';
import { checkBoolean, checkDimSize, checkInput, checkOptions } from './checks.js';
import { fanInAndFanOut, kaimingUniform, uniform } from './init.js';
import { Module, ParameterOptions, newTensor } from './module.js';

/** Options of {@link Linear}. */
export interface LinearOptions extends ParameterOptions {
  /** Whether to add a learned bias. Default: true. */
  bias?: boolean;
}

/**
 * PyTorch's default initialisation of a weight and its bias (Linear and the convolutions):
 * Kaiming uniform with a = sqrt(5), which is U(-1/sqrt(fanIn), 1/sqrt(fanIn)), and the
 * bias from U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 */
export function resetWeightAndBias(
  weight: Tensor,
  bias: Tensor | null,
  generator?: Generator,
): void {
  kaimingUniform(weight, { a: Math.sqrt(5), generator });
  if (bias === null) return;
  const { fanIn } = fanInAndFanOut(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  uniform(bias, -bound, bound, generator);
}

/**
 * `y = x W^T + b`: input [..., inFeatures] -> output [..., outFeatures].
 *
 * @example
 * const layer = new Linear(784, 32);
 * const code = layer.forward(images.flatten(1)); // [batch, 32]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [outFeatures, inFeatures] */
  readonly weight: Tensor;
  /** [outFeatures], or null without a bias. */
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options?: LinearOptions) {
    super();
    const o = checkOptions(options, 'Linear: options');
    this.inFeatures = checkInteger(inFeatures, 'Linear: inFeatures', 0);
    this.outFeatures = checkInteger(outFeatures, 'Linear: outFeatures', 0);
    const weight = newTensor([this.outFeatures, this.inFeatures], o);
    const bias = checkBoolean(o.bias, 'Linear: bias', true)
      ? newTensor([this.outFeatures], o)
      : null;
    resetWeightAndBias(weight, bias, o.generator);
    this.weight = this.registerParameter('weight', weight);
    this.bias = bias === null ? null : this.registerParameter('bias', bias);
  }

  /** [..., inFeatures] -> [..., outFeatures]. */
  forward(input: Tensor): Tensor {
    const shape = checkInput('Linear', input, (rank) => rank >= 1, 'a tensor [..., features]');
    checkDimSize('Linear', shape, -1, this.inFeatures, 'features');
    return F.linear(input, this.weight, this.bias);
  }
}
