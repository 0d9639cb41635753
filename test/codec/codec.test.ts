// The image codec on a tiny trained model: tables from the prior, coded sizes that match the
// prior's rate, every image of a set round-tripping to exactly the same codes, escapes,
// fingerprints, the model-file record and the warning for data unlike the training data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ImageCodec,
  LATENT_LIMIT,
  PRECISION_TOTAL,
  buildCodingTables,
  codecFromModel,
  codecRecord,
  compareWithTraining,
  decodeLatents,
  encodeLatents,
  measureCodec,
  tablesFromJson,
  tablesToJson,
} from '../../src/codec/index.js';
import { AekitError, liveTensors, noGrad, tensor, tidy } from '../../src/engine/index.js';
import { Xoshiro128, loadFashionMnist } from '../../src/data/index.js';
import { buildModel } from '../../src/models/index.js';
import { digits, saveAndLoad, tinyModel } from './helpers.js';

const { images, count } = await digits(300);
const model = tinyModel(images, count);
const tables = buildCodingTables(model);
const codec = new ImageCodec(model, tables, { valueRange: [0, 1] });

test('tables: one valid 16-bit table per latent, stable, through JSON unchanged', () => {
  assert.equal(tables.cdfs.length, 24);
  for (const cdf of tables.cdfs) {
    assert.equal(cdf[0], 0);
    assert.equal(cdf[cdf.length - 1], PRECISION_TOTAL);
    for (let s = 0; s + 1 < cdf.length; s++) assert.ok(cdf[s + 1] > cdf[s]);
  }
  assert.deepEqual(buildCodingTables(model), tables);
  const json = JSON.parse(JSON.stringify(tablesToJson(tables)));
  assert.deepEqual(tablesFromJson(json, 24, 'm.aekit: extras.codec.tables'), tables);
  const where = 'm.aekit: extras.codec.tables';
  const broken = (change: Record<string, unknown>) =>
    tablesFromJson({ ...json, ...change }, 24, where);
  assert.throws(
    () => tablesFromJson(null, 24, where),
    /^AekitError: m.aekit: extras.codec.tables: expected/,
  );
  assert.throws(() => broken({ precision: 12 }), /precision: expected 16 bits, got 12/);
  assert.throws(() => broken({ offsets: [1] }), /offsets: expected 24 integers/);
  assert.throws(() => broken({ sizes: json.sizes.map(() => 0) }), /sizes: expected 24 table sizes/);
  assert.throws(() => broken({ frequencies: 'AAAA' }), /frequencies: expected \d+ bytes, got 3/);
  const wrongSum = Buffer.from(json.frequencies, 'base64');
  wrongSum[0] ^= 1;
  assert.throws(
    () => broken({ frequencies: wrongSum.toString('base64') }),
    /frequencies: table 0 sums to \d+, expected 65536/,
  );
});

test('coded sizes match the rate the prior predicts', () => {
  const measured = measureCodec(codec, images, count);
  const rate = noGrad(() =>
    tidy(() => model.rate(model.encode(tensor(images, { shape: [count, 1, 28, 28] }))).toNumbers()),
  );
  const meanRateBytes = rate.reduce((a, b) => a + b, 0) / count / 8;
  // Each record adds its length field and up to about a byte of range-coder ending.
  const meanBytes = measured.bytes.reduce((a, b) => a + b, 0) / count;
  assert.ok(
    meanBytes >= meanRateBytes && meanBytes <= meanRateBytes * 1.02 + 2.5,
    `coded ${meanBytes.toFixed(2)} bytes, prior ${meanRateBytes.toFixed(2)} bytes`,
  );
  assert.ok(measured.escapes < 0.01);
});

test('every image of a set round-trips to exactly the same codes and bytes', () => {
  const before = liveTensors();
  const compressed = codec.compress(images, [count, 1, 28, 28]);
  const decompressed = codec.decompress(compressed.bytes, 'digits.aez');
  // The integers read back are the integers written, image by image.
  assert.deepEqual(decompressed.symbols, compressed.symbols);
  assert.deepEqual(decompressed.shape, [count, 1, 28, 28]);
  // Coding them again gives the same file, byte for byte; so does compressing again.
  assert.deepEqual(codec.pack(decompressed.symbols, count).bytes, compressed.bytes);
  assert.deepEqual(codec.compress(images, [count, 1, 28, 28]).bytes, compressed.bytes);
  // The pixels are the synthesis of those integers, clamped to the value range.
  assert.deepEqual(decompressed.images, codec.synthesize(compressed.symbols, count));
  assert.ok(decompressed.images.every((v) => v >= 0 && v <= 1));
  assert.equal(compressed.sizes.total, compressed.bytes.length);
  // A single-image batch codes the same integers as the whole set.
  const one = codec.compress(images.subarray(5 * 784, 6 * 784), [1, 1, 28, 28]);
  assert.deepEqual(one.symbols, compressed.symbols.subarray(5 * 24, 6 * 24));
  assert.equal(liveTensors(), before);
});

