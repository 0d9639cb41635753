/**
 * Optimizer behaviour beyond the golden values: option and parameter checks (messages
 * matched), skipping parameters without gradients, zeroGrad, mutable learning rates, state
 * ownership inside tidy(), dispose, and loadStateDict's errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AekitError, Tensor, tensor, tidy, zeros } from '../../src/engine/index.js';
import { Adam, AdamW, OptimizerStateDict, SGD } from '../../src/optim/index.js';

function param(values: number[] = [1, 2, 3]): Tensor {
  return tensor(values, { requiresGrad: true });
}

function setGrad(target: Tensor, values: number[]): void {
  const grad = tensor(values);
  target.grad = grad;
  grad.dispose();
}

/** Asserts that `fn` throws `type` (with `code`, for an AekitError) and exactly `message`. */
function throwsExactly(fn: () => unknown, type: string, message: string, code?: string): void {
  assert.throws(fn, (error: Error) => {
    assert.equal(error.constructor.name, type);
    assert.equal(error.message, message);
    if (code !== undefined) assert.equal((error as AekitError).code, code);
    return true;
  });
}

describe('optimizer option checks', () => {
  const p = param();
  const q = param();

  it('checks learning rates', () => {
    throwsExactly(() => new SGD([p]), 'TypeError', 'SGD: lr: expected a number, got undefined');
    throwsExactly(
      () => new SGD([p], { lr: -1 }),
      'RangeError',
      'SGD: lr: expected a number >= 0, got number -1',
    );
    throwsExactly(
      () => new Adam([p], { lr: '0.1' as never }),
      'TypeError',
      'Adam: lr: expected a number, got string "0.1"',
    );
    throwsExactly(
      () => new Adam([{ params: [p] }, { params: [q], lr: -1 }]),
      'RangeError',
      'Adam: paramGroups[1].lr: expected a number >= 0, got number -1',
    );
  });

  it('checks betas, eps, weight decay and flags', () => {
    throwsExactly(
      () => new Adam([p], { betas: [0.9, 1] }),
      'RangeError',
      'Adam: betas[1]: expected a number from 0 up to (not including) 1, got number 1',
    );
    throwsExactly(
      () => new AdamW([p], { betas: [-0.1, 0.9] }),
      'RangeError',
      'AdamW: betas[0]: expected a number from 0 up to (not including) 1, got number -0.1',
    );
    throwsExactly(
      () => new Adam([p], { betas: 0.9 as never }),
      'TypeError',
      'Adam: betas: expected an array of two numbers, got number 0.9',
    );
    throwsExactly(
      () => new Adam([p], { eps: 0 }),
      'RangeError',
      'Adam: eps: expected a number > 0, got number 0',
    );
    throwsExactly(
      () => new AdamW([p], { weightDecay: -1 }),
      'RangeError',
      'AdamW: weightDecay: expected a number >= 0, got number -1',
    );
    throwsExactly(
      () => new Adam([p], { amsgrad: 1 as never }),
      'TypeError',
      'Adam: amsgrad: expected a boolean, got number 1',
    );
    throwsExactly(
      () => new SGD([p], { lr: 0.1, momentum: -0.5 }),
      'RangeError',
      'SGD: momentum: expected a number >= 0, got number -0.5',
    );
  });

  it('checks that nesterov has momentum and no dampening', () => {
    throwsExactly(
      () => new SGD([p], { lr: 0.1, nesterov: true }),
      'RangeError',
      'SGD: nesterov: expected momentum > 0 and dampening 0 with nesterov, ' +
        'got momentum 0 and dampening 0',
    );
    throwsExactly(
      () => new SGD([{ params: [p], momentum: 0.9, dampening: 0.5, nesterov: true }], { lr: 1 }),
      'RangeError',
      'SGD: paramGroups[0]: nesterov: expected momentum > 0 and dampening 0 with nesterov, ' +
        'got momentum 0.9 and dampening 0.5',
    );
  });

  it('refuses unknown options, such as PyTorch spellings', () => {
    throwsExactly(
      () => new Adam([p], { weight_decay: 0.1 } as never),
      'TypeError',
      'Adam: options: expected only the options lr, betas, eps, weightDecay, amsgrad, ' +
        "maximize, got 'weight_decay'",
    );
    throwsExactly(
      () => new SGD([{ params: [p], lr: 0.1, moment: 0.9 } as never]),
      'TypeError',
      'SGD: paramGroups[0]: expected only the options params, lr, momentum, dampening, ' +
        "weightDecay, nesterov, maximize, got 'moment'",
    );
  });

  it('checks the parameters', () => {
    throwsExactly(
      () => new Adam([]),
      'RangeError',
      'Adam: params: expected a non-empty array, got array of length 0',
    );
    throwsExactly(
      () => new Adam(p as never),
      'TypeError',
      'Adam: params: expected an array of tensors or of parameter groups, got Tensor',
    );
    const computed = p.mul(2);
    throwsExactly(
      () => new Adam([computed]),
      'TypeError',
      'Adam: params[0]: expected a leaf tensor (made by the user, not computed), ' +
        'got a computed Tensor([3], float32, cpu, requiresGrad)',
    );
    computed.dispose();
    const integers = tensor([1, 2], { dtype: 'int64' });
    throwsExactly(
      () => new SGD([p, integers], { lr: 0.1 }),
      'TypeError',
      'SGD: params[1]: expected a floating-point tensor, got int64 (Tensor)',
    );
    integers.dispose();
    throwsExactly(
      () => new Adam([p, 5 as never]),
      'TypeError',
      'Adam: params[1]: expected a Tensor, got number 5',
    );
    const gone = zeros([1]);
    gone.dispose();
    throwsExactly(
      () => new Adam([gone]),
      'AekitError',
      'Adam: params[0]: expected a live tensor, got a disposed one',
      'DISPOSED',
    );
  });

  it('refuses a parameter listed twice', () => {
    throwsExactly(
      () => new Adam([p, p]),
      'AekitError',
      'Adam: params[1]: expected each parameter once, got the tensor already at params[0]',
      'BAD_INPUT',
    );
    throwsExactly(
      () => new Adam([{ params: [p] }, { params: [p] }]),
      'AekitError',
      'Adam: paramGroups[1].params[0]: expected each parameter once, got the tensor ' +
        'already at paramGroups[0].params[0]',
      'BAD_INPUT',
    );
  });

  it('checks parameter groups', () => {
    throwsExactly(
      () => new Adam([{ params: [p] }, { params: q as never }]),
      'TypeError',
      'Adam: paramGroups[1].params: expected an array of tensors, got Tensor',
    );
    throwsExactly(
      () => new Adam([{ params: [p] }, 3 as never]),
      'TypeError',
      'Adam: paramGroups[1]: expected a parameter group ({ params, ... }), got number 3',
    );
  });
});

