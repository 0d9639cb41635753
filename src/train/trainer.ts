/**
 * The training loop: epochs of seeded batches, validation, early stopping, learning-rate
 * schedules, a checkpoint each epoch (written atomically), resume, and events for progress.
 *
 * Repeatability: every random draw of an epoch (batch order, corruption, dropout, VAE
 * sampling) comes from streams seeded by (seed, epoch), so a run resumed from the
 * checkpoint of epoch N continues exactly as the uninterrupted run would have.
 */
import { existsSync } from 'node:fs';
import {
  AekitError,
  Generator,
  SavedObject,
  SavedValue,
  Tensor,
  checkInteger,
  checkNumber,
  loadFile,
  manualSeed,
  noGrad,
  saveFile,
  tensor,
  tidy,
} from '../engine/index.js';
import { Dataset, indexBatches, sampleShape } from '../data/index.js';
import { Autoencoder, Corruption, corrupt, isVae } from '../models/index.js';
import {
  Adam,
  AdamW,
  CosineAnnealingLR,
  LRScheduler,
  Optimizer,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  clipGradNorm,
} from '../optim/index.js';
import { collapseWarnings } from './warnings.js';

/** Learning-rate schedules, stepped once per epoch. */
export type Schedule =
  | { kind: 'step'; stepSize: number; gamma?: number }
  | { kind: 'cosine'; minLr?: number }
  | { kind: 'plateau'; factor?: number; patience?: number };

/** Options of {@link train}. */
export interface TrainOptions {
  /** Passes over the training data. */
  epochs: number;
  /** Samples per batch; clamped to the data size with a warning. Default: 128. */
  batchSize?: number;
  /** Default: 1e-3. */
  learningRate?: number;
  /** Default: 'adam'. */
  optimizer?: 'adam' | 'adamw' | 'sgd';
  /** Default: 0 (1e-2 for adamw). */
  weightDecay?: number;
  /** SGD momentum. Default: 0.9. */
  momentum?: number;
  /** Default: none (constant learning rate). */
  schedule?: Schedule;
  /** Held-out data scored after each epoch. Default: none. */
  validation?: Dataset;
  /** Stop after `patience` epochs without a validation improvement above `minDelta`. */
  earlyStopping?: { patience: number; minDelta?: number };
  /** Corrupt inputs on the fly (denoising training); targets stay clean. */
  corruption?: Corruption;
  /** Gradient-norm clipping. Default: none. */
  clipGradNorm?: number;
  /** Seed of every random draw. Default: 0. */
  seed?: number;
  /** Checkpoint file written after each epoch. Default: none. */
  checkpoint?: string;
  /** Continue from `checkpoint` if it exists. Default: false. */
  resume?: boolean;
  /** Receives progress events. */
  onEvent?: (event: TrainEvent) => void;
  /** Batches between 'batch' events. Default: 10. */
  eventEvery?: number;
}

/** Mean per-sample loss terms of one pass. */
export interface LossSummary {
  /** The weighted loss that training minimises, per sample. */
  loss: number;
  /** Each unweighted term, per sample (e.g. reconstruction, kl). */
  terms: Record<string, number>;
}

/** One epoch of history. */
export interface EpochRecord {
  epoch: number;
  train: LossSummary;
  validation?: LossSummary;
  learningRate: number;
  seconds: number;
  samplesPerSecond: number;
}

export type TrainEvent =
  | { type: 'start'; epochs: number; batchesPerEpoch: number; samples: number; resumedAt: number }
  | {
      type: 'batch';
      epoch: number;
      batch: number;
      batches: number;
      loss: number;
      samplesPerSecond: number;
      etaSeconds: number;
    }
  | { type: 'epoch'; record: EpochRecord; etaSeconds: number }
  | { type: 'checkpoint'; path: string; epoch: number }
  | { type: 'warning'; code: string; message: string }
  | { type: 'stop'; reason: 'finished' | 'early-stopping'; epoch: number };

/** What {@link train} returns: everything the model file records about training. */
export interface TrainSummary {
  history: EpochRecord[];
  epochsRun: number;
  stoppedEarly: boolean;
  /** Epoch whose weights the model ends with (the best one with early stopping). */
  bestEpoch: number;
  bestValidationLoss: number | null;
  seconds: number;
  warnings: string[];
  seed: number;
  options: Record<string, SavedValue>;
}

