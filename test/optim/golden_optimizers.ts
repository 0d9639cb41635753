/**
 * SGD, Adam and AdamW against PyTorch 1.13: the same fixed parameters and gradients (four
 * tensors of different shapes in two groups, one gradient missing at step 2), three steps,
 * parameters compared after each step and state dicts after each step, within RTOL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor, liveTensors, tensor } from '../../src/engine/index.js';
import {
  Adam,
  AdamW,
  Optimizer,
  OptimizerStateDict,
  ParamGroup,
  SGD,
  StateValue,
} from '../../src/optim/index.js';
import { EncodedTensor, assertTensorClose, decode, golden, isEncoded } from './golden.js';

interface EncodedStateDict {
  state: Record<string, Record<string, EncodedTensor | number | null>>;
  param_groups: Record<string, unknown>[];
}

interface Run {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  defaults: Record<string, unknown>;
  groups: ({ params: number[] } & Record<string, unknown>)[];
  after: EncodedTensor[][];
  state_dicts: EncodedStateDict[];
}

interface OptimGolden {
  torch: string;
  initial: EncodedTensor[];
  grads: EncodedTensor[][];
  no_grad: Record<string, number>;
  runs: Run[];
}

const NAMES: Record<string, string> = { weight_decay: 'weightDecay' };

/** PyTorch keyword arguments as aekit options. */
function options(kwargs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [NAMES[k] ?? k, v]));
}

/** The optimizer of `run`; `fused` (Adam and AdamW only) picks the one-pass kernel or not. */
function build(run: Run, params: Tensor[], fused?: boolean): Optimizer<ParamGroup> {
  const groups = run.groups.map(({ params: ids, ...rest }) => ({
    params: ids.map((id) => params[id]),
    ...options(rest),
  }));
  const Class = { SGD, Adam, AdamW }[run.optimizer];
  const defaults =
    fused === undefined ? options(run.defaults) : { ...options(run.defaults), fused };
  return new Class(groups as never, defaults as never) as Optimizer<ParamGroup>;
}

function setGrads(data: OptimGolden, params: Tensor[], step: number): void {
  params.forEach((param, i) => {
    if (data.no_grad[String(i)] === step) {
      param.grad = null;
    } else {
      const grad = decode(data.grads[step][i]);
      param.grad = grad;
      grad.dispose();
    }
  });
}

function compareStateDict(actual: OptimizerStateDict, expected: EncodedStateDict, what: string) {
  // Parameter groups: PyTorch's keys and values (key order too, where no override moved it).
  assert.equal(actual.param_groups.length, expected.param_groups.length);
  actual.param_groups.forEach((group, g) => {
    const wanted = expected.param_groups[g];
    if (g === 0) assert.deepEqual(Object.keys(group), Object.keys(wanted), `${what}: key order`);
    assert.deepEqual({ ...group }, wanted, `${what}: param_groups[${g}]`);
  });

  // State: the same parameters, keys and values.
  assert.deepEqual(
    [...actual.state.keys()].sort(),
    Object.keys(expected.state).map(Number).sort(),
    `${what}: state ids`,
  );
  for (const [id, entry] of actual.state) {
    const wanted = expected.state[String(id)];
    assert.deepEqual(Object.keys(entry), Object.keys(wanted), `${what}: state[${id}] keys`);
    for (const [key, value] of Object.entries(entry) as [string, StateValue][]) {
      const want = wanted[key];
      if (isEncoded(want)) {
        assert.ok(value instanceof Tensor, `${what}: state[${id}].${key} is a tensor`);
        assert.equal(value.dtype, 'float32');
        assertTensorClose(value, want, `${what}: state[${id}].${key}`);
      } else {
        assert.equal(value, want, `${what}: state[${id}].${key}`);
      }
    }
  }
}

/** A PyTorch state dict (as the script wrote it) in aekit's layout, with new tensors. */
function toStateDict(encoded: EncodedStateDict): { dict: OptimizerStateDict; tensors: Tensor[] } {
  const tensors: Tensor[] = [];
  const state = new Map<number, Record<string, StateValue>>();
  for (const [id, entry] of Object.entries(encoded.state)) {
    const values: Record<string, StateValue> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (isEncoded(value)) {
        const t = decode(value);
        tensors.push(t);
        values[key] = t;
      } else {
        values[key] = value;
      }
    }
    state.set(Number(id), values);
  }
  const groups = encoded.param_groups as OptimizerStateDict['param_groups'];
  return { dict: { state, param_groups: groups }, tensors };
}

/** Registers the optimizer golden tests. */
export function optimizerGoldenTests(): void {
  describe('optimizers match PyTorch 1.13', () => {
    const data = golden<OptimGolden>('optim.json');

    it('was given golden values by PyTorch 1.13', () => {
      assert.match(data.torch, /^1\.13/);
    });

    // Adam and AdamW run twice: with the one-pass kernel (their default) and op by op.
    const variants: { run: Run; fused?: boolean; label: string }[] = data.runs.flatMap((run) =>
      run.optimizer === 'SGD'
        ? [{ run, label: run.name }]
        : [
            { run, fused: true, label: run.name },
            { run, fused: false, label: `${run.name} (op by op)` },
          ],
    );
    for (const { run, fused, label } of variants) {
      it(`${label}: parameters after each of 3 steps, and state dicts`, () => {
        const before = liveTensors();
        const params = data.initial.map((t) => decode(t, { requiresGrad: true }));
        const optimizer = build(run, params, fused);
        for (let step = 0; step < run.after.length; step++) {
          setGrads(data, params, step);
          optimizer.step();
          params.forEach((param, i) => {
            assertTensorClose(param, run.after[step][i], `${run.name} step ${step + 1} param ${i}`);
          });
          compareStateDict(
            optimizer.stateDict(),
            run.state_dicts[step],
            `${run.name} step ${step + 1}`,
          );
        }
        optimizer.dispose();
        for (const param of params) param.dispose();
        assert.equal(liveTensors(), before, 'every tensor freed');
      });

      it(`${label}: resumes from PyTorch's state dict after step 2`, () => {
        // Parameters as PyTorch had them after 2 steps, its state loaded, then step 3.
        const params = run.after[1].map((t) => decode(t, { requiresGrad: true }));
        const optimizer = build(run, params, fused);
        const { dict, tensors } = toStateDict(run.state_dicts[1]);
        optimizer.loadStateDict(dict);
        for (const t of tensors) t.dispose();
        setGrads(data, params, 2);
        optimizer.step();
        params.forEach((param, i) => {
          assertTensorClose(param, run.after[2][i], `${run.name} resumed step 3 param ${i}`);
        });
        compareStateDict(optimizer.stateDict(), run.state_dicts[2], `${run.name} resumed`);
        optimizer.dispose();
        for (const param of params) param.dispose();
      });
    }

    it('keeps the float32 step tensor PyTorch 1.13 writes', () => {
      const param = tensor([1, 2], { requiresGrad: true });
      const optimizer = new Adam([param]);
      for (let i = 0; i < 2; i++) {
        param.grad = tensor([0.1, 0.2]);
        optimizer.step();
      }
      const step = optimizer.stateDict().state.get(0)?.step as Tensor;
      assert.deepEqual(step.shape, []);
      assert.equal(step.dtype, 'float32');
      assert.equal(step.item(), 2);
      optimizer.dispose();
      param.dispose();
    });
  });
}
