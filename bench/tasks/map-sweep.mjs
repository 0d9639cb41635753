// One Fashion-MNIST map setting, measured as the maps bench measures it, plus the same numbers
// on training points: is a poor map poor on the points it was fitted on (the loss or its
// optimisation) or only on held-out points (the encoder's generalisation)?
//
// Held-out: 5-NN accuracy of the first `--test` test images (classifier fitted on all the
// training points' coordinates) and their trustworthiness (k = 5), exactly as maps.mjs.
// Training: the first `--test` training images scored by a 5-NN classifier fitted on the
// other training points' coordinates, and their trustworthiness among themselves.
//
//   node bench/tasks/map-sweep.mjs [--fashion-train 10000] [--test 2000] [--epochs 40]
//     [--eval-every 10] [--loss pairs|tsne] [--neighbours 15] [--batch-size 512] [--lr 0.001]
//     [--negative-weight auto] [--exaggeration 1] [--exaggeration-epochs auto]
//     [--perplexity 30] [--reconstruction-weight 0.001] [--decoder-share 0.25]
//     [--hidden 500,500,2000] [--dof 1] [--seed 0] [--tag name] [--tta-shift 1]
//   node bench/tasks/map-sweep.mjs --reference tsne    # scikit-learn's t-SNE of all the points
//     (writes bench/results/tasks/map-sweep/tsne-TAG-train.npy and -test.npy)
//   node bench/tasks/map-sweep.mjs --regress FILE.npy [--ensemble K] [--encoder dense|conv]
//     [--regress-batch 256] [--regress-schedule constant|cosine]
//     # encoders regressed onto given training coordinates (K of them, their codes averaged)
//   node bench/tasks/map-sweep.mjs --free-epochs N [--free-init 1] [--free-perplexity P]
//     # free coordinates of the training points under the pair loss (no encoder)
import { join } from 'node:path';

import { aekit, args, fashionSplit, log, python, range, saveResult, scratch } from './lib.mjs';

const o = args({
  fashionTrain: 10000,
  test: 2000,
  epochs: 40,
  evalEvery: 10,
  loss: 'pairs',
  neighbours: 15,
  batchSize: 512,
  lr: 0.001,
  negativeWeight: 'auto',
  exaggeration: 1,
  exaggerationEpochs: 'auto',
  perplexity: 30,
  reconstructionWeight: 0.001,
  decoderShare: 0.25,
  hidden: '500,500,2000',
  dof: 1,
  seed: 0,
  tag: 'sweep',
  reference: 'none',
  regress: 'none',
  encoder: 'dense',
  channels: '32,64',
  pca: 0,
  // Held-out points also mapped as the mean code of their copies shifted by up to this many
  // pixels (test-time averaging; images only). 0: not.
  ttaShift: 0,
  ensemble: 1,
  // Regressions: samples per step, and 'cosine' to let the learning rate fall to 0.
  regressBatch: 256,
  regressSchedule: 'constant',
  // --free-epochs N: free coordinates instead of an encoder (see below).
  freeEpochs: 0,
  freeInit: 1,
  freeExaggerationEpochs: 0,
  freePerplexity: 0,
  // --save-codes 1: each evaluation also writes the codes and labels (codes-TAG-*.npy).
  saveCodes: 0,
});
const optional = (value) => (value === 'auto' ? undefined : Number(value));

const split = await fashionSplit(o.fashionTrain, o.test);
const train = split.train;
const test = aekit.take(split.test, range(0, o.test));
const n = train.shape[0];
const m = o.test;
const probe = aekit.take(train, range(0, m)); // training points scored like held-out ones
const rest = range(m, n);

/** The values of a `.npy` file the Python side wrote. */
const readValues = async (file) => (await aekit.readNpy(file)).values;

function measure(model) {
  const trainCodes = aekit.embed(model, fitTrain, 1000);
  const plain = measureCodes(trainCodes, aekit.embed(model, fitTest, 1000));
  if (!o.ttaShift) return plain;
  // Test-time averaging: each held-out image's code is the mean of its codes shifted by up
  // to --tta-shift pixels each way (zeros shifted in).
  const s = o.ttaShift;
  const mean = new Float32Array(2 * m);
  let views = 0;
  for (let dy = -s; dy <= s; dy++) {
    for (let dx = -s; dx <= s; dx++) {
      const shifted = aekit.createDataset(shiftImages(fitTest.data, m, dy, dx), fitTest.shape, {
        labels: test.labels,
      });
      aekit.embed(model, shifted, 1000).forEach((v, i) => (mean[i] += v));
      views++;
    }
  }
  const averaged = measureCodes(
    trainCodes,
    mean.map((v) => v / views),
  );
  return { ...plain, ttaHeldOutKnn: averaged.heldOutKnn, ttaHeldOutTrust: averaged.heldOutTrust };
}