const CHECKPOINT_FORMAT = 'aekit-checkpoint';
const CHECKPOINT_VERSION = 1;

/** Trains `model` on `data` and returns the summary; the model keeps the final weights. */
export function train(model: Autoencoder, data: Dataset, options: TrainOptions): TrainSummary {
  const o = checkOptions(options);
  const emit = options.onEvent ?? (() => undefined);
  const warnings: string[] = [];
  const warn = (code: string, message: string): void => {
    warnings.push(message);
    emit({ type: 'warning', code, message });
  };
  checkDataFitsModel(model, data, 'training data');
  if (options.validation) checkDataFitsModel(model, options.validation, 'validation data');

  const optimizer = makeOptimizer(model, o);
  const scheduler = makeScheduler(optimizer, o);
  const inputs = tensor(data.data, { shape: data.shape });
  const validationInputs = options.validation
    ? tensor(options.validation.data, { shape: options.validation.shape })
    : null;

  const history: EpochRecord[] = [];
  let best = { loss: Infinity, epoch: -1, state: null as Record<string, Tensor> | null };
  let sinceBest = 0;
  let startEpoch = 0;
  let stoppedEarly = false;
  const started = Date.now();

  try {
    if (o.resume && o.checkpoint && existsSync(o.checkpoint)) {
      const restored = restoreCheckpoint(o.checkpoint, model, optimizer, scheduler);
      history.push(...restored.history);
      startEpoch = restored.nextEpoch;
      best = restored.best;
      sinceBest = restored.sinceBest;
    }
    const plan0 = indexBatches(data.shape[0], { batchSize: o.batchSize, seed: o.seed });
    for (const notice of plan0.notices) warn('BATCH_SIZE', notice);
    emit({
      type: 'start',
      epochs: o.epochs,
      batchesPerEpoch: plan0.batchCount,
      samples: data.shape[0],
      resumedAt: startEpoch,
    });

    for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
      const epochStart = Date.now();
      const trainSummary = runEpoch(model, optimizer, inputs, epoch, o, emit, started, startEpoch);
      const validation = validationInputs
        ? evaluateLoss(model, validationInputs, o.batchSize, epoch, o.seed)
        : undefined;
      const monitored = validation ? validation.loss : trainSummary.loss;
      if (scheduler instanceof ReduceLROnPlateau) scheduler.step(monitored);
      else scheduler?.step();

      const seconds = (Date.now() - epochStart) / 1000;
      const record: EpochRecord = {
        epoch,
        train: trainSummary,
        validation,
        learningRate: optimizer.paramGroups[0].lr,
        seconds,
        samplesPerSecond: data.shape[0] / Math.max(seconds, 1e-9),
      };
      history.push(record);

      // Early stopping keeps the best weights seen so far.
      if (monitored < best.loss - (o.earlyStopping?.minDelta ?? 0)) {
        disposeState(best.state);
        best = { loss: monitored, epoch, state: o.earlyStopping ? cloneState(model) : null };
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      const remaining = (o.epochs - epoch - 1) * averageSeconds(history);
      emit({ type: 'epoch', record, etaSeconds: remaining });
      for (const [code, message] of trendWarnings(model, history, validationInputs ?? inputs)) {
        warn(code, message);
      }
      if (o.checkpoint) {
        writeCheckpoint(o.checkpoint, model, optimizer, scheduler, history, best, sinceBest);
        emit({ type: 'checkpoint', path: o.checkpoint, epoch });
      }
      if (o.earlyStopping && sinceBest >= o.earlyStopping.patience) {
        stoppedEarly = true;
        break;
      }
    }

    if (best.state) model.loadStateDict(best.state);
    const last = history[history.length - 1];
    emit({
      type: 'stop',
      reason: stoppedEarly ? 'early-stopping' : 'finished',
      epoch: last ? last.epoch : -1,
    });
    return {
      history,
      epochsRun: history.length,
      stoppedEarly,
      bestEpoch: best.state ? best.epoch : (last?.epoch ?? -1),
      bestValidationLoss: validationInputs && Number.isFinite(best.loss) ? best.loss : null,
      seconds: (Date.now() - started) / 1000,
      warnings,
      seed: o.seed,
      options: summariseOptions(options),
    };
  } finally {
    disposeState(best.state);
    inputs.dispose();
    validationInputs?.dispose();
    optimizer.dispose();
  }
}

