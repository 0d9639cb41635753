// The layers: output shapes and values, train/eval behaviour, option and input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AekitError,
  Tensor,
  arange,
  manualSeed,
  ones,
  randn,
  tensor,
  tidy,
  zeros,
} from '../../src/engine/index.js';
import {
  Activation,
  AvgPool1d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  Dropout,
  ELU,
  Flatten,
  GELU,
  GRU,
  Identity,
  LSTM,
  LayerNorm,
  LeakyReLU,
  Linear,
  MaxPool1d,
  MaxPool2d,
  Module,
  ReLU,
  SiLU,
  Sigmoid,
  Softplus,
  Tanh,
  Unflatten,
  Upsample,
} from '../../src/nn/index.js';

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void => {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i]));
    assert.ok(ok, `[${i}] ${actual[i]} != ${expected[i]}`);
  }
};

/** Matches an AekitError with code SHAPE and exactly this message. */
const shapeError =
  (message: string) =>
  (error: unknown): boolean =>
    error instanceof AekitError && error.code === 'SHAPE' && error.message === message;

/** Runs `fn` in a tidy scope and disposes `modules` after. */
function using(modules: Module[], fn: () => void): void {
  try {
    tidy(fn);
  } finally {
    for (const m of modules) m.dispose();
  }
}

test('Linear computes x W^T + b and checks its input', () => {
  const layer = new Linear(3, 2);
  const plain = new Linear(3, 2, { bias: false });
  using([layer, plain], () => {
    const x = randn([4, 3]);
    const expected = x.matmul(layer.weight.t()).add(layer.bias as Tensor);
    close(layer.forward(x).toNumbers(), expected.toNumbers());
    assert.equal(plain.bias, null);
    assert.deepEqual(
      plain.namedParameters().map(([n]) => n),
      ['weight'],
    );
    assert.deepEqual(layer.forward(randn([2, 5, 3])).shape, [2, 5, 2]);
    assert.throws(
      () => layer.forward(randn([4, 5])),
      shapeError('Linear input: expected 3 features in dim 1, got shape [4, 5]'),
    );
    assert.throws(
      () => layer.forward(tensor([1], { shape: [] })),
      shapeError('Linear input: expected a tensor [..., features], got shape []'),
    );
    assert.throws(
      () => layer.forward([1, 2, 3] as unknown as Tensor),
      /Linear input: expected a Tensor, got array of length 3/,
    );
  });
  assert.throws(() => new Linear(-1, 2), /Linear: inFeatures: expected an integer >= 0/);
  assert.throws(() => new Linear(2, 2.5), /Linear: outFeatures: expected an integer/);
  assert.throws(
    () => new Linear(2, 2, { bias: 1 as unknown as boolean }),
    /Linear: bias: expected a boolean, got number 1/,
  );
  assert.throws(
    () => new Linear(2, 2, 'x' as unknown as object),
    /Linear: options: expected an options object, got string "x"/,
  );
});

test('convolutions give the output sizes of their formulas and weights of PyTorch shapes', () => {
  const conv1 = new Conv1d(2, 4, 3, { stride: 2, padding: 1, dilation: 2 });
  const conv2 = new Conv2d(4, 6, [3, 5], { stride: [2, 1], padding: [1, 2], groups: 2 });
  const up1 = new ConvTranspose1d(4, 2, 4, { stride: 2, padding: 1 });
  const up2 = new ConvTranspose2d(6, 4, 3, {
    stride: 2,
    padding: 1,
    outputPadding: 1,
    groups: 2,
    bias: false,
  });
  using([conv1, conv2, up1, up2], () => {
    assert.deepEqual(conv1.weight.shape, [4, 2, 3]);
    assert.deepEqual(conv2.weight.shape, [6, 2, 3, 5]);
    assert.deepEqual(up1.weight.shape, [4, 2, 4]);
    assert.deepEqual(up2.weight.shape, [6, 2, 3, 3]);
    assert.equal(up2.bias, null);
    // floor((9 + 2 - 2 * 2 - 1) / 2) + 1 = 4
    assert.deepEqual(conv1.forward(randn([3, 2, 9])).shape, [3, 4, 4]);
    assert.deepEqual(conv2.forward(randn([1, 4, 8, 7])).shape, [1, 6, 4, 7]);
    // (5 - 1) * 2 - 2 + 3 + 1 = 10
    assert.deepEqual(up1.forward(randn([1, 4, 5])).shape, [1, 2, 10]);
    assert.deepEqual(up2.forward(randn([2, 6, 7, 7])).shape, [2, 4, 14, 14]);
    assert.deepEqual(conv2.forward(randn([4, 8, 7])).shape, [6, 4, 7]); // unbatched

    // A 1x1 convolution is a Linear over channels.
    const pointwise = new Conv2d(3, 2, 1);
    const x = randn([1, 3, 2, 2]);
    const weight = pointwise.weight.reshape(2, 3);
    const expected = x
      .permute(0, 2, 3, 1)
      .matmul(weight.t())
      .add(pointwise.bias as Tensor);
    close(pointwise.forward(x).toNumbers(), expected.permute(0, 3, 1, 2).contiguous().toNumbers());
    pointwise.dispose();
  });
});

