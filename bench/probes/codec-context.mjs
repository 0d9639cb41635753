// Probe: how many bits would a context model save over the factorised prior of a trained
// map-latent codec? Counts the rounded latents of the Fashion-MNIST training images, per
// latent element and, for the context models, per context of latents coded before it (its
// left and upper neighbours in the same channel, the same position in channels before). The
// last context models led to aekit's context tables (src/codec/context.ts). The counts give code lengths (ideal, -log2 p) of the test images' latents;
// beside them the model's own coding tables as they code the files (bytes).
//
//   node bench/probes/codec-context.mjs MODEL.aekit [--limit 60000]
//
// Ideal lengths only: no tables are quantised and nothing is entropy-coded by the context
// models, so they bound what such tables could reach (quantisation to 16-bit frequencies
// costs well under 1%).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const aekit = await import(join(ROOT, 'dist', 'src', 'index.js'));

const [file, ...rest] = process.argv.slice(2);
const limit = Number(rest[rest.indexOf('--limit') + 1] || 60000);
const loaded = aekit.loadModel(file);
const model = loaded.model;
model.eval();
const [channels, height, width] = [model.config.channels.at(-1), 7, 7];
const elements = channels * height * width;

/** Rounded latents of a data set: Int32Array [n, elements]. */
function latents(dataset) {
  const n = dataset.shape[0];
  const out = new Int32Array(n * elements);
  for (let start = 0; start < n; start += 500) {
    const size = Math.min(500, n - start);
    aekit.noGrad(() =>
      aekit.tidy(() => {
        const x = aekit.tensor(dataset.data.subarray(start * 784, (start + size) * 784), {
          shape: [size, 1, 28, 28],
        });
        const code = model.encode(x).toFloat32Array();
        for (let i = 0; i < code.length; i++) out[start * elements + i] = code[i];
      }),
    );
  }
  return out;
}

const { dataset: train } = await aekit.loadFashionMnist({ split: 'train', limit });
const { dataset: test } = await aekit.loadFashionMnist({ split: 'test' });
const trainCodes = latents(train);
const testCodes = latents(test);
const nTrain = train.shape[0];
const nTest = test.shape[0];

// Symbols: values clamped to [-R, R]; the clamped ends stand for escapes (rare).
const R = 40;
const SYMBOLS = 2 * R + 1;
const symbol = (v) => Math.max(-R, Math.min(R, v)) + R;

/** Context functions: element index and one sample's codes -> bucket. */
const at = (codes, base, c, h, w) =>
  c < 0 || h < 0 || w < 0 || w >= width ? 0 : Math.abs(codes[base + (c * height + h) * width + w]);
/** A neighbour's value clamped to [-2, 2], as 0 to 4 (2 outside the map). */
const signed = (codes, base, c, h, w) =>
  c < 0 || h < 0 || w < 0 || w >= width
    ? 2
    : Math.max(-2, Math.min(2, codes[base + (c * height + h) * width + w])) + 2;
/** Magnitudes of the left, upper and previous-channel neighbours, each capped at `cap`. */
const magnitudes = (cap) => (codes, base, c, h, w) =>
  (Math.min(at(codes, base, c, h, w - 1), cap) * (cap + 1) +
    Math.min(at(codes, base, c, h - 1, w), cap)) *
    (cap + 1) +
  Math.min(at(codes, base, c - 1, h, w), cap);
/** The same three neighbours' signed values, each clamped to [-2, 2]. */
const signedValues = (codes, base, c, h, w) =>
  signed(codes, base, c, h, w - 1) * 25 +
  signed(codes, base, c, h - 1, w) * 5 +
  signed(codes, base, c - 1, h, w);
/** Sum of the magnitudes of the causal neighbours and of `channels` channels before, capped. */
const neighbourSum = (channels, cap) => (codes, base, c, h, w) => {
  let sum =
    at(codes, base, c, h, w - 1) +
    at(codes, base, c, h - 1, w) +
    at(codes, base, c, h - 1, w - 1) +
    at(codes, base, c, h - 1, w + 1);
  for (let back = 1; back <= channels; back++) sum += at(codes, base, c - back, h, w);
  return Math.min(sum, cap);
};
/** How many channels before `c` are non-zero at (h, w). */
const activeBefore = (codes, base, c, h, w) => {
  let k = 0;
  for (let q = 0; q < c; q++) if (codes[base + (q * height + h) * width + w] !== 0) k++;
  return k;
};
/** Sum of the magnitudes of the channels before `c` at (h, w). */
const magnitudeBefore = (codes, base, c, h, w) => {
  let k = 0;
  for (let q = 0; q < c; q++) k += Math.abs(codes[base + (q * height + h) * width + w]);
  return k;
};
/** 0 to 4, 5-6, 7-9, 10-14, 15 or more: 9 buckets. */
const bucket9 = (k) => (k <= 4 ? k : k <= 6 ? 5 : k <= 9 ? 6 : k <= 14 ? 7 : 8);
/** The signs of the left, upper and previous-channel neighbours: 27 patterns. */
const signs = (codes, base, c, h, w) =>
  (Math.sign(at1(codes, base, c, h, w - 1)) + 1) * 9 +
  (Math.sign(at1(codes, base, c, h - 1, w)) + 1) * 3 +
  Math.sign(at1(codes, base, c - 1, h, w)) +
  1;
/** A neighbour's value, 0 outside the map. */
const at1 = (codes, base, c, h, w) =>
  c < 0 || h < 0 || w < 0 || w >= width ? 0 : codes[base + (c * height + h) * width + w];