describe('optimizer steps', () => {
  it('uses defaults, group overrides, and PyTorch names in paramGroups', () => {
    const [a, b] = [param(), param()];
    const optimizer = new AdamW([{ params: [a] }, { params: [b], lr: 0.5, amsgrad: true }]);
    assert.equal(optimizer.paramGroups[0].lr, 1e-3);
    assert.equal(optimizer.paramGroups[0].weightDecay, 1e-2);
    assert.deepEqual(optimizer.paramGroups[0].betas, [0.9, 0.999]);
    assert.equal(optimizer.paramGroups[1].lr, 0.5);
    assert.equal(optimizer.paramGroups[1].amsgrad, true);
    optimizer.dispose();
  });

  it('skips parameters whose gradient is null, and zeroGrad clears gradients', () => {
    const [a, b] = [param([1, 2]), param([3, 4])];
    const optimizer = new SGD([a, b], { lr: 0.5, momentum: 0.9 });
    setGrad(a, [1, 1]);
    optimizer.step();
    assert.deepEqual(a.toNumbers(), [0.5, 1.5]);
    assert.deepEqual(b.toNumbers(), [3, 4]);
    assert.deepEqual([...optimizer.stateDict().state.keys()], [0]);

    optimizer.zeroGrad();
    assert.equal(a.grad, null);
    assert.equal(b.grad, null);
    optimizer.step(); // nothing to do
    assert.deepEqual(a.toNumbers(), [0.5, 1.5]);
    optimizer.dispose();
  });

  it('reads lr at every step, so schedules and users may change it', () => {
    const a = param([0]);
    const optimizer = new SGD([a], { lr: 1 });
    setGrad(a, [1]);
    optimizer.step();
    optimizer.paramGroups[0].lr = 0.25;
    optimizer.step();
    assert.deepEqual(a.toNumbers(), [-1.25]);
    optimizer.dispose();
  });

  it('keeps its state when stepped inside tidy()', () => {
    const a = param([1, 2]);
    const optimizer = new Adam([a]);
    tidy(() => {
      setGrad(a, [0.1, 0.2]);
      optimizer.step();
    });
    const state = optimizer.stateDict().state.get(0);
    assert.ok(state && state.exp_avg instanceof Tensor && !state.exp_avg.isDisposed);
    setGrad(a, [0.1, 0.2]);
    optimizer.step();
    optimizer.dispose();
  });

  it('dispose frees the state, may be called twice, and stops further steps', () => {
    const a = param([1, 2]);
    const optimizer = new Adam([a]);
    setGrad(a, [0.1, 0.2]);
    optimizer.step();
    const expAvg = optimizer.stateDict().state.get(0)?.exp_avg as Tensor;
    optimizer.dispose();
    optimizer.dispose();
    assert.equal(optimizer.isDisposed, true);
    assert.equal(expAvg.isDisposed, true);
    throwsExactly(
      () => optimizer.step(),
      'AekitError',
      'Adam.step: the optimizer was disposed',
      'DISPOSED',
    );
  });
});