test('convolutions check their options and inputs', () => {
  assert.throws(
    () => new Conv2d(3, 4, 3, { groups: 2 }),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message === 'Conv2d: inChannels: expected a multiple of groups (2), got number 3',
  );
  assert.throws(
    () => new ConvTranspose1d(4, 3, 3, { groups: 2 }),
    /ConvTranspose1d: outChannels: expected a multiple of groups \(2\), got number 3/,
  );
  assert.throws(() => new Conv2d(1, 1, 0), /Conv2d: kernelSize: expected an integer >= 1/);
  assert.throws(
    () => new Conv2d(1, 1, [3, 3, 3] as unknown as number),
    /Conv2d: kernelSize: expected a number or a pair of numbers, got array of length 3/,
  );
  assert.throws(
    () => new Conv2d(1, 1, [3, 0]),
    /Conv2d: kernelSize\[1\]: expected an integer >= 1/,
  );
  assert.throws(
    () => new Conv1d(1, 1, [3, 3] as unknown as number),
    /Conv1d: kernelSize: expected an integer, got array of length 2/,
  );
  assert.throws(
    () => new Conv1d(1, 1, 3, { padding: -1 }),
    /Conv1d: padding: expected an integer >= 0/,
  );
  assert.throws(() => new Conv1d(0, 1, 3), /Conv1d: inChannels: expected an integer >= 1/);

  const conv = new Conv2d(3, 4, 3);
  const up = new ConvTranspose1d(2, 2, 3);
  using([conv, up], () => {
    assert.throws(
      () => conv.forward(randn([2, 3, 5])),
      shapeError('Conv2d input: expected 3 channels in dim 0, got shape [2, 3, 5]'),
    );
    assert.throws(
      () => conv.forward(randn([3, 5])),
      shapeError(
        'Conv2d input: expected a 4-D [batch, channels, height, width] ' +
          'or 3-D [channels, height, width] tensor, got shape [3, 5]',
      ),
    );
    assert.throws(
      () => conv.forward(randn([1, 2, 5, 5])),
      shapeError('Conv2d input: expected 3 channels in dim 1, got shape [1, 2, 5, 5]'),
    );
    assert.throws(
      () => up.forward(randn([1, 1, 2, 5])),
      shapeError(
        'ConvTranspose1d input: expected a 3-D [batch, channels, length] ' +
          'or 2-D [channels, length] tensor, got shape [1, 1, 2, 5]',
      ),
    );
  });
});

test('BatchNorm2d in training normalises by batch statistics and updates running ones', () => {
  const bn = new BatchNorm2d(2, { momentum: 0.25 });
  using([bn], () => {
    assert.deepEqual(bn.runningMean?.toNumbers(), [0, 0]);
    assert.deepEqual(bn.runningVar?.toNumbers(), [1, 1]);
    assert.equal(bn.numBatchesTracked?.item(), 0);
    assert.equal(bn.numBatchesTracked?.dtype, 'int64');

    const x = randn([4, 2, 3, 3]).mul(2).add(5);
    const y = bn.forward(x);
    const mean = y.mean([0, 2, 3]).toNumbers();
    const variance = y.var([0, 2, 3], { correction: 0 }).toNumbers();
    close(mean, [0, 0], 1e-5);
    close(variance, [1, 1], 1e-3);

    // running = 0.75 running + 0.25 batch, with the unbiased batch variance.
    const batchMean = x.mean([0, 2, 3]).toNumbers();
    const batchVar = x.var([0, 2, 3]).toNumbers();
    close(
      bn.runningMean?.toNumbers() ?? [],
      batchMean.map((m) => 0.25 * m),
    );
    close(
      bn.runningVar?.toNumbers() ?? [],
      batchVar.map((v) => 0.75 + 0.25 * v),
    );
    assert.equal(bn.numBatchesTracked?.item(), 1);
    bn.forward(x);
    assert.equal(bn.numBatchesTracked?.item(), 2);
  });
});

