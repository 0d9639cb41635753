/**
 * The one-pass native Adam update (native/optim.cc, src/engine/fused.ts) against the same
 * optimizers op by op (`fused: false`), which the golden tests tie to PyTorch: every option,
 * both float dtypes, several steps, and the layouts the kernel hands back to the op-by-op
 * path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DType,
  Tensor,
  liveTensors,
  manualSeed,
  randn,
  tensor,
  zeros,
} from '../../src/engine/index.js';
import { fusedAdamStep } from '../../src/engine/fused.js';
import { Adam, AdamOptions, AdamW, AdamWOptions } from '../../src/optim/index.js';

type Make = (params: Tensor[], fused: boolean) => Adam | AdamW;

/** Parameters made the same way from a seed: one matrix, one vector, one scalar tensor. */
function makeParams(dtype: DType, seed: number): Tensor[] {
  manualSeed(seed);
  return [[5, 7], [7], [1]].map((shape) => randn(shape, { dtype }).requiresGrad_(true));
}

/** Runs `steps` updates with the same gradients; returns the final parameters as numbers. */
function train(make: Make, fused: boolean, dtype: DType, steps = 6): number[][] {
  const params = makeParams(dtype, 0);
  const optimizer = make(params, fused);
  manualSeed(1);
  for (let step = 0; step < steps; step++) {
    for (const param of params) {
      const grad = randn(param.shape, { dtype });
      param.grad = grad;
      grad.dispose();
    }
    // A parameter that misses a step keeps its own step count (bias corrections differ).
    if (step === 2) params[1].grad = null;
    optimizer.step();
  }
  const values = params.map((p) => p.toNumbers() as number[]);
  optimizer.dispose();
  for (const p of params) p.dispose();
  return values;
}

function assertClose(actual: number[][], expected: number[][], tolerance: number, what: string) {
  actual.forEach((values, i) =>
    values.forEach((value, j) => {
      const want = expected[i][j];
      const error = Math.abs(value - want) / Math.max(1, Math.abs(want));
      assert.ok(error <= tolerance, `${what}: param ${i}[${j}] ${value} against ${want}`);
    }),
  );
}

const ADAM_CASES: AdamOptions[] = [
  {},
  { lr: 0.01, weightDecay: 0.1 },
  { lr: 0.01, amsgrad: true },
  { lr: 0.01, maximize: true, weightDecay: 0.05, amsgrad: true, betas: [0.8, 0.95], eps: 1e-6 },
];
const ADAMW_CASES: AdamWOptions[] = [{}, { lr: 0.01, weightDecay: 0.3, amsgrad: true }];

