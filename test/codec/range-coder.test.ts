// The range coder: random symbol streams under random tables round-trip exactly, cost
// within a small margin of the ideal -sum log2 p, and damaged input never throws or hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cdf,
  PRECISION_TOTAL,
  RangeDecoder,
  RangeEncoder,
  cdfFromFrequencies,
  idealBits,
  quantizePmf,
} from '../../src/codec/index.js';
import { Xoshiro128 } from '../../src/data/index.js';

/** A random table: flat, peaked (many frequency-1 symbols) or geometric. */
function randomCdf(random: Xoshiro128, size: number): Cdf {
  const kind = random.int(3);
  const pmf = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    if (kind === 0) pmf[i] = random.next();
    else if (kind === 1) pmf[i] = random.next() ** 12;
    else pmf[i] = 0.5 ** (i * (0.2 + random.next()));
  }
  return quantizePmf(pmf);
}

/** A symbol drawn from the table's own distribution. */
function draw(random: Xoshiro128, cdf: Cdf): number {
  const u = random.int(PRECISION_TOTAL);
  let s = 0;
  while (cdf[s + 1] <= u) s++;
  return s;
}

test('random streams under random tables round-trip exactly, near the ideal size', () => {
  const random = new Xoshiro128(4);
  let worstOverhead = 0;
  for (let trial = 0; trial < 300; trial++) {
    const tableCount = 1 + random.int(4);
    const tables = Array.from({ length: tableCount }, () =>
      randomCdf(random, 1 + random.int(trial % 10 === 0 ? 2000 : 300)),
    );
    const length = random.int(trial % 7 === 0 ? 20 : 3000);
    const which = Int32Array.from({ length }, () => random.int(tableCount));
    // Most symbols follow their table; some are uniform, which reaches the rarest ones.
    const symbols = Int32Array.from(which, (t) =>
      random.int(10) === 0 ? random.int(tables[t].length - 1) : draw(random, tables[t]),
    );

    const encoder = new RangeEncoder();
    let ideal = 0;
    for (let i = 0; i < length; i++) {
      encoder.encode(tables[which[i]], symbols[i]);
      ideal += idealBits(tables[which[i]], [symbols[i]]);
    }
    const bytes = encoder.finish();

    const decoder = new RangeDecoder(bytes);
    const decoded = Int32Array.from(which, (t) => decoder.decode(tables[t]));
    assert.deepEqual(decoded, symbols, `trial ${trial}`);

    // 16-bit tables in a 32-bit range lose at most log2(1 + 2^-8) bits a symbol; the end of
    // the stream costs up to about a byte.
    const limit = ideal * (1 + 0.006) + length * 0.006 + 10;
    assert.ok(bytes.length * 8 <= limit, `trial ${trial}: ${bytes.length * 8} bits > ${limit}`);
    worstOverhead = Math.max(worstOverhead, bytes.length * 8 - ideal);
  }
  assert.ok(worstOverhead < 40, `worst overhead ${worstOverhead} bits`);
});

test('a short stream costs about one byte more than its information', () => {
  const random = new Xoshiro128(11);
  let extra = 0;
  const trials = 500;
  for (let trial = 0; trial < trials; trial++) {
    const cdf = randomCdf(random, 2 + random.int(60));
    const symbols = Array.from({ length: 1 + random.int(40) }, () => draw(random, cdf));
    const encoder = new RangeEncoder();
    for (const s of symbols) encoder.encode(cdf, s);
    const bytes = encoder.finish();
    extra += bytes.length * 8 - idealBits(cdf, symbols);
    const decoder = new RangeDecoder(bytes);
    assert.deepEqual(
      symbols.map(() => decoder.decode(cdf)),
      symbols,
    );
  }
  assert.ok(extra / trials < 10, `mean overhead ${extra / trials} bits`);
});

test('an empty stream is zero bytes, and certain symbols cost nothing', () => {
  assert.equal(new RangeEncoder().finish().length, 0);
  const certain = cdfFromFrequencies([PRECISION_TOTAL]);
  const encoder = new RangeEncoder();
  for (let i = 0; i < 1000; i++) encoder.encode(certain, 0);
  assert.equal(encoder.finish().length, 0);
  const decoder = new RangeDecoder(new Uint8Array(0));
  for (let i = 0; i < 1000; i++) assert.equal(decoder.decode(certain), 0);
});

