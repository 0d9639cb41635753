// Each model family builds from its config, has the right shapes, learns on real digits,
// and refuses bad configs with a message naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor,
  liveTensors,
  manualSeed,
  noGrad,
  rand,
  tensor,
  tidy,
} from '../../src/engine/index.js';
import { loadMnist } from '../../src/data/index.js';
import {
  ModelConfig,
  VariationalAutoencoder,
  buildModel,
  corrupt,
  resolveConfig,
} from '../../src/models/index.js';
import { Adam } from '../../src/optim/index.js';
import { Generator } from '../../src/engine/index.js';

const { dataset: digits } = await loadMnist({ limit: 256 });
const images = tensor(digits.data, { shape: digits.shape }); // [256, 1, 28, 28]

function fit(config: ModelConfig, x: Tensor, steps: number): { first: number; last: number } {
  manualSeed(0);
  const model = buildModel(config);
  const optimizer = new Adam(model.parameters(), { lr: 3e-3 });
  let first = 0;
  let last = 0;
  for (let step = 0; step < steps; step++) {
    last = tidy(() => {
      const { loss } = model.lossTerms(x, x, { epoch: step, progress: 0 });
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    if (step === 0) first = last;
  }
  const shapes = tidy(() => ({ code: model.encode(x).shape, out: model.reconstruct(x).shape }));
  assert.deepEqual(shapes.code, [x.shape[0], config.latentDim]);
  assert.deepEqual(shapes.out, x.shape);
  optimizer.dispose();
  model.dispose();
  return { first, last };
}

const imageConfigs: [string, ModelConfig][] = [
  ['dense', { family: 'dense', inputShape: [1, 28, 28], hidden: [64], latentDim: 16 }],
  [
    'sparse l1',
    {
      family: 'dense',
      inputShape: [1, 28, 28],
      hidden: [64],
      latentDim: 16,
      sparsity: { kind: 'l1', weight: 0.01 },
    },
  ],
  [
    'sparse kl',
    {
      family: 'dense',
      inputShape: [1, 28, 28],
      latentDim: 16,
      sparsity: { kind: 'kl', target: 0.05, weight: 1 },
    },
  ],
  ['conv stride', { family: 'conv', inputShape: [1, 28, 28], channels: [8, 16], latentDim: 16 }],
  [
    'conv pool (Keras blog shape, 4x4x8 code)',
    {
      family: 'conv',
      inputShape: [1, 28, 28],
      channels: [16, 8, 8],
      latentDim: 128,
      downsample: 'pool',
      upsample: 'nearest',
      denseBottleneck: false,
    },
  ],
  ['vae dense', { family: 'vae', inputShape: [1, 28, 28], hidden: [64], latentDim: 4 }],
  [
    'vae conv gaussian with free bits and warm-up',
    {
      family: 'vae',
      body: 'conv',
      inputShape: [1, 28, 28],
      channels: [8, 16],
      latentDim: 4,
      likelihood: 'gaussian',
      freeBits: 0.1,
      klWarmupEpochs: 5,
    },
  ],
];

for (const [name, config] of imageConfigs) {
  test(`${name}: shapes are right and the loss falls on MNIST digits`, () => {
    // A Gaussian likelihood first has to learn its scale, so it gets more steps.
    const steps = config.likelihood === 'gaussian' ? 80 : 25;
    const { first, last } = fit(config, images, steps);
    assert.ok(last < first * 0.9, `loss ${first} -> ${last}`);
  });
}

test('sequence models (LSTM, Conv1D) learn a sine window', () => {
  const windows = 64;
  const values = new Float32Array(windows * 2 * 24);
  for (let w = 0; w < windows; w++) {
    for (let t = 0; t < 24; t++) {
      values[(w * 2 + 0) * 24 + t] = Math.sin((w + t) / 3);
      values[(w * 2 + 1) * 24 + t] = Math.cos((w + t) / 5);
    }
  }
  const x = tensor(values, { shape: [windows, 2, 24] });
  for (const kind of ['lstm', 'conv1d'] as const) {
    const config: ModelConfig = {
      family: 'sequence',
      kind,
      inputShape: [2, 24],
      latentDim: 4,
      hidden: 16,
      channels: [8, 8],
    };
    const { first, last } = fit(config, x, 120);
    assert.ok(last < first * 0.7, `${kind}: loss ${first} -> ${last}`);
  }
});

test('conv sides that are not a multiple are padded and cropped, or refused', () => {
  const model = buildModel({
    family: 'conv',
    inputShape: [3, 30, 22],
    channels: [4, 4, 4],
    latentDim: 5,
  });
  const out = tidy(() => model.reconstruct(rand([2, 3, 30, 22])).shape);
  assert.deepEqual(out, [2, 3, 30, 22]);
  assert.throws(
    () =>
      buildModel({
        family: 'conv',
        inputShape: [1, 30, 22],
        channels: [4, 4],
        latentDim: 5,
        sides: 'refuse',
      }),
    /sides 30x22 are not a multiple of 4 \(2\^2 stages\)/,
  );
});

test('VAE: ELBO, importance weights, prior samples; the IWAE bound is tighter', () => {
  manualSeed(1);
  const vae = buildModel({ family: 'vae', inputShape: [1, 28, 28], hidden: [64], latentDim: 4 });
  assert.ok(vae instanceof VariationalAutoencoder);
  const x = images.narrow(0, 0, 16);
  noGrad(() =>
    tidy(() => {
      const weights = vae.logImportanceWeights(x, 20); // [16, 20]
      assert.deepEqual(weights.shape, [16, 20]);
      const elbo = weights.mean(1).mean().item();
      const iwae = weights.logsumexp(1).sub(Math.log(20)).mean().item();
      assert.ok(iwae >= elbo, `IWAE ${iwae} >= ELBO ${elbo}`);
      const negElbo = vae.negativeElbo(x).mean().item();
      assert.ok(Math.abs(-negElbo - elbo) / Math.abs(elbo) < 0.05);
      assert.deepEqual(vae.sample(5).shape, [5, 1, 28, 28]);
      const s = vae.sample(5).toFloat32Array();
      assert.ok(s.every((v) => v >= 0 && v <= 1));
    }),
  );
});

test('corruptions are seeded and do what they say', () => {
  const x = rand([4, 1, 10, 10]).mul(0.5).add(0.25);
  const a = tidy(() =>
    corrupt(x, { kind: 'gaussian', sigma: 0.3 }, new Generator(5)).toFloat32Array(),
  );
  const b = tidy(() =>
    corrupt(x, { kind: 'gaussian', sigma: 0.3 }, new Generator(5)).toFloat32Array(),
  );
  assert.deepEqual(a, b);
  const sp = tidy(() =>
    corrupt(x, { kind: 'salt_pepper', amount: 0.5 }, new Generator(1)).toFloat32Array(),
  );
  const extremes = sp.filter((v) => v === 0 || v === 1).length;
  assert.ok(Math.abs(extremes / sp.length - 0.5) < 0.1, `${extremes} of ${sp.length}`);
  const masked = tidy(() =>
    corrupt(x, { kind: 'mask', fraction: 0.25 }, new Generator(1)).toFloat32Array(),
  );
  const zeros = masked.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / masked.length - 0.25) < 0.1);
});

