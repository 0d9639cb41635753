// Generating a chosen kind: the mixture fit recovers separated clusters, its samples follow
// it, the aggregate posterior holds each example's q(z|x) and samples them, class examples
// are picked by label, and a VAE decodes codes drawn near a class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128, loadMnist, take } from '../../src/data/index.js';
import { Generator, manualSeed, noGrad, tensor } from '../../src/engine/index.js';
import { VariationalAutoencoder, buildModel } from '../../src/models/index.js';
import { train } from '../../src/train/index.js';
import {
  disposeDistribution,
  encodePosteriors,
  fitCodeMixture,
  fitExamples,
  generateFrom,
  sampleAggregatePosterior,
  sampleMixture,
  samplesOfClass,
} from '../../src/tasks/index.js';

/** n points from N(mean, sd^2 I) in 2-D. */
function cluster(random: Xoshiro128, n: number, mean: [number, number], sd: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const m of mean) {
      const u = 1 - random.next();
      out.push(m + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next()));
    }
  }
  return out;
}

test('EM recovers the weights, means and variances of two separated clusters', () => {
  const random = new Xoshiro128(5);
  const codes = Float64Array.from([
    ...cluster(random, 300, [-4, 0], 0.5),
    ...cluster(random, 100, [4, 2], 1),
  ]);
  const mixture = fitCodeMixture(codes, 2, { components: 2, seed: 1 });
  const order = mixture.means[0] < mixture.means[2] ? [0, 1] : [1, 0];
  const [a, b] = order;
  assert.ok(Math.abs(mixture.weights[a] - 0.75) < 0.02, `${mixture.weights}`);
  assert.ok(Math.abs(mixture.means[a * 2] + 4) < 0.1 && Math.abs(mixture.means[b * 2] - 4) < 0.25);
  assert.ok(Math.abs(mixture.variances[a * 2] - 0.25) < 0.06, `${mixture.variances}`);
  assert.ok(Math.abs(mixture.variances[b * 2 + 1] - 1) < 0.3, `${mixture.variances}`);
  assert.equal(mixture.count, 400);

  // Samples follow the fit: three quarters land in the left cluster; repeatable by seed.
  const drawn = sampleMixture(mixture, 4000, 9).toFloat32Array();
  const left = drawn.filter((_, i) => i % 2 === 0 && drawn[i] < 0).length / 4000;
  assert.ok(Math.abs(left - 0.75) < 0.03, `${left}`);
  assert.deepEqual(sampleMixture(mixture, 10, 9).toFloat32Array(), drawn.subarray(0, 20));

  // Temperature 0: every draw is a component mean.
  const means = sampleMixture(mixture, 50, 9, 0).toFloat32Array();
  for (let i = 0; i < 50; i++) {
    const x = means[2 * i];
    const near = (c: number) => Math.abs(x - mixture.means[2 * c]) < 1e-5;
    assert.ok(near(0) || near(1), `${x}`);
  }

  assert.throws(
    () => fitCodeMixture(codes.subarray(0, 6), 2, { components: 2 }),
    /expected at least 4 codes \(two per component\) of 2 values, got 6 values/,
  );
  assert.throws(
    () => fitCodeMixture(Float64Array.from([0, 1, NaN, 2, 3, 4, 5, 6]), 2, { components: 1 }),
    /expected finite numbers, got NaN at code 1/,
  );
});

test('full covariances capture correlated clusters that diagonal ones cannot', () => {
  // Two clusters, each stretched along its own diagonal: x2 = +-x1 plus a little noise.
  const random = new Xoshiro128(8);
  const values: number[] = [];
  for (const [centre, sign] of [
    [-6, 1],
    [6, -1],
  ]) {
    for (const [t, e] of chunks(cluster(random, 200, [0, 0], 1), 2)) {
      values.push(centre + 2 * t, sign * 2 * t + 0.2 * e);
    }
  }
  const codes = Float64Array.from(values);
  const full = fitCodeMixture(codes, 2, { components: 2, seed: 2 });
  const diagonal = fitCodeMixture(codes, 2, { components: 2, seed: 2, covariance: 'diagonal' });
  assert.equal(full.covariance, 'full');
  assert.equal(diagonal.covariance, 'diagonal');
  assert.equal(diagonal.scaleTrils, undefined);
  // Each full component's correlation is near +-1 (0.995 for these clusters).
  for (let c = 0; c < 2; c++) {
    const l = full.scaleTrils as Float64Array;
    const [a, b, cc] = [l[c * 4], l[c * 4 + 2], l[c * 4 + 3]];
    const correlation = b / Math.sqrt(b * b + cc * cc);
    const sign = full.means[c * 2] < 0 ? 1 : -1;
    assert.ok(sign * correlation > 0.98, `component ${c}: correlation ${correlation}`);
    assert.ok(Math.abs(a * a - 4) < 0.8, `component ${c}: variance ${a * a}`);
  }
  assert.ok(full.logLikelihood > diagonal.logLikelihood + 1, `${full.logLikelihood}`);

  // Samples keep the correlation: x2 follows +-x1 within the noise.
  const drawn = sampleMixture(full, 2000, 3).toFloat32Array();
  let off = 0;
  for (const [x1, x2] of chunks(Array.from(drawn), 2)) {
    off += Math.abs(x2 - (x1 < 0 ? x1 + 6 : -(x1 - 6))) / 2000;
  }
  assert.ok(off < 0.4, `mean distance from the cluster's line ${off}`);
  assert.deepEqual(sampleMixture(full, 5, 3).toFloat32Array(), drawn.subarray(0, 10));

  assert.throws(
    () => fitCodeMixture(codes, 2, { components: 2, covariance: 'tied' as 'full' }),
    /fitCodeMixture: covariance: expected 'full' or 'diagonal', got string "tied"/,
  );
});

