/**
 * Learning-rate schedules, as PyTorch 1.13's `torch.optim.lr_scheduler`: StepLR,
 * CosineAnnealingLR and ReduceLROnPlateau. A schedule changes `lr` in its optimizer's
 * parameter groups; call its `step()` once per epoch, after the optimizer's steps.
 */
import {
  AekitError,
  Tensor,
  checkInteger,
  checkNumber,
  checkType,
  invalid,
} from '../engine/index.js';
import { anyNumber, checkOptions, nonNegative } from './checks.js';
import { Optimizer, ParamGroup } from './optimizer.js';

/** What a schedule needs of an optimizer: its parameter groups. */
export type ScheduledOptimizer = Pick<Optimizer<ParamGroup>, 'paramGroups'>;

/** A schedule's state in PyTorch's `state_dict()` layout (its attributes by Python name). */
export type SchedulerStateDict = Record<string, unknown>;

/** Options shared by epoch-driven schedules. */
export interface LRSchedulerOptions {
  /**
   * The index of the last epoch when resuming; -1 starts fresh. With any other value each
   * group must already have `initialLr` (as PyTorch requires `initial_lr`). Default: -1.
   */
  lastEpoch?: number;
}

/**
 * The base of epoch-driven schedules (PyTorch's `_LRScheduler`). Construction performs the
 * first step, so `getLastLr()` holds the learning rates of epoch 0 at once. To resume, as in
 * PyTorch: make the optimizer and the schedule, then load the optimizer's state dict, then
 * the schedule's.
 */
export abstract class LRScheduler {
  /** The optimizer whose learning rates this schedule sets. */
  readonly optimizer: ScheduledOptimizer;
  /** The learning rate of each group when the schedule started. */
  baseLrs: number[];
  /** The index of the current epoch. */
  lastEpoch: number;
  /** How many times `step()` ran (PyTorch's `_step_count`), including the one at construction. */
  protected stepCount = 0;
  private lastLr: number[] = [];

  protected constructor(
    protected readonly name: string,
    optimizer: ScheduledOptimizer,
    options: LRSchedulerOptions,
  ) {
    checkOptimizer(optimizer, name);
    this.optimizer = optimizer;
    const lastEpoch = checkInteger(options.lastEpoch ?? -1, `${name}: lastEpoch`, -1);
    optimizer.paramGroups.forEach((group, g) => {
      if (lastEpoch === -1) {
        group.initialLr ??= group.lr;
      } else if (group.initialLr === undefined) {
        throw new AekitError(
          'BAD_INPUT',
          `${name}: paramGroups[${g}].initialLr: expected a number when resuming ` +
            `(lastEpoch ${lastEpoch}), got undefined`,
        );
      }
    });
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** Moves to the next epoch and sets each group's learning rate for it. */
  step(): void {
    this.stepCount += 1;
    this.lastEpoch += 1;
    const values = this.computeLr();
    this.optimizer.paramGroups.forEach((group, g) => {
      group.lr = values[g];
    });
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The learning rate of each group as last set by this schedule. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The schedule's state under PyTorch's attribute names. */
  stateDict(): SchedulerStateDict {
    return {
      ...this.ownState(),
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      verbose: false,
      _step_count: this.stepCount,
      _get_lr_called_within_step: false,
      _last_lr: [...this.lastLr],
    };
  }

  /** Restores state saved by {@link stateDict} (here or by PyTorch). */
  loadStateDict(dict: SchedulerStateDict): void {
    const what = `${this.name}.loadStateDict`;
    const groups = this.optimizer.paramGroups.length;
    try {
      checkType(dict !== null && typeof dict === 'object', what, 'an object', dict);
      const baseLrs = numberList(dict.base_lrs, `${what}: base_lrs`, groups);
      const lastLr = numberList(dict._last_lr, `${what}: _last_lr`, groups);
      const lastEpoch = checkInteger(dict.last_epoch, `${what}: last_epoch`, -1);
      const stepCount = checkInteger(dict._step_count, `${what}: _step_count`, 0);
      this.loadOwnState(dict, what);
      this.baseLrs = baseLrs;
      this.lastLr = lastLr;
      this.lastEpoch = lastEpoch;
      this.stepCount = stepCount;
    } catch (error) {
      if (error instanceof AekitError) throw error;
      throw new AekitError('STATE_DICT', (error as Error).message, { cause: error });
    }
  }

  /** The learning rates for epoch `lastEpoch` (PyTorch's chainable `get_lr`). */
  protected abstract computeLr(): number[];

  /** The subclass's own settings under PyTorch's names. */
  protected abstract ownState(): SchedulerStateDict;

  /** Reads the subclass's settings; throws TypeError/RangeError on a bad value. */
  protected abstract loadOwnState(dict: SchedulerStateDict, what: string): void;

  /** The learning rate of each group now. */
  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }
}

/** Options of {@link StepLR}. */
export interface StepLROptions extends LRSchedulerOptions {
  /** Epochs between decays; an integer >= 1. Required. */
  stepSize: number;
  /** Factor applied at each decay. Default: 0.1. */
  gamma?: number;
}

/**
 * Multiplies each group's learning rate by `gamma` every `stepSize` epochs
 * (PyTorch's `StepLR`).
 *
 * @example
 * const schedule = new StepLR(optimizer, { stepSize: 10, gamma: 0.5 });
 * for (let epoch = 0; epoch < 30; epoch++) { train(); schedule.step(); }
 */
export class StepLR extends LRScheduler {
  /** Epochs between decays. */
  stepSize: number;
  /** Factor applied at each decay. */
  gamma: number;

