// Class-targeted generation with a VAE, judged by a classifier this bench trains on the real
// training images. For each class: encode that class's training images, fit their code
// distribution (one full Gaussian, a mixture of diagonal Gaussians, or their aggregate
// posterior: one Gaussian per image, its own q(z|x)), sample, decode, and count how often the
// classifier calls the samples the requested class; precision and recall (Kynkäänniemi et
// al., "Improved Precision and Recall Metric for Assessing Generative Models", NeurIPS 2019,
// k = 5) in the classifier's penultimate features against the real test images of that class
// say whether they stay diverse. For scale, the same two numbers for real training images of
// the class against the real test images (what a perfect generator would get), and how often
// the classifier accepts the VAE's reconstructions of the real test images (what the VAE can
// render at best). Beside it: sample-then-filter, how many prior samples the classifier must
// see per sample it accepts for that class. And whether the samples copy their examples: each
// sample's pixel distance to its nearest training image of the class, against the same for
// the class's real test images (copyCheck).
//
//   node bench/tasks/generate.mjs [--datasets mnist,fashion] [--vae-epochs-mnist 40]
//     [--vae-epochs-fashion 15] [--classifier-epochs-fashion 12] [--fits gaussian,posterior]
//     [--latent-dim 16] [--beta 1] [--channels 32,64] [--components 5] [--temperatures 1,0.8]
//     [--reuse] [--sample-seed N] [--result-tag NAME]
//
// --fits lists gaussian, mixture (full covariances), mixture-diagonal and posterior, each
// optionally ending in +rN: its samples decoded, encoded again and decoded, N times.
// --reuse loads the VAE and the classifier that an earlier run with the same settings saved
// under bench/results/tasks/generate/ instead of training them again.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import {
  aekit,
  args,
  byLabel,
  fashionSplit,
  log,
  machine,
  mnistSplit,
  saveResult,
  scratch,
  trainLogged,
} from './lib.mjs';

const o = args({
  datasets: 'mnist,fashion',
  vaeEpochsMnist: 40,
  vaeEpochsFashion: 15,
  classifierEpochsMnist: 20,
  classifierEpochsFashion: 12,
  samples: 1000,
  prior: 10000,
  components: 5,
  fits: 'gaussian,mixture,posterior',
  // Spreads of the sampled codes around their fitted distribution (1: as fitted; below 1,
  // the truncation trick: more typical samples, less diverse).
  temperatures: '1,0.8',
  latentDim: 16,
  beta: 1,
  channels: '32,64',
  reuse: false,
  seed: 0,
  // Seed of the fits and draws alone (default: --seed), to repeat them on the same models.
  sampleSeed: null,
  // Appended to the result file's name, so that runs on one VAE keep their own files.
  resultTag: '',
});
const SAMPLE_SEED = o.sampleSeed === null ? o.seed : Number(o.sampleSeed);
// What is sampled for each class: [label, fitExamples options, temperature, re-encodings].
const SETTINGS = String(o.temperatures)
  .split(',')
  .map(Number)
  .flatMap((t) => {
    const suffix = t === 1 ? '' : ` t${t}`;
    return String(o.fits)
      .split(',')
      .map((text) => {
        // A fit may end in +rN: each sample decoded, encoded again (posterior mean) and
        // decoded, N times, which draws it towards the codes the encoder gives images.
        const [fit, steps] = text.split('+r');
        const setting = chosen(fit, t, suffix);
        if (steps === undefined) return setting;
        setting[0] = `${setting[0]}+r${steps}`;
        setting.push(Number(steps));
        return setting;
      });
  });
