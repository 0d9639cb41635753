// Barnes-Hut t-SNE: the map separates clusters, the gradient is the divergence's, the tree's
// repulsion is near the exact sum, one seed gives one map, and bad input is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128, createDataset } from '../../src/data/index.js';
import { AekitError } from '../../src/engine/index.js';
import { knnAccuracy } from '../../src/metrics/index.js';
import { neighbourAffinities } from '../../src/models/index.js';
import { NeighbourGraph, neighbourGraph, tsne, tsneGradient } from '../../src/tasks/index.js';

/** A standard normal draw (Box-Muller). */
function normal(random: Xoshiro128): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** `count` Gaussian blobs of `perBlob` points in `dim` dimensions, centres 8 apart on axes. */
function blobs(count: number, perBlob: number, dim: number, seed: number) {
  const random = new Xoshiro128(seed);
  const n = count * perBlob;
  const data = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % count;
    for (let d = 0; d < dim; d++) {
      data[i * dim + d] = (d === labels[i] ? 8 : 0) + normal(random);
    }
  }
  return { labels, dataset: createDataset(data, [n, dim], { labels }) };
}

/** A graph of 4 blobs of 75 points in 10-D, k = 90, with p(j | i) at perplexity 30. */
function blobGraph() {
  const { labels, dataset } = blobs(4, 75, 10, 1);
  const graph = neighbourGraph(dataset, 90);
  return { labels, graph, conditional: neighbourAffinities(graph.distances, 90, 30) };
}

/** An error class, for matching what was thrown. */
type ErrorKind = new (...args: never[]) => Error;

/** |a - b| / |b|, Euclidean: how far `a` is from `b`, relatively. */
function relativeError(a: Float64Array, b: Float64Array): number {
  let difference = 0;
  let size = 0;
  for (let c = 0; c < a.length; c++) {
    difference += (a[c] - b[c]) ** 2;
    size += b[c] ** 2;
  }
  return Math.sqrt(difference / size);
}

test('t-SNE of four blobs keeps them apart, and the divergence falls', () => {
  const { labels, graph, conditional } = blobGraph();
  const reports: [number, number][] = [];
  const map = tsne(graph, conditional, {
    seed: 1,
    onIteration: (iteration, divergence) => reports.push([iteration, divergence]),
  });
  assert.equal(map.length, 600);
  assert.deepEqual(
    reports.map(([iteration]) => iteration),
    Array.from({ length: 20 }, (_, r) => 50 * (r + 1)),
  );
  const divergences = reports.map(([, divergence]) => divergence);
  assert.ok(divergences[19] < divergences[5], `${divergences[5]} -> ${divergences[19]}`);
  assert.ok(divergences[19] > 0 && divergences[19] < 0.6, `KL ${divergences[19]}`);

  // Centred, and spread well beyond the 1e-4 start.
  let meanX = 0;
  let spread = 0;
  for (let i = 0; i < 300; i++) {
    meanX += map[2 * i] / 300;
    spread += (map[2 * i] ** 2 + map[2 * i + 1] ** 2) / 300;
  }
  assert.ok(Math.abs(meanX) < 1e-3 && spread > 1, `mean ${meanX}, mean square ${spread}`);

  // 5-NN of every third point (all four blobs) among the others, by blob.
  const all = Array.from({ length: 300 }, (_, i) => i);
  const held = all.filter((i) => i % 3 === 0);
  const rest = all.filter((i) => i % 3 !== 0);
  const points = (ids: number[]) =>
    Float32Array.from(ids.flatMap((i) => [map[2 * i], map[2 * i + 1]]));
  const knn = knnAccuracy(
    points(rest),
    rest.map((i) => labels[i]),
    points(held),
    held.map((i) => labels[i]),
    { dim: 2 },
  );
  assert.ok(knn.accuracy >= 0.95, `5-NN accuracy ${knn.accuracy}`);
});