/** The codes and labels of the training and held-out points, for analysis in Python. */
function saveCodes(trainCodes, testCodes) {
  const dir = scratch('map-sweep');
  const sets = [
    ['train', trainCodes, train],
    ['test', testCodes, test],
  ];
  for (const [name, codes, dataset] of sets) {
    if (codes === null) continue;
    aekit.saveNpy(join(dir, `codes-${o.tag}-${name}.npy`), codes, [codes.length / 2, 2]);
    const labels = Float32Array.from(dataset.labels.subarray(0, codes.length / 2));
    aekit.saveNpy(join(dir, `labels-${o.tag}-${name}.npy`), labels, [labels.length]);
  }
}

/** `count` 28 x 28 images moved dy rows down and dx columns right, zeros shifted in. */
function shiftImages(data, count, dy, dx) {
  const out = new Float32Array(data.length);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < 28; y++) {
      const from = y - dy;
      if (from < 0 || from >= 28) continue;
      for (let x = 0; x < 28; x++) {
        const fx = x - dx;
        if (fx >= 0 && fx < 28) out[i * 784 + y * 28 + x] = data[i * 784 + from * 28 + fx];
      }
    }
  }
  return out;
}

function measureCodes(trainCodes, testCodes) {
  if (o.saveCodes) saveCodes(trainCodes, testCodes);
  const trust = (dataset, codes) =>
    aekit.trustworthiness(dataset.data, codes, { n: m, dimHigh: 784, dimLow: 2, k: 5 })
      .trustworthiness;
  const knn = (refCodes, refLabels, codes, labels) =>
    aekit.knnAccuracy(refCodes, refLabels, codes, labels, { dim: 2, k: 5 }).accuracy;
  const restCodes = Float32Array.from(
    rest.flatMap((i) => [trainCodes[2 * i], trainCodes[2 * i + 1]]),
  );
  const restLabels = Int32Array.from(rest.map((i) => train.labels[i]));
  const probeCodes = trainCodes.subarray(0, 2 * m);
  const heldOut =
    testCodes === null
      ? {}
      : {
          heldOutKnn: knn(trainCodes, train.labels, testCodes, test.labels),
          heldOutTrust: trust(test, testCodes),
        };
  return {
    ...heldOut,
    trainKnn: knn(restCodes, restLabels, probeCodes, probe.labels),
    trainTrust: trust(probe, probeCodes),
  };
}

if (o.reference === 'tsne') {
  // Non-parametric t-SNE (scikit-learn) of the training and held-out points together.
  const dir = scratch('map-sweep');
  aekit.saveNpy(join(dir, `train-${o.tag}.npy`), train.data, train.shape);
  aekit.saveNpy(join(dir, `test-${o.tag}.npy`), test.data, test.shape);
  const answer = python({
    task: 'tsne',
    train: join(dir, `train-${o.tag}.npy`),
    test: join(dir, `test-${o.tag}.npy`),
    out: join(dir, `tsne-${o.tag}`), // -train.npy and -test.npy: a --regress target
  });
  const numbers = {
    fitSeconds: answer.fitSeconds,
    ...measureCodes(await readValues(answer.train), await readValues(answer.test)),
  };
  log(`${o.tag} t-SNE reference ${JSON.stringify(numbers)}`);
  saveResult(`map-sweep-${o.tag}`, { options: o, evaluations: [numbers] });
  process.exit(0);
}