/** [label, fitExamples options, temperature] of one fit at temperature t. */
function chosen(fit, t, suffix) {
  // mixture: full covariances; mixture-diagonal: diagonal ones.
  if (fit.startsWith('mixture')) {
    const covariance = fit === 'mixture-diagonal' ? 'diagonal' : 'full';
    const options = { distribution: 'mixture', components: o.components, covariance };
    const tag = covariance === 'full' ? '' : '-diagonal';
    return [`mixture-${o.components}${tag}${suffix}`, options, t];
  }
  return [`${fit}${suffix}`, { distribution: fit }, t];
}
const VAE = {
  family: 'vae',
  body: 'conv',
  inputShape: [1, 28, 28],
  channels: String(o.channels).split(',').map(Number),
  latentDim: o.latentDim,
  beta: o.beta,
};
// What tells one trained VAE from another in the names of result and model files.
const VAE_TAG = `l${o.latentDim}-b${o.beta}-c${VAE.channels.join('x')}`;
// A run of some data sets or another VAE only writes a file of its own, so runs combine.
const RESULT =
  'generate' +
  (o.datasets === 'mnist,fashion' ? '' : `-${o.datasets}`) +
  (VAE_TAG === 'l16-b1-c32x64' ? '' : `-${VAE_TAG}`) +
  (o.resultTag ? `-${o.resultTag}` : '');
const { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Adam, F, tensor, tidy, noGrad } =
  aekit;
const dir = scratch('generate');

