// The .aez container: round trips, sizes, and one-line BAD_FILE errors naming the file and
// the field for every kind of damage, including a seeded fuzz run of 10,000 mutated files
// decoded by a real codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AEZ_VERSION,
  containerSizes,
  createCodec,
  readContainer,
  writeContainer,
} from '../../src/codec/index.js';
import { crc32 } from '../../src/engine/zip.js';
import { AekitError } from '../../src/engine/index.js';
import { Xoshiro128 } from '../../src/data/index.js';
import { digits, tinyModel } from './helpers.js';

const FILE = 'test.aez';
const fingerprint = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

/** The error that `fn` throws, checked to be a one-line BAD_FILE naming the file. */
function badFile(fn: () => unknown): AekitError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AekitError, `expected an AekitError, got ${String(caught)}`);
  assert.equal(caught.code, 'BAD_FILE');
  assert.ok(caught.message.startsWith(`${FILE}: `), caught.message);
  assert.ok(!caught.message.includes('\n'), caught.message);
  return caught;
}

/** A container with records of the given lengths, filled with seeded bytes. */
function sample(lengths: number[], seed = 1): Uint8Array {
  const random = new Xoshiro128(seed);
  const records = lengths.map((n) => Uint8Array.from({ length: n }, () => random.int(256)));
  return writeContainer({ fingerprint, shape: [1, 28, 28], records });
}

test('records round-trip, empty ones and an empty container included', () => {
  const random = new Xoshiro128(2);
  for (const lengths of [
    [],
    [0],
    [5, 0, 300, 1],
    Array.from({ length: 200 }, () => random.int(40)),
  ]) {
    const bytes = sample(lengths);
    const read = readContainer(bytes, FILE);
    assert.equal(read.version, AEZ_VERSION);
    assert.deepEqual(read.fingerprint, fingerprint);
    assert.deepEqual(read.shape, [1, 28, 28]);
    assert.deepEqual(
      read.records.map((r) => r.length),
      lengths,
    );
    const sizes = containerSizes([1, 28, 28], lengths);
    assert.equal(sizes.total, bytes.length);
    assert.equal(sizes.header + sizes.perRecord.reduce((a, b) => a + b, 0), bytes.length);
  }
  // A long record needs a two-byte length field.
  assert.deepEqual(containerSizes([1, 28, 28], [127, 128]).perRecord, [128, 130]);
  assert.equal(containerSizes([1, 28, 28], [10]).header, 4 + 1 + 8 + 1 + 4 + 8);
});

test('empty, foreign, newer and truncated files are refused by field', () => {
  assert.match(badFile(() => readContainer(new Uint8Array(0), FILE)).message, /size: .*empty file/);
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.match(badFile(() => readContainer(png, FILE)).message, /magic: .*another kind of file/);

  const bytes = sample([3, 4, 5]);
  const newer = bytes.slice();
  newer[4] = AEZ_VERSION + 1;
  assert.match(
    badFile(() => readContainer(newer, FILE)).message,
    /version: the file is format version 2, newer than this aekit reads \(1\); upgrade aekit/,
  );
  const zero = bytes.slice();
  zero[4] = 0;
  assert.match(badFile(() => readContainer(zero, FILE)).message, /version: .*got 0/);

  // Every prefix of a valid file is refused, each naming where it stops.
  const fields = new Set<string>();
  for (let n = 0; n < bytes.length; n++) {
    const message = badFile(() => readContainer(bytes.subarray(0, n), FILE)).message;
    fields.add(
      message
        .slice(FILE.length + 2)
        .split(':')[0]
        .replace(/\[\d+\]$/, ''),
    );
  }
  const expected = ['count', 'fingerprint', 'header checksum', 'length', 'lengths', 'magic'];
  expected.push('shape', 'size', 'version');
  assert.deepEqual([...fields].sort(), expected.sort());
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.match(badFile(() => readContainer(longer, FILE)).message, /length: .*extra bytes/);
});

test('every flipped byte is caught by a checksum or a field check', () => {
  const bytes = sample([7, 0, 12, 30]);
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const damaged = bytes.slice();
      damaged[i] ^= mask;
      badFile(() => readContainer(damaged, FILE));
    }
  }
});

test('damage behind a recomputed header checksum still gives field errors', () => {
  const withHeader = (header: number[], payload: number[] = []): Uint8Array => {
    const head = Uint8Array.from(header);
    const out = new Uint8Array(head.length + 4 + payload.length + 4);
    const view = new DataView(out.buffer);
    out.set(head);
    view.setUint32(head.length, crc32(head), true);
    out.set(payload, head.length + 4);
    view.setUint32(out.length - 4, crc32(Uint8Array.from(payload)), true);
    return out;
  };
  const start = [0x89, 0x41, 0x45, 0x5a, 1, ...fingerprint];
  const message = (bytes: Uint8Array): string => badFile(() => readContainer(bytes, FILE)).message;
  assert.match(
    message(withHeader([...start, 0xff, 0xff, 0xff, 0xff, 0x0f])),
    /count: .*cannot fit/,
  );
  assert.match(message(withHeader([...start, 0x80, 0x80, 0x80, 0x80, 0x80])), /count: .*5 bytes/);
  assert.match(message(withHeader([...start, 0, 0])), /shape: expected a rank from 1 to 4, got 0/);
  assert.match(message(withHeader([...start, 0, 9])), /shape: .*got 9/);
  assert.match(message(withHeader([...start, 0, 1, 0])), /shape\[0\]: expected a positive size/);
  assert.match(
    message(withHeader([...start, 1, 1, 5, 3], [1, 2])),
    new RegExp(
      'length: expected \\d+ bytes \\(header with the record lengths \\d+, 1 record 3, ' +
        'checksum 4\\), got \\d+: the file is truncated',
    ),
  );
  assert.deepEqual(readContainer(withHeader([...start, 1, 1, 5, 3], [1, 2, 3]), FILE).shape, [5]);
  const good = withHeader([...start, 1, 1, 5, 3], [1, 2, 3]);
  good[good.length - 5] ^= 1;
  assert.match(message(good), /payload checksum: .*the records are damaged/);
});

