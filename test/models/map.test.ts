// The parametric map family: t-SNE affinities match a plain per-row bisection, the KL and
// the neighbour-pair loss match direct sums, the generic trainer lowers the loss, and the
// model file round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataset, Xoshiro128 } from '../../src/data/index.js';
import { manualSeed, noGrad, tensor, tidy } from '../../src/engine/index.js';
import {
  Autoencoder,
  ParametricMap,
  buildModel,
  dataAffinities,
  loadModel,
  mapDivergence,
  neighbourAffinities,
  neighbourPairLoss,
  resolveConfig,
  saveModel,
  sparseMapDivergence,
} from '../../src/models/index.js';
import { train } from '../../src/train/index.js';

/** n points of dim values, uniform in [0, 1), seeded. */
function points(n: number, dim: number, seed: number): number[][] {
  const random = new Xoshiro128(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => random.next()));
}

const distance2 = (a: number[], b: number[]) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);

/** t-SNE's P the textbook way: a bisection on beta for each row, then symmetrised. */
function referenceAffinities(x: number[][], perplexity: number): number[][] {
  const n = x.length;
  const conditional = x.map((xi, i) => {
    const d = x.map((xj) => distance2(xi, xj));
    let [low, high] = [1e-6, 1e6];
    let row: number[] = [];
    for (let step = 0; step < 100; step++) {
      const beta = Math.sqrt(low * high);
      const w = d.map((v, j) => (j === i ? 0 : Math.exp(-beta * v)));
      const total = w.reduce((a, b) => a + b, 0);
      row = w.map((v) => v / total);
      const entropy = -row.reduce((s, p) => (p > 0 ? s + p * Math.log(p) : s), 0);
      if (entropy > Math.log(perplexity)) low = beta;
      else high = beta;
    }
    return row;
  });
  return conditional.map((row, i) => row.map((v, j) => (v + conditional[j][i]) / (2 * n)));
}

test('data affinities match a per-row bisection to the perplexity', () => {
  const x = points(40, 5, 1);
  const expected = referenceAffinities(x, 8);
  const flat = tidy(() => dataAffinities(tensor(x), 8).toFloat32Array());
  const got = Array.from({ length: 40 }, (_, i) => Array.from(flat.subarray(i * 40, i * 40 + 40)));
  let total = 0;
  for (let i = 0; i < 40; i++) {
    assert.equal(got[i][i], 0);
    for (let j = 0; j < 40; j++) {
      total += got[i][j];
      assert.ok(Math.abs(got[i][j] - expected[i][j]) < 1e-5, `P[${i}][${j}]`);
      assert.ok(Math.abs(got[i][j] - got[j][i]) < 1e-7);
    }
  }
  assert.ok(Math.abs(total - 1) < 1e-4);
  assert.throws(() => dataAffinities(tensor([[1, 2]]), 5), /expected at least 2 rows, got 1/);
});

test('the KL divergence and the neighbour-pair loss equal their direct sums', () => {
  const x = points(12, 3, 2);
  const codes = points(12, 2, 3);
  for (const dof of [1, 0.5]) {
    const kernel = (a: number[], b: number[]) => (1 + distance2(a, b) / dof) ** (-(dof + 1) / 2);
    const p = referenceAffinities(x, 3);
    let z = 0;
    codes.forEach((a, i) => codes.forEach((b, j) => i !== j && (z += kernel(a, b))));
    let kl = 0;
    codes.forEach((a, i) =>
      codes.forEach((b, j) => {
        if (i !== j) kl += p[i][j] * Math.log(p[i][j] / (kernel(a, b) / z));
      }),
    );
    const got = tidy(() => mapDivergence(tensor(p), tensor(codes), dof).item());
    assert.ok(Math.abs(got - kl) < 1e-4, `dof ${dof}: ${got} vs ${kl}`);

    // Pairs: rows 0-5 are anchors, rows 6-11 their neighbours.
    let pairs = 0;
    codes.forEach((a, i) => {
      const partner = i < 6 ? i + 6 : i - 6;
      let sum = 0;
      codes.forEach((b, k) => k !== i && (sum += kernel(a, b)));
      pairs += -Math.log(kernel(a, codes[partner]) / sum) / 12;
    });
    const loss = tidy(() => neighbourPairLoss(tensor(codes), dof).item());
    assert.ok(Math.abs(loss - pairs) < 1e-5, `dof ${dof}: ${loss} vs ${pairs}`);
  }
  assert.throws(
    () => neighbourPairLoss(tensor(points(5, 2, 1)), 1),
    /expected an even number of rows/,
  );
});