/** A small CNN: two conv-pool stages, a 128-unit layer (the features), 10 logits. */
function classifier() {
  const features = new Sequential(
    new Conv2d(1, 32, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(32, 64, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(64 * 7 * 7, 128),
    new ReLU(),
  );
  const head = new Linear(128, 10);
  return { features, head, parameters: () => [...features.parameters(), ...head.parameters()] };
}

/** Trains the classifier, or with --reuse loads the one an earlier run saved. */
function classifierFor(name, train, test, epochs) {
  aekit.manualSeed(o.seed);
  const net = classifier();
  const file = join(dir, `${name}-classifier-e${epochs}-s${o.seed}.pt`);
  if (o.reuse && existsSync(file)) {
    const saved = aekit.loadFile(file);
    net.features.loadStateDict(saved.features);
    net.head.loadStateDict(saved.head);
    net.features.eval();
    log(`${name}: loaded the classifier from ${file}`);
  } else {
    trainClassifier(name, net, train, test, epochs);
    aekit.saveFile(file, { features: net.features.stateDict(), head: net.head.stateDict() });
  }
  return net;
}

/** Trains the VAE, or with --reuse loads the one an earlier run saved. */
function vaeFor(name, train, epochs) {
  const file = join(dir, `${name}-vae-${VAE_TAG}-e${epochs}-s${o.seed}.aekit`);
  if (o.reuse && existsSync(file)) {
    log(`${name}: loaded the VAE from ${file}`);
    return aekit.loadModel(file).model;
  }
  aekit.manualSeed(o.seed);
  const vae = aekit.buildModel(VAE);
  const summary = trainLogged(`${name} vae`, vae, train, {
    epochs,
    batchSize: 128,
    seed: o.seed,
  });
  const mnist = name === 'mnist';
  aekit.saveModel(file, vae, {
    preprocessing: train.preprocessing,
    data: aekit.dataRecord(train),
    summary,
    extras: {
      cli: { data: mnist ? 'mnist' : 'fashion-mnist', reader: mnist ? 'mnist' : 'fashion-mnist' },
    },
  });
  return vae;
}

function trainClassifier(name, net, train, test, epochs) {
  const optimizer = new Adam(net.parameters(), { lr: 1e-3 });
  const inputs = tensor(train.data, { shape: train.shape });
  const labels = tensor(train.labels, { dtype: 'int64' });
  net.features.train();
  for (let epoch = 0; epoch < epochs; epoch++) {
    let total = 0;
    let batches = 0;
    for (const indices of aekit.indexBatches(train.shape[0], {
      batchSize: 128,
      seed: o.seed,
      epoch,
    })) {
      total += tidy(() => {
        const index = tensor(Int32Array.from(indices), { dtype: 'int64' });
        const logits = net.head.forward(net.features.forward(inputs.indexSelect(0, index)));
        const loss = F.crossEntropy(logits, labels.indexSelect(0, index));
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return loss.item();
      });
      batches++;
    }
    net.features.eval();
    const accuracy = accuracyOn(net, test);
    net.features.train();
    log(
      `${name} classifier epoch ${epoch + 1}/${epochs}: cross-entropy ` +
        `${(total / batches).toFixed(4)}, test accuracy ${accuracy.toFixed(4)}`,
    );
  }
  net.features.eval();
  inputs.dispose();
  labels.dispose();
  optimizer.dispose();
}

/** Predicted class and 128-D features of each image: { predictions, features }. */
function judge(net, images, n) {
  const predictions = new Int32Array(n);
  const features = new Float32Array(n * 128);
  noGrad(() => {
    for (let start = 0; start < n; start += 500) {
      const size = Math.min(500, n - start);
      tidy(() => {
        const x = tensor(images.subarray(start * 784, (start + size) * 784), {
          shape: [size, 1, 28, 28],
        });
        const f = net.features.forward(x);
        features.set(f.toFloat32Array(), start * 128);
        const argmax = net.head.forward(f).argmax(1).toNumbers();
        argmax.forEach((p, i) => (predictions[start + i] = p));
      });
    }
  });
  return { predictions, features };
}

/** The share of `data`'s samples the classifier labels right. */
function accuracyOn(net, data) {
  const { predictions } = judge(net, data.data, data.shape[0]);
  return predictions.filter((p, i) => p === data.labels[i]).length / data.shape[0];
}

/** Rows `indices` of a [n, 128] feature array. */
function featureRows(features, indices) {
  const out = new Float32Array(indices.length * 128);
  indices.forEach((i, j) => out.set(features.subarray(i * 128, (i + 1) * 128), j * 128));
  return out;
}

/** Pairwise distances [a, b] between rows `width` values wide (the features by default). */
function distances(a, na, b, nb, width = 128) {
  return tidy(() => {
    const x = tensor(a, { shape: [na, width] });
    const y = tensor(b, { shape: [nb, width] });
    const d = x
      .square()
      .sum(1, true)
      .add(y.square().sum(1).unsqueeze(0))
      .sub(x.matmul(y.t()).mul(2));
    return d.clamp(0, null).sqrt().toFloat32Array();
  });
}

/** Each row of `a`'s distance to its nearest row of `b`, rows `width` values wide. */
function nearestDistances(a, na, b, nb, width) {
  const out = new Float64Array(na);
  for (let start = 0; start < na; start += 250) {
    const n = Math.min(250, na - start);
    const d = distances(a.subarray(start * width, (start + n) * width), n, b, nb, width);
    for (let i = 0; i < n; i++) {
      let nearest = Infinity;
      for (let j = 0; j < nb; j++) nearest = Math.min(nearest, d[i * nb + j]);
      out[start + i] = nearest;
    }
  }
  return out;
}

/** The `q` quantile (0 to 1) of `values`, by rank. */
function quantile(values, q) {
  const sorted = Array.from(values).sort((a, b) => a - b);
  return sorted[Math.floor(q * sorted.length)];
}

/**
 * How far a class's real test images (which the VAE never saw) lie from their nearest
 * training example: the median, and the distance 95% of them exceed.
 */
function realDistances(realTest, examples) {
  const nearest = nearestDistances(
    realTest.data,
    realTest.shape[0],
    examples.data,
    examples.shape[0],
    784,
  );
  return { median: quantile(nearest, 0.5), nearest5: quantile(nearest, 0.05) };
}

/**
 * How close samples come to copying the examples they were generated from: each sample's
 * pixel distance to its nearest example, against `real` ({@link realDistances}).
 * `medianRatio`: the samples' median over the test images' (1: as far from the examples as
 * new real images are; near 0: copies). `nearCopies`: the share of samples nearer to an
 * example than 95% of the test images are.
 */
function copyCheck(samples, n, real, examples) {
  const nearest = nearestDistances(samples, n, examples.data, examples.shape[0], 784);
  return {
    medianRatio: quantile(nearest, 0.5) / real.median,
    nearCopies: nearest.filter((d) => d < real.nearest5).length / n,
  };
}

/** Distance of each row to its k-th nearest other row. */
function kthRadius(features, n, k) {
  const d = distances(features, n, features, n);
  const radii = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = Array.from(d.subarray(i * n, (i + 1) * n)).sort((p, q) => p - q);
    radii[i] = row[k]; // row[0] is the point itself
  }
  return radii;
}

/** Improved precision and recall (k-NN manifolds of real and generated features). */
function precisionRecall(real, nReal, fake, nFake, k = 5) {
  const realRadii = kthRadius(real, nReal, k);
  const fakeRadii = kthRadius(fake, nFake, k);
  const cross = distances(fake, nFake, real, nReal); // [nFake, nReal]
  let precise = 0;
  for (let g = 0; g < nFake; g++) {
    for (let r = 0; r < nReal; r++) {
      if (cross[g * nReal + r] <= realRadii[r]) {
        precise++;
        break;
      }
    }
  }
  let recalled = 0;
  for (let r = 0; r < nReal; r++) {
    for (let g = 0; g < nFake; g++) {
      if (cross[g * nReal + r] <= fakeRadii[g]) {
        recalled++;
        break;
      }
    }
  }
  return { precision: precise / nFake, recall: recalled / nReal };
}

const results = {};
for (const name of o.datasets.split(',')) {
  const { train, test } = name === 'mnist' ? await mnistSplit() : await fashionSplit();
  const mnist = name === 'mnist';
  log(`${name}: ${train.shape[0]} training and ${test.shape[0]} test images`);

  const classifierEpochs = mnist ? o.classifierEpochsMnist : o.classifierEpochsFashion;
  const net = classifierFor(name, train, test, classifierEpochs);
  const testAccuracy = accuracyOn(net, test);
  log(`${name} classifier test accuracy ${testAccuracy.toFixed(4)}`);

  const vae = vaeFor(name, train, mnist ? o.vaeEpochsMnist : o.vaeEpochsFashion);
  vae.eval();

  // The prior, judged once: per class, the share of prior samples called that class.
  const priorImages = noGrad(() =>
    tidy(() => vae.sample(o.prior, new aekit.Generator(o.seed + 7)).toFloat32Array()),
  );
  const prior = judge(net, priorImages, o.prior);
  const rows = [];
  for (let c = 0; c < 10; c++) {
    const examples = byLabel(train, c);
    const realTest = byLabel(test, c);
    const nTest = realTest.shape[0];
    const real = judge(net, realTest.data, nTest);
    const realNearest = realDistances(realTest, examples);
    const row = {
      class: test.labelNames?.[c] ?? String(c),
      examples: examples.shape[0],
      realTestJudged: real.predictions.filter((p) => p === c).length / nTest,
      priorShare: prior.predictions.filter((p) => p === c).length / o.prior,
    };
    row.priorSamplesPerAccepted = row.priorShare > 0 ? 1 / row.priorShare : null;

    // For scale: real training images of the class (as many as are sampled, or all there
    // are) against the real test images: the precision and recall of a perfect generator.
    const pick = aekit.permutation(examples.shape[0], o.seed + c);
    const chosen = Array.from(pick.subarray(0, Math.min(o.samples, examples.shape[0])));
    const someTrain = aekit.take(examples, chosen);
    const realTrain = judge(net, someTrain.data, chosen.length);
    row.realTrain = {
      count: chosen.length,
      ...precisionRecall(real.features, nTest, realTrain.features, chosen.length),
    };

    // What the VAE can render at best: its reconstructions (posterior means decoded) of the
    // real test images, judged; and of training images, which both the VAE and the judge
    // were trained on.
    const judgedRight = (images, n) =>
      judge(net, images, n).predictions.filter((p) => p === c).length / n;
    const reconstruct = (data, n) =>
      tidy(() =>
        noGrad(() =>
          vae.decode(vae.encode(tensor(data, { shape: [n, 1, 28, 28] }))).toFloat32Array(),
        ),
      );
    row.reconstructionJudged = judgedRight(reconstruct(realTest.data, nTest), nTest);
    row.trainReconstructionJudged = judgedRight(
      reconstruct(someTrain.data, chosen.length),
      chosen.length,
    );

    // The same sampling from the aggregate posterior of the test images, which neither the
    // VAE nor the judge saw: whether generating from training images gains from the judge
    // having learned those very images.
    const fromTest = aekit.fitExamples(vae, realTest, { distribution: 'posterior' });
    row.posteriorOfTestImagesJudged = judgedRight(
      tidy(() => aekit.generateFrom(vae, fromTest, o.samples, o.seed + c).toFloat32Array()),
      o.samples,
    );
    aekit.disposeDistribution(fromTest);

    // The prior's accepted samples, for their precision and recall.
    const accepted = [];
    prior.predictions.forEach((p, i) => p === c && accepted.push(i));
    if (accepted.length > 10) {
      const feats = featureRows(prior.features, accepted);
      row.filtered = precisionRecall(real.features, nTest, feats, accepted.length);
    }
    for (const [label, options, temperature, reencode = 0] of SETTINGS) {
      const distribution = aekit.fitExamples(vae, examples, { ...options, seed: SAMPLE_SEED });
      const images = tidy(() => {
        let x = aekit.generateFrom(vae, distribution, o.samples, SAMPLE_SEED + c, temperature);
        for (let step = 0; step < reencode; step++) x = noGrad(() => vae.decode(vae.encode(x)));
        return x.toFloat32Array();
      });
      aekit.disposeDistribution(distribution);
      const judged = judge(net, images, o.samples);
      const hit = judged.predictions.filter((p) => p === c).length / o.samples;
      row[label] = {
        judgedAsRequested: hit,
        ...precisionRecall(real.features, nTest, judged.features, o.samples),
        ...copyCheck(images, o.samples, realNearest, examples),
      };
      if (temperature === 1) {
        const png = await aekit.imageGrid(images.subarray(0, 64 * 784), [64, 1, 28, 28], {
          columns: 16,
        });
        aekit.writeFileAtomic(join(dir, `${name}-${VAE_TAG}-${label}-class-${c}.png`), png);
      }
    }
    const judged = SETTINGS.map(([label]) => {
      const r = row[label];
      return `${label} ${r.judgedAsRequested.toFixed(3)} (P ${r.precision.toFixed(3)}, R ${r.recall.toFixed(3)}, copy ratio ${r.medianRatio.toFixed(3)}, near copies ${r.nearCopies.toFixed(3)})`;
    });
    log(
      `${name} ${row.class}: ${judged.join(', ')}; real test ${row.realTestJudged.toFixed(3)}, ` +
        `reconstructions ${row.reconstructionJudged.toFixed(3)} (training images ` +
        `${row.trainReconstructionJudged.toFixed(3)}), posterior of the test images ` +
        `${row.posteriorOfTestImagesJudged.toFixed(3)}, real train P ` +
        `${row.realTrain.precision.toFixed(3)} R ${row.realTrain.recall.toFixed(3)}; ` +
        `prior share ${row.priorShare.toFixed(3)}`,
    );
    rows.push(row);
  }
  const mean = (pick) => rows.reduce((s, r) => s + pick(r), 0) / rows.length;
  results[name] = {
    classifierEpochs,
    classifierTestAccuracy: testAccuracy,
    rows,
    mean: {
      ...Object.fromEntries(
        SETTINGS.map(([label]) => [
          label,
          {
            judgedAsRequested: mean((r) => r[label].judgedAsRequested),
            precision: mean((r) => r[label].precision),
            recall: mean((r) => r[label].recall),
            medianRatio: mean((r) => r[label].medianRatio),
            nearCopies: mean((r) => r[label].nearCopies),
          },
        ]),
      ),
      realTrain: {
        precision: mean((r) => r.realTrain.precision),
        recall: mean((r) => r.realTrain.recall),
      },
      reconstructionJudged: mean((r) => r.reconstructionJudged),
      trainReconstructionJudged: mean((r) => r.trainReconstructionJudged),
      posteriorOfTestImagesJudged: mean((r) => r.posteriorOfTestImagesJudged),
      priorSamplesPerAccepted: mean((r) => r.priorSamplesPerAccepted ?? Infinity),
    },
  };
  log(`${name}: ${JSON.stringify(results[name].mean)}`);
  saveResult(RESULT, { machine: machine(), options: o, vae: VAE, results });
  vae.dispose();
}