/** Consecutive groups of `size` values. */
function chunks(values: number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

test("the aggregate posterior is each example's q(z|x), and its samples follow it", async () => {
  const { dataset: digits } = await loadMnist({ limit: 40 });
  manualSeed(4);
  const vae = buildModel({ family: 'vae', inputShape: [1, 28, 28], hidden: [32], latentDim: 3 });
  assert.ok(vae instanceof VariationalAutoencoder);

  // Batched encoding gives what the model's own posterior gives on the whole set at once.
  const posterior = encodePosteriors(vae, digits, 7);
  assert.equal(posterior.count, 40);
  assert.equal(posterior.latentDim, 3);
  const whole = noGrad(() => vae.posterior(tensor(digits.data, { shape: digits.shape })));
  const mu = whole.mu.toFloat32Array();
  const variance = whole.logVar.exp().toFloat32Array();
  for (let i = 0; i < 120; i++) {
    assert.ok(Math.abs(posterior.means[i] - mu[i]) < 1e-5, `mean ${i}`);
    assert.ok(Math.abs(posterior.variances[i] / variance[i] - 1) < 1e-4, `variance ${i}`);
  }
  vae.dispose();

  // Two examples far apart with spreads 0.5 and 2: the draws split evenly between them and
  // keep each one's spread; temperature 0 gives the means themselves; one seed repeats.
  const two = {
    means: Float64Array.from([-10, 0, 10, 0]),
    variances: Float64Array.from([0.25, 0.25, 4, 4]),
    latentDim: 2,
    count: 2,
  };
  const drawn = sampleAggregatePosterior(two, 4000, 3).toFloat32Array();
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < 4000; i++) (drawn[2 * i] < 0 ? left : right).push(drawn[2 * i]);
  assert.ok(Math.abs(left.length / 4000 - 0.5) < 0.03, `${left.length}`);
  const sd = (xs: number[], m: number) =>
    Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
  assert.ok(Math.abs(sd(left, -10) - 0.5) < 0.03, `${sd(left, -10)}`);
  assert.ok(Math.abs(sd(right, 10) - 2) < 0.12, `${sd(right, 10)}`);
  const cool = sampleAggregatePosterior(two, 4000, 3, 0.5).toFloat32Array();
  const coolRight = cool.filter((x, i) => i % 2 === 0 && x > 0);
  assert.ok(Math.abs(sd(Array.from(coolRight), 10) - 1) < 0.06);
  const frozen = sampleAggregatePosterior(two, 20, 3, 0).toFloat32Array();
  assert.ok(
    frozen.every((x, i) => (i % 2 === 0 ? Math.abs(x) === 10 : x === 0)),
    `${frozen}`,
  );
  assert.deepEqual(sampleAggregatePosterior(two, 10, 3).toFloat32Array(), drawn.subarray(0, 20));
  assert.throws(() => sampleAggregatePosterior(two, 0), /sampleAggregatePosterior: n: expected/);
  assert.throws(
    () => sampleAggregatePosterior(two, 5, 0, -1),
    /sampleAggregatePosterior: temperature: expected a number >= 0, got number -1/,
  );
});

