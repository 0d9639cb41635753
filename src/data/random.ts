/**
 * A small seeded pseudo-random generator for data order (shuffles, splits, batches), so
 * that one seed gives the same order on every machine. Tensor randomness (initialisation,
 * dropout, VAE noise) belongs to the engine, not here.
 */

import { checkInteger } from '../engine/errors.js';

const TWO_POW_32 = 0x1_0000_0000;

/**
 * xoshiro128** 1.1 (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
 * 2018): 128 bits of state, period 2^128 - 1, 32-bit outputs. The state is filled from the
 * seed by the SplitMix-style sequence of a Weyl counter passed through MurmurHash3's 32-bit
 * finaliser, which never yields the all-zero state for four consecutive outputs.
 *
 * @example
 * ```ts
 * const random = new Xoshiro128(42);
 * random.int(10); // the same value for seed 42 on every run
 * ```
 */
export class Xoshiro128 {
  private readonly state = new Uint32Array(4);

  /**
   * @param seed - a non-negative safe integer.
   * @param stream - a second integer mixed into the seed, e.g. an epoch number, so that
   *   related generators (one per epoch) differ without inventing seeds. Default 0.
   */
  constructor(seed: number, stream = 0) {
    checkInteger(seed, 'Xoshiro128: seed', 0);
    checkInteger(stream, 'Xoshiro128: stream', 0);

    const low = seed % TWO_POW_32;
    const high = Math.floor(seed / TWO_POW_32);
    let counter = (low ^ Math.imul(high, 0x27d4eb2d) ^ Math.imul(stream, 0x165667b1)) | 0;
    for (let i = 0; i < 4; i++) {
      counter = (counter + 0x9e3779b9) | 0;
      this.state[i] = murmurFinalize(counter);
    }
  }

  /** A generator started from an explicit state (four 32-bit words, not all zero). */
  static fromState(words: [number, number, number, number]): Xoshiro128 {
    if (words.every((w) => w >>> 0 === 0)) {
      throw new RangeError('Xoshiro128.fromState: words: expected not all zero, got all zero');
    }
    const random = new Xoshiro128(0);
    for (let i = 0; i < 4; i++) random.state[i] = words[i] >>> 0;
    return random;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotateLeft(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotateLeft(s[3], 11);
    return result;
  }

  /** A float uniform in [0, 1) with 53 random bits. */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** An integer uniform in [0, n), without modulo bias; n from 1 to 2^32. */
  int(n: number): number {
    checkInteger(n, 'Xoshiro128.int: n', 1, TWO_POW_32);
    // Reject the top partial copy of [0, n) so that every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Shuffles `values` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: number } | unknown[]>(values: T): T {
    const array = values as unknown as unknown[];
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = array[i];
      array[i] = array[j];
      array[j] = swap;
    }
    return values;
  }
}

/** The indices 0..n-1 in an order fixed by `seed` (and `stream`). */
export function permutation(n: number, seed: number, stream = 0): Int32Array {
  checkInteger(n, 'permutation: n', 0, 0x7fffffff);
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  return new Xoshiro128(seed, stream).shuffle(indices);
}

function rotateLeft(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function murmurFinalize(x: number): number {
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
