// Initialisation: fans, bounds, seeded streams, argument checks. (Values against PyTorch
// are in golden.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, manualSeed, rand, tensor, tidy, zeros } from '../../src/engine/index.js';
import { ConvTranspose2d, Linear, init } from '../../src/nn/index.js';

test('fanInAndFanOut multiplies dims 1 and 0 by the receptive field', () => {
  tidy(() => {
    assert.deepEqual(init.fanInAndFanOut(zeros([3, 5])), { fanIn: 5, fanOut: 3 });
    assert.deepEqual(init.fanInAndFanOut(zeros([8, 4, 3, 3])), { fanIn: 36, fanOut: 72 });
    assert.throws(
      () => init.fanInAndFanOut(zeros([4])),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message === 'fanInAndFanOut: expected a tensor of 2 or more dims, got shape [4]',
    );
  });
});

test('default weights lie within 1/sqrt(fanIn); transposed convolutions use weight dim 1', () => {
  manualSeed(0);
  const linear = new Linear(16, 8);
  const up = new ConvTranspose2d(2, 9, 2); // weight [2, 9, 2, 2]: fanIn = 9 * 4 = 36
  for (const [tensorOf, bound] of [
    [linear.weight, 1 / 4],
    [linear.bias, 1 / 4],
    [up.weight, 1 / 6],
    [up.bias, 1 / 6],
  ] as const) {
    const values = tensorOf?.toNumbers() ?? [];
    const largest = Math.max(...values.map(Math.abs));
    assert.ok(largest <= bound && largest > 0.5 * bound, `largest ${largest}, bound ${bound}`);
  }
  linear.dispose();
  up.dispose();
});

test('construction is repeatable with manualSeed, and a Generator leaves the global stream', () => {
  manualSeed(11);
  const a = new Linear(4, 4);
  manualSeed(11);
  const b = new Linear(4, 4);
  assert.deepEqual(a.weight.toNumbers(), b.weight.toNumbers());

  manualSeed(12);
  const expected = tidy(() => rand([3]).toNumbers());
  manualSeed(12);
  const seeded = new Linear(4, 4, { generator: new Generator(1) });
  const again = new Linear(4, 4, { generator: new Generator(1) });
  assert.deepEqual(
    tidy(() => rand([3]).toNumbers()),
    expected,
  );
  assert.deepEqual(seeded.weight.toNumbers(), again.weight.toNumbers());
  assert.notDeepEqual(seeded.weight.toNumbers(), a.weight.toNumbers());
  for (const m of [a, b, seeded, again]) m.dispose();
});

test('init functions fill parameters in place, under no-grad, and return them', () => {
  const layer = new Linear(3, 2);
  assert.equal(init.zeros(layer.weight), layer.weight);
  assert.deepEqual(layer.weight.toNumbers(), [0, 0, 0, 0, 0, 0]);
  init.ones(layer.bias ?? zeros([1]));
  assert.deepEqual(layer.bias?.toNumbers(), [1, 1]);
  init.constant(layer.weight, 0.5);
  assert.deepEqual(layer.weight.toNumbers(), new Array(6).fill(0.5));
  init.xavierNormal(layer.weight, { generator: new Generator(3) });
  assert.equal(layer.weight.isLeaf, true);
  assert.equal(layer.weight.requiresGrad, true);
  // xavierUniform's bound: gain * sqrt(6 / (fanIn + fanOut)) = 2 * sqrt(6 / 5)
  init.xavierUniform(layer.weight, { gain: 2 });
  const bound = 2 * Math.sqrt(6 / 5);
  assert.ok(layer.weight.toNumbers().every((v) => Math.abs(v) <= bound));
  layer.dispose();
});

test('tensors without elements are left as they are', () => {
  tidy(() => {
    const empty = zeros([0, 3]);
    assert.deepEqual(init.kaimingUniform(empty).shape, [0, 3]);
    assert.deepEqual(init.xavierNormal(zeros([0, 0])).shape, [0, 0]);
    assert.deepEqual(new Linear(0, 2).weight.shape, [2, 0]);
  });
});

test('init functions check their arguments', () => {
  tidy(() => {
    const t = zeros([2, 2]);
    assert.throws(
      () => init.uniform(t, 1, 0),
      /uniform: high: expected a number >= 1, got number 0/,
    );
    assert.throws(
      () => init.normal(t, 0, -1),
      /normal: std: expected a number >= 0, got number -1/,
    );
    assert.throws(
      () => init.kaimingNormal(t, { mode: 'fanIn' as 'fan_in' }),
      (e: unknown) =>
        e instanceof TypeError &&
        e.message === `kaimingNormal: mode: expected 'fan_in' or 'fan_out', got string "fanIn"`,
    );
    assert.throws(
      () => init.calculateGain('swish' as 'relu'),
      /calculateGain: nonlinearity: expected a nonlinearity such as relu, got string "swish"/,
    );
    assert.throws(
      () => init.zeros([1, 2] as unknown as typeof t),
      /constant: tensor: expected a Tensor, got array of length 2/,
    );
    assert.throws(
      () => init.uniform(t, 0, 1, {} as Generator),
      /generator: expected a Generator, got Object/,
    );
    assert.throws(
      () => init.xavierUniform(t, { gain: -1 }),
      /xavierUniform: gain: expected a number >= 0/,
    );
    assert.equal(init.calculateGain('conv2d'), 1);
    assert.equal(init.calculateGain('leaky_relu', 0), Math.SQRT2);
    assert.deepEqual(init.constant(tensor([1, 2]), 7).toNumbers(), [7, 7]);
  });
});

test('numeric init arguments must be numbers', () => {
  tidy(() => {
    const t = zeros([2, 2]);
    assert.throws(
      () => init.constant(t, Number.NaN),
      /constant: value: expected a number, got number NaN/,
    );
    assert.throws(
      () => init.kaimingUniform(t, { a: 'x' as unknown as number }),
      /kaimingUniform: a: expected a number, got string "x"/,
    );
    assert.throws(
      () => init.calculateGain('leaky_relu', Number.NaN),
      /calculateGain: param: expected a number, got number NaN/,
    );
  });
});
