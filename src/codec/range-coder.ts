/**
 * A range coder (an arithmetic coder on integers, Martin, "Range encoding: an algorithm for
 * removing redundancy from a digitised message", 1979) over cumulative frequency tables of
 * 16-bit precision: every table's frequencies sum to 2^16.
 *
 * Everything on the coding path is integer arithmetic: JavaScript numbers hold integers
 * below 2^53 exactly and the operations used here (add, multiply, floor of a quotient of
 * integers below 2^33) are exact on every machine, so an encoder and a decoder anywhere
 * agree bit for bit.
 *
 * Layout: a 32-bit `low` and `range`, bytes shifted out at the top when the range falls
 * below 2^24, with a pending byte and a run of 0xff bytes held back until a carry can no
 * longer reach them (the carry handling of the LZMA family of coders). The first byte such
 * a coder writes is always zero, so it is not stored. At the end the coder picks the value
 * in its final interval with the most trailing zero bits, and trailing zero bytes are
 * dropped: the decoder reads zeros past the end. A stream therefore costs about one byte
 * over the ideal `-sum log2 p`, which matters for records of a dozen bytes.
 */
import { AekitError } from '../engine/index.js';

/** Bits of precision of every frequency table. */
export const PRECISION_BITS = 16;
/** The sum of every table's frequencies: 2^16. */
export const PRECISION_TOTAL = 1 << PRECISION_BITS;

const TOP = 2 ** 24;
const TWO_POW_32 = 2 ** 32;
const FULL_RANGE = TWO_POW_32 - 1;

/**
 * A cumulative frequency table: `cdf[0] = 0`, `cdf[n] = 2^16`, strictly increasing, so
 * symbol `s` of `n` has frequency `cdf[s + 1] - cdf[s] >= 1`. Make one with
 * {@link cdfFromFrequencies} or {@link quantizePmf}, which check these rules once.
 */
export type Cdf = Uint32Array;

/**
 * Writes symbols into a growing byte buffer.
 *
 * @example
 * ```ts
 * const cdf = cdfFromFrequencies([49152, 16384]); // p = 3/4, 1/4
 * const encoder = new RangeEncoder();
 * for (const s of [0, 0, 1, 0]) encoder.encode(cdf, s);
 * const bytes = encoder.finish();
 * const decoder = new RangeDecoder(bytes);
 * [0, 1, 2, 3].map(() => decoder.decode(cdf)); // [0, 0, 1, 0]
 * ```
 */
export class RangeEncoder {
  private low = 0;
  private range = FULL_RANGE;
  private cache = 0;
  private pending = 1;
  private skipFirst = true;
  private buffer = new Uint8Array(64);
  private length = 0;
  private finished = false;

  /** Codes `symbol` with the frequencies of `cdf`. */
  encode(cdf: Cdf, symbol: number): void {
    if (!(symbol >= 0 && symbol < cdf.length - 1 && Number.isInteger(symbol))) {
      throw new RangeError(
        `RangeEncoder.encode: symbol: expected an integer in [0, ${cdf.length - 2}], got ${symbol}`,
      );
    }
    this.encodeRange(cdf[symbol], cdf[symbol + 1] - cdf[symbol]);
  }

  /** Codes `value`, `bits` bits wide (1 to 16), each value equally likely. */
  encodeUniform(value: number, bits: number): void {
    const shift = PRECISION_BITS - bits;
    this.encodeRange(value * 2 ** shift, 2 ** shift);
  }

