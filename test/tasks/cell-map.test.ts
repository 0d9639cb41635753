// A map with cells: t-SNE layout, k-means cells, an encoder that chooses a sample's cell;
// held-out points land in their cluster, the fit repeats by seed, and mismatched options
// are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { take } from '../../src/data/index.js';
import { liveTensors, manualSeed, tensor } from '../../src/engine/index.js';
import { ParametricMap, buildModel } from '../../src/models/index.js';
import { embed, fitMap } from '../../src/tasks/index.js';
import { cellOffsets } from '../../src/tasks/cell-map.js';
import { knnAccuracy, trustworthiness } from '../../src/metrics/index.js';
import { SMALL_MAP, heldOutSplit } from './map-helpers.js';

test('a map with cells lays out t-SNE cells and puts held-out points in their cluster', () => {
  const { trainSet, heldOut } = heldOutSplit(6);
  const config = { ...SMALL_MAP, perplexity: 10, cells: 15 };
  const fit = () => {
    manualSeed(0);
    const model = buildModel(config) as ParametricMap;
    const losses: number[] = [];
    const summary = fitMap(model, trainSet, {
      epochs: 20,
      tsneIterations: 300,
      onEpoch: (r) => losses.push(r.neighbourhood),
    });
    assert.deepEqual(
      [summary.options.loss, summary.options.batchSize, summary.options.tsneIterations],
      ['cells', 64, 300],
    );
    // The cross-entropy of the cells falls from about log 15 (to about 2.0: the cells within
    // a cluster split noise, which no encoder can tell apart).
    assert.ok(losses[0] < Math.log(15) + 0.5 && losses[19] < 0.8 * losses[0], `${losses}`);
    return model;
  };
  const live = liveTensors();
  const model = fit();
  // Only the model's own tensors outlive the fit (its parameters and buffers, 9 here).
  assert.equal(liveTensors() - live, 9);
  const centres = model.centres?.toFloat32Array() ?? new Float32Array();
  assert.equal(centres.length, 30);
  assert.ok(
    centres.some((v) => Math.abs(v) > 1),
    'the centres are set from the layout',
  );

  const trainCodes = embed(model, trainSet);
  const codes = embed(model, heldOut);
  const trainLabels = trainSet.labels as Int32Array;
  const knn = knnAccuracy(trainCodes, trainLabels, codes, heldOut.labels as Int32Array, { dim: 2 });
  assert.ok(knn.accuracy >= 0.95, `5-NN accuracy ${knn.accuracy}`);
  const trust = trustworthiness(heldOut.data, codes, { n: 100, dimHigh: 20, dimLow: 2 });
  assert.ok(trust.trustworthiness > 0.85, `trustworthiness ${trust.trustworthiness}`);
  assert.deepEqual(embed(fit(), heldOut), codes, 'one seed, one map');

  // The loss must match the model, and cells need samples to fill them.
  assert.throws(
    () => fitMap(model, trainSet, { epochs: 1, loss: 'pairs' }),
    /fitMap: options\.loss: a map with cells is fitted with 'cells', got 'pairs'/,
  );
  const plain = buildModel({ ...config, cells: 0 }) as ParametricMap;
  assert.throws(
    () => fitMap(plain, trainSet, { epochs: 1, loss: 'cells' }),
    /fitMap: options\.loss: 'cells' needs a map with config\.cells > 0/,
  );
  assert.throws(
    () => fitMap(model, take(trainSet, [...Array(12).keys()]), { epochs: 1, neighbours: 5 }),
    /fitMap: expected at least config\.cells 15 samples, got 12/,
  );
  assert.throws(
    () => buildModel({ ...config, latentDim: 3 }),
    /config\.cells: cells need a 2-D map, got latentDim 3/,
  );
  assert.throws(
    () =>
      model.lossTerms(
        tensor(trainSet.data.subarray(0, 40), { shape: [2, 20] }),
        tensor(trainSet.data.subarray(0, 40), { shape: [2, 20] }),
        {} as never,
      ),
    /a map with cells is trained by fitMap/,
  );
});

test('cell offsets: each sample keeps its place within its cell', () => {
  const layout = Float32Array.from([0, 0, 2, 0, 10, 10, 10, 14]);
  const centres = Float32Array.from([1, 0, 10, 12]);
  const { offsets, scale } = cellOffsets(layout, centres, Int32Array.from([0, 0, 1, 1]));
  assert.deepEqual(Array.from(offsets), [-1, 0, 1, 0, 0, -2, 0, 2]);
  assert.equal(scale, (1 + 1 + 4 + 4) / 4);

  // A map with offsets: training points spread within their cells instead of sitting on
  // the centres, and held-out points still land in their cluster.
  const { trainSet, heldOut } = heldOutSplit(6);
  manualSeed(0);
  const config = { ...SMALL_MAP, perplexity: 10, cells: 15, cellOffsets: true };
  const model = buildModel(config) as ParametricMap;
  fitMap(model, trainSet, { epochs: 20, tsneIterations: 300 });
  assert.equal(model.config.cellOffsets, true);
  const trainCodes = embed(model, trainSet);
  const distinct = new Set(Array.from(trainCodes, (v) => v.toFixed(2)));
  assert.ok(distinct.size > 100, `${distinct.size} distinct coordinates`);
  const codes = embed(model, heldOut);
  const trainLabels = trainSet.labels as Int32Array;
  const knn = knnAccuracy(trainCodes, trainLabels, codes, heldOut.labels as Int32Array, { dim: 2 });
  assert.ok(knn.accuracy >= 0.95, `5-NN accuracy ${knn.accuracy}`);
  assert.throws(() => buildModel({ ...config, cellOffsets: 1 as never }), /config\.cellOffsets/);
  assert.throws(
    () => buildModel({ ...config, cells: 0 }),
    /config\.cellOffsets: offsets are within cells, got config\.cells 0/,
  );
  // A model without the flag (as saved before it existed) has no offsets.
  const plain = buildModel({ ...SMALL_MAP, cells: 15 }) as ParametricMap;
  assert.equal(plain.config.cellOffsets, false);
});