if (o.freeEpochs > 0) {
  // Non-parametric: free 2-D coordinates of the training points, fitted with the same pair
  // loss and graph as fitMap (Adam on the coordinates); training points scored, and the
  // coordinates saved as a --regress target.
  aekit.manualSeed(o.seed);
  const graph = aekit.neighbourGraph(train, o.neighbours);
  const coords = aekit.randn([n, 2]).mul(o.freeInit);
  coords.requiresGrad = true;
  const optimizer = new aekit.Adam([coords], { lr: o.lr });
  const scheduler = new aekit.CosineAnnealingLR(optimizer, { tMax: o.freeEpochs });
  const negativeWeight = optional(o.negativeWeight) ?? (n - 2) / (2 * o.batchSize - 2);
  const random = new aekit.Xoshiro128(o.seed, 7);
  // --free-perplexity P: each partner drawn by t-SNE's p(j | i) at perplexity P over the
  // graph (give --neighbours 3P), instead of uniformly among the neighbours.
  const k = graph.k;
  const cumulative =
    o.freePerplexity > 0 ? aekit.neighbourAffinities(graph.distances, k, o.freePerplexity) : null;
  if (cumulative) {
    for (let i = 0; i < n; i++) {
      for (let t = 1; t < k; t++) cumulative[i * k + t] += cumulative[i * k + t - 1];
    }
  }
  const partner = (i) => {
    if (!cumulative) return graph.indices[i * k + random.int(k)];
    const u = random.next() * cumulative[i * k + k - 1];
    let t = 0;
    while (t < k - 1 && cumulative[i * k + t] < u) t++;
    return graph.indices[i * k + t];
  };
  for (let epoch = 0; epoch < o.freeEpochs; epoch++) {
    const order = aekit.permutation(n, o.seed, epoch);
    let total = 0;
    let steps = 0;
    for (let start = 0; start + 2 <= n; start += o.batchSize) {
      const size = Math.min(o.batchSize, n - start);
      const picked = new Int32Array(2 * size);
      for (let b = 0; b < size; b++) {
        picked[b] = order[start + b];
        picked[size + b] = partner(picked[b]);
      }
      total += aekit.tidy(() => {
        const codes = coords.indexSelect(0, aekit.tensor(picked, { dtype: 'int64' }));
        const loss = aekit.neighbourPairLoss(codes, o.dof, {
          negativeWeight,
          exaggeration: epoch < o.freeExaggerationEpochs ? o.exaggeration : 1,
        });
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss.item();
      });
      steps++;
    }
    scheduler.step();
    if ((epoch + 1) % o.evalEvery === 0 || epoch + 1 === o.freeEpochs) {
      const values = coords.detach().toFloat32Array();
      log(
        `${o.tag} ${JSON.stringify({ epoch: epoch + 1, loss: total / steps, ...measureCodes(values, null) })}`,
      );
    }
  }
  const dir = scratch('map-sweep');
  aekit.saveNpy(join(dir, `free-${o.tag}.npy`), coords.detach().toFloat32Array(), [n, 2]);
  process.exit(0);
}

if (o.regress !== 'none') {
  // Can the encoder hold a t-SNE map at all? Regress it onto the coordinates that
  // `--reference tsne` gave the training points (squared error), then map held-out points.
  // --ensemble K: K encoders from seeds seed .. seed + K - 1, each regressed the same way;
  // the map is the mean of their codes, scored after each member.
  const target = await readValues(o.regress);
  const sums = [new Float32Array(2 * n), new Float32Array(2 * m)];
  for (let member = 0; member < o.ensemble; member++) {
    const [trainCodes, testCodes] = await regressMember(target, o.seed + member);
    trainCodes.forEach((v, i) => (sums[0][i] += v));
    testCodes.forEach((v, i) => (sums[1][i] += v));
    const [meanTrain, meanTest] = sums.map((sum) => sum.map((v) => v / (member + 1)));
    log(
      `${o.tag} ${JSON.stringify({ members: member + 1, ...measureCodes(meanTrain, meanTest) })}`,
    );
  }
  process.exit(0);
}