test('uniform values of 1 to 16 bits mix with table symbols', () => {
  const random = new Xoshiro128(7);
  const cdf = randomCdf(random, 17);
  const items: [number, number][] = [];
  const encoder = new RangeEncoder();
  for (let i = 0; i < 5000; i++) {
    const bits = random.int(17); // 0 stands for a table symbol
    const value = bits === 0 ? draw(random, cdf) : random.int(2 ** bits);
    items.push([bits, value]);
    if (bits === 0) encoder.encode(cdf, value);
    else encoder.encodeUniform(value, bits);
  }
  const bytes = encoder.finish();
  const decoder = new RangeDecoder(bytes);
  for (const [bits, value] of items) {
    assert.equal(bits === 0 ? decoder.decode(cdf) : decoder.decodeUniform(bits), value);
  }
});

test('carries through long runs of 0xff bytes are propagated', () => {
  // Symbols at the top of a near-certain table keep low close to the top of its range.
  const cdf = cdfFromFrequencies([1, PRECISION_TOTAL - 2, 1]);
  const random = new Xoshiro128(3);
  for (let trial = 0; trial < 50; trial++) {
    const symbols = Array.from({ length: 2000 }, (_, i) =>
      i % 97 === 0 ? random.int(3) : random.int(50) === 0 ? 2 : 1,
    );
    const encoder = new RangeEncoder();
    for (const s of symbols) encoder.encode(cdf, s);
    const decoder = new RangeDecoder(encoder.finish());
    assert.deepEqual(
      symbols.map(() => decoder.decode(cdf)),
      symbols,
    );
  }
});

test('damaged or random bytes decode to some symbols without throwing', () => {
  const random = new Xoshiro128(9);
  const cdf = randomCdf(random, 40);
  for (let trial = 0; trial < 200; trial++) {
    const bytes = Uint8Array.from({ length: random.int(64) }, () => random.int(256));
    const decoder = new RangeDecoder(bytes);
    for (let i = 0; i < 500; i++) {
      const s = decoder.decode(cdf);
      assert.ok(s >= 0 && s < 40);
      const v = decoder.decodeUniform(5);
      assert.ok(v >= 0 && v < 32);
    }
  }
});

test('quantizePmf: every symbol at least 1, sum 2^16, proportional, deterministic', () => {
  const cdf = quantizePmf([0.5, 0.25, 0.25, 0]);
  assert.equal(cdf[4], PRECISION_TOTAL);
  const f = Array.from({ length: 4 }, (_, i) => cdf[i + 1] - cdf[i]);
  assert.equal(f[3], 1);
  assert.ok(Math.abs(f[0] - 32768) <= 1 && Math.abs(f[1] - 16384) <= 1);
  assert.deepEqual(quantizePmf([0.5, 0.25, 0.25, 0]), cdf);
  // Unnormalised input, and an all-zero one (flat).
  assert.deepEqual(quantizePmf([2, 1, 1, 0]), cdf);
  const flat = quantizePmf([0, 0]);
  assert.deepEqual(Array.from(flat), [0, 32768, 65536]);
  // The largest alphabet: every symbol frequency 1.
  const full = quantizePmf(new Float64Array(PRECISION_TOTAL).fill(1));
  assert.equal(full[PRECISION_TOTAL], PRECISION_TOTAL);
});

test('tables and symbols are checked', () => {
  assert.throws(() => cdfFromFrequencies([]), /expected 1 to 65536 symbols, got 0/);
  assert.throws(() => cdfFromFrequencies([0, 65536]), /frequencies\[0\]: expected an integer >= 1/);
  assert.throws(() => cdfFromFrequencies([1, 2]), /expected a sum of 65536, got 3/);
  assert.throws(() => quantizePmf([1, NaN]), /pmf\[1\]: expected a finite number >= 0, got NaN/);
  assert.throws(() => quantizePmf([1, -1]), /pmf\[1\]/);
  const cdf = quantizePmf([1, 1, 1]);
  const encoder = new RangeEncoder();
  assert.throws(() => encoder.encode(cdf, 3), /symbol: expected an integer in \[0, 2\], got 3/);
  assert.throws(() => encoder.encode(cdf, 0.5), /got 0.5/);
  encoder.finish();
  assert.throws(() => encoder.encode(cdf, 0), /already finished/);
  assert.throws(() => encoder.finish(), /already finished/);
});