test('BatchNorm in eval uses the running statistics and leaves them alone', () => {
  const bn = new BatchNorm1d(3, { eps: 1e-3 });
  using([bn], () => {
    bn.loadStateDict({
      ...bn.stateDict(),
      weight: tensor([1, 2, 3]),
      bias: tensor([0, 1, -1]),
      running_mean: tensor([1, -1, 0.5]),
      running_var: tensor([4, 0.25, 1]),
    });
    bn.eval();
    const x = randn([5, 3]);
    const rm = tensor([1, -1, 0.5]);
    const rv = tensor([4, 0.25, 1]);
    const expected = x
      .sub(rm)
      .div(rv.add(1e-3).sqrt())
      .mul(tensor([1, 2, 3]))
      .add(tensor([0, 1, -1]));
    close(bn.forward(x).toNumbers(), expected.toNumbers());
    // One sample is fine in eval (it is not in training).
    assert.deepEqual(bn.forward(randn([1, 3])).shape, [1, 3]);
    assert.deepEqual(bn.runningMean?.toNumbers(), [1, -1, 0.5]);
    assert.equal(bn.numBatchesTracked?.item(), 0);
    assert.deepEqual(bn.forward(randn([2, 3, 7])).shape, [2, 3, 7]);
  });
});

test('BatchNorm with momentum null averages every batch; without stats uses batch stats', () => {
  const cumulative = new BatchNorm1d(1, { momentum: null, affine: false });
  const stateless = new BatchNorm1d(2, { trackRunningStats: false });
  using([cumulative, stateless], () => {
    for (const batch of [
      [1, 3],
      [5, 7],
      [0, 2],
    ]) {
      cumulative.forward(tensor(batch, { shape: [2, 1] }));
    }
    close(cumulative.runningMean?.toNumbers() ?? [], [(2 + 6 + 1) / 3]);
    assert.equal(cumulative.numBatchesTracked?.item(), 3);
    assert.deepEqual(cumulative.parameters(), []);

    assert.equal(stateless.runningMean, null);
    assert.deepEqual(Object.keys(stateless.stateDict()), ['weight', 'bias']);
    stateless.eval();
    const y = stateless.forward(randn([6, 2]).mul(3).add(2));
    close(y.mean(0).toNumbers(), [0, 0]);
  });
});

test('BatchNorm checks its input rank and channel count', () => {
  const bn1 = new BatchNorm1d(3);
  const bn2 = new BatchNorm2d(3);
  using([bn1, bn2], () => {
    assert.throws(
      () => bn1.forward(randn([2, 3, 4, 4])),
      shapeError(
        'BatchNorm1d input: expected a 2-D [batch, features] or 3-D [batch, channels, length] ' +
          'tensor, got shape [2, 3, 4, 4]',
      ),
    );
    assert.throws(
      () => bn2.forward(randn([2, 3, 4])),
      shapeError(
        'BatchNorm2d input: expected a 4-D [batch, channels, height, width] tensor, ' +
          'got shape [2, 3, 4]',
      ),
    );
    assert.throws(
      () => bn2.forward(randn([2, 4, 1, 1])),
      shapeError('BatchNorm2d input: expected 3 channels in dim 1, got shape [2, 4, 1, 1]'),
    );
  });
  assert.throws(
    () => new BatchNorm2d(2, { momentum: 2 }),
    /BatchNorm2d: momentum: expected a number from 0 to 1/,
  );
  assert.throws(() => new BatchNorm1d(0), /BatchNorm1d: numFeatures: expected an integer >= 1/);
});

test('LayerNorm normalises the trailing dims and checks them', () => {
  const norm = new LayerNorm([2, 3]);
  using([norm], () => {
    const y = norm.forward(randn([4, 2, 3]).mul(5).add(1)).reshape(4, 6);
    close(y.mean(1).toNumbers(), [0, 0, 0, 0], 1e-5);
    close(y.var(1, { correction: 0 }).toNumbers(), [1, 1, 1, 1], 1e-3);
    assert.deepEqual(norm.weight?.shape, [2, 3]);
    assert.throws(
      () => norm.forward(randn([4, 3, 2])),
      shapeError('LayerNorm input: expected a tensor [..., 2, 3], got shape [4, 3, 2]'),
    );
    assert.throws(
      () => norm.forward(randn([3])),
      shapeError('LayerNorm input: expected a tensor [..., 2, 3], got shape [3]'),
    );
  });
  assert.throws(
    () => new LayerNorm([2, 0]),
    /LayerNorm: normalizedShape\[1\]: expected an integer >= 1/,
  );
});

