/** Containers of modules. */
import { AekitError, Tensor, checkInteger, checkType, describe } from '../engine/index.js';
import { Module } from './module.js';

/**
 * Runs its modules in order, each on the previous one's output. The children are named
 * "0", "1", ..., so parameters are `0.weight`, `2.bias` and so on, as in PyTorch.
 * Intermediate results are freed as soon as the next module has used them (autograd
 * keeps what backward needs), so a chain does not hold every activation's handle.
 *
 * @example
 * const encoder = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 32));
 * const code = encoder.forward(x); // [batch, 32]
 */
export class Sequential extends Module {
  private count = 0;

  constructor(...modules: Module[]) {
    super();
    for (const module of modules) this.append(module);
  }

  /** Adds a module at the end, named by its position; returns this container. */
  append(module: Module): this {
    checkType(module instanceof Module, `Sequential: module ${this.count}`, 'a Module', module);
    this.registerModule(String(this.count), module);
    this.count += 1;
    return this;
  }

  /** The number of modules. */
  get length(): number {
    return this.count;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    checkInteger(index, 'Sequential.at: index', -this.count, this.count - 1);
    return this.children()[index < 0 ? this.count + index : index];
  }

  /** Runs every module in order on `input`; returns the last one's output. */
  forward(input: Tensor): Tensor {
    let x = input;
    this.children().forEach((module, i) => {
      const y = module.forward(x);
      if (!(y instanceof Tensor)) {
        throw new AekitError(
          'BAD_INPUT',
          `Sequential: module ${i} (${module.constructor.name}) returned ${describe(y)}, ` +
            'expected a Tensor to pass on',
        );
      }
      if (x !== input && y !== x) x.dispose();
      x = y;
    });
    return x;
  }
}