test('writeContainer checks what it is given', () => {
  const records = [new Uint8Array(2)];
  assert.throws(
    () => writeContainer({ fingerprint: new Uint8Array(4), shape: [1, 2, 2], records }),
    /fingerprint: expected 8 bytes, got 4/,
  );
  assert.throws(
    () => writeContainer({ fingerprint, shape: [1, 0, 2], records }),
    /shape: expected 1 to 4 positive sizes/,
  );
});

test('fuzz: 10,000 mutated files decode or fail with a one-line BAD_FILE, fast', async () => {
  // An untrained model codes as well as a trained one for this purpose, and costs nothing.
  const { images } = await digits(16);
  const model = tinyModel(images, 16, { steps: 0 });
  // Context tables fitted to the same images, so that damaged records go through them too.
  const codec = createCodec(model, [0, 1], { images, count: 16 });
  assert.ok(codec.tables.context);
  const valid = codec.compress(images.subarray(0, 16 * 784), [16, 1, 28, 28]).bytes;
  const validSymbols = codec.unpack(valid, FILE).symbols;
  const random = new Xoshiro128(2024);
  const outcomes = new Map<string, number>();
  const started = performance.now();
  const cases = 10_000;

  for (let trial = 0; trial < cases; trial++) {
    const bytes = mutate(valid, random);
    // Some mutants get fresh checksums, so that the field checks behind them are reached too.
    const refreshed = random.int(4) === 0 ? refreshChecksums(bytes) : bytes;
    let outcome: string;
    try {
      const { symbols } = codec.unpack(refreshed, FILE);
      assert.equal(symbols.length % codec.latentDim, 0);
      outcome = sameBytes(refreshed, valid)
        ? 'unchanged'
        : sameArray(symbols, validSymbols)
          ? 'same codes'
          : 'decoded (checksums refreshed)';
      if (outcome === 'decoded (checksums refreshed)') assert.notEqual(refreshed, bytes);
    } catch (error) {
      assert.ok(error instanceof AekitError, `trial ${trial}: ${String(error)}`);
      assert.equal(error.code, 'BAD_FILE', error.message);
      assert.ok(error.message.startsWith(`${FILE}: `) && !error.message.includes('\n'));
      outcome = error.message.slice(FILE.length + 2).split(':')[0];
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 10, `${cases} cases took ${seconds.toFixed(1)} s`);
  // Each check is reached by some mutant.
  for (const field of [
    'size',
    'magic',
    'version',
    'header checksum',
    'length',
    'payload checksum',
  ]) {
    assert.ok((outcomes.get(field) ?? 0) > 0, `no mutant reached '${field}': ${[...outcomes]}`);
  }
  model.dispose();
});

/** One to three random edits: bit flips, byte sets, cuts, inserts, deletions, repeats. */
function mutate(bytes: Uint8Array, random: Xoshiro128): Uint8Array {
  let out = Array.from(bytes);
  const edits = 1 + random.int(3);
  for (let e = 0; e < edits; e++) {
    const at = random.int(out.length + 1);
    switch (random.int(7)) {
      case 0:
        if (at < out.length) out[at] ^= 1 << random.int(8);
        break;
      case 1:
        if (at < out.length) out[at] = random.int(256);
        break;
      case 2:
        out = out.slice(0, at);
        break;
      case 3:
        out.splice(at, 0, ...Array.from({ length: 1 + random.int(8) }, () => random.int(256)));
        break;
      case 4:
        out.splice(at, 1 + random.int(8));
        break;
      case 5:
        out = out.concat(out.slice(at, at + 1 + random.int(32)));
        break;
      default:
        // The header's small fields: version, count, shape and the first lengths.
        if (out.length > 16) out[4 + random.int(Math.min(20, out.length - 4))] = random.int(256);
    }
  }
  return random.int(50) === 0 ? new Uint8Array(0) : Uint8Array.from(out);
}

/**
 * The same bytes with both checksums made to match, read the way a reader would: whatever
 * the header now says is taken at its word. Bytes too broken to locate the checksums stay.
 */
function refreshChecksums(bytes: Uint8Array): Uint8Array {
  let at = 13;
  const varint = (): number => {
    let value = 0;
    for (let i = 0; i < 5 && at < bytes.length; i++) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return value;
    }
    return -1;
  };
  const count = varint();
  const rank = varint();
  if (count < 0 || rank < 0 || count > bytes.length || rank > 4) return bytes;
  for (let i = 0; i < rank; i++) varint();
  let payload = 0;
  for (let i = 0; i < count; i++) payload += varint();
  const end = at + 4 + payload + 4;
  if (payload < 0 || end !== bytes.length) return bytes;
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  view.setUint32(at, crc32(out.subarray(0, at)), true);
  view.setUint32(end - 4, crc32(out.subarray(at + 4, end - 4)), true);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameArray(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