test('bad configs are refused naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ family: 'gan', inputShape: [1], latentDim: 2 }, /config\.family: expected one of 'dense'/],
    [
      { family: 'dense', inputShape: [], latentDim: 2 },
      /config\.inputShape: expected at least one size/,
    ],
    [
      { family: 'dense', inputShape: [4], latentDim: 0 },
      /config\.latentDim: expected an integer >= 1, got number 0/,
    ],
    [
      { family: 'dense', inputShape: [4], latentDim: 2, hidden: [8, 'x'] },
      /config\.hidden\[1\]: expected an integer/,
    ],
    [
      { family: 'conv', inputShape: [784], latentDim: 2, channels: [4] },
      /expected \[channels, height, width\] for a conv model/,
    ],
    [
      { family: 'vae', inputShape: [4], latentDim: 2, beta: -1 },
      /config\.beta: expected a number >= 0/,
    ],
    [
      { family: 'dense', inputShape: [4], latentDim: 2, likelihood: 'poisson' },
      /config\.likelihood: expected one of 'bernoulli', 'gaussian'/,
    ],
    [
      { family: 'sequence', inputShape: [4], latentDim: 2 },
      /\[channels, window\] for a sequence model/,
    ],
    [
      {
        family: 'dense',
        inputShape: [4],
        latentDim: 2,
        sparsity: { kind: 'kl', target: 2, weight: 1 },
      },
      /config\.sparsity\.target/,
    ],
  ];
  for (const [config, message] of cases) assert.throws(() => resolveConfig(config), message);
  assert.throws(
    () =>
      buildModel({
        family: 'conv',
        inputShape: [1, 28, 28],
        channels: [8, 8],
        latentDim: 10,
        denseBottleneck: false,
      }),
    /config\.latentDim: expected 392 \(the last feature map, 8x7x7\)/,
  );
});

test('building and disposing models leaves no tensors behind', () => {
  const before = liveTensors();
  for (const [, config] of imageConfigs) buildModel(config).dispose();
  assert.equal(liveTensors(), before);
});