test('Dropout zeroes about p of the elements in training and nothing in eval', () => {
  manualSeed(3);
  const drop = new Dropout(0.3);
  using([drop], () => {
    const x = ones([100, 100]);
    const values = drop.forward(x).toNumbers();
    const zeroed = values.filter((v) => v === 0).length / values.length;
    assert.ok(Math.abs(zeroed - 0.3) < 0.03, `zeroed ${zeroed}`);
    close(values.filter((v) => v !== 0).slice(0, 5), new Array(5).fill(1 / 0.7));
    drop.eval();
    assert.deepEqual(drop.forward(x).toNumbers(), new Array(10000).fill(1));
    assert.deepEqual(new Dropout(0).forward(x).toNumbers(), new Array(10000).fill(1));
  });
  assert.throws(
    () => new Dropout(1.5),
    /Dropout: p: expected a number from 0 to 1, got number 1.5/,
  );
});

test('Flatten and Unflatten reshape around the batch dim', () => {
  const flatten = new Flatten();
  const unflatten = new Unflatten(1, [2, 3, 4]);
  using([flatten, unflatten], () => {
    const x = arange(48).reshape(2, 2, 3, 4);
    const flat = flatten.forward(x);
    assert.deepEqual(flat.shape, [2, 24]);
    assert.deepEqual(unflatten.forward(flat).toNumbers(), x.toNumbers());
    assert.deepEqual(new Flatten(0, 1).forward(x).shape, [4, 3, 4]);
  });
  assert.throws(
    () => new Unflatten(1, 3 as unknown as number[]),
    /Unflatten: sizes: expected an array/,
  );
});

test('pooling takes maxima and means over windows and checks its input rank', () => {
  const x = arange(16, undefined, 1, { dtype: 'float32' }).reshape(1, 1, 4, 4);
  const modules = [
    new MaxPool2d(2),
    new AvgPool2d(2),
    new MaxPool1d(2),
    new AvgPool1d(3, { stride: 1, padding: 1 }),
  ];
  using(modules, () => {
    assert.deepEqual(modules[0].forward(x).toNumbers(), [5, 7, 13, 15]);
    assert.deepEqual(modules[1].forward(x).toNumbers(), [2.5, 4.5, 10.5, 12.5]);
    assert.deepEqual(modules[2].forward(tensor([[[1, 4, 2, 3]]])).toNumbers(), [4, 3]);
    close(modules[3].forward(tensor([[[3, 6, 9]]])).toNumbers(), [3, 6, 5]);
    assert.deepEqual(new MaxPool2d([2, 1], { stride: 2 }).forward(x).shape, [1, 1, 2, 2]);
    assert.deepEqual(new MaxPool2d(3, { ceilMode: true }).forward(x).shape, [1, 1, 2, 2]);
    assert.throws(
      () => modules[0].forward(randn([4, 4])),
      shapeError(
        'MaxPool2d input: expected a 4-D [batch, channels, height, width] ' +
          'or 3-D [channels, height, width] tensor, got shape [4, 4]',
      ),
    );
  });
  assert.throws(() => new MaxPool1d(0), /MaxPool1d: kernelSize: expected an integer >= 1/);
});

