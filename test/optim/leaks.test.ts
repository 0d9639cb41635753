/**
 * No tensor leaks: 100 steps of each optimizer configuration (with a parameter that often
 * lacks a gradient), with clipping, leave the live-tensor count where one step left it, and
 * dispose() returns it to where it was before. Also pins the native calls of one step, which
 * is what an optimizer step costs beyond the arithmetic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor, liveTensors, native, randn, zeros } from '../../src/engine/index.js';
import {
  Adam,
  AdamW,
  Optimizer,
  ParamGroup,
  SGD,
  clipGradNorm,
  clipGradValue,
} from '../../src/optim/index.js';

const SHAPES = [[8, 4], [4], [2, 3, 3], []];

type Make = (params: Tensor[]) => Optimizer<ParamGroup>;

const CONFIGS: [string, Make][] = [
  ['SGD', (p) => new SGD(p, { lr: 0.01 })],
  [
    'SGD momentum, nesterov, weight decay, maximize',
    (p) =>
      new SGD(p, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.1, maximize: true }),
  ],
  ['Adam', (p) => new Adam(p)],
  [
    'Adam amsgrad, weight decay, maximize',
    (p) => new Adam(p, { amsgrad: true, weightDecay: 0.1, maximize: true }),
  ],
  ['AdamW', (p) => new AdamW(p)],
  [
    'AdamW amsgrad',
    (p) => new AdamW([{ params: p.slice(0, 2) }, { params: p.slice(2), amsgrad: true }]),
  ],
];

function setGrads(params: Tensor[], step: number): void {
  params.forEach((param, i) => {
    if (i === 1 && step % 3 === 0) {
      param.grad = null; // this parameter misses every third step
      return;
    }
    const grad = randn(param.shape);
    param.grad = grad;
    grad.dispose();
  });
}

describe('optimizers leak no tensors', () => {
  for (const [name, make] of CONFIGS) {
    it(`${name}: 100 steps with clipping`, () => {
      const start = liveTensors();
      const params = SHAPES.map((shape) => zeros(shape, { requiresGrad: true }));
      const optimizer = make(params);
      setGrads(params, 1);
      optimizer.step(); // creates the state
      optimizer.stateDict(); // creates the step tensors
      const afterFirst = liveTensors();
      for (let step = 0; step < 100; step++) {
        setGrads(params, step);
        if (step % 2 === 0) clipGradNorm(params, 0.5);
        else clipGradValue(params, 0.1);
        optimizer.step();
        if (step % 10 === 0) optimizer.stateDict();
      }
      assert.equal(liveTensors(), afterFirst);
      optimizer.dispose();
      for (const param of params) param.dispose();
      assert.equal(liveTensors(), start);
    });
  }
});

/** Counts calls into the addon while `fn` runs. */
function nativeCalls(fn: () => void): number {
  const addon = native() as unknown as Record<string, unknown>;
  const saved = new Map<string, unknown>();
  let count = 0;
  for (const [key, value] of Object.entries(addon)) {
    if (typeof value !== 'function') continue;
    saved.set(key, value);
    addon[key] = (...args: unknown[]) => {
      count += 1;
      return (value as (...a: unknown[]) => unknown).apply(addon, args);
    };
  }
  try {
    fn();
  } finally {
    for (const [key, value] of saved) addon[key] = value;
  }
  return count;
}

describe('native calls per step', () => {
  // Per parameter: reading its gradient and freeing that handle. Per group: the one-pass
  // Adam kernel, or the multi-tensor kernels. Per step: switching grad mode off and on.
  const cases: [string, Make, number][] = [
    ['SGD', (p) => new SGD(p, { lr: 0.1 }), 1],
    ['SGD momentum', (p) => new SGD(p, { lr: 0.1, momentum: 0.9 }), 3],
    ['Adam', (p) => new Adam(p), 1],
    ['AdamW', (p) => new AdamW(p), 1],
    ['Adam amsgrad, weight decay', (p) => new Adam(p, { amsgrad: true, weightDecay: 0.1 }), 1],
    ['Adam op by op', (p) => new Adam(p, { fused: false }), 8],
    ['AdamW op by op', (p) => new AdamW(p, { fused: false }), 9],
    [
      'Adam op by op, amsgrad, weight decay',
      (p) => new Adam(p, { amsgrad: true, weightDecay: 0.1, fused: false }),
      10,
    ],
  ];
  for (const [name, make, perGroup] of cases) {
    it(`${name}: 2 per parameter + ${perGroup} per group + 2`, () => {
      for (const count of [1, 10]) {
        const params = Array.from({ length: count }, () => zeros([4, 4], { requiresGrad: true }));
        const optimizer = make(params);
        for (let step = 0; step < 2; step++) {
          setGrads(params, 1);
          const calls = nativeCalls(() => optimizer.step());
          if (step === 1) assert.equal(calls, 2 * count + perGroup + 2, `${count} parameters`);
        }
        optimizer.dispose();
        for (const param of params) param.dispose();
      }
    });
  }
});
