// The learned-compression benchmark (run by hand, never in CI; see bench/README.md):
//
//   node bench/codec.mjs train   trains a lambda ladder of Fashion-MNIST codecs: a base
//                                model, then rungs fine-tuned from it (options: --arch,
//                                --base, --base-epochs, --lambdas, --tune-epochs, --from,
//                                --chain true, --tag); eval takes every rung of every ladder
//   node bench/codec.mjs refit   gives models saved with their prior's coding tables the fitted
//                                context tables that training now stores (weights unchanged)
//   node bench/codec.mjs generic JPEG, WebP and AVIF at every quality (cached for eval)
//   node bench/codec.mjs eval    rate-distortion curves beside JPEG, WebP and AVIF, speed,
//                                the same codecs on MNIST digits, PNG plots, a JSON result
//
// Models, logs and results go to bench/results/codec/ (ignored by git). Every step takes
// `--out DIR` to use another folder. The training stage is resumable: a killed run picks up
// from each model's last checkpoint.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import sharp from 'sharp';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const aekit = await import(join(ROOT, 'dist', 'src', 'index.js'));
// What `aekit train --task compress` stores: tables fitted to the training images' latents,
// and how the codec did on the first 2,000 of them.
const { codecExtras } = await import(join(ROOT, 'dist', 'src', 'cli', 'train-compress.js'));

// ---- options -------------------------------------------------------------------------

const [stage, ...rest] = process.argv.slice(2);
const args = {};
for (let i = 0; i < rest.length; i += 2) {
  if (!rest[i]?.startsWith('--')) throw new Error(`unexpected argument ${rest[i]}`);
  args[rest[i].slice(2)] = rest[i + 1];
}
const OUT = args.out ?? join(ROOT, 'bench', 'results', 'codec');
mkdirSync(OUT, { recursive: true });
const numbers = (text) => text.split(',').map(Number);

/**
 * The architectures a ladder can use (`--arch`). `map`, the default: a 32 x 7 x 7 latent
 * map, whose files keep the plain name `fashion-lambda<L>.aekit`. `dense32`: the same two
 * stages of 64 channels, then a dense bottleneck of 32 latents, which costs a few bytes per
 * image and holds the low end of the ladder; its files are `fashion-dense32-lambda<L>.aekit`.
 */
const ARCHS = {
  map: {
    family: 'compressive',
    inputShape: [1, 28, 28],
    channels: [64, 32],
    kernelSize: 5,
    denseBottleneck: false,
    latentDim: 32 * 7 * 7,
  },
  dense32: {
    family: 'compressive',
    inputShape: [1, 28, 28],
    channels: [64, 64],
    kernelSize: 5,
    denseBottleneck: true,
    latentDim: 32,
  },
};
const ARCH = args.arch ?? 'map';
if (!ARCHS[ARCH]) throw new Error(`--arch: expected one of ${Object.keys(ARCHS)}, got ${ARCH}`);
const CONFIG = ARCHS[ARCH];
const MODEL_FILE = /^fashion-(?:([a-z0-9]+)-)?lambda([\d.]+)\.aekit$/;

const log = (line) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
// What names the files: --tag, else the architecture unless it is `map`. Another tag lets
// a second ladder of one architecture (other epochs, another base) sit beside the first.
const TAG = args.tag ?? (ARCH === 'map' ? '' : ARCH);
if (!/^[a-z0-9]*$/.test(TAG)) throw new Error(`--tag: expected [a-z0-9]*, got ${TAG}`);
const modelPath = (lambda) => join(OUT, `fashion-${TAG ? `${TAG}-` : ''}lambda${lambda}.aekit`);

// ---- train: a base model, then each lambda fine-tuned from it ------------------------

/**
 * Trains the base model (or, with `--from FILE`, starts from that trained model instead),
 * then fine-tunes each of `--lambdas` from the base; with `--chain`, each rung from the one
 * before it, in the order given, which suits a long walk away from the base's lambda.
 */
