// kNN accuracy and trustworthiness/continuity against scikit-learn
// (test/fixtures/maps_reference.py) and against a brute-force transcription of Venna and
// Kaski 2001 here, which sorts every neighbour list in full.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { permutation } from '../../src/data/random.js';
import {
  continuity,
  knnAccuracy,
  neighborhoodPreservation,
  trustworthiness,
} from '../../src/metrics/index.js';
import { assertNear, normal, reference, uniform } from './helpers.js';

/** Venna and Kaski's T(k) and C(k) from fully sorted neighbour lists (ties by index). */
function bruteForce(
  high: Float64Array,
  low: Float64Array,
  n: number,
  dh: number,
  dl: number,
  k: number,
) {
  const order = (points: Float64Array, dim: number, i: number) => {
    const distance = (j: number) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (points[i * dim + d] - points[j * dim + d]) ** 2;
      return s;
    };
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    const distances = new Map(others.map((j) => [j, distance(j)]));
    others.sort((p, q) => distances.get(p)! - distances.get(q)! || p - q);
    const rank = new Map(others.map((j, r) => [j, r + 1]));
    return { nearest: new Set(others.slice(0, k)), rank };
  };
  let t = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const inHigh = order(high, dh, i);
    const inLow = order(low, dl, i);
    for (const j of inLow.nearest) if (!inHigh.nearest.has(j)) t += inHigh.rank.get(j)! - k;
    for (const j of inHigh.nearest) if (!inLow.nearest.has(j)) c += inLow.rank.get(j)! - k;
  }
  const scale = 2 / (n * k * (2 * n - 3 * k - 1));
  return { trustworthiness: 1 - scale * t, continuity: 1 - scale * c };
}

/** A noisy 2-D view of data: its first two coordinates plus noise. */
function noisyView(high: Float64Array, n: number, dim: number, seed: number, amount: number) {
  const noise = normal(2 * n, seed);
  const low = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    low[2 * i] = high[i * dim] + amount * noise[2 * i];
    low[2 * i + 1] = high[i * dim + 1] + amount * noise[2 * i + 1];
  }
  return low;
}

test('knnAccuracy: majority vote; a tied vote goes to the label with the nearest member', () => {
  // 1-D points. From 1.6 the four nearest are 2.1 (0.5), 1 and 2.2 (0.6), 0 (1.6): two
  // votes each for labels 7 and 3, and 2.1 is nearest, so 3 wins.
  const train = new Float64Array([0, 1, 2.1, 2.2, 9]);
  const labels = [7, 7, 3, 3, 7];
  const test1 = knnAccuracy(train, labels, new Float64Array([1.6]), [3], { dim: 1, k: 4 });
  assert.deepEqual(Array.from(test1.predictions), [3]);
  assert.equal(test1.accuracy, 1);

  // k = 5: three votes for 7 beat two for 3 even though 3 has the nearest member.
  const test2 = knnAccuracy(train, labels, new Float64Array([1.6, 8, -1]), [3, 7, 7], {
    dim: 1,
    k: 5,
  });
  assert.deepEqual(Array.from(test2.predictions), [7, 7, 7]);
  assert.equal(test2.correct, 2);
  assert.equal(test2.total, 3);
  assertNear(test2.accuracy, 2 / 3, 1e-15);
});

test('knnAccuracy equals scikit-learn KNeighborsClassifier where no vote can tie', () => {
  // Two overlapping Gaussian classes in 3-D, odd k: a two-label vote never ties.
  const dim = 3;
  const make = (count: number, seed: number) => {
    const points = normal(count * dim, seed);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = i % 2;
      points[i * dim] += labels[i] * 1.5;
    }
    return { points, labels };
  };
  const train = make(300, 1);
  const testSet = make(120, 2);
  const cases = [1, 5, 15].map((k) => ({
    kind: 'knn',
    dim,
    k,
    trainPoints: train.points,
    trainLabels: train.labels,
    testPoints: testSet.points,
    testLabels: testSet.labels,
  }));
  const expected = reference<{ predictions: number[]; accuracy: number }[]>(
    'maps_reference.py',
    'knn',
    cases,
  );
  for (const [c, { k }] of cases.entries()) {
    const result = knnAccuracy(train.points, train.labels, testSet.points, testSet.labels, {
      dim,
      k,
    });
    assert.deepEqual(Array.from(result.predictions), expected[c].predictions, `k = ${k}`);
    assert.equal(result.accuracy, expected[c].accuracy);
  }
  // Float32 points give the same answer here.
  const single = knnAccuracy(
    new Float32Array(train.points),
    train.labels,
    new Float32Array(testSet.points),
    testSet.labels,
    { dim, k: 5 },
  );
  assert.equal(single.accuracy, expected[1].accuracy);
});

