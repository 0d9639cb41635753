/**
 * Adam and AdamW, with the numerics of PyTorch 1.13's `torch.optim.Adam` and
 * `torch.optim.AdamW` (single-tensor path): Kingma & Ba, "Adam: A Method for Stochastic
 * Optimization" (2015); Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (2019);
 * AMSGrad from Reddi et al., "On the Convergence of Adam and Beyond" (2018).
 */
import { Tensor, zerosLike } from '../engine/index.js';
import { fusedAdamStep } from '../engine/fused.js';
import { betaPair, flag, nonNegative, positive } from './checks.js';
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
  readStep,
  stateError,
} from './optimizer.js';

/** Options of {@link Adam}; a parameter group may override each one. */
export interface AdamOptions {
  /** Learning rate. Default: 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment averages, each in [0, 1). Default: [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator for numerical stability; > 0. Default: 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient. Default: 0. */
  weightDecay?: number;
  /** Use the AMSGrad variant (the running maximum of the second moment). Default: false. */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it. Default: false. */
  maximize?: boolean;
  /**
   * Update with one native pass over each parameter and its moments instead of eight
   * operator calls, where every parameter is a float32 or float64 CPU tensor (others are
   * updated op by op). The same arithmetic per element as PyTorch's Adam; the last bit can
   * differ where the compiler fuses a multiply and an add. Not saved in state dicts
   * (PyTorch 1.13 reads its own `fused` key as a CUDA-only kernel). Default: true.
   */
  fused?: boolean;
}

/** Options of {@link AdamW}; a parameter group may override each one. */
export interface AdamWOptions {
  /** Learning rate. Default: 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment averages, each in [0, 1). Default: [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator for numerical stability; > 0. Default: 1e-8. */
  eps?: number;
  /** Decoupled decay: each step scales parameters by `1 - lr * weightDecay`. Default: 0.01. */
  weightDecay?: number;
  /** Use the AMSGrad variant (the running maximum of the second moment). Default: false. */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it. Default: false. */
  maximize?: boolean;
  /**
   * Update with one native pass over each parameter and its moments instead of eight
   * operator calls, where every parameter is a float32 or float64 CPU tensor (others are
   * updated op by op). The same arithmetic per element as PyTorch's Adam; the last bit can
   * differ where the compiler fuses a multiply and an add. Not saved in state dicts
   * (PyTorch 1.13 reads its own `fused` key as a CUDA-only kernel). Default: true.
   */
  fused?: boolean;
}

/** A parameter group of {@link Adam} or {@link AdamW}. */
export interface AdamParamGroup extends ParamGroup {
  /** Decay rates of the first and second moment averages. */
  betas: [number, number];
  /** Added to the denominator for numerical stability. */
  eps: number;
  /** Weight decay: L2 in the gradient (Adam), or decoupled scaling (AdamW). */
  weightDecay: number;
  /** Whether the AMSGrad variant is used. */
  amsgrad: boolean;
  /** Whether the objective is maximized. */
  maximize: boolean;
}

const LR: HyperParameter = { name: 'lr', py: 'lr', default: 1e-3, check: nonNegative };
const BETAS: HyperParameter = {
  name: 'betas',
  py: 'betas',
  default: [0.9, 0.999],
  check: betaPair,
};
const EPS: HyperParameter = { name: 'eps', py: 'eps', default: 1e-8, check: positive };
const AMSGRAD: HyperParameter = {
  name: 'amsgrad',
  py: 'amsgrad',
  default: false,
  check: flag,
  newerKey: true,
};
const MAXIMIZE: HyperParameter = {
  name: 'maximize',
  py: 'maximize',
  default: false,
  check: flag,
  newerKey: true,
};

/** PyTorch 1.13's Adam param_groups keys, in its order. */
const ADAM_SPECS: HyperParameter[] = [
  LR,
  BETAS,
  EPS,
  { name: 'weightDecay', py: 'weight_decay', default: 0, check: nonNegative },
  AMSGRAD,
  MAXIMIZE,
  { py: 'foreach', constant: null },
  { py: 'capturable', constant: false },
  { py: 'differentiable', constant: false },
  { py: 'fused', constant: false },
];