async function trainLadder() {
  const base = Number(args.base ?? 250);
  const lambdas = numbers(args.lambdas ?? '30,60,120,250,500,1000,2000');
  const baseEpochs = Number(args['base-epochs'] ?? 12);
  const tuneEpochs = Number(args['tune-epochs'] ?? 3);
  const chain = args.chain === 'true';
  const { dataset } = await aekit.loadFashionMnist({
    split: 'train',
    ...(args.limit ? { limit: Number(args.limit) } : {}),
  });
  log(`training on ${dataset.shape[0]} Fashion-MNIST images; base lambda ${base}`);

  const baseModel = args.from
    ? aekit.loadModel(args.from).model
    : await trainOne(dataset, base, baseEpochs, 2e-3, null);
  let previous = baseModel;
  for (const lambda of lambdas) {
    if (lambda === base && !args.from) continue;
    const model = await trainOne(dataset, lambda, tuneEpochs, 1e-3, previous);
    if (chain) {
      if (previous !== baseModel) previous.dispose();
      previous = model;
    } else model.dispose();
  }
  if (previous !== baseModel) previous.dispose();
  baseModel.dispose();
}

/** Trains (or fine-tunes from `start`) one rung and writes its model file with the codec. */
async function trainOne(dataset, lambda, epochs, learningRate, start) {
  const path = modelPath(lambda);
  if (existsSync(path)) {
    log(`${path} exists: kept`);
    return aekit.loadModel(path).model;
  }
  aekit.manualSeed(lambda);
  const model = aekit.buildModel({ ...CONFIG, lambda });
  if (start) {
    const weights = start.stateDict();
    model.loadStateDict(weights);
    for (const t of Object.values(weights)) t.dispose();
  }
  const started = Date.now();
  const summary = aekit.train(model, dataset, {
    epochs,
    batchSize: 64,
    learningRate,
    schedule: { kind: 'cosine' },
    seed: lambda,
    checkpoint: `${path}.ckpt`,
    resume: true,
    onEvent: (event) => {
      if (event.type !== 'epoch') return;
      const { epoch, train, samplesPerSecond } = event.record;
      const psnr = 10 * Math.log10(784 / train.terms.distortion);
      log(
        `${TAG || ARCH} lambda ${lambda} epoch ${epoch + 1}/${epochs}: ${(train.terms.rate / 8).toFixed(1)} ` +
          `bytes, ${psnr.toFixed(2)} dB (noisy training rate), ${samplesPerSecond.toFixed(0)}/s`,
      );
    },
  });
  const { codec: record } = await codecExtras(model, dataset);
  aekit.saveModel(path, model, {
    preprocessing: dataset.preprocessing,
    data: aekit.dataRecord(dataset),
    summary,
    extras: { cli: { data: 'fashion-mnist', reader: 'fashion-mnist' }, codec: record },
  });
  log(
    `wrote ${path} after ${((Date.now() - started) / 60000).toFixed(1)} min: ` +
      `${record.training.bytes.mean.toFixed(1)} bytes per image on training images`,
  );
  return model;
}

// ---- refit: context tables for models saved with the prior's tables --------------------

/**
 * Gives every model in the folder that still codes with its prior's tables (a version-1
 * codec record) the tables `aekit train --task compress` now fits: element tables refitted
 * to the training images' latents and context tables on top. The weights stay as they are.
 */
