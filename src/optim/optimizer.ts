/**
 * The optimizer base: parameter groups, the update loop, gradients, and state dicts in
 * PyTorch's layout. Subclasses say which hyper-parameters a group has (a table of
 * {@link HyperParameter}s) and how one group's parameters are updated.
 */
import {
  AekitError,
  Tensor,
  checkFloatTensor,
  checkNumber,
  checkType,
  invalid,
  keep,
  noGrad,
  scalar,
  zerosLike,
} from '../engine/index.js';
import { checkKeys, checkOptions } from './checks.js';

/** What every parameter group holds: its parameters and a learning rate. */
export interface ParamGroup {
  /** The tensors this group updates (leaf tensors, floating point). */
  params: Tensor[];
  /** Learning rate. Mutable: learning-rate schedules change it between steps. */
  lr: number;
  /**
   * The learning rate a schedule started from, set by the first schedule attached
   * (PyTorch's `initial_lr`). Undefined until then.
   */
  initialLr?: number;
}

/** A parameter group as given to a constructor: tensors plus options that override defaults. */
export type ParamGroupInput<O> = { params: Tensor[] } & O;

/** What optimizers take: a list of tensors, or a list of parameter groups. */
export type ParamsInput<O> = Tensor[] | ParamGroupInput<O>[];

/** A value in one parameter's optimizer state. */
export type StateValue = Tensor | number | null;

/** A parameter group in a state dict: PyTorch's hyper-parameter keys, and parameter ids. */
export interface StateDictParamGroup {
  /** The learning rate. */
  lr: number;
  /** The ids of the group's parameters (keys of `state`). */
  params: number[];
  /** The other hyper-parameters, under PyTorch's names (`weight_decay`, `betas`, ...). */
  [key: string]: unknown;
}

/**
 * An optimizer's state in PyTorch's `state_dict()` layout. Parameters are numbered in
 * group order from 0; `state` maps those numbers to per-parameter state under PyTorch's
 * key names, and `param_groups` holds each group's hyper-parameters and its numbers.
 */
export interface OptimizerStateDict {
  /** Per-parameter state by parameter id; parameters not yet updated have none. */
  state: Map<number, Record<string, StateValue>>;
  /** Each group's hyper-parameters and parameter ids. */
  param_groups: StateDictParamGroup[];
}

/**
 * One hyper-parameter of a group: its aekit name, PyTorch's key, its default, and the check
 * that validates a value (and names it in messages). An entry with `constant` instead is a
 * key PyTorch writes that aekit does not vary (such as `foreach: None`).
 */
export type HyperParameter =
  | {
      /** The option's name in aekit (`weightDecay`). */
      name: string;
      /** The key in PyTorch's param_groups (`weight_decay`). */
      py: string;
      /** The value when neither the group nor the options give one; none means required. */
      default?: unknown;
      /** Validates a value (naming it `what` in messages) and returns it. */
      check: (value: unknown, what: string) => unknown;
      /** Older PyTorch versions lacked this key: a state dict without it loads the default. */
      newerKey?: boolean;
    }
  | { py: string; constant: unknown };

/** Per-parameter state: named tensors plus a step count. */
export interface ParamState {
  /** State tensors under PyTorch's key names, owned by the optimizer. */
  tensors: Record<string, Tensor>;
  /** Steps taken for this parameter (optimizers that count steps). */
  step: number;
  /** The step count as a float32 scalar tensor for state dicts, made on demand. */
  stepTensor?: Tensor;
}

type Group = ParamGroup & Record<string, unknown>;

/**
 * The base of all optimizers. `step()` applies one update to every parameter that has a
 * gradient, in place and without recording for autograd; `zeroGrad()` clears gradients;
 * `stateDict()` / `loadStateDict()` move state in PyTorch's layout; `dispose()` frees it.
 */