describe('loadStateDict', () => {
  function trained(): { optimizer: Adam; params: Tensor[]; dict: OptimizerStateDict } {
    const params = [param([1, 2, 3]), param([4, 5])];
    const optimizer = new Adam([{ params: [params[0]] }, { params: [params[1]], lr: 0.1 }]);
    setGrad(params[0], [0.1, 0.2, 0.3]);
    setGrad(params[1], [0.4, 0.5]);
    optimizer.step();
    return { optimizer, params, dict: optimizer.stateDict() };
  }

  it('copies state and hyper-parameters, so the source may be disposed', () => {
    const source = trained();
    const [a, b] = [param([1, 2, 3]), param([4, 5])];
    const target = new Adam([{ params: [a] }, { params: [b] }], { lr: 0.5 });
    target.loadStateDict(source.dict);
    assert.equal(target.paramGroups[1].lr, 0.1);
    const before = source.dict.state.get(1)?.exp_avg_sq as Tensor;
    const expected = before.toNumbers();
    source.optimizer.dispose();
    const loaded = target.stateDict().state.get(1);
    assert.ok(loaded);
    assert.deepEqual((loaded.exp_avg_sq as Tensor).toNumbers(), expected);
    assert.equal((loaded.step as Tensor).item(), 1);
    target.dispose();
  });

  it('refuses a different number of groups or parameters', () => {
    const { optimizer, dict } = trained();
    const single = new Adam([param([1, 2, 3])]);
    throwsExactly(
      () => single.loadStateDict(dict),
      'AekitError',
      'Adam.loadStateDict: expected 1 parameter groups, got 2',
      'STATE_DICT',
    );
    const twoAndOne = new Adam([{ params: [param(), param()] }, { params: [param()] }]);
    throwsExactly(
      () => twoAndOne.loadStateDict(dict),
      'AekitError',
      "Adam.loadStateDict: param_groups[0].params: expected 2 parameters (as in the optimizer's " +
        'group), got 1',
      'STATE_DICT',
    );
    for (const o of [optimizer, single, twoAndOne]) o.dispose();
  });

  it('refuses a state tensor of another shape, and stays unchanged', () => {
    const { optimizer, dict } = trained();
    const [a, b] = [param([1, 2, 3]), param([4, 5, 6])];
    const target = new Adam([{ params: [a] }, { params: [b] }], { lr: 0.5 });
    setGrad(a, [1, 1, 1]);
    target.step();
    throwsExactly(
      () => target.loadStateDict(dict),
      'AekitError',
      "Adam.loadStateDict: state of parameter 1.exp_avg: expected shape [3] (the parameter's), " +
        'got [2]',
      'STATE_DICT',
    );
    assert.equal(target.paramGroups[0].lr, 0.5);
    assert.deepEqual([...target.stateDict().state.keys()], [0]);
    optimizer.dispose();
    target.dispose();
  });

  it('refuses missing tensors, unknown ids and bad hyper-parameters', () => {
    const { optimizer, dict } = trained();
    const target = new Adam([{ params: [param([1, 2, 3])] }, { params: [param([4, 5])] }]);
    const withState = (entry: Record<string, unknown>, id = 0): OptimizerStateDict => ({
      ...dict,
      state: new Map([[id, entry as never]]),
    });
    throwsExactly(
      () => target.loadStateDict(withState({ step: 1, exp_avg: dict.state.get(0)?.exp_avg })),
      'AekitError',
      "Adam.loadStateDict: state of parameter 0: expected a 'exp_avg_sq' tensor, got none",
      'STATE_DICT',
    );
    throwsExactly(
      () => target.loadStateDict(withState({ ...dict.state.get(0) }, 7)),
      'AekitError',
      'Adam.loadStateDict: state has an entry for parameter 7, which no group lists',
      'STATE_DICT',
    );
    throwsExactly(
      () => target.loadStateDict(withState({ ...dict.state.get(0), step: -1 })),
      'AekitError',
      'Adam.loadStateDict: state of parameter 0.step: expected a step count >= 0 (a number or ' +
        'a scalar tensor), got number -1',
      'STATE_DICT',
    );
    const badGroups = {
      ...dict,
      param_groups: [dict.param_groups[0], { ...dict.param_groups[1], eps: -1 }],
    };
    throwsExactly(
      () => target.loadStateDict(badGroups),
      'AekitError',
      'Adam.loadStateDict: param_groups[1].eps: expected a number > 0, got number -1',
      'STATE_DICT',
    );
    throwsExactly(
      () => target.loadStateDict({} as never),
      'AekitError',
      "Adam.loadStateDict: expected an object with 'state' and 'param_groups', got Object",
      'STATE_DICT',
    );
    const amsgrad = {
      ...dict,
      param_groups: dict.param_groups.map((g) => ({ ...g, amsgrad: true })),
    };
    throwsExactly(
      () => target.loadStateDict(amsgrad),
      'AekitError',
      "Adam.loadStateDict: state of parameter 0: expected a 'max_exp_avg_sq' tensor (the " +
        'group has amsgrad: true), got none',
      'STATE_DICT',
    );
    optimizer.dispose();
    target.dispose();
  });

  it('accepts a step saved as a number, as older PyTorch wrote it', () => {
    const { optimizer, dict } = trained();
    const target = new Adam([{ params: [param([1, 2, 3])] }, { params: [param([4, 5])] }]);
    const entry = { ...dict.state.get(0), step: 4 };
    target.loadStateDict({ ...dict, state: new Map([[0, entry]]) });
    assert.equal((target.stateDict().state.get(0)?.step as Tensor).item(), 4);
    optimizer.dispose();
    target.dispose();
  });

  it('loads state dicts of older PyTorch versions, which lack maximize and amsgrad', () => {
    const { optimizer, dict } = trained();
    const target = new Adam([{ params: [param([1, 2, 3])] }, { params: [param([4, 5])] }]);
    const older = dict.param_groups.map((group) => {
      const copy: Record<string, unknown> = { ...group, maximize: undefined };
      delete copy.amsgrad;
      return copy as typeof group;
    });
    target.loadStateDict({ ...dict, param_groups: older });
    assert.equal(target.paramGroups[1].maximize, false);
    assert.equal(target.paramGroups[1].amsgrad, false);
    assert.equal(target.paramGroups[1].lr, 0.1);
    optimizer.dispose();
    target.dispose();
  });

  it('round-trips SGD momentum buffers, and null buffers without momentum', () => {
    const a = param([1, 2]);
    const plain = new SGD([a], { lr: 0.1 });
    setGrad(a, [1, 1]);
    plain.step();
    assert.deepEqual(plain.stateDict().state.get(0), { momentum_buffer: null });

    const withMomentum = new SGD([a], { lr: 0.1, momentum: 0.9 });
    withMomentum.step();
    const restored = new SGD([param([0, 0])], { lr: 1 });
    restored.loadStateDict(withMomentum.stateDict());
    const buffer = restored.stateDict().state.get(0)?.momentum_buffer as Tensor;
    assert.deepEqual(buffer.toNumbers(), [1, 1]);
    assert.equal(restored.paramGroups[0].momentum, 0.9);
    for (const o of [plain, withMomentum, restored]) o.dispose();
  });
});
