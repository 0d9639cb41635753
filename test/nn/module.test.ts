// The Module base: registration, names, traversal, modes, gradients, state dicts, freeing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AekitError,
  Tensor,
  engineInfo,
  liveTensors,
  ones,
  randn,
  tensor,
  tidy,
  zeros,
} from '../../src/engine/index.js';
import {
  BatchNorm1d,
  Dropout,
  Linear,
  Module,
  ReLU,
  Sequential,
  Sigmoid,
} from '../../src/nn/index.js';

/** A model with own parameters, buffers and children, to test the traversal order. */
class Net extends Module {
  readonly scale = this.registerParameter('scale', ones([2]));
  readonly step = this.registerBuffer('step', zeros([1]));
  readonly scratch = this.registerBuffer('scratch', zeros([3]), false);
  readonly encoder = this.registerModule(
    'encoder',
    new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2)),
  );
  readonly norm = this.registerModule('norm', new BatchNorm1d(2));
  readonly drop = this.registerModule('drop', new Dropout(0.5));

  forward(x: Tensor): Tensor {
    return tidy(() => this.drop.forward(this.norm.forward(this.encoder.forward(x))));
  }
}

const netParameters = [
  'scale',
  'encoder.0.weight',
  'encoder.0.bias',
  'encoder.2.weight',
  'encoder.2.bias',
  'norm.weight',
  'norm.bias',
];

test('parameters, buffers and children have dotted PyTorch names in registration order', () => {
  const net = new Net();
  assert.deepEqual(
    net.namedParameters().map(([name]) => name),
    netParameters,
  );
  assert.deepEqual(
    net.namedBuffers().map(([name]) => name),
    ['step', 'scratch', 'norm.running_mean', 'norm.running_var', 'norm.num_batches_tracked'],
  );
  assert.deepEqual(
    net.namedChildren().map(([name]) => name),
    ['encoder', 'norm', 'drop'],
  );
  assert.deepEqual(net.children(), [net.encoder, net.norm, net.drop]);
  assert.deepEqual(
    net.namedModules().map(([name, m]) => `${name}:${m.constructor.name}`),
    [
      ':Net',
      'encoder:Sequential',
      'encoder.0:Linear',
      'encoder.1:ReLU',
      'encoder.2:Linear',
      'norm:BatchNorm1d',
      'drop:Dropout',
    ],
  );
  assert.equal(net.modules().length, 7);
  assert.equal(net.parameters()[1], (net.encoder.at(0) as Linear).weight);
  assert.equal(net.buffers().length, 5);
  assert.equal(net.numParameters(), 2 + (4 * 3 + 3) + (3 * 2 + 2) + 2 + 2);
  net.dispose();
});

test('stateDict has parameters then persistent buffers per module, children after', () => {
  const net = new Net();
  tidy(() => {
    assert.deepEqual(Object.keys(net.stateDict()), [
      'scale',
      'step',
      'encoder.0.weight',
      'encoder.0.bias',
      'encoder.2.weight',
      'encoder.2.bias',
      'norm.weight',
      'norm.bias',
      'norm.running_mean',
      'norm.running_var',
      'norm.num_batches_tracked',
    ]);
    assert.equal(net.stateDict()['norm.num_batches_tracked'].dtype, 'int64');
  });
  net.dispose();
});

test('parameters are leaves that require grad and outlive the tidy() that made them', () => {
  const layer = tidy(() => new Linear(3, 2));
  for (const p of layer.parameters()) {
    assert.equal(p.isDisposed, false);
    assert.equal(p.isLeaf, true);
    assert.equal(p.requiresGrad, true);
  }
  for (const b of tidy(() => new BatchNorm1d(2)).buffers()) assert.equal(b.isDisposed, false);
  layer.dispose();
});