test('a VAE generates near the codes of the class it was given', async () => {
  const { dataset: digits } = await loadMnist({ limit: 2000 });
  manualSeed(2);
  const vae = buildModel({ family: 'vae', inputShape: [1, 28, 28], hidden: [128], latentDim: 8 });
  assert.ok(vae instanceof VariationalAutoencoder);
  train(vae, digits, { epochs: 15, batchSize: 64 });

  const zeros = samplesOfClass(digits, 0);
  assert.ok(zeros.shape[0] > 30 && (zeros.labels as Int32Array).every((label) => label === 0));
  assert.throws(() => samplesOfClass(take(zeros, [0]), 5), /expected samples of class 5, got none/);
  const unlabelled = { ...zeros, labels: undefined, source: 'plain.npy' };
  assert.throws(() => samplesOfClass(unlabelled, 0), /plain\.npy: labels: expected labelled data/);

  const means = classMeans(digits.data, digits.labels as Int32Array);
  const zeroShare = (images: Float32Array) =>
    nearestMean(images, means).filter((label) => label === 0).length / (images.length / 784);
  const priorShare = zeroShare(noGrad(() => vae.sample(100, new Generator(3)).toFloat32Array()));
  const fits = [{ components: 1 }, { components: 2 }, { distribution: 'posterior' as const }];
  for (const options of fits) {
    const components = options.components ?? 0;
    const distribution = fitExamples(vae, zeros, { ...options, seed: 0 });
    assert.equal(distribution.kind, ['posterior', 'gaussian', 'mixture'][components]);
    const images = generateFrom(vae, distribution, 50, 3);
    assert.deepEqual(images.shape, [50, 1, 28, 28]);
    const again = generateFrom(vae, distribution, 50, 3);
    assert.deepEqual(again.toFloat32Array(), images.toFloat32Array());
    if (components === 1) {
      // Temperature 0: every sample is the decoded mean code.
      const typical = generateFrom(vae, distribution, 3, 3, 0).toFloat32Array();
      for (let p = 0; p < 784; p++) assert.ok(Math.abs(typical[p] - typical[784 + p]) < 1e-6);
    }

    // A nearest-class-mean classifier in pixel space (it calls about 80% of real zeros
    // zeros) calls most of them zeros, and far more than of the prior's samples.
    const share = zeroShare(images.toFloat32Array());
    assert.ok(share >= 0.6 && share > 3 * priorShare, `${components}: ${share} vs ${priorShare}`);
    disposeDistribution(distribution);
  }
  assert.throws(
    () => fitExamples(vae, take(zeros, [0])),
    /expected at least 2 to fit a code distribution, got 1/,
  );
  // The aggregate posterior needs no fit, so one example is enough: at temperature 0 every
  // sample is that example's reconstruction.
  const one = fitExamples(vae, take(zeros, [0]), { distribution: 'posterior' });
  const copies = generateFrom(vae, one, 2, 0, 0).toFloat32Array();
  const reconstruction = noGrad(() =>
    vae.decode(vae.encode(tensor(zeros.data.subarray(0, 784), { shape: [1, 1, 28, 28] }))),
  ).toFloat32Array();
  for (let p = 0; p < 784; p++) assert.ok(Math.abs(copies[784 + p] - reconstruction[p]) < 1e-5);
  assert.throws(
    () => fitExamples(vae, zeros, { distribution: 'posterior', components: 3 }),
    /fitExamples: components: expected 1 or none for the posterior distribution .*got 3/,
  );
  assert.throws(
    () => fitExamples(vae, zeros, { covariance: 'diagonal' }),
    /fitExamples: covariance: expected none for the gaussian distribution .*got 'diagonal'/,
  );
  assert.throws(
    () => fitExamples(vae, zeros, { distribution: 'flow' as 'posterior' }),
    /fitExamples: distribution: expected one of 'gaussian', 'mixture', 'posterior', got string "flow"/,
  );
  vae.dispose();
});

/** The mean image of each digit: [10][784]. */
function classMeans(images: Float32Array, labels: Int32Array): Float64Array[] {
  const sums = Array.from({ length: 10 }, () => new Float64Array(784));
  const counts = new Float64Array(10);
  labels.forEach((label, i) => {
    counts[label]++;
    for (let p = 0; p < 784; p++) sums[label][p] += images[i * 784 + p];
  });
  return sums.map((sum, label) => sum.map((v) => v / counts[label]));
}

/** The digit whose mean image is nearest to each image. */
function nearestMean(images: Float32Array, means: Float64Array[]): number[] {
  const labels: number[] = [];
  for (let i = 0; i < images.length / 784; i++) {
    let best = 0;
    let bestDistance = Infinity;
    means.forEach((mean, label) => {
      let distance = 0;
      for (let p = 0; p < 784; p++) distance += (images[i * 784 + p] - mean[p]) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [label, distance];
    });
    labels.push(best);
  }
  return labels;
}