test('neighbour affinities reach the perplexity in each row, uniform where they cannot', () => {
  const random = new Xoshiro128(4);
  const k = 9;
  const distances = Float32Array.from({ length: 6 * k }, (_, i) => 1 + (i % k) + random.next());
  const p = neighbourAffinities(distances, k, 4);
  for (let i = 0; i < 6; i++) {
    const row = Array.from(p.subarray(i * k, (i + 1) * k));
    const entropy = -row.reduce((s, v) => s + v * Math.log(v), 0);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.ok(Math.abs(Math.exp(entropy) - 4) < 1e-3, `row ${i}: perplexity ${Math.exp(entropy)}`);
    assert.ok(row[0] > row[k - 1], 'nearer neighbours weigh more');
  }
  // Perplexity k or more, or all neighbours at one distance: every neighbour weighs 1 / k.
  for (const q of [
    neighbourAffinities(distances, k, 30),
    neighbourAffinities(new Float32Array(k), k, 4),
  ]) {
    q.subarray(0, k).forEach((v) => assert.ok(Math.abs(v - 1 / k) < 1e-6));
  }
  assert.throws(
    () => neighbourAffinities(new Float32Array(10), 3, 2),
    /multiple of k 3 values, got 10/,
  );
  assert.throws(() => neighbourAffinities(distances, k, 0.5), RangeError);
});

test('sparse KL equals the dense one; exaggeration scales the attraction', () => {
  const x = points(10, 3, 5);
  const codes = points(10, 2, 6);
  const p = referenceAffinities(x, 3);
  // The pairs with the largest affinities, and their mirrors, renormalised; the rest are 0.
  const kept = p.map((row) => row.map((v) => (v > 0.01 ? v : 0)));
  const total = kept.flat().reduce((a, b) => a + b, 0);
  const dense = kept.map((row) => row.map((v) => v / total));
  const pairs: number[] = [];
  const values: number[] = [];
  dense.forEach((row, a) =>
    row.forEach((v, b) => {
      if (v > 0) {
        pairs.push(a * 10 + b);
        values.push(v);
      }
    }),
  );
  assert.ok(pairs.length > 10 && pairs.length < 60, `${pairs.length} pairs`);
  const sparse = (exaggeration: number) =>
    tidy(() =>
      sparseMapDivergence(
        tensor(codes),
        tensor(Int32Array.from(pairs), { dtype: 'int64' }),
        tensor(values),
        1,
        exaggeration,
      ).item(),
    );
  const expected = tidy(() => mapDivergence(tensor(dense), tensor(codes), 1).item());
  assert.ok(Math.abs(sparse(1) - expected) < 1e-4, `${sparse(1)} vs ${expected}`);
  // -a sum p log w: four times the attraction adds three more of it.
  let attraction = 0;
  pairs.forEach((flat, e) => {
    const [a, b] = [Math.floor(flat / 10), flat % 10];
    attraction += values[e] * Math.log(1 + distance2(codes[a], codes[b]));
  });
  assert.ok(Math.abs(sparse(4) - sparse(1) - 3 * attraction) < 1e-4);
  assert.throws(
    () => sparseMapDivergence(tensor([[0, 1]]), tensor([0], { dtype: 'int64' }), tensor([1]), 1),
    /expected at least 2 rows, got 1/,
  );
});

