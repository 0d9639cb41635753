// logMeanExp and the importance-weighted bound (Burda et al. 2016) on cases with known
// answers, including a Gaussian model whose log-likelihood is known in closed form.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  bitsPerDimension,
  importanceWeightedBound,
  logMeanExp,
  logMeanExpRows,
} from '../../src/metrics/index.js';
import { assertNear, normal, uniform } from './helpers.js';

test('logMeanExp equals the direct formula and stays exact far from 0', () => {
  const values = uniform(50, 1, -5, 5);
  let mean = 0;
  for (const v of values) mean += Math.exp(v) / values.length;
  assertNear(logMeanExp(values), Math.log(mean), 1e-12, 'moderate values');

  // exp(1000) overflows and exp(-1000) underflows; shifted, they are exact.
  assert.equal(logMeanExp(new Float64Array([1000, 1000])), 1000);
  assertNear(logMeanExp(new Float64Array([-1000, -1000 + Math.log(3)])), -1000 + Math.log(2), 1e-9);
  assertNear(
    logMeanExp(values.map((v) => v - 20000)),
    Math.log(mean) - 20000,
    1e-9,
    'shifted by -20000',
  );

  // -Infinity is a weight of zero.
  assertNear(logMeanExp(new Float64Array([-Infinity, 0])), Math.log(0.5), 1e-15);
  assert.equal(logMeanExp(new Float64Array([-Infinity, -Infinity])), -Infinity);
});

test('logMeanExpRows reduces each row of [n, k]', () => {
  const values = new Float32Array([0, 0, 0, 1, 1, 1, -2, 0, 2]);
  const rows = logMeanExpRows(values, [3, 3]);
  assert.equal(rows.length, 3);
  assertNear(rows[0], 0, 1e-15);
  assertNear(rows[1], 1, 1e-15);
  assertNear(rows[2], Math.log((Math.exp(-2) + 1 + Math.exp(2)) / 3), 1e-12);
});

test('importance-weighted bound: k = 1 is the ELBO; equal weights give their value', () => {
  const logWeights = new Float64Array([-3, -1, -2]);
  const single = importanceWeightedBound(logWeights, { shape: [3, 1] });
  assert.deepEqual(Array.from(single.perSample), [-3, -1, -2]);
  assert.equal(single.mean, -2);
  assert.equal(single.elbo, -2);
  assert.equal(single.k, 1);

  const equal = importanceWeightedBound(new Float64Array([-5, -5, -5, -7, -7, -7]), {
    shape: [2, 3],
  });
  assertNear(equal.perSample[0], -5, 1e-12);
  assertNear(equal.perSample[1], -7, 1e-12);
});

test('importance-weighted bound approaches log p(x) of a Gaussian model as k grows', () => {
  // p(z) = N(0, 1), p(x | z) = N(z, 1), so log p(x) = log N(x; 0, 2) in closed form. The
  // encoder q(z | x) = N(x / 2 + 0.3, 0.6^2) is deliberately off the true posterior
  // N(x / 2, 1 / 2), so the ELBO falls short and the k-sample bound closes the gap.
  const xs = [-1.5, 0, 0.7, 2];
  const logNormal = (v: number, mean: number, variance: number) =>
    -0.5 * Math.log(2 * Math.PI * variance) - ((v - mean) * (v - mean)) / (2 * variance);
  const bound = (k: number, seed: number) => {
    const eps = normal(xs.length * k, seed);
    const logWeights = new Float64Array(xs.length * k);
    xs.forEach((x, i) => {
      for (let j = 0; j < k; j++) {
        const z = x / 2 + 0.3 + 0.6 * eps[i * k + j];
        logWeights[i * k + j] =
          logNormal(z, 0, 1) + logNormal(x, z, 1) - logNormal(z, x / 2 + 0.3, 0.36);
      }
    });
    return importanceWeightedBound(logWeights, { shape: [xs.length, k] });
  };
  const exact = xs.reduce((sum, x) => sum + logNormal(x, 0, 2), 0) / xs.length;

  const large = bound(5000, 1);
  assertNear(large.mean, exact, 2e-3, 'L_5000');
  assert.ok(large.elbo < exact - 0.05, `ELBO ${large.elbo} should fall short of ${exact}`);
  const small = bound(5, 2);
  assert.ok(small.elbo < small.mean && small.mean < large.mean + 1e-3, 'L_1 <= L_5 <= L_5000');
  assertNear(bitsPerDimension(large.mean, 1), -exact / Math.LN2, 3e-3);
});

test('bitsPerDimension converts nats per point to bits per dimension', () => {
  assertNear(bitsPerDimension(-784 * Math.LN2, 784), 1, 1e-15);
  assert.throws(() => bitsPerDimension(NaN, 784), {
    name: 'TypeError',
    message: 'bitsPerDimension: logLikelihood: expected a number, got number NaN',
  });
  assert.throws(() => bitsPerDimension(-10, 0), {
    name: 'RangeError',
    message: 'bitsPerDimension: dimensions: expected an integer >= 1, got number 0',
  });
});

test('bad log-weights are refused', () => {
  assert.throws(() => importanceWeightedBound(new Float64Array(5), { shape: [2, 3] }), {
    name: 'AekitError',
    message: 'importanceWeightedBound: logWeights: expected 6 values (shape [2, 3]), got 5',
  });
  assert.throws(() => importanceWeightedBound(new Float64Array([0, NaN]), { shape: [1, 2] }), {
    name: 'AekitError',
    message:
      'importanceWeightedBound: logWeights: expected finite numbers or -Infinity, got NaN at ' +
      'index 1',
  });
  assert.throws(() => logMeanExp(new Float64Array([0, Infinity])), {
    message: 'logMeanExp: values: expected finite numbers or -Infinity, got Infinity at index 1',
  });
  assert.throws(() => logMeanExp(new Float64Array(0)), {
    message: 'logMeanExp: values: expected at least one value, got an empty array',
  });
  assert.throws(
    () =>
      importanceWeightedBound(new Float64Array(6), { shape: [6] as unknown as [number, number] }),
    {
      message:
        'importanceWeightedBound: shape: expected an array of 2 positive integers, got array of ' +
        'length 1',
    },
  );
  assert.throws(
    () => importanceWeightedBound(new Float64Array(6), undefined as unknown as { shape: [2, 3] }),
    {
      name: 'TypeError',
      message:
        'importanceWeightedBound: shape: expected an array of 2 positive integers, got undefined',
    },
  );
});
