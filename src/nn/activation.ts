/** Activation functions as modules, for {@link Sequential}; each maps a tensor elementwise. */
import { Tensor, checkNumber, checkType, invalid } from '../engine/index.js';
import { Module } from './module.js';

/** What the activation modules share: one tensor in, one tensor of the same shape out. */
export abstract class Activation extends Module {
  /** Applies the function to every element of `input`. */
  forward(input: Tensor): Tensor {
    checkType(input instanceof Tensor, `${this.constructor.name} input`, 'a Tensor', input);
    return this.apply(input);
  }

  protected abstract apply(input: Tensor): Tensor;
}

/** `max(0, x)`. */
export class ReLU extends Activation {
  protected apply(input: Tensor): Tensor {
    return input.relu();
  }
}

/** `x` for x >= 0, `negativeSlope * x` below. */
export class LeakyReLU extends Activation {
  readonly negativeSlope: number;

  /** @param negativeSlope - slope for negative inputs. Default: 0.01. */
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkNumber(negativeSlope, 'LeakyReLU: negativeSlope');
  }

  protected apply(input: Tensor): Tensor {
    return input.leakyRelu(this.negativeSlope);
  }
}

/** Clevert et al., "Fast and Accurate Deep Network Learning by ELUs" (2016). */
export class ELU extends Activation {
  readonly alpha: number;

  /** @param alpha - the value approached for very negative inputs is -alpha. Default: 1. */
  constructor(alpha = 1) {
    super();
    this.alpha = checkNumber(alpha, 'ELU: alpha');
  }

  protected apply(input: Tensor): Tensor {
    return input.elu(this.alpha);
  }
}

/** Hendrycks & Gimpel, "Gaussian Error Linear Units" (2016): `x * Phi(x)`. */
export class GELU extends Activation {
  readonly approximate: 'none' | 'tanh';

  /** @param approximate - 'tanh' for the tanh approximation. Default: 'none'. */
  constructor(approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new TypeError(invalid('GELU: approximate', "'none' or 'tanh'", approximate));
    }
    this.approximate = approximate;
  }

  protected apply(input: Tensor): Tensor {
    return input.gelu(this.approximate);
  }
}

/** `x * sigmoid(x)` (also called swish). */
export class SiLU extends Activation {
  protected apply(input: Tensor): Tensor {
    return input.silu();
  }
}

/** `1 / (1 + exp(-x))`. */
export class Sigmoid extends Activation {
  protected apply(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Activation {
  protected apply(input: Tensor): Tensor {
    return input.tanh();
  }
}

/** `log(1 + exp(beta x)) / beta`, linear above `threshold / beta` for stability. */
export class Softplus extends Activation {
  readonly beta: number;
  readonly threshold: number;

  /**
   * @param beta - sharpness. Default: 1.
   * @param threshold - beta x above which the result is x. Default: 20.
   */
  constructor(beta = 1, threshold = 20) {
    super();
    this.beta = checkNumber(beta, 'Softplus: beta');
    this.threshold = checkNumber(threshold, 'Softplus: threshold');
  }

  protected apply(input: Tensor): Tensor {
    return input.softplus(this.beta, this.threshold);
  }
}

/**
 * Returns its input, the same tensor (not a copy): a placeholder where a layer is optional.
 * Disposing the result disposes the input.
 */
export class Identity extends Activation {
  protected apply(input: Tensor): Tensor {
    return input;
  }
}
