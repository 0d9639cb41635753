// The compressive family: config checks, shapes, the factorised prior's properties, the
// rate-distortion terms in training and evaluation mode, and lambda trading bits for error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, liveTensors, manualSeed, noGrad, tensor, tidy } from '../../src/engine/index.js';
import { loadMnist } from '../../src/data/index.js';
import {
  CompressiveAutoencoder,
  CompressiveConfig,
  FactorizedDensity,
  GDN,
  buildModel,
  resolveConfig,
} from '../../src/models/index.js';
import { train } from '../../src/train/index.js';

const { dataset: digits } = await loadMnist({ limit: 256 });
const base: CompressiveConfig = {
  family: 'compressive',
  inputShape: [1, 28, 28],
  channels: [8, 8],
  latentDim: 16,
};

test('config: defaults filled in, bad fields named', () => {
  const resolved = resolveConfig(base);
  assert.deepEqual(resolved, {
    family: 'compressive',
    inputShape: [1, 28, 28],
    latentDim: 16,
    likelihood: 'gaussian',
    activation: 'relu',
    channels: [8, 8],
    kernelSize: 5,
    denseBottleneck: true,
    gdn: true,
    lambda: 100,
    densityFilters: [3, 3, 3],
    decoderQuantization: 'round',
  });
  assert.throws(
    () => resolveConfig({ ...base, likelihood: 'bernoulli' }),
    /config.likelihood: expected 'gaussian' for a compressive model/,
  );
  assert.throws(() => resolveConfig({ ...base, lambda: -1 }), /config.lambda: expected a number/);
  assert.throws(
    () => resolveConfig({ ...base, inputShape: [784] }),
    /expected \[channels, height, width\] for a compressive model/,
  );
  assert.throws(
    () => resolveConfig({ ...base, kernelSize: 4 }),
    /config.kernelSize: expected an odd integer/,
  );
  assert.throws(
    () => resolveConfig({ ...base, decoderQuantization: 'floor' }),
    /config.decoderQuantization: expected one of 'round', 'noise'/,
  );
  assert.throws(
    () => buildModel({ ...base, denseBottleneck: false, latentDim: 10 }),
    /config.latentDim: expected 392 \(the last feature map, 8x7x7\)/,
  );
});

test('shapes: dense and map latents, odd sides padded and cropped back', () => {
  for (const config of [
    base,
    { ...base, denseBottleneck: false, latentDim: 8 * 7 * 7 },
    { ...base, inputShape: [3, 30, 22], gdn: false },
  ]) {
    manualSeed(0);
    const model = buildModel(config) as CompressiveAutoencoder;
    const [c, h, w] = config.inputShape;
    tidy(() => {
      const x = arange(0, 2 * c * h * w)
        .div(2 * c * h * w)
        .reshape([2, c, h, w]);
      const code = model.encode(x);
      assert.deepEqual(code.shape, [2, config.latentDim]);
      assert.ok(code.toNumbers().every(Number.isInteger));
      assert.deepEqual(model.reconstruct(x).shape, [2, c, h, w]);
      assert.deepEqual(model.rate(code).shape, [2]);
    });
    model.dispose();
  }
});

test('the prior: monotone CDFs, bin probabilities summing to one, bits = -log2 p', () => {
  manualSeed(1);
  const density = new FactorizedDensity(5, [3, 3], 4);
  tidy(() => {
    const grid = arange(-60, 61).reshape([1, 121]).expand(5, 121).contiguous();
    const logits = density.cdfLogits(grid.sub(0.5)).toNumbers();
    for (let d = 0; d < 5; d++) {
      for (let i = 1; i < 121; i++) assert.ok(logits[d * 121 + i] > logits[d * 121 + i - 1]);
    }
    const p = density.binProbabilities(grid).sum(1).toNumbers();
    for (const total of p) assert.ok(Math.abs(total - 1) < 1e-3, `sums to ${total}`);
    const latents = tensor([[0, 1, -2, 3, 0]]);
    const bits = density.bits(latents).item();
    const probabilities = density.binProbabilities(latents.t()).toNumbers();
    const expected = -probabilities.reduce((sum, q) => sum + Math.log2(q), 0);
    assert.ok(Math.abs(bits - expected) < 1e-3);
  });
  density.dispose();
});

test('GDN divides by the normalisation pool, inverse GDN multiplies', () => {
  const gdn = new GDN(2);
  const igdn = new GDN(2, true);
  tidy(() => {
    const x = tensor([3, -4], { shape: [1, 2, 1, 1] });
    // beta = 1 + 1e-6, gamma = 0.1 I: y = x / sqrt(1 + 0.1 x^2).
    const y = gdn.forward(x).toNumbers();
    assert.ok(Math.abs(y[0] - 3 / Math.sqrt(1 + 0.9)) < 1e-5);
    assert.ok(Math.abs(y[1] + 4 / Math.sqrt(1 + 1.6)) < 1e-5);
    const z = igdn.forward(x).toNumbers();
    assert.ok(Math.abs(z[0] - 3 * Math.sqrt(1 + 0.9)) < 1e-5);
  });
  gdn.dispose();
  igdn.dispose();
});

test('lossTerms: distortion and rate per sample; noise in training, rounding in eval', () => {
  manualSeed(2);
  const model = buildModel({ ...base, lambda: 10 }) as CompressiveAutoencoder;
  const before = liveTensors();
  tidy(() => {
    const x = tensor(digits.data.subarray(0, 4 * 784), { shape: [4, 1, 28, 28] });
    const trained = model.lossTerms(x, x, { epoch: 0, progress: 0 });
    assert.deepEqual(Object.keys(trained.terms).sort(), ['distortion', 'rate']);
    assert.deepEqual(trained.terms.rate.shape, [4]);
    const expected = trained.terms.distortion.mul(10).add(trained.terms.rate).mean().item();
    assert.ok(Math.abs(trained.loss.item() - expected) < 1e-2 * Math.abs(expected));

    // Gradients reach the analysis transform through the straight-through rounding.
    trained.loss.backward();
    const grad = model.analysis.parameters()[0].grad;
    assert.ok(grad !== null && grad.abs().sum().item() > 0);
    model.zeroGrad();

    model.eval();
    const evaluated = noGrad(() => model.lossTerms(x, x, { epoch: 0, progress: 0 }));
    const code = model.encode(x);
    const rate = model.rate(code).toNumbers();
    evaluated.terms.rate.toNumbers().forEach((r, i) => assert.ok(Math.abs(r - rate[i]) < 1e-3));
    const error = model.reconstruct(x).sub(x).square().flatten(1).sum(1).toNumbers();
    evaluated.terms.distortion
      .toNumbers()
      .forEach((d, i) => assert.ok(Math.abs(d - error[i]) < 1e-3));
    model.train();
  });
  assert.equal(liveTensors(), before);
  model.dispose();
});

test('training through train(): a larger lambda buys lower distortion with more bits', () => {
  const results = [1, 1000].map((lambda) => {
    manualSeed(3);
    const model = buildModel({ ...base, lambda });
    const summary = train(model, digits, { epochs: 6, batchSize: 32, learningRate: 1e-2 });
    model.dispose();
    return summary.history[summary.history.length - 1].train.terms;
  });
  const [low, high] = results;
  assert.ok(high.distortion < low.distortion, JSON.stringify(results));
  assert.ok(high.rate > low.rate, JSON.stringify(results));
});