  /** Codes the interval [start, start + frequency) of a total of 2^16. */
  encodeRange(start: number, frequency: number): void {
    if (this.finished) throw new AekitError('BAD_INPUT', 'RangeEncoder: already finished');
    if (!(frequency >= 1 && start >= 0 && start + frequency <= PRECISION_TOTAL)) {
      throw new RangeError(
        `RangeEncoder.encodeRange: expected 0 <= start < start + frequency <= ${PRECISION_TOTAL}` +
          `, got start ${start}, frequency ${frequency}`,
      );
    }
    const unit = Math.floor(this.range / PRECISION_TOTAL); // >= 2^8
    this.low += start * unit; // < 2^33: a carry into the pending bytes is possible
    this.range = frequency * unit;
    while (this.range < TOP) {
      this.range *= 256;
      this.shiftLow();
    }
  }

  /** Ends the stream and returns its bytes; the encoder takes no more symbols. */
  finish(): Uint8Array {
    if (this.finished) throw new AekitError('BAD_INPUT', 'RangeEncoder: already finished');
    // The value with the most trailing zero bits in [low, low + range): fewer bytes to keep.
    const last = this.low + this.range - 1;
    for (let bits = 32; bits >= 0; bits--) {
      const step = 2 ** bits;
      const value = Math.ceil(this.low / step) * step;
      if (value <= last) {
        this.low = value;
        break;
      }
    }
    for (let i = 0; i < 5; i++) this.shiftLow();
    this.finished = true;
    let end = this.length;
    while (end > 0 && this.buffer[end - 1] === 0) end--;
    return this.buffer.slice(0, end);
  }

  /** Moves the top byte of `low` out, holding it back while a carry could still change it. */
  private shiftLow(): void {
    const carry = this.low >= TWO_POW_32 ? 1 : 0;
    const low = carry ? this.low - TWO_POW_32 : this.low; // [0, 2^32)
    if (low < 0xff000000 || carry) {
      this.emit((this.cache + carry) & 0xff);
      for (; this.pending > 1; this.pending--) this.emit((0xff + carry) & 0xff);
      this.pending = 0;
      this.cache = low >>> 24;
    }
    this.pending++;
    this.low = (low & 0xffffff) * 256;
  }

  private emit(byte: number): void {
    if (this.skipFirst) {
      // The first byte is the integer part of a code value in [0, 1): always zero.
      this.skipFirst = false;
      return;
    }
    if (this.length === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = byte;
  }
}

/**
 * Reads symbols back from the bytes of a {@link RangeEncoder}, with the same tables in the
 * same order. Past the end of its bytes it reads zeros, so damaged input yields wrong
 * symbols but never a hang or an exception: callers check a checksum first.
 */
export class RangeDecoder {
  private readonly bytes: Uint8Array;
  private position: number;
  private code = 0;
  private range = FULL_RANGE;

  /** Decodes `bytes[start, end)`. */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = end === bytes.length && start === 0 ? bytes : bytes.subarray(start, end);
    this.position = 0;
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + this.nextByte();
  }

  /** The next symbol under `cdf`. */
  decode(cdf: Cdf): number {
    return this.decodeIn(cdf, 0, cdf.length - 1);
  }

  /**
   * The next symbol under the table of `symbols` symbols that starts at `cdf[start]` (many
   * tables laid end to end in one array): a symbol from 0 to `symbols - 1`.
   */
  decodeIn(cdf: Uint32Array, start: number, symbols: number): number {
    const unit = Math.floor(this.range / PRECISION_TOTAL);
    const target = Math.min(Math.floor(this.code / unit), PRECISION_TOTAL - 1);
    // The symbol whose interval holds the target: the last s with cdf[s] <= target.
    let low = start;
    let high = start + symbols - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (cdf[middle] <= target) low = middle;
      else high = middle - 1;
    }
    this.update(cdf[low], cdf[low + 1] - cdf[low], unit);
    return low - start;
  }

  /** The next value coded by {@link RangeEncoder.encodeUniform} with `bits` bits. */
  decodeUniform(bits: number): number {
    const shift = PRECISION_BITS - bits;
    const unit = Math.floor(this.range / PRECISION_TOTAL);
    const target = Math.min(Math.floor(this.code / unit), PRECISION_TOTAL - 1);
    const value = Math.floor(target / 2 ** shift);
    this.update(value * 2 ** shift, 2 ** shift, unit);
    return value;
  }

  private update(start: number, frequency: number, unit: number): void {
    this.code -= start * unit;
    this.range = frequency * unit;
    while (this.range < TOP) {
      // Modulo 2^32 keeps damaged input bounded; valid input never reaches it.
      this.code = (this.code * 256 + this.nextByte()) % TWO_POW_32;
      this.range *= 256;
    }
  }

  private nextByte(): number {
    return this.position < this.bytes.length ? this.bytes[this.position++] : 0;
  }
}

