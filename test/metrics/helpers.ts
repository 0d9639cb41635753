// Shared by the metrics tests: seeded random arrays and the Python reference scripts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Xoshiro128 } from '../../src/data/random.js';
import { generatedDir, runPython } from '../helpers/pytorch.js';

/** `length` values uniform in [low, high), fixed by `seed`. */
export function uniform(length: number, seed: number, low = 0, high = 1): Float64Array {
  const random = new Xoshiro128(seed);
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) values[i] = low + (high - low) * random.next();
  return values;
}

/** `length` standard normal values (Box-Muller), fixed by `seed`. */
export function normal(length: number, seed: number): Float64Array {
  const random = new Xoshiro128(seed);
  const values = new Float64Array(length);
  for (let i = 0; i < length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random.next()));
    const angle = 2 * Math.PI * random.next();
    values[i] = radius * Math.cos(angle);
    if (i + 1 < length) values[i + 1] = radius * Math.sin(angle);
  }
  return values;
}

/**
 * Runs test/fixtures/<script> on `cases`, written as JSON (doubles round-trip exactly), and
 * returns its JSON answer.
 */
export function reference<T>(script: string, name: string, cases: unknown[]): T {
  const path = join(generatedDir('metrics'), `${name}.json`);
  const plain = JSON.stringify(cases, (_key, value: unknown) =>
    ArrayBuffer.isView(value) ? Array.from(value as Float64Array) : value,
  );
  writeFileSync(path, plain);
  return JSON.parse(runPython(script, [path])) as T;
}

/** Asserts |actual - expected| <= tolerance, with both values in the message. */
export function assertNear(actual: number, expected: number, tolerance: number, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} differs from ${expected} by more than ${tolerance}`,
  );
}