const CONTEXTS = {
  none: { buckets: 1, of: () => 0 },
  'left+up (9)': {
    buckets: 9,
    of: (codes, base, c, h, w) =>
      Math.min(at(codes, base, c, h, w - 1), 2) * 3 + Math.min(at(codes, base, c, h - 1, w), 2),
  },
  'left+up+previous channel (27)': { buckets: 27, of: magnitudes(2) },
  'left+up+previous channel, magnitudes 0-3 (64)': { buckets: 64, of: magnitudes(3) },
  'left+up+previous channel, signed -2 to 2 (125)': { buckets: 125, of: signedValues },
  'the same, one table set per channel, not per element (125)': {
    buckets: 125,
    perChannel: true,
    of: signedValues,
  },
  'signs of left, up, previous channel and the channel before that (81)': {
    buckets: 81,
    of: (codes, base, c, h, w) =>
      signs(codes, base, c, h, w) * 3 + Math.sign(at1(codes, base, c - 2, h, w)) + 1,
  },
  'signs (27) x magnitude sum of the earlier channels at the position, 9 buckets (243)': {
    buckets: 243,
    of: (codes, base, c, h, w) =>
      signs(codes, base, c, h, w) * 9 + bucket9(magnitudeBefore(codes, base, c, h, w)),
  },
  'signs (27) x how many earlier channels are non-zero at the position, 9 buckets (243; aekit)': {
    buckets: 243,
    of: (codes, base, c, h, w) =>
      signs(codes, base, c, h, w) * 9 + bucket9(activeBefore(codes, base, c, h, w)),
  },
  'sum of 5 causal neighbours (8)': { buckets: 8, of: neighbourSum(1, 7) },
  'sum of 5 causal neighbours and the 2 channels before (12)': {
    buckets: 12,
    of: neighbourSum(2, 11),
  },
};

/** Calls visit(base, channel, row, column, element) for every latent of `count` samples. */
function forEachLatent(codes, count, visit) {
  for (let i = 0; i < count; i++) {
    const base = i * elements;
    for (let c = 0, e = 0; c < channels; c++) {
      for (let h = 0; h < height; h++) {
        for (let w = 0; w < width; w++, e++) visit(base, c, h, w, e);
      }
    }
  }
}

/** Ideal bits per test image under counts of `context`, backed off to the element's own. */
function idealBits(context, alpha = 4) {
  const { buckets, of, perChannel = false } = context;
  // Whose counts a latent's context selects: its element's, or (perChannel) its channel's.
  const owner = (e) => (perChannel ? Math.floor(e / (height * width)) : e);
  const counts = new Float64Array(elements * buckets * SYMBOLS);
  const marginal = new Float64Array(elements * SYMBOLS);
  forEachLatent(trainCodes, nTrain, (base, c, h, w, e) => {
    const s = symbol(trainCodes[base + e]);
    counts[(owner(e) * buckets + of(trainCodes, base, c, h, w)) * SYMBOLS + s]++;
    marginal[e * SYMBOLS + s]++;
  });
  let bits = 0;
  forEachLatent(testCodes, nTest, (base, c, h, w, e) => {
    const s = symbol(testCodes[base + e]);
    // The element's marginal, smoothed by a little uniform mass, is the back-off.
    const pElement = (marginal[e * SYMBOLS + s] + 0.01) / (nTrain + 0.01 * SYMBOLS);
    const row = (owner(e) * buckets + of(testCodes, base, c, h, w)) * SYMBOLS;
    let total = 0;
    for (let t = 0; t < SYMBOLS; t++) total += counts[row + t];
    const p = buckets === 1 ? pElement : (counts[row + s] + alpha * pElement) / (total + alpha);
    bits -= Math.log2(p);
  });
  return bits / nTest;
}

// The model's own tables: ideal lengths under their 16-bit frequencies (an escape costs its
// own frequency and the escape code's bits), and the records as the codec writes them
// (range-coder flush and each record's length field included, the header not).
const codec = aekit.createCodec(model, train.valueRange);
const { sizes } = codec.pack(testCodes, nTest);
const coded = sizes.perRecord.reduce((a, b) => a + b, 0) / nTest;
let ownBits = 0;
forEachLatent(testCodes, nTest, (base, c, h, w, e) => {
  const cdf = codec.tables.cdfs[e];
  const escape = cdf.length - 2;
  const s = testCodes[base + e] - codec.tables.offsets[e];
  const inside = s >= 0 && s < escape;
  const t = inside ? s : escape;
  ownBits -= Math.log2((cdf[t + 1] - cdf[t]) / 2 ** 16);
  if (!inside) ownBits += 2 + 2 * Math.log2(1 + (s < 0 ? -s : s - escape + 1));
});
console.log(`model ${file}: ${elements} latents; ${nTrain} training and ${nTest} test images`);
console.log(
  `own tables (the learned prior): ${(ownBits / 8 / nTest).toFixed(2)} bytes per test ` +
    `image (ideal), ${coded.toFixed(2)} as coded with the length fields`,
);
const results = {};
for (const [name, context] of Object.entries(CONTEXTS)) {
  const bits = idealBits(context);
  results[name] = bits / 8;
  console.log(`${name}: ${(bits / 8).toFixed(2)} bytes per test image (ideal)`);
}
const none = results.none;
for (const [name, bytes] of Object.entries(results)) {
  console.log(
    `${name}: ${(((none - bytes) / none) * 100).toFixed(1)}% below the per-element counts`,
  );
}
