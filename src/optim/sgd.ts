/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight
 * decay, with the numerics of PyTorch 1.13's `torch.optim.SGD` (single-tensor path).
 */
import { Tensor } from '../engine/index.js';
import { anyNumber, flag, nonNegative } from './checks.js';
import * as foreach from './foreach.js';
import {
  HyperParameter,
  Optimizer,
  ParamGroup,
  ParamState,
  ParamsInput,
  StateValue,
  copyStateTensor,
  owned,
  stateError,
} from './optimizer.js';

/** Options of {@link SGD}; a parameter group may override each one. */
export interface SGDOptions {
  /** Learning rate. Required (as in PyTorch). */
  lr?: number;
  /** Momentum factor. Default: 0 (no momentum). */
  momentum?: number;
  /** Dampening of the gradient's share of the momentum. Default: 0. */
  dampening?: number;
  /** L2 penalty added to the gradient. Default: 0. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default: false. */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it. Default: false. */
  maximize?: boolean;
}

/** A parameter group of {@link SGD}. */
export interface SGDParamGroup extends ParamGroup {
  /** Momentum factor (0: none). */
  momentum: number;
  /** Dampening of the gradient's share of the momentum. */
  dampening: number;
  /** L2 penalty added to the gradient. */
  weightDecay: number;
  /** Whether momentum is Nesterov's. */
  nesterov: boolean;
  /** Whether the objective is maximized. */
  maximize: boolean;
}

const SPECS: HyperParameter[] = [
  { name: 'lr', py: 'lr', check: nonNegative },
  { name: 'momentum', py: 'momentum', default: 0, check: nonNegative },
  { name: 'dampening', py: 'dampening', default: 0, check: anyNumber },
  { name: 'weightDecay', py: 'weight_decay', default: 0, check: nonNegative },
  { name: 'nesterov', py: 'nesterov', default: false, check: flag },
  { name: 'maximize', py: 'maximize', default: false, check: flag, newerKey: true },
  { py: 'foreach', constant: null },
  { py: 'differentiable', constant: false },
];

const BUFFER = 'momentum_buffer';

/**
 * Stochastic gradient descent (PyTorch's `torch.optim.SGD`). For each parameter `p` with
 * gradient `g`, with weight decay `wd`, momentum `mu`, dampening `tau`:
 *
 * ```
 * g = g + wd * p                       (when wd != 0; g = -g first when maximizing)
 * b = g on the first step, then b = mu * b + (1 - tau) * g
 * g = nesterov ? g + mu * b : b        (when mu != 0)
 * p = p - lr * g
 * ```
 *
 * @example
 * const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * loss.backward();
 * optimizer.step();
 * optimizer.zeroGrad();
 */
export class SGD extends Optimizer<SGDParamGroup> {
  constructor(params: ParamsInput<SGDOptions>, options: SGDOptions = {}) {
    super('SGD', SPECS, params, options);
  }

  protected override checkGroup(group: SGDParamGroup, where: string): void {
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new RangeError(
        `${where}: nesterov: expected momentum > 0 and dampening 0 with nesterov, ` +
          `got momentum ${group.momentum} and dampening ${group.dampening}`,
      );
    }
  }

  protected override update(group: SGDParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;

    // The direction: the gradient, negated when maximizing, plus the L2 term.
    let direction = grads;
    if (maximize || weightDecay !== 0) {
      direction = this.scratchFor(params);
      if (maximize) {
        foreach.negOut(grads, direction);
        if (weightDecay !== 0) foreach.addInPlace(direction, params, weightDecay);
      } else {
        foreach.addOut(grads, params, weightDecay, direction);
      }
    }

    const states = params.map((param) => this.stateOf(param, () => ({ tensors: {}, step: 0 })));
    if (momentum !== 0) {
      // Buffers start as a copy of the first direction, then decay.
      const running: Tensor[] = [];
      const runningDirection: Tensor[] = [];
      states.forEach((state, i) => {
        const buffer = state.tensors[BUFFER];
        if (buffer === undefined) {
          state.tensors[BUFFER] = owned(direction[i].clone());
        } else {
          running.push(buffer);
          runningDirection.push(direction[i]);
        }
      });
      if (running.length > 0) {
        foreach.mulScalarInPlace(running, momentum);
        foreach.addInPlace(running, runningDirection, 1 - dampening);
      }
      const buffers = states.map((state) => state.tensors[BUFFER]);
      if (nesterov) {
        if (direction === grads) {
          direction = this.scratchFor(params);
          foreach.addOut(grads, buffers, momentum, direction);
        } else {
          foreach.addInPlace(direction, buffers, momentum);
        }
      } else {
        direction = buffers;
      }
    }

    foreach.addInPlace(params, direction, -lr);
  }

  protected override stateToDict(state: ParamState): Record<string, StateValue> {
    return { [BUFFER]: state.tensors[BUFFER] ?? null };
  }

  protected override stateFromDict(
    param: Tensor,
    entry: Record<string, unknown>,
    _group: SGDParamGroup,
    where: string,
  ): ParamState {
    const value = entry[BUFFER];
    if (value === null || value === undefined) return { tensors: {}, step: 0 };
    if (!(value instanceof Tensor)) {
      throw stateError(`${where}.${BUFFER}: expected a tensor or null, got ${typeof value}`);
    }
    return { tensors: { [BUFFER]: copyStateTensor(value, param, `${where}.${BUFFER}`) }, step: 0 };
  }
}