type Optional = 'validation' | 'onEvent' | 'schedule' | 'corruption' | 'earlyStopping';
type Resolved = Required<Omit<TrainOptions, Optional>> &
  Pick<TrainOptions, 'schedule' | 'corruption' | 'earlyStopping'>;

function checkOptions(options: TrainOptions): Resolved {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('train: options: expected an object with at least { epochs }');
  }
  const optimizer = options.optimizer ?? 'adam';
  if (!['adam', 'adamw', 'sgd'].includes(optimizer)) {
    throw new TypeError(
      `train: optimizer: expected 'adam', 'adamw' or 'sgd', got ${String(optimizer)}`,
    );
  }
  if (options.resume && !options.checkpoint) {
    throw new AekitError('BAD_INPUT', 'train: resume: expected a checkpoint path to resume from');
  }
  if (options.earlyStopping)
    checkInteger(options.earlyStopping.patience, 'train: earlyStopping.patience', 1);
  return {
    epochs: checkInteger(options.epochs, 'train: epochs', 1),
    batchSize: checkInteger(options.batchSize ?? 128, 'train: batchSize', 1),
    learningRate: checkNumber(options.learningRate ?? 1e-3, 'train: learningRate', 0),
    optimizer,
    weightDecay: checkNumber(
      options.weightDecay ?? (optimizer === 'adamw' ? 1e-2 : 0),
      'train: weightDecay',
      0,
    ),
    momentum: checkNumber(options.momentum ?? 0.9, 'train: momentum', 0, 1),
    schedule: options.schedule,
    earlyStopping: options.earlyStopping,
    corruption: options.corruption,
    clipGradNorm: checkNumber(options.clipGradNorm ?? 0, 'train: clipGradNorm', 0),
    seed: checkInteger(options.seed ?? 0, 'train: seed', 0),
    checkpoint: options.checkpoint ?? '',
    resume: options.resume ?? false,
    eventEvery: checkInteger(options.eventEvery ?? 10, 'train: eventEvery', 1),
  };
}

function checkDataFitsModel(model: Autoencoder, data: Dataset, what: string): void {
  const expected = model.config.inputShape;
  const got = sampleShape(data);
  if (data.shape[0] === 0) {
    throw new AekitError(
      'BAD_INPUT',
      `${data.source}: ${what}: expected at least one sample, got none`,
    );
  }
  if (got.length !== expected.length || got.some((size, i) => size !== expected[i])) {
    throw new AekitError(
      'BAD_INPUT',
      `${data.source}: ${what}: samples of shape [${got.join(', ')}] do not fit a model for ` +
        `[${expected.join(', ')}]`,
    );
  }
  if (model.config.likelihood === 'bernoulli') {
    const [low, high] = data.valueRange;
    if (low < 0 || high > 1) {
      throw new AekitError(
        'BAD_INPUT',
        `${data.source}: ${what}: values span [${low}, ${high}], but a Bernoulli likelihood ` +
          "needs targets in [0, 1]; scale the data or use likelihood 'gaussian'",
      );
    }
  }
}

function makeOptimizer(model: Autoencoder, o: Resolved): Optimizer {
  const params = model.parameters();
  const lr = o.learningRate;
  if (o.optimizer === 'sgd')
    return new SGD(params, { lr, momentum: o.momentum, weightDecay: o.weightDecay });
  if (o.optimizer === 'adamw') return new AdamW(params, { lr, weightDecay: o.weightDecay });
  return new Adam(params, { lr, weightDecay: o.weightDecay });
}

function makeScheduler(optimizer: Optimizer, o: Resolved): LRScheduler | ReduceLROnPlateau | null {
  const s = o.schedule;
  if (!s) return null;
  if (s.kind === 'step') return new StepLR(optimizer, { stepSize: s.stepSize, gamma: s.gamma });
  if (s.kind === 'cosine')
    return new CosineAnnealingLR(optimizer, { tMax: o.epochs, etaMin: s.minLr });
  return new ReduceLROnPlateau(optimizer, { factor: s.factor, patience: s.patience });
}

/** Seeds for epoch `epoch`: the global stream (dropout, VAE noise) and corruption's own. */
function seedEpoch(seed: number, epoch: number, salt: number): number {
  return (seed * 1_000_003 + epoch * 7919 + salt) % 2 ** 31;
}

