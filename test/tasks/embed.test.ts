// Maps: the neighbour graph is exact, a parametric map fitted on the graph separates
// clusters for held-out points, repeats by seed, and refuses data it cannot fit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDataset, take } from '../../src/data/index.js';
import { manualSeed, noGrad, tensor } from '../../src/engine/index.js';
import { ParametricMap, buildModel } from '../../src/models/index.js';
import { embed, fitMap, neighbourGraph } from '../../src/tasks/index.js';
import { knnAccuracy, trustworthiness } from '../../src/metrics/index.js';
import { SMALL_MAP, clusters, heldOutSplit } from './map-helpers.js';

test('the neighbour graph lists the exact nearest neighbours, nearest first', () => {
  const points = clusters(4, 60, 1);
  const graph = neighbourGraph(points, 7);
  assert.deepEqual([graph.n, graph.k], [240, 7]);
  const row = (i: number) => points.data.subarray(i * 20, (i + 1) * 20);
  for (const i of [0, 17, 239]) {
    const distances = Array.from({ length: 240 }, (_, j) => ({
      j,
      d: row(i).reduce((s, v, m) => s + (v - row(j)[m]) ** 2, 0),
    }))
      .filter(({ j }) => j !== i)
      .sort((a, b) => a.d - b.d);
    assert.deepEqual(
      Array.from(graph.indices.subarray(i * 7, (i + 1) * 7)),
      distances.slice(0, 7).map(({ j }) => j),
    );
    graph.distances
      .subarray(i * 7, (i + 1) * 7)
      .forEach((d, t) => assert.ok(Math.abs(d - distances[t].d) < 1e-3 * distances[t].d));
  }
  assert.throws(() => neighbourGraph(points, 240), /neighbourGraph: k/);
});

test('a map fitted on the graph keeps held-out clusters apart and repeats by seed', () => {
  const { all, trainSet, heldOut } = heldOutSplit(2);
  const config = SMALL_MAP;
  const fit = () => {
    manualSeed(0);
    const model = buildModel(config) as ParametricMap;
    const epochs: number[] = [];
    const summary = fitMap(model, trainSet, {
      epochs: 25,
      batchSize: 100,
      seed: 3,
      onEpoch: (r) => epochs.push(r.neighbourhood),
    });
    assert.equal(summary.history.length, 25);
    assert.ok(epochs[24] < epochs[0], `${epochs[0]} -> ${epochs[24]}`);
    return model;
  };
  const model = fit();
  const trainCodes = embed(model, trainSet);
  const codes = embed(model, heldOut, 7);
  const direct = noGrad(() => model.encode(tensor(heldOut.data, { shape: heldOut.shape })));
  const expected = direct.toFloat32Array();
  codes.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4));

  const trainLabels = trainSet.labels as Int32Array;
  const knn = knnAccuracy(trainCodes, trainLabels, codes, heldOut.labels as Int32Array, { dim: 2 });
  assert.ok(knn.accuracy >= 0.95, `5-NN accuracy ${knn.accuracy}`);
  const trust = trustworthiness(heldOut.data, codes, { n: 100, dimHigh: 20, dimLow: 2 });
  assert.ok(trust.trustworthiness > 0.85, `trustworthiness ${trust.trustworthiness}`);
  assert.deepEqual(embed(fit(), heldOut, 7), codes, 'one seed, one map');

  assert.throws(
    () => fitMap(model, take(all, [0, 1, 2]), { epochs: 1 }),
    /expected at least 4 samples, got 3/,
  );
  const graph = neighbourGraph(heldOut, 3);
  assert.throws(
    () => fitMap(model, trainSet, { epochs: 1, graph }),
    /options\.graph: expected a graph of 300 points, got 100/,
  );
  assert.throws(
    () => embed(model, createDataset(new Float32Array(30), [3, 10])),
    /expected samples of shape \[20\]/,
  );
});

test('parametric t-SNE on the graph keeps held-out clusters apart; a bad loss is refused', () => {
  const { trainSet, heldOut } = heldOutSplit(4);
  manualSeed(0);
  const model = buildModel({ ...SMALL_MAP, perplexity: 10 }) as ParametricMap;
  const losses: number[] = [];
  const summary = fitMap(model, trainSet, {
    epochs: 25,
    loss: 'tsne',
    batchSize: 100,
    exaggeration: 4,
    onEpoch: (r) => losses.push(r.neighbourhood),
  });
  // Three times the perplexity of neighbours; the KL divergence falls once exaggeration ends.
  assert.deepEqual([summary.options.loss, summary.options.neighbours], ['tsne', 30]);
  assert.equal(summary.options.exaggerationEpochs, 6);
  assert.ok(losses[24] < losses[6], `${losses[6]} -> ${losses[24]}`);
  assert.ok(losses[24] > 0, 'a KL divergence');

  const trainCodes = embed(model, trainSet);
  const codes = embed(model, heldOut);
  const trainLabels = trainSet.labels as Int32Array;
  const knn = knnAccuracy(trainCodes, trainLabels, codes, heldOut.labels as Int32Array, { dim: 2 });
  assert.ok(knn.accuracy >= 0.95, `5-NN accuracy ${knn.accuracy}`);
  const trust = trustworthiness(heldOut.data, codes, { n: 100, dimHigh: 20, dimLow: 2 });
  // 0.954 here; the same map after 2 epochs is at 0.917.
  assert.ok(trust.trustworthiness > 0.93, `trustworthiness ${trust.trustworthiness}`);

  assert.throws(
    () => fitMap(model, trainSet, { epochs: 1, loss: 'umap' as 'tsne' }),
    /fitMap: options\.loss: expected 'pairs', 'tsne' or 'cells', got/,
  );
  assert.throws(
    () => fitMap(model, trainSet, { epochs: 1, loss: 'tsne', decoderShare: 2 }),
    /options\.decoderShare/,
  );
});