test('Upsample resamples by nearest and bilinear rules and checks its options', () => {
  const nearest = new Upsample({ scaleFactor: 2 });
  const bilinear = new Upsample({ size: [3, 3], mode: 'bilinear', alignCorners: true });
  using([nearest, bilinear], () => {
    const x = tensor([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    assert.deepEqual(
      nearest.forward(x).toNumbers(),
      [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
    );
    close(bilinear.forward(x).toNumbers(), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
    assert.deepEqual(nearest.forward(tensor([[[1, 2]]])).toNumbers(), [1, 1, 2, 2]);
    assert.throws(
      () => bilinear.forward(tensor([[[1, 2]]])),
      shapeError(
        'Upsample input: expected a 4-D [batch, channels, height, width] tensor for mode ' +
          "'bilinear', got shape [1, 1, 2]",
      ),
    );
  });
  assert.throws(
    () => new Upsample({}),
    /Upsample: options: expected exactly one of size and scaleFactor, got Object/,
  );
  assert.throws(() => new Upsample({ size: [2], scaleFactor: 2 }), /exactly one of size/);
  assert.throws(
    () => new Upsample({ scaleFactor: 2, mode: 'cubic' as 'nearest' }),
    /Upsample: mode: expected 'nearest', 'linear' or 'bilinear', got string "cubic"/,
  );
  assert.throws(
    () => new Upsample({ scaleFactor: -1 }),
    /Upsample: scaleFactor\[0\]: expected a number >=/,
  );
});

test('LSTM and GRU give PyTorch output and state shapes, batch first by default', () => {
  const lstm = new LSTM(3, 4, { numLayers: 2 });
  const gru = new GRU(3, 5, { bidirectional: true });
  const seqFirst = new LSTM(3, 4, { batchFirst: false });
  using([lstm, gru, seqFirst], () => {
    assert.equal(lstm.batchFirst, true);
    const x = randn([2, 6, 3]); // [batch, seq, features]
    const a = lstm.forward(x);
    assert.deepEqual(
      [a.output.shape, a.h.shape, a.c.shape],
      [
        [2, 6, 4],
        [2, 2, 4],
        [2, 2, 4],
      ],
    );
    // The last time step of the top layer is its final hidden state.
    close(a.output.select(1, 5).toNumbers(), a.h.select(0, 1).toNumbers());
    // Feeding the final state back continues the sequence.
    const start = lstm.forward(x.narrow(1, 0, 4));
    const rest = lstm.forward(x.narrow(1, 4, 2), { h: start.h, c: start.c });
    close(rest.output.toNumbers(), a.output.narrow(1, 4, 2).contiguous().toNumbers());
    close(rest.c.toNumbers(), a.c.toNumbers());

    const b = gru.forward(x);
    assert.deepEqual(
      [b.output.shape, b.h.shape],
      [
        [2, 6, 10],
        [2, 2, 5],
      ],
    );
    close(b.output.select(1, 5).narrow(1, 0, 5).toNumbers(), b.h.select(0, 0).toNumbers());
    close(b.output.select(1, 0).narrow(1, 5, 5).toNumbers(), b.h.select(0, 1).toNumbers());

    const c = seqFirst.forward(randn([6, 2, 3])); // [seq, batch, features]
    assert.deepEqual(
      [c.output.shape, c.h.shape],
      [
        [6, 2, 4],
        [1, 2, 4],
      ],
    );

    // Unbatched [seq, features] input gives unbatched outputs, the same as a batch of one.
    const one = randn([6, 3]);
    const single = lstm.forward(one);
    assert.deepEqual(
      [single.output.shape, single.h.shape],
      [
        [6, 4],
        [2, 4],
      ],
    );
    close(single.output.toNumbers(), lstm.forward(one.unsqueeze(0)).output.toNumbers());
    const again = lstm.forward(one, { h: single.h, c: single.c });
    assert.deepEqual(again.c.shape, [2, 4]);
  });
});

test('LSTM and GRU check inputs and states', () => {
  const lstm = new LSTM(3, 4, { numLayers: 2 });
  const gru = new GRU(3, 4);
  using([lstm, gru], () => {
    assert.throws(
      () => lstm.forward(randn([2, 6, 5])),
      shapeError('LSTM input: expected 3 features in dim 2, got shape [2, 6, 5]'),
    );
    assert.throws(
      () => gru.forward(randn([6])),
      shapeError(
        'GRU input: expected a 3-D [batch, seq, features] or 2-D [seq, features] tensor, ' +
          'got shape [6]',
      ),
    );
    const x = randn([2, 6, 3]);
    assert.throws(
      () => lstm.forward(x, { h: zeros([2, 3, 4]), c: zeros([2, 2, 4]) }),
      shapeError('LSTM state h: expected shape [2, 2, 4], got [2, 3, 4]'),
    );
    assert.throws(
      () => lstm.forward(x, { h: zeros([2, 2, 4]), c: zeros([2, 4]) }),
      shapeError('LSTM state c: expected shape [2, 2, 4], got [2, 4]'),
    );
    assert.throws(
      () => gru.forward(randn([6, 3]), zeros([1, 5])),
      shapeError('GRU state h: expected shape [1, 4], got [1, 5]'),
    );
    assert.throws(
      () => gru.forward(x, [0] as unknown as Tensor),
      /GRU state h: expected a Tensor, got array of length 1/,
    );
  });
  assert.throws(
    () => new LSTM(3, 4, { dropout: 2 }),
    /LSTM: dropout: expected a number from 0 to 1/,
  );
  assert.throws(() => new GRU(3, 0), /GRU: hiddenSize: expected an integer >= 1/);
});

test('recurrent dropout between layers acts in training only', () => {
  manualSeed(5);
  const lstm = new LSTM(3, 8, { numLayers: 2, dropout: 0.5 });
  using([lstm], () => {
    const x = randn([2, 4, 3]);
    const first = lstm.forward(x).output.toNumbers();
    const second = lstm.forward(x).output.toNumbers();
    assert.notDeepEqual(first, second);
    lstm.eval();
    assert.deepEqual(lstm.forward(x).output.toNumbers(), lstm.forward(x).output.toNumbers());
  });
});

test('activation modules apply the function of their name', () => {
  const x = tensor([-2, -0.5, 0, 0.5, 3]);
  const cases: [Activation, (v: number) => number][] = [
    [new ReLU(), (v) => Math.max(0, v)],
    [new LeakyReLU(0.2), (v) => (v >= 0 ? v : 0.2 * v)],
    [new ELU(0.5), (v) => (v > 0 ? v : 0.5 * Math.expm1(v))],
    [new SiLU(), (v) => v / (1 + Math.exp(-v))],
    [new Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
    [new Tanh(), (v) => Math.tanh(v)],
    [new Softplus(2, 20), (v) => Math.log1p(Math.exp(2 * v)) / 2],
    [new Identity(), (v) => v],
  ];
  using(
    cases.map(([m]) => m),
    () => {
      for (const [module, fn] of cases) {
        close(module.forward(x).toNumbers(), x.toNumbers().map(fn), 1e-6);
      }
      close(new GELU().forward(x).toNumbers(), x.gelu().toNumbers());
      close(new GELU('tanh').forward(x).toNumbers(), x.gelu('tanh').toNumbers());
      assert.equal(new Identity().forward(x), x);
      assert.throws(
        () => new ReLU().forward(3 as unknown as Tensor),
        /ReLU input: expected a Tensor, got number 3/,
      );
    },
  );
  assert.throws(
    () => new GELU('fast' as 'none'),
    /GELU: approximate: expected 'none' or 'tanh', got string "fast"/,
  );
  assert.throws(() => new LeakyReLU(Number.NaN), /LeakyReLU: negativeSlope: expected a number/);
});

test('the remaining option checks name the option and what was wrong', () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => new BatchNorm2d(2, { eps: -1 }),
      /BatchNorm2d: eps: expected a number >= 0, got number -1/,
    ],
    [
      () => new BatchNorm1d(2, { affine: 'no' as unknown as boolean }),
      /BatchNorm1d: affine: expected a boolean/,
    ],
    [
      () => new LayerNorm('4' as unknown as number),
      /LayerNorm: normalizedShape: expected an array, got string "4"/,
    ],
    [
      () => new LayerNorm(4, { eps: Number.NaN }),
      /LayerNorm: eps: expected a number, got number NaN/,
    ],
    [() => new Flatten(1.5), /Flatten: startDim: expected an integer, got number 1.5/],
    [
      () => new Unflatten(1, [2, -2]),
      /Unflatten: sizes\[1\]: expected an integer >= -1, got number -2/,
    ],
    [
      () => new Upsample({ size: 2 as unknown as number[] }),
      /Upsample: size: expected an array of sizes, got number 2/,
    ],
    [
      () => new AvgPool2d(2, { ceilMode: 1 as unknown as boolean }),
      /AvgPool2d: ceilMode: expected a boolean/,
    ],
    [() => new ELU(Number.NaN), /ELU: alpha: expected a number, got number NaN/],
    [() => new Softplus(1, Number.NaN), /Softplus: threshold: expected a number, got number NaN/],
    [
      () => new LSTM(3, 4, { numLayers: 0 }),
      /LSTM: numLayers: expected an integer >= 1, got number 0/,
    ],
    [
      () => new GRU(3, 4, { batchFirst: 0 as unknown as boolean }),
      /GRU: batchFirst: expected a boolean/,
    ],
  ];
  for (const [fn, message] of cases) assert.throws(fn, message);
});
