// The trainer: a resumed run equals an uninterrupted one, a non-finite loss stops at once
// and keeps the last good checkpoint, early stopping keeps the best weights, and bad data
// or options are refused before training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AekitError, manualSeed, tensor, tidy } from '../../src/engine/index.js';
import { Dataset, loadMnist, trainValidationSplit } from '../../src/data/index.js';
import { ModelConfig, buildModel } from '../../src/models/index.js';
import { TrainEvent, train } from '../../src/train/index.js';

const { dataset: digits } = await loadMnist({ limit: 300 });
const { train: trainSet, validation } = trainValidationSplit(digits, { validationFraction: 0.2 });
const dense: ModelConfig = { family: 'dense', inputShape: [1, 28, 28], hidden: [32], latentDim: 8 };
const dir = mkdtempSync(join(tmpdir(), 'aekit-train-'));

function fresh(config: ModelConfig = dense) {
  manualSeed(0);
  return buildModel(config);
}

function weightsOf(model: ReturnType<typeof fresh>): number[] {
  return Object.values(model.stateDict()).flatMap((t) => Array.from(t.toFloat32Array()));
}

test('a run resumed from its checkpoint ends exactly like the uninterrupted run', () => {
  const options = {
    epochs: 4,
    batchSize: 32,
    validation,
    corruption: { kind: 'gaussian' as const, sigma: 0.2 },
    schedule: { kind: 'step' as const, stepSize: 2, gamma: 0.5 },
  };
  const whole = fresh();
  const wholeSummary = train(whole, trainSet, { ...options, checkpoint: join(dir, 'whole.ckpt') });

  // "Killed" after two epochs: a run with epochs 2, then a new process-like resume.
  const path = join(dir, 'resumed.ckpt');
  const first = fresh();
  train(first, trainSet, { ...options, epochs: 2, checkpoint: path });
  const resumed = fresh(); // different object, freshly initialised weights
  const events: TrainEvent[] = [];
  const summary = train(resumed, trainSet, {
    ...options,
    checkpoint: path,
    resume: true,
    onEvent: (e) => events.push(e),
  });
  assert.equal((events[0] as { resumedAt: number }).resumedAt, 2);
  assert.equal(summary.history.length, 4);
  assert.deepEqual(
    summary.history.map((r) => r.train.loss),
    wholeSummary.history.map((r) => r.train.loss),
  );
  assert.deepEqual(weightsOf(resumed), weightsOf(whole));
  assert.equal(summary.history[3].learningRate, 0.00025);
});

test('the loss falls and events arrive in order', () => {
  const events: TrainEvent[] = [];
  const summary = train(fresh(), trainSet, {
    epochs: 3,
    batchSize: 64,
    validation,
    onEvent: (e) => events.push(e),
    eventEvery: 1,
  });
  const losses = summary.history.map((r) => r.train.loss);
  assert.ok(losses[2] < losses[0], `losses ${losses}`);
  assert.ok(summary.history.every((r) => r.validation !== undefined));
  assert.equal(events[0].type, 'start');
  assert.equal(events[events.length - 1].type, 'stop');
  const batches = events.filter((e) => e.type === 'batch');
  assert.equal(batches.length, 3 * Math.ceil(trainSet.shape[0] / 64));
  assert.equal(events.filter((e) => e.type === 'epoch').length, 3);
});

test('a non-finite loss stops at once, names the term, and keeps the last good checkpoint', () => {
  const path = join(dir, 'nan.ckpt');
  const model = fresh();
  train(model, trainSet, { epochs: 1, batchSize: 64, checkpoint: path });
  const before = readFileSync(path);
  // A learning rate this large sends the weights to infinity within an epoch.
  assert.throws(
    () =>
      train(model, trainSet, {
        epochs: 3,
        batchSize: 64,
        checkpoint: path,
        learningRate: 1e30,
        optimizer: 'sgd',
      }),
    (error: unknown) =>
      error instanceof AekitError &&
      error.code === 'NOT_FINITE' &&
      /the loss is (NaN|Infinity) at epoch 1, step \d+ \(term 'reconstruction' not finite\)/.test(
        error.message,
      ) &&
      error.message.includes(`the last good checkpoint is kept at ${path}`),
  );
  assert.deepEqual(readFileSync(path), before);
});