describe('fused Adam', () => {
  it('fusedAdamStep applies the Adam formula in place and says it did', () => {
    const p = [1, -2, 3];
    const g = [0.1, 0.2, -0.3];
    const m0 = [0.05, 0, -0.1];
    const v0 = [0.01, 0.02, 0.03];
    const [param, grad, m, v] = [p, g, m0, v0].map((x) => tensor(x, { dtype: 'float64' }));
    const [lr, beta1, beta2, eps, wd, step] = [0.1, 0.9, 0.99, 1e-8, 0.01, 3];
    const stepSize = lr / (1 - beta1 ** step);
    const correction = Math.sqrt(1 - beta2 ** step);
    const scalars = { beta1, beta2, eps, weightDecay: wd, decay: 1, maximize: false };
    assert.equal(
      fusedAdamStep([param], [grad], [m], [v], null, [stepSize], [correction], scalars),
      true,
    );

    // The same update written out in JavaScript doubles.
    const expected = p.map((pi, i) => {
      const gi = g[i] + wd * pi;
      const mi = beta1 * m0[i] + (1 - beta1) * gi;
      const vi = beta2 * v0[i] + (1 - beta2) * gi * gi;
      return pi - (stepSize * mi) / (Math.sqrt(vi) / correction + eps);
    });
    assertClose([param.toNumbers() as number[]], [expected], 1e-12, 'param');
    assert.ok(Math.abs((m.toNumbers() as number[])[1] - 0.1 * (0.2 - 0.02)) < 1e-12);
    for (const t of [param, grad, m, v]) t.dispose();
  });

  it('fusedAdamStep changes nothing and returns false for a layout it cannot take', () => {
    const base = randn([4, 6]);
    const param = base.slice(1, 0, 6, 2); // [4, 3], not one dense block
    const before = param.toNumbers();
    const [grad, m, v] = [0, 1, 2].map(() => zeros([4, 3]));
    grad.fill_(1);
    const scalars = {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      decay: 1,
      maximize: false,
    };
    assert.equal(fusedAdamStep([param], [grad], [m], [v], null, [0.1], [0.1], scalars), false);
    assert.deepEqual(param.toNumbers(), before);
    assert.deepEqual(m.toNumbers(), new Array(12).fill(0));
    for (const t of [param, base, grad, m, v]) t.dispose();
  });

  for (const dtype of ['float32', 'float64'] as DType[]) {
    // float32: the kernel may fuse a multiply and an add where the operators round twice.
    const tolerance = dtype === 'float32' ? 1e-5 : 1e-12;
    for (const options of ADAM_CASES) {
      it(`Adam ${JSON.stringify(options)} ${dtype}: matches the op-by-op update`, () => {
        const make: Make = (params, fused) => new Adam(params, { ...options, fused });
        const fused = train(make, true, dtype);
        const opByOp = train(make, false, dtype);
        assertClose(fused, opByOp, tolerance, 'Adam');
        // And the update did something: parameters moved from where they started.
        const start = makeParams(dtype, 0);
        assert.notDeepEqual(fused[0], start[0].toNumbers());
        for (const p of start) p.dispose();
      });
    }
    for (const options of ADAMW_CASES) {
      it(`AdamW ${JSON.stringify(options)} ${dtype}: matches the op-by-op update`, () => {
        const make: Make = (params, fused) => new AdamW(params, { ...options, fused });
        assertClose(train(make, true, dtype), train(make, false, dtype), tolerance, 'AdamW');
      });
    }
  }

  it('is the default, and fused: false turns it off', () => {
    const param = randn([3]).requiresGrad_(true);
    assert.equal(new Adam([param]).fused, true);
    assert.equal(new AdamW([param], { fused: false }).fused, false);
    param.dispose();
  });

  it('refuses a fused option that is not a boolean, or one given per group', () => {
    const param = randn([3]).requiresGrad_(true);
    assert.throws(
      () => new Adam([param], { fused: 1 as never }),
      (error: Error) => error instanceof TypeError && /Adam: options\.fused/.test(error.message),
    );
    assert.throws(() => new Adam([{ params: [param], fused: true } as never]), /fused/);
    param.dispose();
  });

  it('hands a strided (not dense) parameter to the op-by-op path, with the same result', () => {
    const run = (fused: boolean) => {
      manualSeed(3);
      const base = randn([6, 8]);
      const param = base.slice(1, 0, 8, 2).requiresGrad_(true); // [6, 4], every other column
      const optimizer = new Adam([param], { lr: 0.05, fused });
      for (let step = 0; step < 3; step++) {
        const grad = randn([6, 4]);
        param.grad = grad;
        grad.dispose();
        optimizer.step();
      }
      const values = param.toNumbers() as number[];
      optimizer.dispose();
      param.dispose();
      base.dispose();
      return values;
    };
    const fused = run(true);
    assert.deepEqual(fused, run(false));
    manualSeed(3);
    const start = randn([6, 8]);
    const first = start.slice(1, 0, 8, 2);
    assert.notDeepEqual(fused, first.toNumbers());
    first.dispose();
    start.dispose();
  });

  it('takes a gradient laid out unlike its parameter', () => {
    const run = (fused: boolean) => {
      manualSeed(4);
      const param = randn([4, 5]).requiresGrad_(true);
      const optimizer = new Adam([param], { lr: 0.05, fused });
      const source = randn([5, 4]);
      const grad = source.t(); // [4, 5], column-major
      param.grad = grad;
      optimizer.step();
      const values = param.toNumbers() as number[];
      for (const t of [grad, source, param]) t.dispose();
      optimizer.dispose();
      return values;
    };
    assertClose([run(true)], [run(false)], 1e-5, 'transposed gradient');
  });

  it('counts as an in-place change for autograd, as the operators do', () => {
    for (const fused of [true, false]) {
      const w = randn([3]).requiresGrad_(true);
      const loss = w.square().sum(); // saves w for its backward pass
      const optimizer = new Adam([w], { fused });
      const grad = randn([3]);
      w.grad = grad;
      optimizer.step();
      assert.throws(() => loss.backward(), /modified by an inplace operation/, `fused ${fused}`);
      for (const t of [w, loss, grad]) t.dispose();
      optimizer.dispose();
    }
  });

  it('frees what it made', () => {
    const before = liveTensors();
    const make: Make = (params, fused) => new Adam(params, { amsgrad: true, fused });
    train(make, true, 'float32', 3);
    assert.equal(liveTensors(), before);
  });
});