test('the generic trainer lowers the map loss, and the model file round-trips', () => {
  // Three clusters in 6-D.
  const random = new Xoshiro128(4);
  const data = new Float32Array(150 * 6);
  for (let i = 0; i < 150; i++) {
    for (let d = 0; d < 6; d++) data[i * 6 + d] = (d === i % 3 ? 3 : 0) + random.next();
  }
  const dataset = createDataset(data, [150, 6]);
  manualSeed(0);
  const config = {
    family: 'map' as const,
    inputShape: [6],
    latentDim: 2,
    likelihood: 'gaussian' as const,
    hidden: [16],
    perplexity: 10,
  };
  const model = buildModel(config);
  assert.ok(model instanceof ParametricMap);
  assert.deepEqual(resolveConfig(config), {
    ...config,
    activation: 'relu',
    degreesOfFreedom: 1,
    reconstructionWeight: 0.001,
    cells: 0,
    cellTemperature: 0.05,
    cellOffsets: false,
  });
  const summary = train(model, dataset, { epochs: 30, batchSize: 50 });
  const first = summary.history[0].train.terms.neighbourhood;
  const last = summary.history[29].train.terms.neighbourhood;
  assert.ok(last < 0.7 * first, `KL ${first} -> ${last}`);

  const file = join(mkdtempSync(join(tmpdir(), 'aekit-map-')), 'map.aekit');
  saveModel(file, model, {
    preprocessing: [],
    data: { source: 'memory', shape: [6], valueRange: [0, 4] },
    summary: null,
    extras: {},
  });
  const loaded = loadModel(file);
  assert.equal(loaded.config.family, 'map');
  const codes = (m: Autoencoder) =>
    noGrad(() => m.encode(tensor(data, { shape: [150, 6] })).toFloat32Array());
  assert.deepEqual(codes(loaded.model), codes(model));

  // A map with cells: its code is the softmax-weighted mean of the centres, which the model
  // file keeps.
  const cellMap = buildModel({ ...config, cells: 4, cellTemperature: 0.5 }) as ParametricMap;
  const centres = [0, 0, 10, 0, 0, 10, 10, 10];
  noGrad(() => cellMap.centres?.copy_(tensor(centres, { shape: [4, 2] })));
  const x = tensor(data.subarray(0, 30), { shape: [5, 6] });
  const scores = noGrad(() => cellMap.cellScores(x).toFloat32Array()); // [5, 4]
  const expected = Array.from({ length: 5 }, (_, row) => {
    const weights = [0, 1, 2, 3].map((c) => Math.exp(scores[row * 4 + c] / 0.5));
    const total = weights.reduce((a, b) => a + b, 0);
    return [0, 1].map((d) =>
      weights.reduce((sum, w, c) => sum + (w / total) * centres[2 * c + d], 0),
    );
  }).flat();
  const cellCodes = noGrad(() => cellMap.encode(x).toFloat32Array());
  cellCodes.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4, `${v} ${expected[i]}`));
  saveModel(file, cellMap, {
    preprocessing: [],
    data: { source: 'memory', shape: [6], valueRange: [0, 4] },
    summary: null,
    extras: {},
  });
  assert.deepEqual(codes(loadModel(file).model), codes(cellMap));
  assert.throws(
    () => model.codesOfScores(tensor([1, 2], { shape: [1, 2] })),
    /this map has no cells/,
  );
  assert.throws(() => resolveConfig({ ...config, cells: -1 }), /config\.cells/);
  assert.throws(() => resolveConfig({ ...config, perplexity: 0 }), /config\.perplexity/);
  assert.throws(
    () => resolveConfig({ ...config, hidden: 'wide' }),
    /config\.hidden: expected an array/,
  );
});