test('early stopping stops and restores the best weights', () => {
  const model = fresh();
  const summary = train(model, trainSet, {
    epochs: 50,
    batchSize: 64,
    validation,
    learningRate: 0.05, // noisy on purpose: the validation loss stops improving quickly
    earlyStopping: { patience: 2 },
  });
  assert.ok(summary.stoppedEarly);
  assert.ok(summary.epochsRun < 50);
  const best = Math.min(...summary.history.map((r) => r.validation!.loss));
  assert.equal(summary.bestValidationLoss, best);
  // The model now holds the best epoch's weights: scoring it again gives the best loss.
  const again = tidy(() => {
    const x = tensor(validation.data, { shape: validation.shape });
    return model.lossTerms(x, x, { epoch: 0, progress: 1 }).loss.item();
  });
  assert.ok(Math.abs(again - best) / best < 1e-4, `${again} vs ${best}`);
});

test('a VAE whose KL collapses gets a warning with a suggestion', () => {
  const vae = fresh({
    family: 'vae',
    inputShape: [1, 28, 28],
    hidden: [32],
    latentDim: 8,
    beta: 50,
  });
  const summary = train(vae, trainSet, { epochs: 2, batchSize: 64 });
  assert.ok(
    summary.warnings.some((w) => /posterior collapse/.test(w) || /latent units are active/.test(w)),
    summary.warnings.join(' | '),
  );
});

test('a batch size larger than the data is clamped with a warning', () => {
  const small: Dataset = {
    ...trainSet,
    data: trainSet.data.slice(0, 10 * 784),
    shape: [10, 1, 28, 28],
  };
  const summary = train(fresh(), small, { epochs: 1, batchSize: 500 });
  assert.match(
    summary.warnings.join('\n'),
    /batch size 500 is larger than the 10 samples; using 10/,
  );
});

test('data that does not fit the model is refused before training', () => {
  const wide: Dataset = { ...trainSet, valueRange: [-1, 3] };
  assert.throws(
    () => train(fresh(), wide, { epochs: 1 }),
    /values span \[-1, 3\], but a Bernoulli likelihood needs targets in \[0, 1\]/,
  );
  const flat: Dataset = { ...trainSet, shape: [trainSet.shape[0], 784] };
  assert.throws(
    () => train(fresh(), flat, { epochs: 1 }),
    /samples of shape \[784\] do not fit a model for \[1, 28, 28\]/,
  );
  const empty: Dataset = { ...trainSet, data: new Float32Array(0), shape: [0, 1, 28, 28] };
  assert.throws(
    () => train(fresh(), empty, { epochs: 1 }),
    /expected at least one sample, got none/,
  );
  assert.throws(
    () => train(fresh(), trainSet, { epochs: 0 }),
    /train: epochs: expected an integer >= 1/,
  );
  assert.throws(
    () => train(fresh(), trainSet, { epochs: 1, resume: true }),
    /resume: expected a checkpoint path/,
  );
});

test('a corrupt or foreign checkpoint is refused with the file named', () => {
  const path = join(dir, 'bad.ckpt');
  writeFileSync(path, 'not a checkpoint');
  assert.throws(
    () => train(fresh(), trainSet, { epochs: 1, checkpoint: path, resume: true }),
    (e: unknown) => e instanceof AekitError && e.code === 'BAD_FILE' && e.message.includes(path),
  );
  assert.equal(readFileSync(path, 'utf8'), 'not a checkpoint');
  const other = join(dir, 'other.ckpt');
  train(fresh(), trainSet, { epochs: 1, checkpoint: other });
  assert.ok(existsSync(other) && statSync(other).size > 0);
  const conv: ModelConfig = {
    family: 'conv',
    inputShape: [1, 28, 28],
    channels: [4],
    latentDim: 4,
  };
  assert.throws(
    () => train(fresh(conv), trainSet, { epochs: 2, checkpoint: other, resume: true }),
    /checkpoint was written for another model config/,
  );
});