/** PyTorch 1.13's AdamW param_groups keys, in its order (it differs from Adam's). */
const ADAMW_SPECS: HyperParameter[] = [
  LR,
  BETAS,
  EPS,
  { name: 'weightDecay', py: 'weight_decay', default: 1e-2, check: nonNegative },
  AMSGRAD,
  { py: 'foreach', constant: null },
  MAXIMIZE,
  { py: 'capturable', constant: false },
];

const EXP_AVG = 'exp_avg';
const EXP_AVG_SQ = 'exp_avg_sq';
const MAX_EXP_AVG_SQ = 'max_exp_avg_sq';

/** What Adam and AdamW share; they differ in how weight decay applies. */
abstract class AdamBase extends Optimizer<AdamParamGroup> {
  /** Whether weight decay scales parameters directly (AdamW) instead of joining the gradient. */
  protected abstract readonly decoupled: boolean;

  /** Whether updates run as one native pass where the parameters allow it (`fused` option). */
  readonly fused: boolean;

  protected constructor(
    name: string,
    specs: HyperParameter[],
    params: ParamsInput<object>,
    options: { fused?: boolean },
  ) {
    // `fused` chooses a kernel for the whole optimizer; it is not a group hyper-parameter.
    const { fused, ...groupOptions } = options;
    super(name, specs, params, groupOptions);
    this.fused = fused === undefined ? true : flag(fused, `${name}: options.fused`);
  }

  protected override update(group: AdamParamGroup, params: Tensor[], grads: Tensor[]): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = group;
    const [beta1, beta2] = group.betas;
    const states = params.map((param) => this.stateOf(param, () => freshState(param, amsgrad)));
    const expAvgs = states.map((state) => state.tensors[EXP_AVG]);
    const expAvgSqs = states.map((state) => state.tensors[EXP_AVG_SQ]);
    for (const state of states) state.step += 1;

    if (this.fused) {
      const done = fusedAdamStep(
        params,
        grads,
        expAvgs,
        expAvgSqs,
        amsgrad ? maximaOf(states, params) : null,
        states.map((state) => lr / (1 - beta1 ** state.step)),
        states.map((state) => Math.sqrt(1 - beta2 ** state.step)),
        {
          beta1,
          beta2,
          eps,
          weightDecay: this.decoupled ? 0 : weightDecay,
          decay: this.decoupled ? 1 - lr * weightDecay : 1,
          maximize,
        },
      );
      if (done) return;
    }

    // Decoupled decay scales the parameters; L2 decay joins the gradient.
    const coupledDecay = !this.decoupled && weightDecay !== 0;
    if (this.decoupled && weightDecay !== 0) foreach.mulScalarInPlace(params, 1 - lr * weightDecay);
    let gradient = grads;
    const scratch = maximize || coupledDecay ? this.scratchFor(params) : null;
    if (scratch !== null) {
      gradient = scratch;
      if (maximize) {
        foreach.negOut(grads, scratch);
        if (coupledDecay) foreach.addInPlace(scratch, params, weightDecay);
      } else {
        foreach.addOut(grads, params, weightDecay, scratch);
      }
    }

    // Moments: m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2.
    foreach.mulScalarInPlace(expAvgs, beta1);
    foreach.addInPlace(expAvgs, gradient, 1 - beta1);
    foreach.mulScalarInPlace(expAvgSqs, beta2);
    foreach.addcmulInPlace(expAvgSqs, gradient, gradient, 1 - beta2);

    // Denominator sqrt(v) (or of max v, for AMSGrad), into the work buffers: the
    // gradient copy held there is no longer needed.
    const denominators = scratch ?? this.scratchFor(params);
    if (amsgrad) {
      const maxima = maximaOf(states, params);
      foreach.maximumInPlace(maxima, expAvgSqs);
      foreach.sqrtOut(maxima, denominators);
    } else {
      foreach.sqrtOut(expAvgSqs, denominators);
    }