export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  /** The parameter groups, each with its parameters and hyper-parameters. */
  readonly paramGroups: G[];

  /** Per-parameter state, created on a parameter's first update. */
  protected readonly state = new Map<Tensor, ParamState>();

  /** Per-parameter work buffers (not state): one tensor shaped like the parameter. */
  private readonly scratch = new Map<Tensor, Tensor>();

  private disposedFlag = false;

  /**
   * @param name the class name, for messages
   * @param specs the hyper-parameters of a group, in PyTorch's key order
   * @param params tensors, or parameter groups with their own options
   * @param options defaults for every group
   */
  protected constructor(
    protected readonly name: string,
    private readonly specs: HyperParameter[],
    params: ParamsInput<object>,
    options: object,
  ) {
    checkOptions(options, this.names(), `${name}: options`);
    const inputs = toGroups(name, params);
    this.paramGroups = inputs.map(
      ({ input, where }) => this.makeGroup(input, options as Record<string, unknown>, where) as G,
    );
    checkParams(name, this.paramGroups, inputs[0].where === null);
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Applies one update to each parameter whose gradient is not null. */
  step(): void {
    this.checkLive('step');
    noGrad(() => {
      for (const group of this.paramGroups) {
        const params: Tensor[] = [];
        const grads: Tensor[] = [];
        for (const param of group.params) {
          const grad = param.grad;
          if (grad === null) continue;
          params.push(param);
          grads.push(grad);
        }
        if (params.length === 0) continue;
        try {
          this.update(group, params, grads);
        } finally {
          for (const grad of grads) grad.dispose();
        }
      }
    });
  }

  /** Sets every parameter's gradient to null (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const group of this.paramGroups) {
      for (const param of group.params) param.grad = null;
    }
  }

  /**
   * The state in PyTorch's `state_dict()` layout. As in PyTorch, the tensors are the
   * optimizer's own, not copies: do not dispose them, and save them before the next step
   * changes them. `torch.optim.<Name>.load_state_dict` accepts it once pickled.
   */
  stateDict(): OptimizerStateDict {
    this.checkLive('stateDict');
    const state = new Map<number, Record<string, StateValue>>();
    const groups: StateDictParamGroup[] = [];
    let id = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const param of group.params) {
        const entry = this.state.get(param);
        if (entry) state.set(id, this.stateToDict(entry, group));
        ids.push(id++);
      }
      const saved: Record<string, unknown> = {};
      for (const spec of this.specs) {
        saved[spec.py] =
          'constant' in spec ? spec.constant : copyValue(group[spec.name as keyof G]);
      }
      if (group.initialLr !== undefined) saved.initial_lr = group.initialLr;
      groups.push({ ...(saved as { lr: number }), params: ids });
    }
    return { state, param_groups: groups };
  }

  /**
   * Replaces hyper-parameters and state with those of `dict` (from {@link stateDict} here
   * or from PyTorch's `state_dict()`). Tensors are copied, so `dict` may be disposed after.
   * Groups and parameters are matched by position. Throws an AekitError with code
   * 'STATE_DICT' when the group count, a group's parameter count, a tensor's shape or a
   * value does not fit; the optimizer is unchanged then.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    this.checkLive('loadStateDict');
    const what = `${this.name}.loadStateDict`;
    if (dict === null || typeof dict !== 'object' || !Array.isArray(dict.param_groups)) {
      throw stateError(invalid(what, "an object with 'state' and 'param_groups'", dict));
    }
    const savedGroups = dict.param_groups;
    if (savedGroups.length !== this.paramGroups.length) {
      throw stateError(
        `${what}: expected ${this.paramGroups.length} parameter groups, got ${savedGroups.length}`,
      );
    }

    // Hyper-parameters, and the saved id of each current parameter.
    const hyper: Record<string, unknown>[] = [];
    const paramOf = new Map<number, { param: Tensor; group: number }>();
    savedGroups.forEach((saved, g) => {
      const where = `${what}: param_groups[${g}]`;
      if (saved === null || typeof saved !== 'object' || !Array.isArray(saved.params)) {
        throw stateError(invalid(where, "an object with 'params'", saved));
      }
      const params = this.paramGroups[g].params;
      if (saved.params.length !== params.length) {
        throw stateError(
          `${where}.params: expected ${params.length} parameters (as in the optimizer's group), ` +
            `got ${saved.params.length}`,
        );
      }
      hyper.push(this.readHyper(saved, where));
      saved.params.forEach((id, i) => paramOf.set(Number(id), { param: params[i], group: g }));
    });

    // State, built beside the current one and swapped in only when all of it fits.
    const built = new Map<Tensor, ParamState>();
    try {
      for (const [key, entry] of stateEntries(dict.state, what)) {
        const owner = paramOf.get(key);
        if (owner === undefined) {
          throw stateError(
            `${what}: state has an entry for parameter ${key}, which no group lists`,
          );
        }
        if (entry === null || typeof entry !== 'object') {
          throw stateError(invalid(`${what}: state of parameter ${key}`, 'an object', entry));
        }
        const group = { ...this.paramGroups[owner.group], ...hyper[owner.group] } as G;
        const where = `${what}: state of parameter ${key}`;
        const fields = entry as Record<string, unknown>;
        built.set(owner.param, this.stateFromDict(owner.param, fields, group, where));
      }
    } catch (error) {
      for (const entry of built.values()) disposeState(entry);
      throw error;
    }

    for (const entry of this.state.values()) disposeState(entry);
    this.state.clear();
    for (const [param, entry] of built) this.state.set(param, entry);
    this.paramGroups.forEach((group, g) => Object.assign(group, hyper[g]));
  }

  /** Frees the state and work tensors. Safe to call more than once. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const entry of this.state.values()) disposeState(entry);
    for (const buffer of this.scratch.values()) buffer.dispose();
    this.state.clear();
    this.scratch.clear();
  }

  // ---- for subclasses --------------------------------------------------------------

  /**
   * Updates `params` (those of `group` with a gradient) given their `grads`. Runs under
   * no-grad; the gradients are freed afterwards by the caller.
   */
  protected abstract update(group: G, params: Tensor[], grads: Tensor[]): void;

  /** One parameter's state under PyTorch's keys. */
  protected abstract stateToDict(state: ParamState, group: G): Record<string, StateValue>;

  /** Builds one parameter's state from a state dict entry (copying its tensors). */
  protected abstract stateFromDict(
    param: Tensor,
    entry: Record<string, unknown>,
    group: G,
    where: string,
  ): ParamState;

  /** Checks relations between a group's values (say, nesterov needs momentum). */
  protected checkGroup(_group: G, _where: string): void {}

  /** The state of `param`, made by `create` on first use. */
  protected stateOf(param: Tensor, create: () => ParamState): ParamState {
    let entry = this.state.get(param);
    if (entry === undefined) {
      entry = create();
      this.state.set(param, entry);
    }
    return entry;
  }

  /** A work tensor per parameter, shaped like it, kept between steps. */
  protected scratchFor(params: Tensor[]): Tensor[] {
    return params.map((param) => {
      let buffer = this.scratch.get(param);
      if (buffer === undefined) {
        buffer = owned(zerosLike(param));
        this.scratch.set(param, buffer);
      }
      return buffer;
    });
  }

  /** The scalar float32 step tensor PyTorch 1.13 keeps, refreshed to `state.step`. */
  protected stepTensorOf(state: ParamState): Tensor {
    if (state.stepTensor === undefined) {
      state.stepTensor = owned(scalar(state.step));
    } else {
      state.stepTensor.fill_(state.step);
    }
    return state.stepTensor;
  }

  // ---- internals -------------------------------------------------------------------

  private names(): string[] {
    return this.specs.flatMap((spec) => ('name' in spec ? [spec.name] : []));
  }

  private makeGroup(
    input: Record<string, unknown>,
    options: Record<string, unknown>,
    where: string | null,
  ): Group {
    if (where !== null) checkKeys(input, ['params', ...this.names()], `${this.name}: ${where}`);
    const group: Record<string, unknown> = { params: [...(input.params as Tensor[])] };
    for (const spec of this.specs) {
      if (!('name' in spec)) continue;
      const fromGroup = where !== null && input[spec.name] !== undefined;
      const value = fromGroup ? input[spec.name] : (options[spec.name] ?? spec.default);
      const what = fromGroup ? `${this.name}: ${where}.${spec.name}` : `${this.name}: ${spec.name}`;
      group[spec.name] = spec.check(value, what);
    }
    const checked = group as Group;
    this.checkGroup(checked as unknown as G, where === null ? this.name : `${this.name}: ${where}`);
    return checked;
  }

  private readHyper(saved: Record<string, unknown>, where: string): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    try {
      for (const spec of this.specs) {
        if (!('name' in spec)) continue;
        const missing = saved[spec.py] === undefined && spec.newerKey;
        values[spec.name] = spec.check(
          missing ? spec.default : saved[spec.py],
          `${where}.${spec.py}`,
        );
      }
      if (saved.initial_lr !== undefined) {
        values.initialLr = checkNumber(saved.initial_lr, `${where}.initial_lr`, 0);
      }
      this.checkGroup(values as unknown as G, where);
    } catch (error) {
      if (error instanceof AekitError) throw error;
      throw stateError((error as Error).message, error);
    }
    return values;
  }

  private checkLive(method: string): void {
    if (this.disposedFlag) {
      throw new AekitError('DISPOSED', `${this.name}.${method}: the optimizer was disposed`);
    }
  }
}