async function refitAll() {
  const { dataset } = await aekit.loadFashionMnist({ split: 'train' });
  const { readdirSync } = await import('node:fs');
  const files = readdirSync(OUT).filter((name) => MODEL_FILE.test(name));
  for (const name of files.sort()) {
    const path = join(OUT, name);
    const loaded = aekit.loadModel(path);
    if (loaded.extras.codec?.version !== 1) {
      log(`${name}: codec record version ${loaded.extras.codec?.version}: kept`);
      loaded.model.dispose();
      continue;
    }
    const started = Date.now();
    const { codec: record } = await codecExtras(loaded.model, dataset);
    const before = loaded.extras.codec.training.bytes.mean;
    aekit.saveModel(path, loaded.model, {
      preprocessing: loaded.preprocessing,
      data: loaded.data,
      summary: loaded.summary,
      extras: { ...loaded.extras, codec: record },
    });
    log(
      `${name}: ${before.toFixed(2)} -> ${record.training.bytes.mean.toFixed(2)} bytes per ` +
        `training image, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    loaded.model.dispose();
  }
}

// ---- eval: aekit's ladder beside JPEG, WebP and AVIF -----------------------------------

/** Per-image byte budgets of the comparison. */
const BUDGETS = [16, 24, 32, 48, 64, 96, 128];
const RAW = { width: 28, height: 28, channels: 1 };
const range = (from, to, step = 1) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

/**
 * The generic codecs through sharp, each at its strongest setting that stays practical:
 * mozjpeg (trellis quantisation, optimised Huffman tables) writing one grey channel, WebP at
 * effort 6, AVIF at effort 4 with 4:2:0 chroma (effort 9 is 5x slower for a few bytes).
 */
const GENERIC = {
  jpeg: {
    label: 'JPEG (mozjpeg)',
    qualities: range(1, 100),
    encode: (pixels, q) =>
      sharp(pixels, { raw: RAW }).toColourspace('b-w').jpeg({ quality: q, mozjpeg: true }),
    payload: jpegPayload,
  },
  webp: {
    label: 'WebP',
    qualities: range(1, 100),
    encode: (pixels, q) => sharp(pixels, { raw: RAW }).webp({ quality: q, effort: 6 }),
    payload: webpPayload,
  },
  avif: {
    label: 'AVIF',
    qualities: range(1, 100, 3),
    encode: (pixels, q) =>
      sharp(pixels, { raw: RAW }).avif({ quality: q, effort: 4, chromaSubsampling: '4:2:0' }),
    payload: avifPayload,
  },
};

/**
 * Bytes of a JPEG file that are not shared header: the entropy-coded data of every scan.
 * Markers, quantisation and Huffman tables (per image with mozjpeg's optimised coding, so
 * this is generous to JPEG), frame and scan headers count as shared.
 */
function jpegPayload(bytes) {
  let payload = 0;
  let i = 2;
  while (i + 4 <= bytes.length) {
    const marker = bytes[i + 1];
    if (marker === 0xd9) break;
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    i += 2 + length;
    if (marker !== 0xda) continue;
    let j = i;
    while (j + 1 < bytes.length) {
      if (
        bytes[j] === 0xff &&
        bytes[j + 1] !== 0 &&
        !(bytes[j + 1] >= 0xd0 && bytes[j + 1] <= 0xd7)
      )
        break;
      j++;
    }
    payload += j - i;
    i = j;
  }
  return payload;
}

/** Bytes of a WebP file that are not shared header: the VP8 frame after its start code and size. */
function webpPayload(bytes) {
  let payload = 0;
  for (let i = 12; i + 8 <= bytes.length;) {
    const type = String.fromCharCode(...bytes.subarray(i, i + 4));
    const size = bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
    if (type === 'VP8 ')
      payload += size - 7; // the start code and the dimensions are shared
    else if (type === 'VP8L') payload += size - 5;
    else if (type === 'ALPH') payload += size;
    i += 8 + size + (size % 2);
  }
  return payload;
}

/**
 * Bytes of an AVIF file that are not shared header: the AV1 OBUs in `mdat` other than the
 * sequence header and temporal delimiters. Every other box (ftyp, meta with its item, codec
 * and colour properties) counts as shared.
 */
function avifPayload(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 8 <= bytes.length;) {
    const size = view.getUint32(i);
    const type = String.fromCharCode(...bytes.subarray(i + 4, i + 8));
    if (type === 'mdat') {
      let payload = 0;
      for (let j = i + 8; j < i + size;) {
        const header = bytes[j];
        const obuType = (header >> 3) & 0xf;
        let at = j + 1 + ((header >> 2) & 1);
        let obuSize = i + size - at;
        if ((header >> 1) & 1) {
          obuSize = 0;
          for (let k = 0; k < 8; k++) {
            const b = bytes[at++];
            obuSize += (b & 0x7f) * 2 ** (7 * k);
            if (!(b & 0x80)) break;
          }
        }
        const total = at + obuSize - j;
        if (obuType !== 1 && obuType !== 2) payload += total;
        j += total;
      }
      return payload;
    }
    i += size;
  }
  throw new Error('avif: no mdat box');
}

/** PSNR of one image in [0, 1] units, capped at 99 dB for identical images. */
function psnrOf(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.min(99, 10 * Math.log10(1 / Math.max(sum / a.length, 1e-12)));
}

function ssimOf(a, b) {
  return aekit.ssim(a, b, { shape: [1, 1, 28, 28] }).mean;
}

/** Decoded 8-bit pixels as floats in [0, 1], as a PNG of the result would hold them. */
const toUnit = (u8) => Float32Array.from(u8, (v) => v / 255);
const to8bit = (values) =>
  Float32Array.from(values, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255);

/** Every quality of every generic codec on `count` images: sizes, PSNR, SSIM (cached). */
async function genericResults(name, images, count) {
  const cache = join(OUT, `generic-${name}-${count}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8'));
  const results = {};
  for (const [kind, codec] of Object.entries(GENERIC)) {
    const started = performance.now();
    const perImage = [];
    let encodes = 0;
    for (let i = 0; i < count; i++) {
      const original = images.subarray(i * 784, (i + 1) * 784);
      const pixels = Buffer.from(Array.from(original, (v) => Math.round(v * 255)));
      const reference = toUnit(pixels);
      const settings = await Promise.all(
        codec.qualities.map(async (q) => {
          const file = await codec.encode(pixels, q).toBuffer();
          const decoded = await sharp(file).greyscale().raw().toBuffer();
          const values = toUnit(decoded);
          return [
            q,
            file.length,
            codec.payload(file),
            psnrOf(reference, values),
            ssimOf(reference, values),
          ];
        }),
      );
      encodes += settings.length;
      perImage.push(settings);
    }
    const seconds = (performance.now() - started) / 1000;
    log(
      `${name}: ${codec.label} on ${count} images, ${codec.qualities.length} qualities: ${seconds.toFixed(0)} s`,
    );
    results[kind] = { label: codec.label, perImage, encodesPerSecond: encodes / seconds };
  }
  writeFileSync(cache, JSON.stringify(results));
  return results;
}

/** One aekit rung on a set of images: per-image sizes, quality, and speed. */
function aekitResults(path, images, count) {
  const loaded = aekit.loadModel(path);
  const { codec } = aekit.codecFromModel(loaded);
  const shape = [count, 1, 28, 28];

  let started = performance.now();
  const symbols = codec.latents(images, count);
  const records = codec.encodeRecords(symbols, count);
  const file = aekit.writeContainer({
    fingerprint: codec.fingerprint,
    shape: [1, 28, 28],
    records,
  });
  const encodeSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const unpacked = codec.unpack(file, path);
  const decoded = codec.synthesize(unpacked.symbols, count);
  const decodeSeconds = (performance.now() - started) / 1000;
  if (!unpacked.symbols.every((v, i) => v === symbols[i])) throw new Error(`${path}: round trip`);

  const sizes = aekit.containerSizes(
    [1, 28, 28],
    records.map((r) => r.length),
  );
  // The same integers coded with the prior's own tables, one per element, no contexts.
  const prior = new aekit.ImageCodec(loaded.model, aekit.buildCodingTables(loaded.model));
  const priorRecords = aekit.containerSizes(
    [1, 28, 28],
    prior.encodeRecords(symbols, count).map((r) => r.length),
  ).perRecord;
  const pixels = to8bit(decoded);
  const reference = to8bit(images.subarray(0, count * 784));
  const ssim = aekit.ssim(reference, pixels, { shape }).perImage;
  const perImage = sizes.perRecord.map((bytes, i) => {
    const a = reference.subarray(i * 784, (i + 1) * 784);
    const b = pixels.subarray(i * 784, (i + 1) * 784);
    return [bytes, psnrOf(a, b), ssim[i]];
  });
  const arch = MODEL_FILE.exec(basename(path))[1] ?? 'map';
  const result = {
    lambda: loaded.config.lambda,
    arch,
    // How tables and plots name the rung: its lambda, after its architecture unless `map`.
    rung: arch === 'map' ? String(loaded.config.lambda) : `${arch} ${loaded.config.lambda}`,
    fileBytes: file.length,
    headerBytes: sizes.header,
    priorBytes: mean(priorRecords),
    contextTables: codec.tables.context ? codec.tables.context.offsets.length : 0,
    perImage,
    encodePerSecond: count / encodeSeconds,
    decodePerSecond: count / decodeSeconds,
    training: loaded.extras.codec.training,
  };
  loaded.model.dispose();
  return result;
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const r0 = (items, key) => mean(items.map((item) => item[key]));

/**
 * The best each codec does per image within `budget` bytes (`mode` 'whole': the whole file;
 * 'shared': without the bytes every file shares): mean PSNR and SSIM over the images, an
 * image that no setting fits counting as the training set's mean image (zero bytes).
 */
function underBudget(perImage, sizeOf, budget, fallback) {
  let fits = 0;
  const psnr = [];
  const ssim = [];
  perImage.forEach((settings, i) => {
    let best = null;
    for (const s of settings) {
      if (sizeOf(s) <= budget && (!best || s.psnr > best.psnr)) best = s;
    }
    if (best) fits++;
    psnr.push(best ? best.psnr : fallback[i].psnr);
    ssim.push(best ? best.ssim : fallback[i].ssim);
  });
  return { psnr: mean(psnr), ssim: mean(ssim), fits: fits / perImage.length };
}

async function evaluate() {
  const limit = Number(args.limit ?? 10000);
  const genericCount = Number(args.generic ?? 1000);
  const mnistGenericCount = Number(args['generic-mnist'] ?? 500);
  const paths = (await import('node:fs'))
    .readdirSync(OUT)
    .filter((f) => MODEL_FILE.test(f))
    .map((f) => join(OUT, f))
    .sort((a, b) => archOf(a).localeCompare(archOf(b)) || lambdaOf(a) - lambdaOf(b));
  if (paths.length === 0) throw new Error(`no models in ${OUT}: run node bench/codec.mjs train`);

  const { dataset: train } = await aekit.loadFashionMnist({ split: 'train' });
  const meanImage = new Float32Array(784);
  for (let i = 0; i < train.shape[0]; i++) {
    for (let j = 0; j < 784; j++) meanImage[j] += train.data[i * 784 + j] / train.shape[0];
  }
  const sets = {
    fashion: (await aekit.loadFashionMnist({ split: 'test', limit })).dataset,
    mnist: (await aekit.loadMnist({ limit })).dataset,
  };
  const report = { machine: machine(), budgets: BUDGETS, sets: {} };
  for (const [name, dataset] of Object.entries(sets)) {
    const count = dataset.shape[0];
    const gCount = Math.min(count, name === 'fashion' ? genericCount : mnistGenericCount);
    log(`${name}: ${count} images, generic codecs on the first ${gCount}`);
    const rungs = paths.map((path) => {
      const r = aekitResults(path, dataset.data, count);
      log(
        `${name}: ${r.rung}: ${(r.fileBytes / count).toFixed(2)} bytes per image, ${mean(r.perImage.map((p) => p[1])).toFixed(2)} dB`,
      );
      return r;
    });
    const generic = await genericResults(name, dataset.data, gCount);
    const fallback = Array.from({ length: gCount }, (_, i) => {
      const a = to8bit(dataset.data.subarray(i * 784, (i + 1) * 784));
      const b = to8bit(meanImage);
      return { psnr: psnrOf(a, b), ssim: ssimOf(a, b) };
    });

    // Settings as { whole, shared, psnr, ssim } per image, for every contender.
    const contenders = {};
    for (const [kind, g] of Object.entries(generic)) {
      contenders[kind] = {
        label: g.label,
        perImage: g.perImage.map((settings) =>
          settings.map(([q, whole, payload, psnr, ssim]) => ({
            q,
            whole,
            shared: payload,
            psnr,
            ssim,
          })),
        ),
      };
    }
    // aekit: one .aez of the whole set; its header is spread over the set's images.
    contenders.aekit = {
      label: 'aekit',
      perImage: Array.from({ length: gCount }, (_, i) =>
        rungs.map((r) => ({
          q: r.rung,
          whole: r.perImage[i][0] + r.headerBytes / count,
          shared: r.perImage[i][0],
          psnr: r.perImage[i][1],
          ssim: r.perImage[i][2],
        })),
      ),
    };
    // The same, with the rung's index in each record: a decoder must know which model
    // decodes an image, which costs log2(rungs) bits per image.
    const indexBytes = Math.log2(rungs.length) / 8;
    contenders.aekitIndexed = {
      label: 'aekit, rung index counted',
      perImage: contenders.aekit.perImage.map((settings) =>
        settings.map((p) => ({
          ...p,
          whole: p.whole + indexBytes,
          shared: p.shared + indexBytes,
        })),
      ),
    };

    const budgets = {};
    for (const mode of ['whole', 'shared']) {
      budgets[mode] = {};
      for (const [kind, c] of Object.entries(contenders)) {
        budgets[mode][kind] = BUDGETS.map((b) =>
          underBudget(c.perImage, (s) => s[mode], b, fallback),
        );
      }
      // One .aez with one model for every image: the best rung whose mean fits the budget.
      budgets[mode].aekitOneRung = BUDGETS.map((b) => {
        let best = null;
        rungs.forEach((r, k) => {
          const bytes = contenders.aekit.perImage.map((s) => s[k][mode]);
          if (mean(bytes) > b) return;
          const psnr = mean(contenders.aekit.perImage.map((s) => s[k].psnr));
          if (!best || psnr > best.psnr) {
            best = {
              psnr,
              ssim: mean(contenders.aekit.perImage.map((s) => s[k].ssim)),
              fits: 1,
              lambda: r.rung,
            };
          }
        });
        return (
          best ?? { psnr: r0(fallback, 'psnr'), ssim: r0(fallback, 'ssim'), fits: 0, lambda: null }
        );
      });
    }
    // Rate-distortion curves at fixed settings: means over the images.
    const curves = {};
    for (const [kind, c] of Object.entries(contenders)) {
      if (kind === 'aekit' || kind === 'aekitIndexed') continue;
      curves[kind] = c.perImage[0].map((_, k) => ({
        q: c.perImage[0][k].q,
        whole: mean(c.perImage.map((s) => s[k].whole)),
        shared: mean(c.perImage.map((s) => s[k].shared)),
        psnr: mean(c.perImage.map((s) => s[k].psnr)),
        ssim: mean(c.perImage.map((s) => s[k].ssim)),
      }));
    }
    curves.aekit = rungs.map((r) => ({
      q: r.rung,
      arch: r.arch,
      whole: r.fileBytes / count,
      shared: (r.fileBytes - r.headerBytes) / count,
      psnr: mean(r.perImage.map((p) => p[1])),
      ssim: mean(r.perImage.map((p) => p[2])),
      encodePerSecond: r.encodePerSecond,
      decodePerSecond: r.decodePerSecond,
      singleFileBytes: r.headerBytes + mean(r.perImage.map((p) => p[0])),
      priorShared: r.priorBytes,
      contextTables: r.contextTables,
    }));
    report.sets[name] = {
      count,
      genericCount: gCount,
      fallback: {
        psnr: mean(fallback.map((f) => f.psnr)),
        ssim: mean(fallback.map((f) => f.ssim)),
      },
      budgets,
      curves,
      genericSpeed: Object.fromEntries(
        Object.entries(generic).map(([k, g]) => [k, g.encodesPerSecond]),
      ),
      training: rungs.map((r) => ({ rung: r.rung, lambda: r.lambda, ...r.training })),
    };
  }
  writeFileSync(join(OUT, 'codec-results.json'), JSON.stringify(report, null, 1));
  await plots(report);
  const markdown = summary(report);
  writeFileSync(join(OUT, 'codec.md'), markdown);
  console.log(markdown);
}

/** Only the generic codecs' results (cached for `eval`), which need no trained model. */
async function genericOnly() {
  const fashion = (
    await aekit.loadFashionMnist({ split: 'test', limit: Number(args.generic ?? 1000) })
  ).dataset;
  await genericResults('fashion', fashion.data, fashion.shape[0]);
  const mnist = (await aekit.loadMnist({ limit: Number(args['generic-mnist'] ?? 500) })).dataset;
  await genericResults('mnist', mnist.data, mnist.shape[0]);
}

function lambdaOf(path) {
  return Number(MODEL_FILE.exec(basename(path))[2]);
}

function archOf(path) {
  return MODEL_FILE.exec(basename(path))[1] ?? 'map';
}

function machine() {
  return {
    cores: os.cpus().length,
    // Other work on the machine slows every figure here: the load says how much there was.
    loadAverage: os.loadavg(),
    node: process.version,
    threads: aekit.getNumThreads(),
    date: new Date().toISOString(),
  };
}

async function plots(report) {
  const write = async (name, series, options) => {
    const svg = await aekit.lineChart(series, { width: 560, height: 340, ...options });
    writeFileSync(join(OUT, name), await aekit.svgToPng(svg, { scale: 2 }));
  };
  const names = {
    aekit: 'aekit (rung per image)',
    aekitIndexed: 'aekit (+ rung index)',
    aekitOneRung: 'aekit (one rung)',
    jpeg: 'JPEG (mozjpeg)',
    webp: 'WebP',
    avif: 'AVIF',
  };
  for (const [set, r] of Object.entries(report.sets)) {
    for (const mode of ['whole', 'shared']) {
      const how = mode === 'whole' ? 'whole files' : 'headers shared';
      await write(
        `codec-${set}-budget-${mode}.png`,
        Object.entries(r.budgets[mode]).map(([kind, points]) => ({
          name: names[kind],
          x: report.budgets,
          y: points.map((p) => p.psnr),
        })),
        {
          title: `${set}: mean PSNR within a per-image budget (${how})`,
          xLabel: 'bytes per image (budget)',
          yLabel: 'PSNR (dB)',
        },
      );
    }
    const rd = [];
    // One line per generic codec and per aekit architecture (its rungs in lambda order).
    const lines = Object.entries(r.curves).flatMap(([kind, points]) =>
      kind === 'aekit'
        ? [...new Set(points.map((p) => p.arch))].map((arch) => [
            arch === 'map' ? 'aekit' : `aekit ${arch}`,
            points.filter((p) => p.arch === arch),
          ])
        : [[names[kind], points]],
    );
    for (const [label, points] of lines) {
      for (const mode of ['whole', 'shared']) {
        const shown = points.filter((p) => p[mode] <= 320);
        if (shown.length === 0) continue;
        rd.push({
          name: `${label} (${mode === 'whole' ? 'file' : 'payload'})`,
          x: shown.map((p) => p[mode]),
          y: shown.map((p) => p.psnr),
        });
      }
    }
    if (set !== 'fashion' && report.sets.fashion) {
      // The same codecs on the data they were trained on, for how much worse this is.
      const own = report.sets.fashion.curves.aekit.filter(
        (p) => p.arch === 'map' && p.whole <= 320,
      );
      if (own.length > 0) {
        rd.push({
          name: 'aekit on Fashion-MNIST (file)',
          x: own.map((p) => p.whole),
          y: own.map((p) => p.psnr),
        });
      }
    }
    await write(`codec-${set}-rd.png`, rd, {
      title: `${set}: PSNR against mean bytes per image at fixed settings`,
      xLabel: 'bytes per image',
      yLabel: 'PSNR (dB)',
    });
  }
}

function summary(report) {
  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines = [];
  for (const [set, r] of Object.entries(report.sets)) {
    lines.push(
      `### ${set === 'fashion' ? 'Fashion-MNIST test set' : 'MNIST digits, Fashion-MNIST codec'}`,
      '',
    );
    lines.push(`aekit ladder on all ${r.count} images (one .aez per rung):`, '');
    lines.push(
      "| rung (lambda) | bytes/image (file) | without header | with the prior's tables | bpp | PSNR dB | SSIM | single-image file | encode/s | decode/s |",
    );
    lines.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const p of r.curves.aekit) {
      lines.push(
        `| ${p.q} | ${f(p.whole)} | ${f(p.shared)} | ${f(p.priorShared)} | ${f((p.whole * 8) / 784, 3)} | ${f(p.psnr)} | ${f(p.ssim, 4)} | ${f(p.singleFileBytes, 1)} | ${f(p.encodePerSecond, 0)} | ${f(p.decodePerSecond, 0)} |`,
      );
    }
    lines.push('');
    for (const mode of ['whole', 'shared']) {
      lines.push(
        `Mean PSNR dB / SSIM / share of images that fit, best setting per image within the budget, ${mode === 'whole' ? 'whole files' : 'headers counted as shared'} (first ${r.genericCount} images; an image nothing fits counts as the training mean image, ${f(r.fallback.psnr)} dB):`,
        '',
      );
      lines.push(`| codec | ${report.budgets.map((b) => `${b} B`).join(' | ')} |`);
      lines.push(`|---|${report.budgets.map(() => '---').join('|')}|`);
      const labels = {
        aekit: 'aekit, best rung per image',
        aekitIndexed: `aekit, best rung per image, its index counted (log2 of ${r.curves.aekit.length} rungs, bits)`,
        aekitOneRung: 'aekit, one rung for all (mean within budget)',
      };
      for (const [kind, points] of Object.entries(r.budgets[mode])) {
        const label = labels[kind] ?? GENERIC[kind].label;
        const cell = (p) =>
          kind === 'aekitOneRung'
            ? `${f(p.psnr)} / ${f(p.ssim, 3)} / ${p.lambda === null ? 'none' : `rung ${p.lambda}`}`
            : `${f(p.psnr)} / ${f(p.ssim, 3)} / ${f(p.fits * 100, 0)}%`;
        lines.push(`| ${label} | ${points.map(cell).join(' | ')} |`);
      }
      const best = report.budgets.map((_, k) =>
        Math.max(
          ...Object.entries(r.budgets[mode])
            .filter(([kind]) => kind in GENERIC)
            .map(([, p]) => p[k].psnr),
        ),
      );
      const margin = (kind) =>
        best
          .map((b, k) => r.budgets[mode][kind][k].psnr - b)
          .map((m) => `${m >= 0 ? '+' : ''}${f(m)} dB`)
          .join(' | ');
      lines.push(
        `| aekit minus best generic | ${margin('aekit')} |`,
        `| the same, rung index counted | ${margin('aekitIndexed')} |`,
        '',
      );
    }
  }
  return lines.join('\n');
}

// ---- main ------------------------------------------------------------------------------

if (stage === 'train') await trainLadder();
else if (stage === 'eval') await evaluate();
else if (stage === 'generic') await genericOnly();
else if (stage === 'refit') await refitAll();
else {
  console.error('usage: node bench/codec.mjs train|refit|generic|eval [--out DIR] [options]');
  process.exit(2);
}