    // Bias corrections depend on the step count, which differs between parameters that
    // missed steps (a null gradient); one set of calls per distinct count.
    for (const indices of byStep(states)) {
      const step = states[indices[0]].step;
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
      const pick = <T>(list: T[]): T[] =>
        indices.length === list.length ? list : indices.map((i) => list[i]);
      const denominator = pick(denominators);
      foreach.divScalarInPlace(denominator, biasCorrection2Sqrt);
      foreach.addScalarInPlace(denominator, eps);
      foreach.addcdivInPlace(pick(params), pick(expAvgs), denominator, -lr / biasCorrection1);
    }
  }

  protected override stateToDict(state: ParamState): Record<string, StateValue> {
    const entry: Record<string, StateValue> = {
      step: this.stepTensorOf(state),
      [EXP_AVG]: state.tensors[EXP_AVG],
      [EXP_AVG_SQ]: state.tensors[EXP_AVG_SQ],
    };
    if (state.tensors[MAX_EXP_AVG_SQ]) entry[MAX_EXP_AVG_SQ] = state.tensors[MAX_EXP_AVG_SQ];
    return entry;
  }

  protected override stateFromDict(
    param: Tensor,
    entry: Record<string, unknown>,
    group: AdamParamGroup,
    where: string,
  ): ParamState {
    const step = readStep(entry.step, `${where}.step`);
    const keys = group.amsgrad ? [EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ] : [EXP_AVG, EXP_AVG_SQ];
    const tensors: Record<string, Tensor> = {};
    try {
      for (const key of keys) {
        if (entry[key] === undefined || entry[key] === null) {
          const why = key === MAX_EXP_AVG_SQ ? ' (the group has amsgrad: true)' : '';
          throw stateError(`${where}: expected a '${key}' tensor${why}, got none`);
        }
        tensors[key] = copyStateTensor(entry[key], param, `${where}.${key}`);
      }
    } catch (error) {
      for (const tensor of Object.values(tensors)) tensor.dispose();
      throw error;
    }
    return { tensors, step };
  }
}

/** The AMSGrad running maxima of the second moments, made on first use. */
function maximaOf(states: ParamState[], params: Tensor[]): Tensor[] {
  return states.map((state, i) => {
    state.tensors[MAX_EXP_AVG_SQ] ??= owned(zerosLike(params[i]));
    return state.tensors[MAX_EXP_AVG_SQ];
  });
}

function freshState(param: Tensor, amsgrad: boolean): ParamState {
  const tensors: Record<string, Tensor> = {
    [EXP_AVG]: owned(zerosLike(param)),
    [EXP_AVG_SQ]: owned(zerosLike(param)),
  };
  if (amsgrad) tensors[MAX_EXP_AVG_SQ] = owned(zerosLike(param));
  return { tensors, step: 0 };
}

/** Indices of `states` grouped by equal step count (usually one group of all). */
function byStep(states: ParamState[]): number[][] {
  const first = states[0].step;
  if (states.every((state) => state.step === first)) return [states.map((_, i) => i)];
  const groups = new Map<number, number[]>();
  states.forEach((state, i) => {
    const list = groups.get(state.step);
    if (list) list.push(i);
    else groups.set(state.step, [i]);
  });
  return [...groups.values()];
}

/**
 * Adam (PyTorch's `torch.optim.Adam`), with L2 weight decay added to the gradient. For each
 * parameter `p` with gradient `g` at step `t`:
 *
 * ```
 * g = g + wd * p                                  (g = -g first when maximizing)
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g^2               (AMSGrad: vmax = max(vmax, v), used for v)
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * ```
 *
 * Memory: two state tensors per parameter (three with AMSGrad), as in PyTorch. Op by op
 * (`fused: false`, or parameters the one-pass kernel does not take) adds one work tensor per
 * parameter, kept between steps, for the denominator, where PyTorch allocates a temporary at
 * each step.
 *
 * @example
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends AdamBase {
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsInput<AdamOptions>, options: AdamOptions = {}) {
    super('Adam', ADAM_SPECS, params, options);
  }
}

/**
 * AdamW (PyTorch's `torch.optim.AdamW`): Adam whose weight decay scales the parameters,
 * `p = p * (1 - lr * wd)`, before the Adam update, rather than joining the gradient.
 *
 * @example
 * const optimizer = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends AdamBase {
  protected readonly decoupled: boolean = true;

  constructor(params: ParamsInput<AdamWOptions>, options: AdamWOptions = {}) {
    super('AdamW', ADAMW_SPECS, params, options);
  }
}