// ---- helpers shared by the optimizers ------------------------------------------------

/** Takes a tensor the optimizer owns out of any enclosing `tidy()` scope. */
export function owned(tensor: Tensor): Tensor {
  return keep(tensor);
}

/** An AekitError with code 'STATE_DICT'. */
export function stateError(message: string, cause?: unknown): AekitError {
  return new AekitError('STATE_DICT', message, cause === undefined ? undefined : { cause });
}

/**
 * A copy of a state dict tensor for `param`, owned by the optimizer: it must be a tensor of
 * the parameter's shape, and is converted to the parameter's dtype and device.
 */
export function copyStateTensor(value: unknown, param: Tensor, where: string): Tensor {
  if (!(value instanceof Tensor) || value.isDisposed) {
    throw stateError(invalid(where, 'a tensor', value));
  }
  const expected = param.shape;
  const got = value.shape;
  if (expected.length !== got.length || expected.some((size, i) => size !== got[i])) {
    throw stateError(
      `${where}: expected shape [${expected.join(', ')}] (the parameter's), ` +
        `got [${got.join(', ')}]`,
    );
  }
  let copy = value.dtype === param.dtype ? value.clone() : value.to(param.dtype);
  if (copy.device !== param.device) {
    const moved = copy.to(param.device as never);
    copy.dispose();
    copy = moved;
  }
  return owned(copy);
}

