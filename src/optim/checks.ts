/**
 * Checks for optimizer and schedule options, built on the engine's validation helpers so
 * that every message reads `<what>: expected <expected>, got <received>`.
 */
import { checkNumber, checkRange, checkType } from '../engine/index.js';

/** A number >= 0 (learning rates, weight decay, momentum). */
export function nonNegative(value: unknown, what: string): number {
  return checkNumber(value, what, 0);
}

/** Any number but NaN. */
export function anyNumber(value: unknown, what: string): number {
  return checkNumber(value, what);
}

/** A number > 0 (eps). */
export function positive(value: unknown, what: string): number {
  checkType(typeof value === 'number' && !Number.isNaN(value), what, 'a number', value);
  checkRange((value as number) > 0, what, 'a number > 0', value);
  return value as number;
}

/** A boolean. */
export function flag(value: unknown, what: string): boolean {
  checkType(typeof value === 'boolean', what, 'a boolean', value);
  return value as boolean;
}

/** A number in [0, 1), such as a moment decay rate. */
export function unitInterval(value: unknown, what: string): number {
  checkType(typeof value === 'number' && !Number.isNaN(value), what, 'a number', value);
  const n = value as number;
  checkRange(n >= 0 && n < 1, what, 'a number from 0 up to (not including) 1', value);
  return n;
}

/** Adam's `betas`: two numbers in [0, 1). Returns a copy. */
export function betaPair(value: unknown, what: string): [number, number] {
  const ok = Array.isArray(value) && value.length === 2;
  checkType(ok, what, 'an array of two numbers', value);
  const [beta1, beta2] = value as unknown[];
  return [unitInterval(beta1, `${what}[0]`), unitInterval(beta2, `${what}[1]`)];
}

/** Throws a TypeError naming the first key of `object` that is not in `known`. */
export function checkKeys(object: object, known: string[], what: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      throw new TypeError(`${what}: expected only the options ${known.join(', ')}, got '${key}'`);
    }
  }
}

/** Checks that `options` is an object with no keys but `known`, and returns it. */
export function checkOptions<T extends object>(options: T, known: string[], what: string): T {
  checkType(options !== null && typeof options === 'object', what, 'an object', options);
  checkKeys(options, known, what);
  return options;
}
