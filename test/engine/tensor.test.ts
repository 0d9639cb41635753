// Values, dtypes, shapes and errors of the Tensor API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AekitError,
  Generator,
  arange,
  cat,
  full,
  manualSeed,
  ones,
  rand,
  randint,
  randn,
  randperm,
  scalar,
  stack,
  tensor,
  where,
  zeros,
  engineInfo,
  liveTensors,
  tidy,
  keep,
  noGrad,
  isGradEnabled,
  Op,
} from '../../src/engine/index.js';

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} != ${expected[i]}`);
  }
};

test('tensors round-trip through typed arrays in every dtype', () => {
  const f32 = tensor(new Float32Array([1.5, -2, 3]));
  assert.deepEqual(Array.from(f32.toArray() as Float32Array), [1.5, -2, 3]);
  assert.equal(f32.dtype, 'float32');
  const f64 = tensor(new Float64Array([0.1, 0.2]));
  assert.equal(f64.dtype, 'float64');
  assert.deepEqual(Array.from(f64.toArray() as Float64Array), [0.1, 0.2]);
  const i64 = tensor(new BigInt64Array([1n, -5n, 9007199254740993n]));
  assert.equal(i64.dtype, 'int64');
  assert.deepEqual(Array.from(i64.toArray() as BigInt64Array), [1n, -5n, 9007199254740993n]);
  const u8 = tensor([0, 128, 255], { dtype: 'uint8' });
  assert.deepEqual(Array.from(u8.toArray() as Uint8Array), [0, 128, 255]);
  const b = tensor([1, 0, 1], { dtype: 'bool' });
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(Array.from(b.toArray() as Uint8Array), [1, 0, 1]);
  const bf = tensor([1, 2.5], { dtype: 'bfloat16' });
  assert.equal(bf.dtype, 'bfloat16');
  assert.deepEqual(Array.from(bf.toArray() as Float32Array), [1, 2.5]);
});

test('nested arrays give their shape; ragged ones are refused', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(x.shape, [2, 3]);
  assert.equal(x.ndim, 2);
  assert.equal(x.numel, 6);
  assert.equal(String(x), 'Tensor([2, 3], float32, cpu)');
  assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  assert.throws(() => tensor(new Float32Array(5), { shape: [2, 3] }), /needs 6 values, got 5/);
});

test('arithmetic broadcasts like PyTorch, and integer tensors stay integer', () => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor([10, 20]);
  close(a.add(b).toArray() as Float32Array, [11, 22, 13, 24]);
  close(a.sub(b, 0.5).toArray() as Float32Array, [-4, -8, -2, -6]);
  close(a.mul(2).toArray() as Float32Array, [2, 4, 6, 8]);
  close(a.div(b).toArray() as Float32Array, [0.1, 0.1, 0.3, 0.2]);
  close(a.pow(2).toArray() as Float32Array, [1, 4, 9, 16]);
  close(a.rsub(1).toArray() as Float32Array, [0, -1, -2, -3]);
  const i = tensor([1, 2, 3], { dtype: 'int64' });
  assert.equal(i.mul(2).dtype, 'int64');
  assert.equal(i.mul(0.5).dtype, 'float32');
  close(a.exp().log().toArray() as Float32Array, [1, 2, 3, 4], 1e-5);
  close(a.clamp(2, 3).toArray() as Float32Array, [2, 2, 3, 3]);
  close(a.clamp(null, 2).toArray() as Float32Array, [1, 2, 2, 2]);
});

test('reductions over all elements and over dims', () => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(a.sum().item(), 21);
  close(a.sum(0).toArray() as Float32Array, [5, 7, 9]);
  assert.deepEqual(a.sum(1, true).shape, [2, 1]);
  close(a.mean([0, 1]).toArray() as Float32Array, [3.5]);
  assert.equal(a.max().item(), 6);
  const { values, indices } = a.maxDim(1);
  close(values.toArray() as Float32Array, [3, 6]);
  assert.deepEqual(indices.toNumbers(), [2, 2]);
  assert.deepEqual(a.argmax(0).toNumbers(), [1, 1, 1]);
  close(a.var(1).toArray() as Float32Array, [1, 1]);
  close(a.var(1, { correction: 0 }).toArray() as Float32Array, [2 / 3, 2 / 3]);
  close([a.norm().item()], [Math.sqrt(91)], 1e-5);
  close(a.logsumexp(1).toArray() as Float32Array, [3.40760596, 6.40760596], 1e-5);
});

test('shape operations', () => {
  const a = arange(6).reshape(2, 3);
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(a.t().toNumbers(), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(a.permute(1, 0).contiguous().toNumbers(), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(a.flatten().shape, [6]);
  assert.deepEqual(a.unsqueeze(1).shape, [2, 1, 3]);
  assert.deepEqual(a.unsqueeze(0).squeeze().shape, [2, 3]);
  assert.deepEqual(a.slice(1, 1).toNumbers(), [1, 2, 4, 5]);
  assert.deepEqual(a.select(0, 1).toNumbers(), [3, 4, 5]);
  assert.deepEqual(a.index([tensor([1, 0], { dtype: 'int64' })]).toNumbers(), [3, 4, 5, 0, 1, 2]);
  const [p, q] = a.split(2, 1);
  assert.deepEqual(p.shape, [2, 2]);
  assert.deepEqual(q.shape, [2, 1]);
  assert.deepEqual(cat([a, a], 0).shape, [4, 3]);
  assert.deepEqual(stack([a, a], 2).shape, [2, 3, 2]);
  assert.deepEqual(a.expand(2, 2, 3).shape, [2, 2, 3]);
  assert.deepEqual(a.pad([1, 0]).toNumbers(), [0, 0, 1, 2, 0, 3, 4, 5]);
  assert.deepEqual(a.flip(1).toNumbers(), [2, 1, 0, 5, 4, 3]);
  const x = tensor([-1, 2, -3]);
  assert.deepEqual(where(x.gt(0), x, zeros([3])).toNumbers(), [0, 2, 0]);
  assert.deepEqual(x.lt(0).toNumbers(), [1, 0, 1]);
  assert.deepEqual(x.eq(tensor([-1, 0, -3])).toNumbers(), [1, 0, 1]);
});

test('activations have their PyTorch values', () => {
  const x = tensor([-2, 0, 1.5]);
  close(x.relu().toArray() as Float32Array, [0, 0, 1.5]);
  close(x.leakyRelu(0.1).toArray() as Float32Array, [-0.2, 0, 1.5]);
  close(x.sigmoid().toArray() as Float32Array, [0.11920292, 0.5, 0.81757448]);
  close(x.tanh().toArray() as Float32Array, [-0.96402758, 0, 0.90514825]);
  close(x.softplus().toArray() as Float32Array, [0.12692801, 0.69314718, 1.70141327], 1e-6);
  close(x.elu().toArray() as Float32Array, [-0.86466472, 0, 1.5]);
  close(x.gelu().toArray() as Float32Array, [-0.04550026, 0, 1.3997892], 1e-6);
  const e = [-2, 0, 1.5].map(Math.exp);
  const total = e[0] + e[1] + e[2];
  close(
    x.softmax(0).toArray() as Float32Array,
    e.map((v) => v / total),
  );
});

test('creation functions', () => {
  assert.deepEqual(zeros([2, 2]).toNumbers(), [0, 0, 0, 0]);
  assert.deepEqual(ones([3], { dtype: 'int64' }).toNumbers(), [1, 1, 1]);
  assert.deepEqual(full([2], 7).toNumbers(), [7, 7]);
  assert.deepEqual(arange(2, 8, 2).toNumbers(), [2, 4, 6]);
  assert.equal(arange(3).dtype, 'int64');
  assert.equal(scalar(4).shape.length, 0);
  assert.equal(scalar(4).item(), 4);
  const u = rand([1000]);
  assert.ok(u.min().item() >= 0 && u.max().item() < 1);
  const n = randn([10000]);
  assert.ok(Math.abs(n.mean().item()) < 0.05 && Math.abs(n.std().item() - 1) < 0.05);
  const k = randint(3, 6, [500]);
  assert.ok(k.min().item() === 3 && k.max().item() === 5);
  assert.deepEqual(
    randperm(5)
      .toNumbers()
      .sort((x, y) => x - y),
    [0, 1, 2, 3, 4],
  );
});

test('seeds repeat draws; a Generator is independent of the global stream', () => {
  manualSeed(42);
  const a = randn([5]).toNumbers();
  manualSeed(42);
  const b = randn([5]).toNumbers();
  assert.deepEqual(a, b);
  const g1 = new Generator(3);
  const g2 = new Generator(3);
  manualSeed(1);
  const x = rand([4], { generator: g1 }).toNumbers();
  manualSeed(2);
  const y = rand([4], { generator: g2 }).toNumbers();
  assert.deepEqual(x, y);
  assert.throws(() => manualSeed(-1), /seed: expected an integer >= 0, got number -1/);
});

test('a shape mismatch names the operator and both shapes', () => {
  const error = assertThrowsAekit(() => zeros([2, 3]).add(zeros([4])), 'SHAPE');
  assert.match(error.message, /aten::add\.Tensor/);
  assert.match(error.message, /\[2, 3\] Float and \[4\] Float/);
  const mm = assertThrowsAekit(() => zeros([2, 3]).matmul(zeros([2, 3])), 'SHAPE');
  assert.match(mm.message, /aten::matmul.*2x3 and 2x3/);
});

test('a disposed tensor, a wrong dtype and a wrong device are clear errors', () => {
  const x = ones([2]);
  x.dispose();
  x.dispose(); // idempotent
  assert.equal(x.isDisposed, true);
  const disposed = assertThrowsAekit(() => x.relu(), 'DISPOSED');
  assert.match(disposed.message, /aten::relu: argument 'self': tensor was disposed/);
  const dtype = assertThrowsAekit(
    () => ones([2, 2]).matmul(ones([2, 2], { dtype: 'int64' })),
    'NATIVE',
  );
  assert.match(dtype.message, /aten::matmul: expected .*(Float|Long).*(Long|Float)/);
  if (!engineInfo().cuda) {
    const device = assertThrowsAekit(() => ones([2], { device: 'cuda' }), 'NATIVE');
    assert.match(device.message, /aten::ones.*CUDA/);
  }
  assert.throws(() => zeros([2]).add('x' as unknown as number), TypeError);
  assert.throws(() => tensor([1]).to('tpu' as 'cpu'), /aten::to\.device/);
});

test('operators are found by name; an unknown one is a clear error', () => {
  assert.match(new Op('aten::linear').schema(), /^aten::linear\(Tensor input, Tensor weight/);
  assert.throws(() => new Op('aten::no_such_op').resolve(), /no_such_op/);
});

test('tidy frees what it does not return; keep and nesting', () => {
  const before = liveTensors();
  const kept = ones([2]);
  const result = tidy(() => {
    const a = ones([3]);
    keep(a);
    const inner = tidy(() => a.mul(2).add(1));
    return { inner, list: [a.add(inner)] };
  });
  assert.deepEqual(result.inner.toNumbers(), [3, 3, 3]);
  assert.deepEqual(result.list[0].toNumbers(), [4, 4, 4]);
  // kept, a (kept), result.inner and result.list[0] stay alive.
  assert.equal(liveTensors(), before + 4);
  assert.throws(() => tidy(() => ones([1]).div(zeros([2, 2]).matmul(zeros([3])))), AekitError);
  assert.equal(liveTensors(), before + 4);
  kept.dispose();
});

test('noGrad turns recording off and restores it', () => {
  const w = ones([2], { requiresGrad: true });
  const y = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    return w.mul(2);
  });
  assert.equal(isGradEnabled(), true);
  assert.equal(y.requiresGrad, false);
  assert.equal(w.mul(2).requiresGrad, true);
});

test('backward fills grads of leaves; grad can be cleared', () => {
  const w = tensor([1, 2, 3], { requiresGrad: true });
  w.mul(w).sum().backward();
  assert.deepEqual(w.grad?.toNumbers(), [2, 4, 6]);
  w.mul(w).sum().backward();
  assert.deepEqual(w.grad?.toNumbers(), [4, 8, 12]);
  w.grad = null;
  assert.equal(w.grad, null);
  assert.equal(w.isLeaf, true);
  assert.equal(w.mul(2).isLeaf, false);
  assert.throws(() => w.mul(2).backward(), /grad can be implicitly created only for scalar/);
});

function assertThrowsAekit(fn: () => unknown, code: string): AekitError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AekitError, `expected AekitError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail('expected an error');
}
