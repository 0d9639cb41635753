// Context tables: the contexts a latent map gives, tables fitted to training latents that
// code them in fewer bytes than the prior's, exact round trips through every path (context
// table, its escape to the element table, that table's own escape), the JSON form and its
// checks, and the model-file record of version 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONTEXTS,
  ImageCodec,
  LATENT_LIMIT,
  PRECISION_TOTAL,
  buildCodingTables,
  codecFromModel,
  codecRecord,
  createCodec,
  decodeLatents,
  encodeLatents,
  fitContextTables,
  fitElementTables,
  tablesFromJson,
  tablesToJson,
  walkContexts,
} from '../../src/codec/index.js';
import { Xoshiro128 } from '../../src/data/index.js';
import { digits, saveAndLoad, tinyModel } from './helpers.js';

const { images, count } = await digits(400);
const fitCount = 300;
const fitImages = images.subarray(0, fitCount * 784);
const heldOut = images.subarray(fitCount * 784);
// A map latent (4 channels on 7 x 7) and a dense one (24 latents, the map [24, 1, 1]).
const mapModel = tinyModel(fitImages, fitCount, {
  config: { channels: [8, 4], latentDim: 4 * 7 * 7, denseBottleneck: false },
});
const denseModel = tinyModel(fitImages, fitCount);
const training = { images: fitImages, count: fitCount };

test('contexts: neighbour signs and how many channels before are non-zero', () => {
  // A [3, 2, 2] map, channel by channel, row by row.
  const values = Int32Array.from([0, 5, -2, 0, 1, 0, 0, -3, 0, 0, 7, 1]);
  const seen: number[][] = [];
  walkContexts([3, 2, 2], values, (d, context) => seen.push([d, context]));
  const context = (left: number, up: number, before: number, active: number): number =>
    ((Math.sign(left) + 1) * 9 + (Math.sign(up) + 1) * 3 + Math.sign(before) + 1) * 9 + active;
  assert.deepEqual(seen, [
    [0, context(0, 0, 0, 0)],
    [1, context(0, 0, 0, 0)],
    [2, context(0, 0, 0, 0)],
    [3, context(-2, 5, 0, 0)],
    [4, context(0, 0, 0, 0)],
    [5, context(1, 0, 5, 1)],
    [6, context(0, 1, -2, 1)],
    [7, context(0, 0, 0, 0)],
    [8, context(0, 0, 1, 1)],
    [9, context(0, 0, 0, 1)],
    [10, context(0, 0, 0, 1)],
    [11, context(7, 0, -3, 1)],
  ]);
  assert.ok(seen.every(([, c]) => c >= 0 && c < CONTEXTS));
});

for (const [name, model] of [
  ['map', mapModel],
  ['dense', denseModel],
] as const) {
  test(`${name} latent: fitted tables code the training images in fewer bytes, exactly`, () => {
    const prior = new ImageCodec(model, buildCodingTables(model), { valueRange: [0, 1] });
    const fitted = createCodec(model, [0, 1], training);
    assert.ok(fitted.tables.context, 'context tables');
    assert.ok(fitted.tables.context!.offsets.length > 0);
    const mean = (bytes: number[]): number => bytes.reduce((a, b) => a + b, 0) / bytes.length;
    const before = mean(prior.compress(fitImages, [fitCount, 1, 28, 28]).sizes.perRecord);
    const after = mean(fitted.compress(fitImages, [fitCount, 1, 28, 28]).sizes.perRecord);
    assert.ok(after < before, `${after.toFixed(2)} bytes per image, prior ${before.toFixed(2)}`);
    // Held-out images round-trip to the same integers, and coding them again gives the file.
    const held = count - fitCount;
    const compressed = fitted.compress(heldOut, [held, 1, 28, 28]);
    const { symbols } = fitted.unpack(compressed.bytes, 'held.aez');
    assert.deepEqual(symbols, compressed.symbols);
    assert.deepEqual(fitted.pack(symbols, held).bytes, compressed.bytes);
    // The same integers as the prior's codec: only their coding changed.
    assert.deepEqual(prior.latents(heldOut, held), compressed.symbols);
  });
}

test('values outside every window go through both escapes, up to the clamp', () => {
  const fitted = createCodec(mapModel, [0, 1], training).tables;
  const context = fitted.context!;
  const elements = fitted.cdfs.length;
  const random = new Xoshiro128(9);
  for (let trial = 0; trial < 200; trial++) {
    const values = Int32Array.from({ length: elements }, (_, d) => {
      const lo = fitted.offsets[d];
      const hi = lo + fitted.cdfs[d].length - 3;
      const picks = [0, 0, 0, 1, -1, lo, hi, lo - 1 - random.int(1000), hi + 1 + random.int(1e6)];
      return picks[random.int(picks.length)];
    });
    if (trial === 0) values.set([LATENT_LIMIT, -LATENT_LIMIT], 0);
    const bytes = encodeLatents(values, fitted);
    const out = new Int32Array(elements);
    decodeLatents(bytes, 0, bytes.length, fitted, out);
    assert.deepEqual(out, values);
  }
  // Some latents of those trials took a context table's escape: contexts cover few values.
  let narrow = 0;
  for (let t = 0; t < context.offsets.length; t++) {
    if (context.starts[t + 1] - context.starts[t] - 2 < 3) narrow++;
  }
  assert.ok(narrow > 0);
});