test('the exact gradient is the divergence gradient, and Barnes-Hut is close to it', () => {
  const { graph, conditional } = blobGraph();
  // Four clusters in the map, with a few points placed on top of others.
  const random = new Xoshiro128(5);
  const positions = new Float64Array(600);
  for (let i = 0; i < 300; i++) {
    positions[2 * i] = 10 * (i % 2) + 2 * normal(random);
    positions[2 * i + 1] = 10 * ((i % 4) >> 1) + 2 * normal(random);
  }
  for (const [a, b] of [
    [7, 3],
    [11, 3],
    [20, 21],
  ]) {
    positions.copyWithin(2 * a, 2 * b, 2 * b + 2);
  }
  const exact = tsneGradient(graph, conditional, positions, { theta: 0, exaggeration: 1 });

  // Z by brute force, duplicates (distance 0, w = 1) included.
  let normaliser = 0;
  for (let i = 0; i < 300; i++) {
    for (let j = 0; j < 300; j++) {
      if (i === j) continue;
      const dx = positions[2 * i] - positions[2 * j];
      const dy = positions[2 * i + 1] - positions[2 * j + 1];
      normaliser += 1 / (1 + dx * dx + dy * dy);
    }
  }
  assert.ok(Math.abs(exact.normaliser / normaliser - 1) < 1e-12, `${exact.normaliser}`);

  // Central differences of the divergence, a few coordinates.
  for (const c of [0, 1, 14, 15, 40, 301, 599]) {
    const step = 1e-5;
    const moved = (delta: number) => {
      const at = Float64Array.from(positions);
      at[c] += delta;
      return tsneGradient(graph, conditional, at, { theta: 0 }).divergence;
    };
    const numeric = (moved(step) - moved(-step)) / (2 * step);
    const error = Math.abs(numeric - exact.gradient[c]);
    assert.ok(error < 1e-6 + 1e-4 * Math.abs(numeric), `${c}: ${numeric} vs ${exact.gradient[c]}`);
  }

  // Away from a minimum, so that the gradient is not a small difference of large forces.
  for (const [theta, tolerance, normaliserTolerance] of [
    [0.5, 0.01, 0.005],
    [1, 0.05, 0.02],
  ]) {
    const approximate = tsneGradient(graph, conditional, positions, { theta });
    const error = relativeError(approximate.gradient, exact.gradient);
    assert.ok(error < tolerance, `theta ${theta}: relative error ${error}`);
    const normaliserError = Math.abs(approximate.normaliser / exact.normaliser - 1);
    assert.ok(normaliserError < normaliserTolerance, `theta ${theta}: Z off by ${normaliserError}`);
  }

  // All points at one place: no force, and every pair counts 1 in Z.
  const together = tsneGradient(graph, conditional, new Float64Array(600).fill(3));
  assert.equal(together.normaliser, 300 * 299);
  assert.ok(together.gradient.every((g) => g === 0));
});

test('one seed gives one map; another seed or a start gives another', () => {
  const { graph, conditional } = blobGraph();
  const run = (options: object) => tsne(graph, conditional, { iterations: 100, ...options });
  const first = run({ seed: 3 });
  assert.deepEqual(run({ seed: 3 }), first);
  assert.notDeepEqual(run({ seed: 4 }), first);
  const init = new Float32Array(600).map((_, c) => 1e-4 * Math.sin(c));
  assert.deepEqual(run({ seed: 3, init }), run({ seed: 4, init }));
  assert.notDeepEqual(run({ init }), first);
});