/**
 * A table from integer frequencies (each at least 1, summing to 2^16).
 *
 * @example
 * ```ts
 * cdfFromFrequencies([32768, 32768]); // Uint32Array [0, 32768, 65536]
 * ```
 */
export function cdfFromFrequencies(frequencies: ArrayLike<number>): Cdf {
  const n = frequencies.length;
  if (n < 1 || n > PRECISION_TOTAL) {
    throw new RangeError(
      `cdfFromFrequencies: frequencies: expected 1 to ${PRECISION_TOTAL} symbols, got ${n}`,
    );
  }
  const cdf = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const f = frequencies[i];
    if (!Number.isInteger(f) || f < 1) {
      throw new RangeError(
        `cdfFromFrequencies: frequencies[${i}]: expected an integer >= 1, got ${f}`,
      );
    }
    cdf[i + 1] = cdf[i] + f;
  }
  if (cdf[n] !== PRECISION_TOTAL) {
    throw new RangeError(
      `cdfFromFrequencies: frequencies: expected a sum of ${PRECISION_TOTAL}, got ${cdf[n]}`,
    );
  }
  return cdf;
}

/**
 * Quantises probabilities (non-negative, any positive sum) to a table of 16-bit precision.
 * Each symbol gets at least frequency 1, so nothing is impossible to code; the rest of the
 * total goes out in proportion, remainders to the largest fractional parts (ties to the
 * lower symbol). Deterministic: the same input gives the same table on every machine.
 */
export function quantizePmf(pmf: ArrayLike<number>): Cdf {
  const n = pmf.length;
  if (n < 1 || n > PRECISION_TOTAL) {
    throw new RangeError(`quantizePmf: pmf: expected 1 to ${PRECISION_TOTAL} symbols, got ${n}`);
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = pmf[i];
    if (!(p >= 0 && Number.isFinite(p))) {
      throw new RangeError(`quantizePmf: pmf[${i}]: expected a finite number >= 0, got ${p}`);
    }
    sum += p;
  }
  const spare = PRECISION_TOTAL - n;
  const frequencies = new Float64Array(n);
  const remainders: number[] = [];
  let assigned = 0;
  for (let i = 0; i < n; i++) {
    const share = sum > 0 ? (pmf[i] / sum) * spare : spare / n;
    const whole = Math.floor(share);
    frequencies[i] = 1 + whole;
    assigned += whole;
    remainders.push(share - whole);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => remainders[b] - remainders[a] || a - b,
  );
  for (let k = 0; assigned < spare; k = (k + 1) % n, assigned++) frequencies[order[k]]++;
  // Rounding of the shares could in principle hand out one too many: take it back.
  for (let k = n - 1; assigned > spare; k = (k + n - 1) % n) {
    if (frequencies[order[k]] > 1) {
      frequencies[order[k]]--;
      assigned--;
    }
  }
  return cdfFromFrequencies(frequencies);
}

/** The ideal cost in bits of coding `symbols` under `cdf`: `-sum log2(frequency / 2^16)`. */
export function idealBits(cdf: Cdf, symbols: ArrayLike<number>): number {
  let bits = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    bits -= Math.log2((cdf[s + 1] - cdf[s]) / PRECISION_TOTAL);
  }
  return bits;
}