test('fitting limits: images, values held, and the largest code given context tables', () => {
  const prior = new ImageCodec(mapModel, buildCodingTables(mapModel), { valueRange: [0, 1] });
  const latents = prior.latents(fitImages, fitCount);
  const firstTen = fitElementTables(prior.tables, latents.subarray(0, 10 * 196), 10);
  // 10 images, by either limit: the same element tables as the first 10 images' counts.
  for (const limits of [{ images: 10 }, { values: 10 * 196 + 195 }]) {
    const codec = createCodec(mapModel, [0, 1], training, limits);
    assert.deepEqual(codec.tables.cdfs, firstTen.cdfs);
    assert.ok(codec.tables.context);
  }
  // A code longer than contextLatents gets fitted element tables only.
  const plain = createCodec(mapModel, [0, 1], training, { contextLatents: 195 });
  assert.equal(plain.tables.context, undefined);
  assert.deepEqual(plain.tables.cdfs, fitElementTables(prior.tables, latents, fitCount).cdfs);
  assert.equal(codecRecord(plain).version, 1);
});

test('fitting refuses latents of the wrong size; element tables keep the prior windows', () => {
  const prior = buildCodingTables(denseModel);
  const latents = new Int32Array(10 * 24);
  const element = fitElementTables(prior, latents, 10);
  assert.deepEqual(element.offsets, prior.offsets);
  assert.deepEqual(
    element.cdfs.map((cdf) => cdf.length),
    prior.cdfs.map((cdf) => cdf.length),
  );
  // All-zero latents: zero gets nearly all the mass, every other value stays codable.
  const d = 3;
  const zero = -element.offsets[d];
  assert.ok(element.cdfs[d][zero + 1] - element.cdfs[d][zero] > 0.99 * PRECISION_TOTAL);
  assert.throws(() => fitElementTables(prior, latents, 11), /expected 11 x 24 values, got 240/);
  assert.throws(
    () => fitContextTables([24, 1, 1], latents, 9, element),
    /expected 9 x 24 latents and 24 element tables, got 240 latents/,
  );
});

test('context tables go through JSON unchanged; damaged fields are named', () => {
  const tables = createCodec(mapModel, [0, 1], training).tables;
  const elements = tables.cdfs.length;
  const json = JSON.parse(JSON.stringify(tablesToJson(tables)));
  assert.deepEqual(tablesFromJson(json, elements, 'm.aekit: tables'), tables);
  const where = 'm.aekit: extras.codec.tables';
  const broken = (change: Record<string, unknown>) =>
    tablesFromJson({ ...json, context: { ...json.context, ...change } }, elements, where);
  assert.throws(
    () => broken({ kind: 'pixelcnn' }),
    /^AekitError: m.aekit: extras.codec.tables: context.kind: expected 'signs3-activity9', got "pixelcnn": a newer aekit\?$/,
  );
  assert.throws(
    () => broken({ shape: [4, 7, 6] }),
    /context.shape: expected 3 sizes whose product is 196, got \[4,7,6\]/,
  );
  assert.throws(() => broken({ slots: 'AAAA' }), /context.slots, offsets, sizes: expected 4, 4/);
  const slots = Buffer.from(json.context.slots, 'base64');
  slots.writeUInt32LE(0, 4); // the second table's slot below the first's
  slots.writeUInt32LE(1, 0);
  assert.throws(
    () => broken({ slots: slots.toString('base64') }),
    /context.slots: table 1: expected an ascending slot below \d+, got 0/,
  );
  const frequencies = Buffer.from(json.context.frequencies, 'base64');
  frequencies[0] ^= 1;
  assert.throws(
    () => broken({ frequencies: frequencies.toString('base64') }),
    /context.frequencies: table 0 sums to \d+, expected 65536/,
  );
  assert.throws(() => broken({ frequencies: 'AAAA' }), /context.frequencies: expected \d+ bytes/);
});

test('a model file with context tables is record version 2 and decodes its files', () => {
  const folder = mkdtempSync(join(tmpdir(), 'aekit-context-'));
  try {
    const codec = createCodec(mapModel, [0, 1], training);
    const record = codecRecord(codec, training);
    assert.equal(record.version, 2);
    assert.equal(codecRecord(new ImageCodec(mapModel, buildCodingTables(mapModel))).version, 1);
    const loaded = saveAndLoad(folder, mapModel, record);
    const restored = codecFromModel(loaded).codec;
    assert.deepEqual(restored.fingerprint, codec.fingerprint);
    const bytes = codec.compress(heldOut, [count - fitCount, 1, 28, 28]).bytes;
    assert.deepEqual(restored.unpack(bytes, 'x.aez').symbols, codec.unpack(bytes, 'x.aez').symbols);
    const withVersion = (version: number, tables = record.tables) => ({
      ...loaded,
      extras: { codec: { ...record, version, tables } },
    });
    assert.throws(
      () => codecFromModel(withVersion(3)),
      /extras\.codec\.version: expected 1 or 2, got 3: a newer aekit's model\?$/,
    );
    assert.throws(
      () => codecFromModel(withVersion(1)),
      /extras\.codec\.tables\.context: version 1 has no context tables$/,
    );
    const withoutContext = { ...record.tables, context: undefined };
    assert.throws(
      () => codecFromModel(withVersion(2, withoutContext)),
      /extras\.codec\.tables\.context: version 2 needs context tables, got none$/,
    );
    loaded.model.dispose();
    restored.model.dispose();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