test('a parameter shared by two modules is listed and counted once', () => {
  const first = new Linear(3, 3);
  const shared = new Sequential(first, new ReLU(), first);
  assert.equal(shared.parameters().length, 2);
  assert.equal(shared.numParameters(), 12);
  assert.deepEqual(
    shared.namedModules().map(([name]) => name),
    ['', '0', '1'],
  );
  // The state dict lists a shared module under every name, as PyTorch's does.
  tidy(() =>
    assert.deepEqual(Object.keys(shared.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias']),
  );
  shared.dispose();
});

test('train() and eval() set the mode of every module below', () => {
  const net = new Net();
  assert.equal(net.training, true);
  assert.equal(net.eval(), net);
  assert.ok(net.modules().every((m) => m.training === false));
  net.train();
  assert.ok(net.modules().every((m) => m.training === true));
  net.encoder.train(false);
  assert.equal(net.training, true);
  assert.equal(net.encoder.at(0).training, false);
  assert.throws(() => net.train('no' as unknown as boolean), /train: mode: expected a boolean/);
  net.dispose();
});

test('zeroGrad() drops every gradient', () => {
  const layer = new Linear(3, 2);
  tidy(() =>
    layer
      .forward(randn([4, 3]))
      .sum()
      .backward(),
  );
  assert.ok(layer.parameters().every((p) => p.grad !== null));
  layer.zeroGrad();
  assert.ok(layer.parameters().every((p) => p.grad === null));
  layer.dispose();
});

test('stateDict values are detached views: sharing memory, safe to dispose', () => {
  const layer = new Linear(2, 2);
  const state = layer.stateDict();
  assert.equal(state.weight.requiresGrad, false);
  assert.deepEqual(state.weight.toNumbers(), layer.weight.toNumbers());
  for (const value of Object.values(state)) value.dispose();
  assert.equal(layer.weight.isDisposed, false);
  assert.equal(layer.weight.shape.length, 2);
  layer.dispose();
});

test('loadStateDict copies values in, without recording gradients, and returns no misses', () => {
  const source = new Sequential(new Linear(4, 3), new BatchNorm1d(3));
  const target = new Sequential(new Linear(4, 3), new BatchNorm1d(3));
  tidy(() => {
    source.train().forward(randn([5, 4]));
    const result = target.loadStateDict(source.stateDict());
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    assert.deepEqual(
      target.stateDict()['0.weight'].toNumbers(),
      source.stateDict()['0.weight'].toNumbers(),
    );
    assert.deepEqual(
      target.stateDict()['1.running_mean'].toNumbers(),
      source.stateDict()['1.running_mean'].toNumbers(),
    );
    assert.equal(target.stateDict()['1.num_batches_tracked'].item(), 1);
    const weight = (target.at(0) as Linear).weight;
    assert.equal(weight.isLeaf, true);
    assert.equal(weight.requiresGrad, true);
    assert.equal(weight.grad, null);
    // A Map works too.
    target.loadStateDict(new Map(Object.entries(source.stateDict())));
  });
  source.dispose();
  target.dispose();
});

test('loadStateDict names missing and unexpected keys, and changes nothing on failure', () => {
  const layer = new Linear(2, 2);
  const before = layer.weight.toNumbers();
  tidy(() => {
    const state = { weight: zeros([2, 2]), extra: zeros([1]) };
    assert.throws(
      () => layer.loadStateDict(state),
      (error: unknown) =>
        error instanceof AekitError &&
        error.code === 'STATE_DICT' &&
        error.message === "loadStateDict (Linear): missing keys 'bias'; unexpected keys 'extra'",
    );
    assert.deepEqual(layer.weight.toNumbers(), before);

    // Not strict: loads what matches and reports the rest.
    const result = layer.loadStateDict(state, { strict: false });
    assert.deepEqual(result, { missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    assert.deepEqual(layer.weight.toNumbers(), [0, 0, 0, 0]);
  });
  layer.dispose();
});

test('loadStateDict reports every shape mismatch with both shapes, even when not strict', () => {
  const net = new Sequential(new Linear(3, 2), new Linear(2, 1));
  tidy(() => {
    const state = net.stateDict();
    state['0.weight'] = zeros([3, 2]);
    state['1.bias'] = zeros([2]);
    const message =
      "loadStateDict (Sequential): shape mismatch for '0.weight': the module has [2, 3], " +
      "the state dict has [3, 2]; shape mismatch for '1.bias': the module has [1], " +
      'the state dict has [2]';
    for (const strict of [true, false]) {
      assert.throws(
        () => net.loadStateDict(state, { strict }),
        (error: unknown) =>
          error instanceof AekitError && error.code === 'STATE_DICT' && error.message === message,
      );
    }
  });
  net.dispose();
});

test('loadStateDict rejects values that are not tensors, and bad arguments', () => {
  const layer = new Linear(2, 2);
  tidy(() => {
    const state = { ...layer.stateDict(), bias: [0, 0] as unknown as Tensor };
    assert.throws(
      () => layer.loadStateDict(state),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message ===
          "loadStateDict: 'bias': expected a Tensor (not disposed), got array of length 2",
    );
    const gone = zeros([2]);
    gone.dispose();
    assert.throws(() => layer.loadStateDict({ ...layer.stateDict(), bias: gone }), /not disposed/);
    assert.throws(
      () => layer.loadStateDict(null as unknown as Record<string, Tensor>),
      /loadStateDict: stateDict: expected an object of tensors, got null/,
    );
    assert.throws(
      () => layer.loadStateDict(layer.stateDict(), { strict: 1 as unknown as boolean }),
      /loadStateDict: strict: expected a boolean, got number 1/,
    );
  });
  layer.dispose();
});

test('registration rejects bad names, reused names, and tensors that cannot be parameters', () => {
  class Probe extends Module {
    forward(): void {}
  }
  const m = new Probe();
  m.registerParameter('w', zeros([2]));
  const reused = /registerBuffer: name 'w' is already used by a parameter of Probe/;
  assert.throws(() => m.registerBuffer('w', zeros([1])), reused);
  m.registerBuffer('b', zeros([1]));
  assert.throws(() => m.registerParameter('b', zeros([1])), /already used by a buffer/);
  m.registerModule('c', new ReLU());
  assert.throws(() => m.registerModule('c', new ReLU()), /already used by a child module/);
  assert.throws(
    () => m.registerParameter('a.b', zeros([1])),
    /registerParameter: name: expected a non-empty name without '\.', got string "a\.b"/,
  );
  assert.throws(() => m.registerModule('', new ReLU()), /expected a non-empty name/);
  assert.throws(() => m.registerParameter(3 as unknown as string, zeros([1])), TypeError);
  assert.throws(
    () => m.registerParameter('x', [1] as unknown as Tensor),
    /registerParameter: 'x': expected a Tensor, got array of length 1/,
  );
  assert.throws(
    () => m.registerParameter('x', tensor([1, 2], { dtype: 'int64' })),
    /registerParameter: 'x': expected a floating-point tensor, got int64/,
  );
  const computed = ones([2], { requiresGrad: true }).mul(2);
  assert.throws(
    () => m.registerParameter('x', computed),
    (error: unknown) =>
      error instanceof AekitError &&
      error.code === 'BAD_INPUT' &&
      /expected a leaf tensor, got one computed from tensors that require grad/.test(error.message),
  );
  assert.throws(
    () => m.registerBuffer('y', zeros([1]), 'yes' as unknown as boolean),
    /registerBuffer: 'y': persistent: expected a boolean, got string "yes"/,
  );
  assert.throws(
    () => m.registerModule('z', {} as unknown as Module),
    /registerModule: 'z': expected a Module, got Object/,
  );
  m.dispose();
});

test('dispose() frees every parameter and buffer below, and is idempotent', () => {
  const before = liveTensors();
  const net = new Net();
  assert.ok(liveTensors() > before);
  assert.equal(net.isDisposed, false);
  net.dispose();
  assert.equal(net.isDisposed, true);
  assert.equal(net.encoder.isDisposed, true);
  assert.ok(net.parameters().every((p) => p.isDisposed));
  assert.ok(net.buffers().every((b) => b.isDisposed));
  assert.equal(liveTensors(), before);
  net.dispose();
  assert.equal(liveTensors(), before);
});

test('a forward and backward pass inside tidy() leaves no tensors behind', () => {
  const net = new Net();
  const x = randn([6, 4]);
  tidy(() => net.forward(x).sum().backward());
  net.zeroGrad();
  const before = liveTensors();
  for (let i = 0; i < 5; i++) tidy(() => net.forward(x).square().mean().backward());
  net.zeroGrad();
  assert.equal(liveTensors(), before);
  x.dispose();
  net.dispose();
});

test('Sequential chains its modules, names them by position, and frees intermediates', () => {
  const seq = new Sequential(new Linear(3, 4), new ReLU());
  seq.append(new Linear(4, 1)).append(new Sigmoid());
  assert.equal(seq.length, 4);
  assert.equal(seq.at(-1).constructor.name, 'Sigmoid');
  assert.equal(seq.at(2), seq.children()[2]);
  assert.throws(() => seq.at(4), /Sequential.at: index: expected an integer from -4 to 3/);
  assert.throws(
    () => seq.append({} as Module),
    /Sequential: module 4: expected a Module, got Object/,
  );

  const x = randn([5, 3], { requiresGrad: true });
  const before = liveTensors();
  const y = seq.forward(x);
  assert.equal(liveTensors(), before + 1); // only the result is alive
  assert.deepEqual(y.shape, [5, 1]);
  tidy(() => y.sum().backward()); // autograd kept what it needed
  assert.deepEqual(x.grad?.shape, [5, 3]);
  assert.equal(new Sequential().forward(x), x);
  y.dispose();
  x.dispose();
  seq.dispose();
});

test('Sequential says which module did not return a tensor', () => {
  class Pair extends Module {
    forward(x: Tensor): Tensor[] {
      return [x, x];
    }
  }
  const seq = new Sequential(new ReLU(), new Pair() as unknown as Module, new ReLU());
  tidy(() =>
    assert.throws(
      () => seq.forward(zeros([2])),
      (error: unknown) =>
        error instanceof AekitError &&
        error.message ===
          'Sequential: module 1 (Pair) returned array of length 2, expected a Tensor to pass on',
    ),
  );
});

/** A tensor's values as numbers (floating dtypes). */
const values = (t: Tensor): number[] => Array.from(t.toArray() as Float32Array);

test('to(dtype) converts floating parameters and buffers in place, and leaves integer ones', () => {
  const net = new Net();
  const weight = net.encoder.parameters()[0];
  const before = weight.toArray();
  const live = liveTensors();
  assert.equal(net.to('float64'), net);
  assert.equal(liveTensors(), live, 'no tensor is left behind');
  assert.equal(net.encoder.parameters()[0], weight, 'the same Tensor object');
  assert.equal(weight.dtype, 'float64');
  assert.equal(weight.requiresGrad, true);
  assert.ok(weight.isLeaf);
  assert.deepEqual(values(weight), Array.from(before as Float32Array));
  const dtypes = tidy(() =>
    Object.fromEntries(Object.entries(net.stateDict()).map(([key, value]) => [key, value.dtype])),
  );
  assert.equal(dtypes['norm.running_mean'], 'float64');
  assert.equal(dtypes['norm.num_batches_tracked'], 'int64');
  assert.equal(dtypes.step, 'float64');
  net.eval();
  const out = tidy(() => net.forward(randn([5, 4]).to('float64')).dtype);
  assert.equal(out, 'float64');
  net.to('float32');
  assert.equal(weight.dtype, 'float32');
  net.dispose();
});

test('to(device) keeps gradients and identity; a device libtorch lacks changes nothing', () => {
  const net = new Net();
  tidy(() =>
    net
      .forward(randn([5, 4]))
      .sum()
      .backward(),
  );
  const weight = net.encoder.parameters()[0];
  const grad = tidy(() => values(weight.grad!));
  net.to('cpu');
  assert.deepEqual(
    tidy(() => values(weight.grad!)),
    grad,
  );
  assert.equal(weight.device, 'cpu');
  if (!engineInfo().cuda) {
    const live = liveTensors();
    assert.throws(() => net.to('cuda'), /cuda|CUDA/);
    assert.equal(liveTensors(), live);
    assert.equal(weight.device, 'cpu');
    assert.deepEqual(
      tidy(() => values(weight.grad!)),
      grad,
    );
  }
  assert.throws(() => net.to('int64' as 'float32'), /Module.to: expected a floating-point dtype/);
  net.dispose();
});