test('latents outside the tables go through the escape, up to the clamp', () => {
  const random = new Xoshiro128(5);
  for (let trial = 0; trial < 200; trial++) {
    const values = Int32Array.from({ length: 24 }, (_, d) => {
      const cdf = tables.cdfs[d];
      const lo = tables.offsets[d];
      const hi = lo + cdf.length - 3;
      const picks = [lo, hi, lo - 1, hi + 1, lo - 1 - random.int(1000), hi + 1 + random.int(1e6)];
      return picks[random.int(picks.length)];
    });
    if (trial === 0) values.set([LATENT_LIMIT, -LATENT_LIMIT], 0);
    const bytes = encodeLatents(values, tables);
    const out = new Int32Array(24);
    decodeLatents(bytes, 0, bytes.length, tables, out);
    assert.deepEqual(out, values);
  }
  const clamped = new Int32Array(24);
  const beyond = new Float64Array(24).fill(2 ** 30);
  const bytes = encodeLatents(beyond, tables);
  decodeLatents(bytes, 0, bytes.length, tables, clamped);
  assert.ok(clamped.every((v) => v === LATENT_LIMIT));
});

test('the fingerprint follows the weights; another model cannot decode the file', () => {
  assert.deepEqual(new ImageCodec(model, buildCodingTables(model)).fingerprint, codec.fingerprint);
  const other = tinyModel(images, count, { seed: 1, steps: 0 });
  const otherCodec = new ImageCodec(other, buildCodingTables(other));
  assert.notDeepEqual(otherCodec.fingerprint, codec.fingerprint);
  const bytes = codec.compress(images.subarray(0, 784 * 4), [4, 1, 28, 28]).bytes;
  assert.throws(
    () => otherCodec.decompress(bytes, 'digits.aez'),
    (error: unknown) =>
      error instanceof AekitError &&
      error.code === 'BAD_FILE' &&
      /^digits\.aez: fingerprint: the file was written by another model \([0-9a-f]{16}\), this one is [0-9a-f]{16}; decompress it with the model that compressed it$/.test(
        error.message,
      ),
  );
  other.dispose();
});

test('bad input to the codec is refused', () => {
  assert.throws(
    () => codec.compress(images, [count, 1, 28, 27]),
    /shape: expected \[count, 1, 28, 28\]/,
  );
  assert.throws(
    () => codec.compress(images.subarray(0, 100), [1, 1, 28, 28]),
    /expected a Float32Array of 784 values/,
  );
  const nan = images.slice(0, 784 * 2);
  nan[900] = NaN;
  assert.throws(
    () => codec.compress(nan, [2, 1, 28, 28]),
    /expected finite values, got NaN in image 1/,
  );
  const dense = buildModel({ family: 'dense', inputShape: [1, 28, 28], latentDim: 4 });
  assert.throws(() => new ImageCodec(dense as never, tables), /expected a compressive autoencoder/);
  dense.dispose();
});

test('the model file records the codec; a changed or missing record is a BAD_FILE', () => {
  const folder = mkdtempSync(join(tmpdir(), 'aekit-codec-'));
  try {
    const record = codecRecord(codec, { images, count });
    assert.equal(record.training?.images, count);
    assert.ok(record.training!.bytes.p99 >= record.training!.bytes.p50);
    const loaded = saveAndLoad(folder, model, record);
    const restored = codecFromModel(loaded);
    assert.deepEqual(restored.codec.fingerprint, codec.fingerprint);
    assert.deepEqual(restored.training, record.training);
    const bytes = codec.compress(images.subarray(0, 784 * 3), [3, 1, 28, 28]).bytes;
    assert.deepEqual(
      restored.codec.decompress(bytes, 'x.aez').symbols,
      codec.unpack(bytes, 'x.aez').symbols,
    );

    const tampered = { ...loaded, extras: { codec: { ...record, fingerprint: '00'.repeat(8) } } };
    assert.throws(
      () => codecFromModel(tampered),
      /extras\.codec\.fingerprint: expected [0-9a-f]{16}/,
    );
    assert.throws(
      () => codecFromModel({ ...loaded, extras: {} }),
      /codec.aekit: extras.codec: expected the coding tables written by aekit train --task compress/,
    );
    const dense = buildModel({ family: 'dense', inputShape: [1, 28, 28], latentDim: 4 });
    assert.throws(
      () => codecFromModel({ ...loaded, model: dense, config: dense.config }),
      /config.family: expected a compressive model .*, got dense/,
    );
    dense.dispose();
    loaded.model.dispose();
    restored.codec.model.dispose();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('data unlike the training data is flagged, data like it is not', async () => {
  const record = codecRecord(codec, { images, count });
  const like = measureCodec(codec, images, count);
  assert.equal(compareWithTraining(record.training, like.bytes, like.mse, 'mnist').warning, null);
  const { dataset } = await loadFashionMnist({ split: 'test', limit: 100 });
  const unlike = measureCodec(codec, dataset.data, 100);
  const comparison = compareWithTraining(record.training, unlike.bytes, unlike.mse, 'mnist');
  assert.ok(comparison.unlike >= 30, `${comparison.unlike} of 100 flagged`);
  assert.match(
    comparison.warning ?? '',
    /^\d+% of the images \(\d+ of 100\) are unlike this codec's training data: .* \(mnist\)$/,
  );
  assert.equal(compareWithTraining(null, unlike.bytes, unlike.mse, 'mnist').warning, null);
});