/** A step count from a state dict: a number or a one-element tensor, >= 0. */
export function readStep(value: unknown, where: string): number {
  const step = value instanceof Tensor && !value.isDisposed ? value.item() : value;
  if (typeof step !== 'number' || !Number.isFinite(step) || step < 0) {
    throw stateError(invalid(where, 'a step count >= 0 (a number or a scalar tensor)', value));
  }
  return step;
}

function disposeState(entry: ParamState): void {
  for (const tensor of Object.values(entry.tensors)) tensor.dispose();
  entry.stepTensor?.dispose();
}

function copyValue(value: unknown): unknown {
  return Array.isArray(value) ? [...value] : value;
}

function stateEntries(state: unknown, what: string): [number, unknown][] {
  if (state instanceof Map) return [...state.entries()].map(([k, v]) => [Number(k), v]);
  if (state !== null && typeof state === 'object') {
    return Object.entries(state).map(([k, v]) => [Number(k), v]);
  }
  if (state === undefined) return [];
  throw stateError(invalid(`${what}: state`, 'a Map from parameter ids to state', state));
}

/** Splits a constructor's `params` into group inputs with a name for messages. */
function toGroups(
  name: string,
  params: unknown,
): { input: Record<string, unknown>; where: string | null }[] {
  const expected = 'an array of tensors or of parameter groups';
  checkType(Array.isArray(params), `${name}: params`, expected, params);
  const list = params as unknown[];
  if (list.length === 0) {
    throw new RangeError(invalid(`${name}: params`, 'a non-empty array', list));
  }
  if (list[0] instanceof Tensor) return [{ input: { params: list }, where: null }];
  return list.map((item, g) => {
    const where = `paramGroups[${g}]`;
    const ok = item !== null && typeof item === 'object' && !(item instanceof Tensor);
    checkType(ok, `${name}: ${where}`, 'a parameter group ({ params, ... })', item);
    const group = item as Record<string, unknown>;
    checkType(
      Array.isArray(group.params),
      `${name}: ${where}.params`,
      'an array of tensors',
      group.params,
    );
    return { input: group, where };
  });
}

/** Each parameter: a live floating-point leaf tensor, in no more than one place. */
function checkParams(name: string, groups: ParamGroup[], flat: boolean): void {
  const seen = new Map<Tensor, string>();
  groups.forEach((group, g) => {
    group.params.forEach((param, i) => {
      const what = flat ? `params[${i}]` : `paramGroups[${g}].params[${i}]`;
      const label = `${name}: ${what}`;
      if (param instanceof Tensor && param.isDisposed) {
        throw new AekitError('DISPOSED', `${label}: expected a live tensor, got a disposed one`);
      }
      checkFloatTensor(param, label);
      if (!param.isLeaf) {
        throw new TypeError(
          `${label}: expected a leaf tensor (made by the user, not computed), ` +
            `got a computed ${String(param)}`,
        );
      }
      const earlier = seen.get(param);
      if (earlier !== undefined) {
        throw new AekitError(
          'BAD_INPUT',
          `${label}: expected each parameter once, got the tensor already at ${earlier}`,
        );
      }
      seen.set(param, what);
    });
  });
}
