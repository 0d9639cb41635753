/**
 * Input checks shared by the metrics. Each names the function and the argument, and says
 * what was expected and what was received, in the shape of {@link invalid}.
 */

import { AekitError, checkInteger, checkRange, checkType, describe } from '../engine/errors.js';

/** Float values as the metrics take them: C-order typed arrays. */
export type Values = Float32Array | Float64Array;

/** True for the float typed arrays the metrics accept. */
export function isValues(value: unknown): value is Values {
  return value instanceof Float32Array || value instanceof Float64Array;
}

/**
 * Checks that `values` is a Float32Array or Float64Array with at least one element and no
 * NaN. Infinities are refused too unless `allowMinusInfinity` lets -Infinity through (a log
 * of zero is a legitimate log-weight).
 */
export function checkValues(
  values: unknown,
  what: string,
  allowMinusInfinity = false,
): asserts values is Values {
  checkType(isValues(values), what, 'a Float32Array or Float64Array', values);
  const array = values as Values;
  if (array.length === 0) {
    throw new AekitError('BAD_INPUT', `${what}: expected at least one value, got an empty array`);
  }
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (v - v !== 0 && !(allowMinusInfinity && v === -Infinity)) {
      const expected = allowMinusInfinity ? 'finite numbers or -Infinity' : 'finite numbers';
      throw new AekitError(
        'NOT_FINITE',
        `${what}: expected ${expected}, got ${String(v)} at index ${i}`,
      );
    }
  }
}

/** Throws `SHAPE` unless `length` equals `expected`, explaining where `expected` came from. */
export function checkLength(length: number, expected: number, what: string, why: string): void {
  if (length !== expected) {
    throw new AekitError('SHAPE', `${what}: expected ${expected} values (${why}), got ${length}`);
  }
}

/** Checks a shape: an array of positive integers of one of the allowed lengths. */
export function checkShape(shape: unknown, what: string, ranks: readonly number[]): number[] {
  const expected = `an array of ${ranks.join(' or ')} positive integers`;
  checkType(Array.isArray(shape), what, expected, shape);
  const sizes = shape as unknown[];
  if (!ranks.includes(sizes.length)) {
    throw new AekitError('SHAPE', `${what}: expected ${expected}, got ${describe(shape)}`);
  }
  return sizes.map((size, i) => checkInteger(size, `${what}[${i}]`, 1));
}

/**
 * Checks integer labels (any typed array or number array) and returns them as an
 * Int32Array.
 */
export function checkLabels(labels: unknown, what: string, expectedLength: number): Int32Array {
  const ok = Array.isArray(labels) || (ArrayBuffer.isView(labels) && !(labels instanceof DataView));
  checkType(ok, what, 'an array or typed array of integers', labels);
  const array = labels as ArrayLike<number>;
  checkLength(array.length, expectedLength, what, 'one label per point');

  const result = new Int32Array(array.length);
  for (let i = 0; i < array.length; i++) {
    const label = array[i];
    if (typeof label !== 'number' || !Number.isInteger(label) || Math.abs(label) > 2 ** 31 - 1) {
      throw new TypeError(`${what}[${i}]: expected an integer label, got ${describe(label)}`);
    }
    result[i] = label;
  }
  return result;
}

/**
 * Checks binary labels (1 = anomaly, the positive class; 0 = normal) and that both classes
 * occur; returns them as a Uint8Array and the number of anomalies.
 */
export function checkBinaryLabels(
  labels: unknown,
  what: string,
  expectedLength: number,
): { labels: Uint8Array; positives: number } {
  const ok = Array.isArray(labels) || (ArrayBuffer.isView(labels) && !(labels instanceof DataView));
  checkType(ok, what, 'an array or typed array of 0 (normal) and 1 (anomaly)', labels);
  const array = labels as ArrayLike<number | boolean>;
  checkLength(array.length, expectedLength, what, 'one label per score');

  const result = new Uint8Array(array.length);
  let positives = 0;
  for (let i = 0; i < array.length; i++) {
    const label = array[i];
    if (label === 1 || label === true) {
      result[i] = 1;
      positives++;
    } else if (label !== 0 && label !== false) {
      throw new RangeError(
        `${what}[${i}]: expected 0 (normal) or 1 (anomaly), got ${describe(label)}`,
      );
    }
  }
  if (positives === 0 || positives === array.length) {
    const only = positives === 0 ? '0 (normal)' : '1 (anomaly)';
    throw new AekitError(
      'BAD_INPUT',
      `${what}: expected both 0 (normal) and 1 (anomaly), got only ${only} in ` +
        `${array.length} labels`,
    );
  }
  return { labels: result, positives };
}

/** Throws `BAD_INPUT` when every value is equal: there is no ranking or spread to measure. */
export function checkNotConstant(values: Values, what: string): void {
  const first = values[0];
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return;
  throw new AekitError(
    'BAD_INPUT',
    `${what}: expected at least two distinct values, got all ${values.length} equal to ` +
      `${String(first)}`,
  );
}

/** Options objects must be plain objects (or left out). */
export function checkOptions(options: unknown, what: string): void {
  const ok = options === undefined || (typeof options === 'object' && options !== null);
  checkType(ok, what, 'an options object', options);
}

/**
 * Checks that `value` is a finite number at least `min` (above `min` when `strict`) and
 * returns it.
 */
export function checkFiniteNumber(
  value: unknown,
  what: string,
  min: number,
  strict = false,
): number {
  checkType(typeof value === 'number' && !Number.isNaN(value), what, 'a number', value);
  const n = value as number;
  const ok = Number.isFinite(n) && (strict ? n > min : n >= min);
  checkRange(ok, what, `a finite number ${strict ? '>' : '>='} ${min}`, value);
  return n;
}