test('bad graphs, affinities and options are refused with one line each', () => {
  const graph: NeighbourGraph = {
    n: 4,
    k: 2,
    indices: Int32Array.from([1, 2, 0, 2, 3, 1, 2, 0]),
    distances: new Float32Array(8).fill(1),
  };
  const conditional = new Float32Array(8).fill(0.5);
  assert.equal(tsne(graph, conditional, { iterations: 10 }).length, 8);
  const pair = { n: 2, k: 1, indices: Int32Array.from([1, 0]), distances: new Float32Array(2) };
  const apart = tsne(pair, new Float32Array([1, 1]), { iterations: 300 });
  assert.ok(apart.every(Number.isFinite) && Math.abs(apart[0] + apart[2]) < 1e-6, `${apart}`);
  const refuses = (make: () => unknown, kind: ErrorKind, message: RegExp): void => {
    assert.throws(make, (error: Error) => error instanceof kind && message.test(error.message));
  };

  refuses(
    () => tsne(graph, new Float32Array(7)),
    AekitError,
    /^tsne: conditional: expected n x k = 8 values, got 7$/,
  );
  const withNaN = conditional.slice();
  withNaN[5] = NaN;
  refuses(
    () => tsne(graph, withNaN),
    AekitError,
    /^tsne: conditional: expected finite values >= 0, got NaN at index 5$/,
  );
  const negative = conditional.slice();
  negative[2] = -0.1;
  refuses(() => tsne(graph, negative), AekitError, /expected finite values >= 0, got -0\.1/);
  refuses(
    () => tsne(graph, new Float32Array(8)),
    AekitError,
    /^tsne: conditional: expected some values above 0$/,
  );
  refuses(
    () => tsne(graph, Array.from(conditional) as unknown as Float32Array),
    TypeError,
    /^tsne: conditional: expected a Float32Array, got array of length 8$/,
  );
  refuses(
    () => tsne({ ...graph, n: 1, k: 1, indices: new Int32Array(1) }, new Float32Array(1)),
    AekitError,
    /^tsne: expected at least 2 points, got 1$/,
  );
  refuses(
    () => tsne({ ...graph, k: 4 }, conditional),
    RangeError,
    /^tsne: graph\.k: expected an integer from 1 to 3, got number 4$/,
  );
  refuses(
    () => tsne({ ...graph, indices: new Int32Array(6) }, conditional),
    AekitError,
    /^tsne: graph\.indices: expected n x k = 8 values, got 6$/,
  );
  refuses(
    () => tsne({ ...graph, indices: Int32Array.from([1, 2, 0, 2, 3, 1, 2, 4]) }, conditional),
    AekitError,
    new RegExp(
      '^tsne: graph\\.indices: expected neighbours from 0 to 3 other than the point itself, ' +
        'got 4 for point 3$',
    ),
  );
  refuses(
    () => tsne({ ...graph, indices: Int32Array.from([0, 2, 0, 2, 3, 1, 2, 0]) }, conditional),
    AekitError,
    /got 0 for point 0$/,
  );

  const options: [object, ErrorKind, RegExp][] = [
    [
      { iterations: 0 },
      RangeError,
      /^tsne: options\.iterations: expected an integer >= 1, got number 0$/,
    ],
    [
      { iterations: 1.5 },
      TypeError,
      /^tsne: options\.iterations: expected an integer, got number 1\.5$/,
    ],
    [
      { exaggeration: 0.5 },
      RangeError,
      /^tsne: options\.exaggeration: expected a finite number >= 1, got number 0\.5$/,
    ],
    [
      { exaggerationIterations: -1 },
      RangeError,
      /^tsne: options\.exaggerationIterations: expected an integer >= 0/,
    ],
    [
      { learningRate: 0 },
      RangeError,
      /^tsne: options\.learningRate: expected a finite number > 0, got number 0$/,
    ],
    [
      { learningRate: Infinity },
      RangeError,
      /^tsne: options\.learningRate: expected a finite number > 0, got number Infinity$/,
    ],
    [
      { theta: 1.5 },
      RangeError,
      /^tsne: options\.theta: expected a number from 0 to 1, got number 1\.5$/,
    ],
    [{ seed: -1 }, RangeError, /^tsne: options\.seed: expected an integer >= 0, got number -1$/],
    [
      { init: new Float32Array(6) },
      AekitError,
      /^tsne: options\.init: expected n x 2 = 8 coordinates, got 6$/,
    ],
    [
      { init: new Float32Array(8).fill(Infinity) },
      AekitError,
      /^tsne: options\.init: expected finite coordinates, got Infinity at index 0$/,
    ],
    [
      { init: new Float64Array(8) },
      TypeError,
      /^tsne: options\.init: expected a Float32Array, got Float64Array$/,
    ],
    [
      { onIteration: 'every 50' },
      TypeError,
      /^tsne: options\.onIteration: expected a function, got string "every 50"$/,
    ],
  ];
  for (const [given, kind, message] of options) {
    refuses(() => tsne(graph, conditional, given as object), kind, message);
  }
  refuses(
    () => tsne(graph, conditional, 12 as unknown as object),
    TypeError,
    /^tsne: options: expected an options object, got number 12$/,
  );
  refuses(
    () => tsneGradient(graph, conditional, new Float32Array(8), { theta: -1 }),
    RangeError,
    /^tsneGradient: options\.theta: expected a number from 0 to 1, got number -1$/,
  );
  refuses(
    () => tsne(graph, conditional, { learningRate: 1e300 }),
    AekitError,
    /^tsne: the map's coordinates are not finite at iteration \d+; try a lower /,
  );
});
