/**
 * Golden values from PyTorch for the optim tests: runs test/fixtures/golden_optim.py once
 * per test process and reads what it wrote, turning encoded tensors back into tensors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Tensor, tensor } from '../../src/engine/index.js';
import { generatedDir, runPython } from '../helpers/pytorch.js';

/** A tensor as the script writes it. */
export interface EncodedTensor {
  shape: number[];
  values: number[];
}

let dir: string | null = null;

/** Parses one of the script's JSON files, running the script first if this process has not. */
export function golden<T>(file: 'optim.json' | 'schedules.json' | 'clip.json'): T {
  if (dir === null) {
    dir = generatedDir('optim');
    runPython('golden_optim.py', [dir]);
  }
  return JSON.parse(readFileSync(join(dir, file), 'utf8'), (_key, value) =>
    value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value,
  ) as T;
}

/** Whether `value` is an encoded tensor. */
export function isEncoded(value: unknown): value is EncodedTensor {
  return value !== null && typeof value === 'object' && 'shape' in value && 'values' in value;
}

/** A float32 tensor from an encoded one. */
export function decode(encoded: EncodedTensor, options: { requiresGrad?: boolean } = {}): Tensor {
  return tensor(Float32Array.from(encoded.values), { shape: encoded.shape, ...options });
}

/** Relative tolerance of the golden comparisons (float32 values). */
export const RTOL = 1e-6;
/** Absolute tolerance, for values near zero. */
export const ATOL = 1e-9;

/** Asserts that each value of `actual` is within RTOL (relative) of `expected`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = Math.abs(a - e) <= RTOL * Math.abs(e) + ATOL || (Number.isNaN(a) && Number.isNaN(e));
    assert.ok(ok, `${what}[${i}]: expected ${e}, got ${a} (difference ${a - e})`);
  }
}

/** Asserts that a tensor matches an encoded one in shape and (within tolerance) values. */
export function assertTensorClose(actual: Tensor, expected: EncodedTensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assertClose(actual.toFloat32Array(), expected.values, what);
}
