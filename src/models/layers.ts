/** Small building blocks shared by the model families. */
import { AekitError } from '../engine/index.js';
import {
  ELU,
  GELU,
  LeakyReLU,
  Linear,
  Module,
  ReLU,
  Sequential,
  SiLU,
  Sigmoid,
  Tanh,
} from '../nn/index.js';
import { ActivationName } from './config.js';

/** A new activation module by name. */
export function activation(name: ActivationName): Module {
  switch (name) {
    case 'relu':
      return new ReLU();
    case 'leaky_relu':
      return new LeakyReLU(0.01);
    case 'elu':
      return new ELU();
    case 'gelu':
      return new GELU();
    case 'silu':
      return new SiLU();
    case 'tanh':
      return new Tanh();
    case 'sigmoid':
      return new Sigmoid();
    default:
      throw new AekitError('BAD_INPUT', `unknown activation '${String(name)}'`);
  }
}

/** Linear layers of the given sizes with an activation after each but the last. */
export function mlp(sizes: number[], act: ActivationName, activateLast = false): Sequential {
  const layers = new Sequential();
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.append(new Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.length || activateLast) layers.append(activation(act));
  }
  return layers;
}

/** Product of a shape. */
export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
