// Fitting a code distribution and sampling from it; interpolation and latent grids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, manualSeed, randn, tensor, tidy } from '../../src/engine/index.js';
import { buildModel, VariationalAutoencoder } from '../../src/models/index.js';
import {
  fitCodeGaussian,
  interpolate,
  latentGrid,
  normalQuantile,
  sampleCodes,
} from '../../src/tasks/index.js';

test('a fitted code Gaussian recovers the mean and covariance, and samples follow it', () => {
  tidy(() => {
    manualSeed(3);
    // codes = eps A^T + m with A = [[1, 0], [0.8, 0.5]]: covariance [[1, 0.8], [0.8, 0.89]]
    const a = tensor([
      [1, 0],
      [0.8, 0.5],
    ]);
    const codes = randn([20000, 2])
      .matmul(a.t())
      .add(tensor([2, -1]));
    const fitted = fitCodeGaussian(codes);
    const mean = fitted.mean.toNumbers();
    assert.ok(Math.abs(mean[0] - 2) < 0.03 && Math.abs(mean[1] + 1) < 0.03, `${mean}`);
    const l = fitted.scaleTril;
    const cov = l.matmul(l.t()).toNumbers();
    [1, 0.8, 0.8, 0.89].forEach((v, i) => assert.ok(Math.abs(cov[i] - v) < 0.04, `${cov}`));
    const drawn = sampleCodes(fitted, 20000, new Generator(1));
    const centred = drawn.sub(drawn.mean(0));
    const drawnCov = centred.t().matmul(centred).div(19999).toNumbers();
    [1, 0.8, 0.8, 0.89].forEach((v, i) => assert.ok(Math.abs(drawnCov[i] - v) < 0.05));
  });
  assert.throws(() => fitCodeGaussian(tensor([[1, 2]])), /expected at least 2 examples, got 1/);
});

test('interpolation and the latent grid decode the right number of images', () => {
  manualSeed(0);
  const vae = buildModel({ family: 'vae', inputShape: [1, 8, 8], hidden: [16], latentDim: 2 });
  assert.ok(vae instanceof VariationalAutoencoder);
  tidy(() => {
    const x = randn([2, 1, 8, 8]).sigmoid();
    const path = interpolate(vae, x.select(0, 0), x.select(0, 1), 7);
    assert.deepEqual(path.shape, [7, 1, 8, 8]);
    // The ends of the path are the two inputs' reconstructions.
    const ends = vae.reconstruct(x).toFloat32Array();
    const got = path.toFloat32Array();
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(got[i] - ends[i]) < 1e-5);
    assert.deepEqual(latentGrid(vae, 5).shape, [25, 1, 8, 8]);
  });
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
  assert.throws(() => normalQuantile(1), /expected a number in \(0, 1\)/);
});