  constructor(optimizer: ScheduledOptimizer, options: StepLROptions) {
    const keys = ['stepSize', 'gamma', 'lastEpoch'];
    super('StepLR', optimizer, checkOptions(options, keys, 'StepLR: options'));
    this.stepSize = checkInteger(options.stepSize, 'StepLR: stepSize', 1);
    this.gamma = anyNumber(options.gamma ?? 0.1, 'StepLR: gamma');
    this.step();
  }

  protected override computeLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  protected override ownState(): SchedulerStateDict {
    return { step_size: this.stepSize, gamma: this.gamma };
  }

  protected override loadOwnState(dict: SchedulerStateDict, what: string): void {
    this.stepSize = checkInteger(dict.step_size, `${what}: step_size`, 1);
    this.gamma = anyNumber(dict.gamma, `${what}: gamma`);
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions extends LRSchedulerOptions {
  /** Epochs of one half-period of the cosine; an integer >= 1. Required. */
  tMax: number;
  /** The smallest learning rate. Default: 0. */
  etaMin?: number;
}

/**
 * Anneals each group's learning rate from its initial value to `etaMin` along a half
 * cosine over `tMax` epochs, then back up, and so on (PyTorch's `CosineAnnealingLR`, in its
 * recursive form, so that it composes with other changes to `lr` the same way). From
 * Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts" (2017).
 *
 * @example
 * const schedule = new CosineAnnealingLR(optimizer, { tMax: 50, etaMin: 1e-5 });
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Epochs of one half-period. */
  tMax: number;
  /** The smallest learning rate. */
  etaMin: number;

  constructor(optimizer: ScheduledOptimizer, options: CosineAnnealingLROptions) {
    const keys = ['tMax', 'etaMin', 'lastEpoch'];
    super(
      'CosineAnnealingLR',
      optimizer,
      checkOptions(options, keys, 'CosineAnnealingLR: options'),
    );
    this.tMax = checkInteger(options.tMax, 'CosineAnnealingLR: tMax', 1);
    this.etaMin = nonNegative(options.etaMin ?? 0, 'CosineAnnealingLR: etaMin');
    this.step();
  }

  protected override computeLr(): number[] {
    const { lastEpoch: epoch, tMax, etaMin } = this;
    const lrs = this.currentLrs();
    if (epoch === 0) return lrs;
    if (this.stepCount === 1 && epoch > 0) {
      // Resuming: the closed form at this epoch.
      return this.baseLrs.map(
        (base) => etaMin + ((base - etaMin) * (1 + Math.cos((epoch * Math.PI) / tMax))) / 2,
      );
    }
    if ((epoch - 1 - tMax) % (2 * tMax) === 0) {
      // The bottom of the cosine: step up by the first increment of the next half-period.
      return lrs.map(
        (lr, g) => lr + ((this.baseLrs[g] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2,
      );
    }
    const ratio =
      (1 + Math.cos((Math.PI * epoch) / tMax)) / (1 + Math.cos((Math.PI * (epoch - 1)) / tMax));
    return lrs.map((lr) => ratio * (lr - etaMin) + etaMin);
  }

  protected override ownState(): SchedulerStateDict {
    return { T_max: this.tMax, eta_min: this.etaMin };
  }

  protected override loadOwnState(dict: SchedulerStateDict, what: string): void {
    this.tMax = checkInteger(dict.T_max, `${what}: T_max`, 1);
    this.etaMin = nonNegative(dict.eta_min, `${what}: eta_min`);
  }
}

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** 'min' when lower metrics are better (a loss), 'max' when higher are. Default: 'min'. */
  mode?: 'min' | 'max';
  /** Factor the learning rate is multiplied by on a plateau; in [0, 1). Default: 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated before reducing; an integer >= 0. Default: 10. */
  patience?: number;
  /** How much better a metric must be to count as an improvement. Default: 1e-4. */
  threshold?: number;
  /**
   * 'rel': better means beyond `best * (1 -/+ threshold)`; 'abs': beyond
   * `best -/+ threshold`. Default: 'rel'.
   */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. Default: 0. */
  cooldown?: number;
  /** A lower bound on the learning rate: one for all groups, or one per group. Default: 0. */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped. Default: 1e-8. */
  eps?: number;
}

/**
 * Reduces each group's learning rate by `factor` when a metric has stopped improving for
 * more than `patience` epochs (PyTorch's `ReduceLROnPlateau`). Call `step(metric)` once per
 * epoch with the validation metric.
 *
 * @example
 * const schedule = new ReduceLROnPlateau(optimizer, { patience: 5, factor: 0.5 });
 * for (const epoch of epochs) schedule.step(validate());
 */
export class ReduceLROnPlateau {
  /** The optimizer whose learning rates this schedule sets. */
  readonly optimizer: ScheduledOptimizer;
  /** Whether lower ('min') or higher ('max') metrics are better. */
  mode: 'min' | 'max';
  /** Factor applied to the learning rate on a plateau. */
  factor: number;
  /** Epochs without improvement tolerated. */
  patience: number;
  /** How much better counts as an improvement. */
  threshold: number;
  /** Whether `threshold` is relative or absolute. */
  thresholdMode: 'rel' | 'abs';
  /** Epochs to wait after a reduction. */
  cooldown: number;
  /** The lower bound of each group's learning rate. */
  minLrs: number[];
  /** Reductions smaller than this are skipped. */
  eps: number;
  /** The best metric so far (Infinity or -Infinity before the first). */
  best: number;
  /** Epochs since the last improvement, not counting cooldown. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** The index of the last epoch. */
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: ScheduledOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const name = 'ReduceLROnPlateau';
    const keys = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown'];
    checkOptions(options, [...keys, 'minLr', 'eps'], `${name}: options`);
    checkOptimizer(optimizer, name);
    this.optimizer = optimizer;
    this.mode = oneOf(options.mode ?? 'min', ['min', 'max'], `${name}: mode`);
    const factor = checkNumber(options.factor ?? 0.1, `${name}: factor`, 0);
    if (factor >= 1) throw new RangeError(invalid(`${name}: factor`, 'a number below 1', factor));
    this.factor = factor;
    this.patience = checkInteger(options.patience ?? 10, `${name}: patience`, 0);
    this.threshold = nonNegative(options.threshold ?? 1e-4, `${name}: threshold`);
    this.thresholdMode = oneOf(
      options.thresholdMode ?? 'rel',
      ['rel', 'abs'],
      `${name}: thresholdMode`,
    );
    this.cooldown = checkInteger(options.cooldown ?? 0, `${name}: cooldown`, 0);
    const groups = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    this.minLrs = Array.isArray(minLr)
      ? numberList(minLr, `${name}: minLr`, groups, 0)
      : new Array<number>(groups).fill(nonNegative(minLr, `${name}: minLr`));
    this.eps = nonNegative(options.eps ?? 1e-8, `${name}: eps`);
    this.best = this.worst();
    this.lastLr = optimizer.paramGroups.map((group) => group.lr);
  }

  /** Records this epoch's `metric` (a number or a one-element tensor) and reduces on a plateau. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : metric;
    checkType(
      typeof current === 'number',
      'ReduceLROnPlateau.step: metric',
      'a number or a one-element tensor',
      metric,
    );
    this.lastEpoch += 1;

    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduce();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The learning rate of each group after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The schedule's state under PyTorch's attribute names. */
  stateDict(): SchedulerStateDict {
    return {
      factor: this.factor,
      min_lrs: [...this.minLrs],
      patience: this.patience,
      verbose: false,
      cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter,
      mode: this.mode,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      best: this.best,
      num_bad_epochs: this.numBadEpochs,
      mode_worse: this.worst(),
      eps: this.eps,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
    };
  }

  /** Restores state saved by {@link stateDict} (here or by PyTorch). */
  loadStateDict(dict: SchedulerStateDict): void {
    const what = 'ReduceLROnPlateau.loadStateDict';
    const groups = this.optimizer.paramGroups.length;
    try {
      checkType(dict !== null && typeof dict === 'object', what, 'an object', dict);
      const values = {
        mode: oneOf(dict.mode, ['min', 'max'], `${what}: mode`),
        factor: checkNumber(dict.factor, `${what}: factor`, 0),
        patience: checkInteger(dict.patience, `${what}: patience`, 0),
        threshold: nonNegative(dict.threshold, `${what}: threshold`),
        thresholdMode: oneOf(dict.threshold_mode, ['rel', 'abs'], `${what}: threshold_mode`),
        cooldown: checkInteger(dict.cooldown, `${what}: cooldown`, 0),
        cooldownCounter: checkInteger(dict.cooldown_counter, `${what}: cooldown_counter`, 0),
        minLrs: numberList(dict.min_lrs, `${what}: min_lrs`, groups, 0),
        eps: nonNegative(dict.eps, `${what}: eps`),
        best: checkNumber(dict.best, `${what}: best`),
        numBadEpochs: checkInteger(dict.num_bad_epochs, `${what}: num_bad_epochs`, 0),
        lastEpoch: checkInteger(dict.last_epoch, `${what}: last_epoch`, 0),
        lastLr: numberList(dict._last_lr, `${what}: _last_lr`, groups),
      };
      Object.assign(this, values);
    } catch (error) {
      if (error instanceof AekitError) throw error;
      throw new AekitError('STATE_DICT', (error as Error).message, { cause: error });
    }
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(value: number, best: number): boolean {
    if (this.mode === 'min') {
      return this.thresholdMode === 'rel'
        ? value < best * (1 - this.threshold)
        : value < best - this.threshold;
    }
    return this.thresholdMode === 'rel'
      ? value > best * (this.threshold + 1)
      : value > best + this.threshold;
  }

  private reduce(): void {
    this.optimizer.paramGroups.forEach((group, g) => {
      const newLr = Math.max(group.lr * this.factor, this.minLrs[g]);
      if (group.lr - newLr > this.eps) group.lr = newLr;
    });
  }
}

function checkOptimizer(optimizer: unknown, name: string): void {
  const ok =
    optimizer !== null &&
    typeof optimizer === 'object' &&
    Array.isArray((optimizer as ScheduledOptimizer).paramGroups);
  checkType(ok, `${name}: optimizer`, 'an Optimizer', optimizer);
}

function oneOf<T extends string>(value: unknown, allowed: T[], what: string): T {
  const expected = allowed.map((item) => `'${item}'`).join(' or ');
  checkType(allowed.includes(value as T), what, expected, value);
  return value as T;
}

function numberList(value: unknown, what: string, length: number, min = -Infinity): number[] {
  const ok = Array.isArray(value) && value.length === length;
  checkType(ok, what, `an array of ${length} numbers (one per parameter group)`, value);
  return (value as unknown[]).map((item, i) => checkNumber(item, `${what}[${i}]`, min));
}
