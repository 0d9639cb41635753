/** Learning-rate schedule option checks, tensor metrics and state dict errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AekitError, Tensor, scalar, zeros } from '../../src/engine/index.js';
import { CosineAnnealingLR, ReduceLROnPlateau, SGD, StepLR } from '../../src/optim/index.js';

function optimizerWithTwoGroups(): { optimizer: SGD; params: Tensor[] } {
  const params = [zeros([1], { requiresGrad: true }), zeros([1], { requiresGrad: true })];
  const optimizer = new SGD([
    { params: [params[0]], lr: 0.1 },
    { params: [params[1]], lr: 0.05 },
  ]);
  return { optimizer, params };
}

describe('schedule options', () => {
  const { optimizer } = optimizerWithTwoGroups();

  it('checks StepLR and CosineAnnealingLR options', () => {
    assert.throws(
      () => new StepLR(optimizer, { stepSize: 0 }),
      (error: Error) =>
        error instanceof RangeError &&
        error.message === 'StepLR: stepSize: expected an integer >= 1, got number 0',
    );
    assert.throws(() => new CosineAnnealingLR(optimizer, { tMax: 2.5 }), {
      name: 'TypeError',
      message: 'CosineAnnealingLR: tMax: expected an integer, got number 2.5',
    });
    assert.throws(() => new StepLR(optimizer, { step_size: 3 } as never), {
      name: 'TypeError',
      message:
        "StepLR: options: expected only the options stepSize, gamma, lastEpoch, got 'step_size'",
    });
    assert.throws(() => new StepLR({} as never, { stepSize: 1 }), {
      name: 'TypeError',
      message: 'StepLR: optimizer: expected an Optimizer, got Object',
    });
  });

  it('needs initialLr in every group to resume at lastEpoch', () => {
    const fresh = optimizerWithTwoGroups();
    assert.throws(
      () => new CosineAnnealingLR(fresh.optimizer, { tMax: 5, lastEpoch: 3 }),
      (error: Error) =>
        error instanceof AekitError &&
        error.code === 'BAD_INPUT' &&
        error.message ===
          'CosineAnnealingLR: paramGroups[0].initialLr: expected a number when resuming ' +
            '(lastEpoch 3), got undefined',
    );
  });

  it('checks ReduceLROnPlateau options and metrics', () => {
    assert.throws(() => new ReduceLROnPlateau(optimizer, { mode: 'lowest' as never }), {
      name: 'TypeError',
      message: `ReduceLROnPlateau: mode: expected 'min' or 'max', got string "lowest"`,
    });
    assert.throws(() => new ReduceLROnPlateau(optimizer, { factor: 1 }), {
      name: 'RangeError',
      message: 'ReduceLROnPlateau: factor: expected a number below 1, got number 1',
    });
    assert.throws(() => new ReduceLROnPlateau(optimizer, { minLr: [0.1] }), {
      name: 'TypeError',
      message:
        'ReduceLROnPlateau: minLr: expected an array of 2 numbers (one per parameter group), ' +
        'got array of length 1',
    });
    const plateau = new ReduceLROnPlateau(optimizer, { patience: 0 });
    assert.throws(() => plateau.step('low' as never), {
      name: 'TypeError',
      message:
        'ReduceLROnPlateau.step: metric: expected a number or a one-element tensor, ' +
        'got string "low"',
    });
  });

  it('takes a one-element tensor as the metric', () => {
    const { optimizer: own, params } = optimizerWithTwoGroups();
    const plateau = new ReduceLROnPlateau(own, { patience: 0, factor: 0.5 });
    const metric = scalar(1);
    plateau.step(metric);
    plateau.step(metric);
    assert.deepEqual(plateau.getLastLr(), [0.05, 0.025]);
    metric.dispose();
    own.dispose();
    for (const param of params) param.dispose();
  });

  it('refuses a state dict with the wrong number of groups', () => {
    const schedule = new StepLR(optimizer, { stepSize: 2 });
    const saved = { ...schedule.stateDict(), base_lrs: [0.1] };
    assert.throws(
      () => schedule.loadStateDict(saved),
      (error: Error) =>
        error instanceof AekitError &&
        error.code === 'STATE_DICT' &&
        error.message ===
          'StepLR.loadStateDict: base_lrs: expected an array of 2 numbers (one per parameter ' +
            'group), got array of length 1',
    );
  });
});