async function regressMember(target, seed) {
  aekit.manualSeed(seed);
  // 'conv': stride-2 convolutions, then the dense hidden sizes, then the 2-D code.
  const convEncoder = () => {
    const net = new aekit.Sequential();
    let [inChannels, side] = [1, 28];
    for (const out of o.channels.split(',').map(Number)) {
      net.append(new aekit.Conv2d(inChannels, out, 3, { stride: 2, padding: 1 }));
      net.append(new aekit.ReLU());
      [inChannels, side] = [out, Math.ceil(side / 2)];
    }
    net.append(new aekit.Flatten());
    let width = inChannels * side * side;
    for (const size of o.hidden.split(',').map(Number)) {
      net.append(new aekit.Linear(width, size)).append(new aekit.ReLU());
      width = size;
    }
    net.append(new aekit.Linear(width, 2));
    return { encode: (x) => net.forward(x), parameters: () => net.parameters(), net };
  };
  const model =
    o.encoder === 'conv'
      ? convEncoder()
      : aekit.buildModel({
          family: 'map',
          inputShape: [1, 28, 28],
          latentDim: 2,
          hidden: o.hidden.split(',').map(Number),
        });
  const codesOf = (dataset) =>
    aekit.noGrad(() => {
      const parts = [];
      for (let start = 0; start < dataset.shape[0]; start += 1000) {
        const count = Math.min(1000, dataset.shape[0] - start);
        const values = dataset.data.subarray(start * 784, (start + count) * 784);
        parts.push(
          aekit.tidy(() =>
            model.encode(aekit.tensor(values, { shape: [count, 1, 28, 28] })).toFloat32Array(),
          ),
        );
      }
      return Float32Array.from(parts.flatMap((part) => Array.from(part)));
    });
  const optimizer = new aekit.Adam(model.parameters(), { lr: o.lr });
  const scheduler =
    o.regressSchedule === 'cosine'
      ? new aekit.CosineAnnealingLR(optimizer, { tMax: o.epochs })
      : null;
  const step = o.regressBatch;
  const inputs = aekit.tensor(train.data, { shape: train.shape });
  const targets = aekit.tensor(target, { shape: [n, 2] });
  const scale = Math.sqrt(target.reduce((s, v) => s + v * v, 0) / target.length);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = aekit.permutation(n, seed, epoch);
    let total = 0;
    for (let start = 0; start < n; start += step) {
      const picked = order.subarray(start, Math.min(n, start + step));
      total += aekit.tidy(() => {
        const index = aekit.tensor(picked, { dtype: 'int64' });
        const codes = model.encode(inputs.indexSelect(0, index));
        const loss = codes.sub(targets.indexSelect(0, index).div(scale)).square().mean();
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss.item();
      });
    }
    scheduler?.step();
    log(
      `${o.tag} seed ${seed} regression epoch ${epoch + 1}: ${(total / Math.ceil(n / step)).toFixed(4)}`,
    );
    if ((epoch + 1) % o.evalEvery === 0 || epoch + 1 === o.epochs)
      log(
        `${o.tag} ${JSON.stringify({ epoch: epoch + 1, ...measureCodes(codesOf(train), codesOf(test)) })}`,
      );
  }
  return [codesOf(train), codesOf(test)];
}

// --pca m: the map's input is the first m principal components (scikit-learn, fitted on the
// training points) instead of the pixels; the metrics still compare against the pixels.
let [fitTrain, fitTest, inputShape] = [train, test, [1, 28, 28]];
if (o.pca > 0) {
  const dir = scratch('map-sweep');
  aekit.saveNpy(join(dir, 'train.npy'), train.data, train.shape);
  aekit.saveNpy(join(dir, 'test.npy'), test.data, test.shape);
  const answer = python({
    task: 'pca',
    components: o.pca,
    train: join(dir, 'train.npy'),
    test: join(dir, 'test.npy'),
    timed: join(dir, 'test.npy'),
    out: join(dir, 'pca'),
  });
  fitTrain = aekit.createDataset(await readValues(answer.train), [n, o.pca], {
    labels: train.labels,
  });
  fitTest = aekit.createDataset(await readValues(answer.test), [m, o.pca], { labels: test.labels });
  inputShape = [o.pca];
}

aekit.manualSeed(o.seed);
const model = aekit.buildModel({
  family: 'map',
  likelihood: o.pca > 0 ? 'gaussian' : 'bernoulli',
  inputShape,
  latentDim: 2,
  hidden: o.hidden.split(',').map(Number),
  degreesOfFreedom: o.dof,
  perplexity: o.perplexity,
  reconstructionWeight: o.reconstructionWeight,
});
const begun = Date.now();
const evaluations = [];
const summary = aekit.fitMap(model, fitTrain, {
  epochs: o.epochs,
  batchSize: o.batchSize,
  learningRate: o.lr,
  neighbours: o.neighbours,
  seed: o.seed,
  loss: o.loss,
  decoderShare: o.decoderShare,
  negativeWeight: optional(o.negativeWeight),
  exaggeration: o.exaggeration,
  exaggerationEpochs: optional(o.exaggerationEpochs),
  onEpoch: (r) => {
    log(
      `${o.tag} epoch ${r.epoch + 1}/${o.epochs}: neighbourhood ${r.neighbourhood.toFixed(4)}, ` +
        `reconstruction ${r.reconstruction.toFixed(1)}, ${r.seconds.toFixed(1)} s`,
    );
    if ((r.epoch + 1) % o.evalEvery === 0 || r.epoch + 1 === o.epochs) {
      const numbers = {
        epoch: r.epoch + 1,
        seconds: (Date.now() - begun) / 1000,
        ...measure(model),
      };
      evaluations.push(numbers);
      log(`${o.tag} ${JSON.stringify(numbers)}`);
    }
  },
});
saveResult(`map-sweep-${o.tag}`, { options: o, summary, evaluations });
model.dispose();