test('trustworthiness and continuity equal scikit-learn on random maps', () => {
  const cases: {
    kind: string;
    n: number;
    dimHigh: number;
    dimLow: number;
    k: number;
    high: Float64Array;
    low: Float64Array;
  }[] = [];
  const add = (n: number, dimHigh: number, k: number, noise: number, seed: number) => {
    const high = uniform(n * dimHigh, seed);
    cases.push({
      kind: 'neighborhood',
      n,
      dimHigh,
      dimLow: 2,
      k,
      high,
      low: noisyView(high, n, dimHigh, seed + 1, noise),
    });
  };
  add(200, 10, 5, 0.05, 10); // a rough map
  add(150, 5, 12, 0.01, 20); // a good map, a larger k
  add(120, 30, 1, 0.3, 30); // a poor map, k = 1
  add(61, 4, 30, 0.05, 40); // the largest k allowed for n = 61

  const expected = reference<{ trustworthiness: number; continuity: number }[]>(
    'maps_reference.py',
    'neighborhood',
    cases,
  );
  for (const [c, { n, dimHigh, dimLow, k, high, low }] of cases.entries()) {
    const result = neighborhoodPreservation(high, low, { n, dimHigh, dimLow, k });
    assertNear(result.trustworthiness, expected[c].trustworthiness, 1e-12, `case ${c} T`);
    assertNear(result.continuity, expected[c].continuity, 1e-12, `case ${c} C`);
    assert.equal(result.k, k);
    assert.equal(result.points, n);
    assert.equal(result.subsampled, false);
    assert.equal(result.seed, undefined);

    const brute = bruteForce(high, low, n, dimHigh, dimLow, k);
    assertNear(result.trustworthiness, brute.trustworthiness, 1e-12, `case ${c} T brute force`);
    assertNear(result.continuity, brute.continuity, 1e-12, `case ${c} C brute force`);
  }
  // The cases are not trivially perfect.
  assert.ok(expected[0].trustworthiness < 0.99 && expected[2].trustworthiness < 0.9);
});

test('trustworthiness and continuity with many tied distances equal the brute force', () => {
  // Coordinates rounded to a coarse grid, and duplicated points: ties everywhere, broken
  // by index in both implementations.
  const n = 70;
  const high = uniform(n * 3, 50).map((v) => Math.round(v * 3) / 3);
  high.copyWithin(30, 0, 15); // points 10-14 duplicate points 0-4
  const low = noisyView(high, n, 3, 51, 0.2).map((v) => Math.round(v * 4) / 4);
  for (const k of [1, 4, 10]) {
    const result = neighborhoodPreservation(high, low, { n, dimHigh: 3, dimLow: 2, k });
    const brute = bruteForce(high, low, n, 3, 2, k);
    assertNear(result.trustworthiness, brute.trustworthiness, 1e-12, `k ${k} T`);
    assertNear(result.continuity, brute.continuity, 1e-12, `k ${k} C`);
  }
});

test('a map that keeps every neighbourhood scores 1; continuity is T with roles swapped', () => {
  const n = 100;
  const high = uniform(n * 2, 60);
  const scaled = high.map((v) => 3 * v - 1); // distances scaled: the same neighbourhoods
  const perfect = neighborhoodPreservation(high, scaled, { n, dimHigh: 2, dimLow: 2 });
  assert.equal(perfect.trustworthiness, 1);
  assert.equal(perfect.continuity, 1);

  const data = uniform(n * 6, 61);
  const map = noisyView(data, n, 6, 62, 0.1);
  const options = { n, dimHigh: 6, dimLow: 2, k: 7 };
  const forward = neighborhoodPreservation(data, map, options);
  const swapped = trustworthiness(map, data, { n, dimHigh: 2, dimLow: 6, k: 7 });
  assert.equal(forward.continuity, swapped.trustworthiness);
  assert.equal(continuity(data, map, options).continuity, forward.continuity);
  assert.equal(trustworthiness(data, map, options).trustworthiness, forward.trustworthiness);
});