function runEpoch(
  model: Autoencoder,
  optimizer: Optimizer,
  inputs: Tensor,
  epoch: number,
  o: Resolved,
  emit: (event: TrainEvent) => void,
  started: number,
  startEpoch: number,
): LossSummary {
  model.train();
  manualSeed(seedEpoch(o.seed, epoch, 1));
  const corruptionStream = o.corruption ? new Generator(seedEpoch(o.seed, epoch, 2)) : null;
  const plan = indexBatches(inputs.shape[0], { batchSize: o.batchSize, seed: o.seed, epoch });
  const totals = new Map<string, number>();
  let lossTotal = 0;
  let seen = 0;
  let batch = 0;
  const epochStart = Date.now();

  for (const indices of plan) {
    const size = indices.length;
    const result = tidy(() => {
      const index = tensor(Int32Array.from(indices), { dtype: 'int64' });
      const target = inputs.indexSelect(0, index); // [batch, ...sampleShape]
      const x = corruptionStream
        ? corrupt(target, o.corruption as Corruption, corruptionStream)
        : target;
      const progress = batch / plan.batchCount;
      const { loss, terms } = model.lossTerms(x, target, { epoch, progress });
      const value = loss.item();
      if (!Number.isFinite(value)) throw nonFinite(terms, value, epoch, batch, o.checkpoint);
      optimizer.zeroGrad();
      loss.backward();
      if (o.clipGradNorm > 0) clipGradNorm(model.parameters(), o.clipGradNorm);
      optimizer.step();
      const means: Record<string, number> = {};
      for (const [name, term] of Object.entries(terms)) means[name] = term.mean().item();
      return { value, means };
    });
    lossTotal += result.value * size;
    for (const [name, value] of Object.entries(result.means)) {
      totals.set(name, (totals.get(name) ?? 0) + value * size);
    }
    seen += size;
    batch++;
    if (batch % o.eventEvery === 0 || batch === plan.batchCount) {
      const elapsed = (Date.now() - epochStart) / 1000;
      const rate = seen / Math.max(elapsed, 1e-9);
      const left = plan.samplesPerEpoch - seen + (o.epochs - epoch - 1) * plan.samplesPerEpoch;
      emit({
        type: 'batch',
        epoch,
        batch,
        batches: plan.batchCount,
        loss: lossTotal / seen,
        samplesPerSecond: rate,
        etaSeconds: left / Math.max(rate, 1e-9),
      });
    }
  }
  void started;
  void startEpoch;
  const terms: Record<string, number> = {};
  for (const [name, total] of totals) terms[name] = total / seen;
  return { loss: lossTotal / seen, terms };
}

/** Mean per-sample loss terms over `inputs`, in evaluation mode, with seeded sampling. */
export function evaluateLoss(
  model: Autoencoder,
  inputs: Tensor,
  batchSize: number,
  epoch: number,
  seed: number,
): LossSummary {
  const wasTraining = model.training;
  model.eval();
  manualSeed(seedEpoch(seed, epoch, 3));
  const count = inputs.shape[0];
  const totals = new Map<string, number>();
  let lossTotal = 0;
  noGrad(() => {
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      tidy(() => {
        const x = inputs.narrow(0, start, size);
        const { loss, terms } = model.lossTerms(x, x, { epoch, progress: 1 });
        lossTotal += loss.item() * size;
        for (const [name, term] of Object.entries(terms)) {
          totals.set(name, (totals.get(name) ?? 0) + term.sum().item());
        }
      });
    }
  });
  model.train(wasTraining);
  const terms: Record<string, number> = {};
  for (const [name, total] of totals) terms[name] = total / count;
  return { loss: lossTotal / count, terms };
}

function nonFinite(
  terms: Record<string, Tensor>,
  value: number,
  epoch: number,
  batch: number,
  checkpoint: string,
): AekitError {
  const bad = Object.entries(terms)
    .filter(([, term]) => !Number.isFinite(term.sum().item()))
    .map(([name]) => `'${name}'`);
  const which = bad.length ? `term ${bad.join(' and ')}` : 'the total';
  const kept = checkpoint
    ? existsSync(checkpoint)
      ? `; the last good checkpoint is kept at ${checkpoint}`
      : '; no checkpoint was written yet'
    : '';
  return new AekitError(
    'NOT_FINITE',
    `training stopped: the loss is ${value} at epoch ${epoch + 1}, step ${batch + 1} (${which} ` +
      `not finite); try a lower learning rate or gradient clipping${kept}`,
  );
}

