// Denoising on the Fashion-MNIST test set: Gaussian noise of sigma 0.1, 0.3 and 0.5
// (clipped to [0, 1]) and 10% salt and pepper. For each, a convolutional denoising
// autoencoder is trained on the training images corrupted on the fly, and the PSNR and SSIM
// of its outputs are set beside a 3x3 median filter, a Gaussian blur and OpenCV's non-local
// means (each baseline's parameter chosen on validation images), all measured here with
// aekit's metrics on the same noisy images.
//
//   node bench/tasks/denoise.mjs [--train-limit 60000] [--test-limit 10000] [--epochs 12]
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

import {
  aekit,
  args,
  fashionSplit,
  log,
  machine,
  python,
  range,
  saveResult,
  scratch,
  trainLogged,
} from './lib.mjs';

const o = args({
  trainLimit: 60000,
  testLimit: 10000,
  epochs: 12,
  validation: 500,
  seed: 0,
  conditions: 'all',
});
const CONDITIONS = [
  { tag: 'gaussian-0.1', corruption: { kind: 'gaussian', sigma: 0.1, clip: [0, 1] } },
  { tag: 'gaussian-0.3', corruption: { kind: 'gaussian', sigma: 0.3, clip: [0, 1] } },
  { tag: 'gaussian-0.5', corruption: { kind: 'gaussian', sigma: 0.5, clip: [0, 1] } },
  { tag: 'salt-pepper-0.1', corruption: { kind: 'salt_pepper', amount: 0.1, low: 0, high: 1 } },
].filter((c) => o.conditions === 'all' || o.conditions.split(',').includes(c.tag));

// A convolutional autoencoder without a dense bottleneck: the code is the 64 x 7 x 7 feature map.
const CONFIG = {
  family: 'conv',
  inputShape: [1, 28, 28],
  channels: [32, 64],
  latentDim: 64 * 7 * 7,
  denseBottleneck: false,
  likelihood: 'gaussian',
  activation: 'relu',
};

// Validation images for the baselines' parameters come from the end of the training split.
const trainCount = Math.min(o.trainLimit, 60000 - o.validation);
const { train: all, test } = await fashionSplit(trainCount + o.validation, o.testLimit);
const validation = aekit.take(all, range(trainCount, trainCount + o.validation));
const train = aekit.take(all, range(0, trainCount));
log(
  `Fashion-MNIST: ${train.shape[0]} training, ${validation.shape[0]} validation, ${test.shape[0]} test images`,
);
const dir = scratch('denoise');
const shape = test.shape;
const measure = (clean, values) => ({
  psnr: aekit.psnr(clean, values, { shape }).mean,
  ssim: aekit.ssim(clean, values, { shape }).mean,
});
const readArray = (file) => {
  const bytes = readFileSync(file);
  return aekit.parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file).values;
};

const results = [];
for (const { tag, corruption } of CONDITIONS) {
  const noisy = aekit.corruptDataset(test, corruption, o.seed + 1);
  const noisyValidation = aekit.corruptDataset(validation, corruption, o.seed + 2);
  aekit.saveNpy(join(dir, `${tag}-noisy.npy`), noisy.data, shape);
  aekit.saveNpy(join(dir, `${tag}-val-noisy.npy`), noisyValidation.data, validation.shape);
  aekit.saveNpy(join(dir, `${tag}-val-clean.npy`), validation.data, validation.shape);

  log(`${tag}: baselines`);
  const baselines = python({
    task: 'denoise',
    tag,
    noisy: join(dir, `${tag}-noisy.npy`),
    validationNoisy: join(dir, `${tag}-val-noisy.npy`),
    validationClean: join(dir, `${tag}-val-clean.npy`),
    outDir: dir,
  });

  aekit.manualSeed(o.seed);
  const model = aekit.buildModel(CONFIG);
  const summary = trainLogged(tag, model, train, {
    epochs: o.epochs,
    batchSize: 128,
    learningRate: 1e-3,
    corruption,
    seed: o.seed,
    schedule: { kind: 'cosine' },
  });
  const started = Date.now();
  const denoised = aekit.denoise(model, noisy, { batchSize: 500 });
  const seconds = (Date.now() - started) / 1000;
  aekit.saveModel(join(dir, `${tag}.aekit`), model, {
    preprocessing: train.preprocessing,
    data: aekit.dataRecord(train),
    summary,
    extras: { cli: { data: 'fashion-mnist', reader: 'fashion-mnist' } },
  });

  const row = {
    condition: tag,
    noisy: measure(test.data, noisy.data),
    aekit: { ...measure(test.data, denoised), seconds, epochs: o.epochs },
    baselines: {},
  };
  for (const [method, info] of Object.entries(baselines)) {
    row.baselines[method] = {
      parameter: info.parameter,
      seconds: info.seconds,
      ...measure(test.data, readArray(info.file)),
    };
  }
  const best = Object.entries(row.baselines).sort((a, b) => b[1].psnr - a[1].psnr)[0];
  row.bestBaseline = best[0];
  row.marginDb = row.aekit.psnr - best[1].psnr;
  log(
    `${tag}: noisy ${row.noisy.psnr.toFixed(2)} dB; aekit ${row.aekit.psnr.toFixed(2)} dB / SSIM ` +
      `${row.aekit.ssim.toFixed(4)}; best baseline ${best[0]} ${best[1].psnr.toFixed(2)} dB; margin ${row.marginDb.toFixed(2)} dB`,
  );
  results.push(row);
  model.dispose();
  // A run of some conditions only writes a file of its own, so runs can be combined.
  const name = o.conditions === 'all' ? 'denoise' : `denoise-${o.conditions.replace(/,/g, '+')}`;
  saveResult(name, { machine: machine(), options: o, config: CONFIG, results });
}
