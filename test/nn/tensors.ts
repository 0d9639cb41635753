// Helpers for the nn tests: tensors from golden JSON, and closeness checks that say where.
import assert from 'node:assert/strict';
import { Tensor, tensor } from '../../src/engine/index.js';

/** A tensor as the golden script writes it. */
export interface Encoded {
  shape: number[];
  dtype: 'float32' | 'int64';
  data: number[];
}

/** The tensor an {@link Encoded} describes. */
export function decode(encoded: Encoded): Tensor {
  if (encoded.dtype === 'int64') {
    return tensor(
      BigInt64Array.from(encoded.data, (v) => BigInt(v)),
      { shape: encoded.shape },
    );
  }
  return tensor(Float32Array.from(encoded.data), { shape: encoded.shape });
}

/** Tolerances: |actual - expected| <= atol + rtol * |expected|, elementwise. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/** The tolerance of the golden comparisons (same kernels, other summation orders). */
export const GOLDEN: Tolerance = { rtol: 1e-5, atol: 1e-6 };

/** Asserts that `actual` has the expected shape and values within `tolerance`. */
export function assertClose(
  actual: Tensor,
  expected: Encoded | { shape: number[]; data: ArrayLike<number> },
  what: string,
  tolerance: Tolerance = GOLDEN,
): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const values = actual.toNumbers();
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < values.length; i++) {
    const want = expected.data[i];
    const excess = Math.abs(values[i] - want) - (tolerance.atol + tolerance.rtol * Math.abs(want));
    if (excess > worstExcess || Number.isNaN(values[i])) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${what}: element ${worst} is ${values[worst]}, expected ${expected.data[worst]} ` +
        `(rtol ${tolerance.rtol}, atol ${tolerance.atol})`,
    );
  }
}

/** Asserts bitwise equality of float32 values (same seed, same kernel). */
export function assertExact(actual: Tensor, expected: Encoded, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.deepEqual(actual.toNumbers(), expected.data, `${what}: values`);
}