function averageSeconds(history: EpochRecord[]): number {
  const recent = history.slice(-3);
  return recent.reduce((sum, r) => sum + r.seconds, 0) / Math.max(recent.length, 1);
}

function trendWarnings(
  model: Autoencoder,
  history: EpochRecord[],
  inputs: Tensor,
): [string, string][] {
  const found: [string, string][] = [];
  // A flat loss: less than 0.1% change over the last three epochs, after the first two.
  if (history.length >= 4) {
    const losses = history.slice(-4).map((r) => r.train.loss);
    const change = Math.abs(losses[0] - losses[3]) / Math.max(Math.abs(losses[0]), 1e-12);
    const warnedBefore = history.length > 4;
    if (change < 1e-3 && !warnedBefore) {
      found.push([
        'FLAT_LOSS',
        `the training loss changed by ${(change * 100).toFixed(3)}% over the last 3 epochs: ` +
          'try a higher learning rate, check that the data is scaled, or stop earlier',
      ]);
    }
  }
  if (isVae(model) && history.length >= 2) found.push(...collapseWarnings(model, history, inputs));
  return found;
}

function cloneState(model: Autoencoder): Record<string, Tensor> {
  return noGrad(() => {
    const copy: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(model.stateDict())) copy[name] = value.clone();
    return copy;
  });
}

function disposeState(state: Record<string, Tensor> | null): void {
  if (state) for (const t of Object.values(state)) t.dispose();
}

function writeCheckpoint(
  path: string,
  model: Autoencoder,
  optimizer: Optimizer,
  scheduler: LRScheduler | ReduceLROnPlateau | null,
  history: EpochRecord[],
  best: { loss: number; epoch: number; state: Record<string, Tensor> | null },
  sinceBest: number,
): void {
  const value: SavedObject = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: JSON.parse(JSON.stringify(model.config)) as SavedValue,
    next_epoch: history[history.length - 1].epoch + 1,
    history: JSON.stringify(history),
    best_loss: Number.isFinite(best.loss) ? best.loss : null,
    best_epoch: best.epoch,
    since_best: sinceBest,
    model: model.stateDict(),
    optimizer: optimizer.stateDict() as unknown as SavedValue,
    scheduler: scheduler ? (scheduler.stateDict() as SavedValue) : null,
    best_state: best.state,
  };
  saveFile(path, value);
}

function restoreCheckpoint(
  path: string,
  model: Autoencoder,
  optimizer: Optimizer,
  scheduler: LRScheduler | ReduceLROnPlateau | null,
): {
  history: EpochRecord[];
  nextEpoch: number;
  best: { loss: number; epoch: number; state: Record<string, Tensor> | null };
  sinceBest: number;
} {
  const saved = loadFile(path) as SavedObject;
  if (saved === null || typeof saved !== 'object' || saved.format !== CHECKPOINT_FORMAT) {
    throw new AekitError('BAD_FILE', `${path}: not an aekit checkpoint (format field missing)`);
  }
  if (typeof saved.version !== 'number' || saved.version > CHECKPOINT_VERSION) {
    throw new AekitError(
      'BAD_FILE',
      `${path}: checkpoint format version ${String(saved.version)} is newer than this aekit ` +
        `reads (${CHECKPOINT_VERSION}); upgrade aekit`,
    );
  }
  if (JSON.stringify(saved.config) !== JSON.stringify(model.config)) {
    throw new AekitError('BAD_FILE', `${path}: checkpoint was written for another model config`);
  }
  model.loadStateDict(saved.model as Record<string, Tensor>);
  optimizer.loadStateDict(saved.optimizer as never);
  if (scheduler && saved.scheduler) scheduler.loadStateDict(saved.scheduler as never);
  const bestState = (saved.best_state as Record<string, Tensor> | null) ?? null;
  return {
    history: JSON.parse(saved.history as string) as EpochRecord[],
    nextEpoch: saved.next_epoch as number,
    best: {
      loss: (saved.best_loss as number | null) ?? Infinity,
      epoch: saved.best_epoch as number,
      state: bestState,
    },
    sinceBest: saved.since_best as number,
  };
}

function summariseOptions(options: TrainOptions): Record<string, SavedValue> {
  const { validation, onEvent, ...rest } = options;
  void onEvent;
  return JSON.parse(
    JSON.stringify({ ...rest, validationSamples: validation ? validation.shape[0] : 0 }),
  ) as Record<string, SavedValue>;
}