test('above maxPoints a seeded subsample is used, and the result says so', () => {
  const n = 600;
  const dimHigh = 8;
  const high = uniform(n * dimHigh, 70);
  const low = noisyView(high, n, dimHigh, 71, 0.05);
  const result = trustworthiness(high, low, { n, dimHigh, dimLow: 2, maxPoints: 250, seed: 3 });
  assert.equal(result.subsampled, true);
  assert.equal(result.points, 250);
  assert.equal(result.seed, 3);

  // The same subset, chosen the documented way, gives the same value in scikit-learn.
  const chosen = permutation(n, 3).subarray(0, 250).sort();
  const pick = (points: Float64Array, dim: number) => {
    const out = new Float64Array(chosen.length * dim);
    chosen.forEach((row, r) => out.set(points.subarray(row * dim, (row + 1) * dim), r * dim));
    return out;
  };
  const [expected] = reference<{ trustworthiness: number }[]>('maps_reference.py', 'subsample', [
    {
      kind: 'neighborhood',
      n: 250,
      dimHigh,
      dimLow: 2,
      k: 5,
      high: pick(high, dimHigh),
      low: pick(low, 2),
    },
  ]);
  assertNear(result.trustworthiness, expected.trustworthiness, 1e-12);

  const again = trustworthiness(high, low, { n, dimHigh, dimLow: 2, maxPoints: 250, seed: 3 });
  assert.equal(again.trustworthiness, result.trustworthiness);
  const other = trustworthiness(high, low, { n, dimHigh, dimLow: 2, maxPoints: 250, seed: 4 });
  assert.notEqual(other.trustworthiness, result.trustworthiness);
});

test('bad map inputs are refused with the argument and what was expected', () => {
  const high = uniform(10 * 3, 80);
  const low = uniform(10 * 2, 81);
  const options = { n: 10, dimHigh: 3, dimLow: 2 };
  assert.throws(() => trustworthiness(high, low, { ...options, k: 5 }), {
    name: 'RangeError',
    message:
      'trustworthiness: options.k: expected an integer from 1 to 4 (below n / 2 for 10 points), ' +
      'got number 5',
  });
  assert.throws(() => trustworthiness(high, low, { ...options, k: 10 }), {
    message:
      'trustworthiness: options.k: expected an integer from 1 to 4 (below n / 2 for 10 points), ' +
      'got number 10',
  });
  assert.throws(() => continuity(high, low.subarray(2), options), {
    name: 'AekitError',
    message: 'continuity: low: expected 20 values (n 10 x dimLow 2), got 18',
  });
  const withNaN = new Float64Array(high);
  withNaN[7] = NaN;
  assert.throws(() => trustworthiness(withNaN, low, options), {
    name: 'AekitError',
    message: 'trustworthiness: high: expected finite numbers, got NaN at index 7',
  });
  assert.throws(() => trustworthiness(high, low, { ...options, dimHigh: 1.5 }), {
    name: 'TypeError',
    message: 'trustworthiness: options.dimHigh: expected an integer, got number 1.5',
  });
  assert.throws(
    () =>
      neighborhoodPreservation(high.subarray(0, 6), low.subarray(0, 4), {
        n: 2,
        dimHigh: 3,
        dimLow: 2,
        k: 1,
      }),
    {
      message:
        'neighborhoodPreservation: options.n: expected at least 3 points (k must be below n / ' +
        '2), got 2',
    },
  );

  assert.throws(() => trustworthiness(high, low, { ...options, k: 0 }), {
    name: 'RangeError',
    message:
      'trustworthiness: options.k: expected an integer from 1 to 4 (below n / 2 for 10 ' +
      'points), got number 0',
  });
  assert.throws(() => trustworthiness(high, low, { ...options, n: 12_000, maxPoints: 8 }), {
    message: 'trustworthiness: high: expected 36000 values (n 12000 x dimHigh 3), got 30',
  });

  const train = uniform(8, 82);
  assert.throws(() => knnAccuracy(train, [0, 1, 0, 1], train, [0, 1, 0, 1], { dim: 2, k: 5 }), {
    name: 'RangeError',
    message:
      'knnAccuracy: options.k: expected an integer from 1 to 4 (at most the 4 training points), ' +
      'got number 5',
  });
  assert.throws(() => knnAccuracy(train, [0, 1, 0], train, [0, 1, 0, 1], { dim: 2 }), {
    name: 'AekitError',
    message: 'knnAccuracy: trainLabels: expected 4 values (one label per point), got 3',
  });
  assert.throws(() => knnAccuracy(train, [0, 1, 0, 1], train, [0, 1, 0.5, 1], { dim: 2, k: 1 }), {
    name: 'TypeError',
    message: 'knnAccuracy: testLabels[2]: expected an integer label, got number 0.5',
  });
  assert.throws(
    () => knnAccuracy(train, [0, 1, 0, 1], train.subarray(1), [0, 1, 0, 1], { dim: 2 }),
    {
      name: 'RangeError',
      message: 'knnAccuracy: testPoints: expected a multiple of dim 2 values ([n, dim]), got 7',
    },
  );
  assert.throws(() => knnAccuracy(train, [0, 1, 0, 1], new Float64Array(0), [], { dim: 2 }), {
    name: 'AekitError',
    message: 'knnAccuracy: testPoints: expected at least one value, got an empty array',
  });
});
