/**
 * Checks shared by the layers: option values (through the engine's validation helpers, so
 * messages have one shape) and the rank and sizes of forward inputs.
 */
import { AekitError, Tensor, checkInteger, checkNumber, checkType } from '../engine/index.js';

/** A size for 2-D layers: one number for both dims, or `[height, width]`. */
export type Pair = number | [number, number];

/** Checks a 2-D size option and returns it as `[height, width]`. */
export function checkPair(value: unknown, what: string, min: number): [number, number] {
  if (Array.isArray(value)) {
    checkType(value.length === 2, what, 'a number or a pair of numbers', value);
    return [checkInteger(value[0], `${what}[0]`, min), checkInteger(value[1], `${what}[1]`, min)];
  }
  const n = checkInteger(value, what, min);
  return [n, n];
}

/** Checks an optional boolean option and returns it or its default. */
export function checkBoolean(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  checkType(typeof value === 'boolean', what, 'a boolean', value);
  return value as boolean;
}

/** Checks a probability in [0, 1]. */
export function checkProbability(value: unknown, what: string): number {
  return checkNumber(value, what, 0, 1);
}

/** Checks that options, when given, are a plain object. */
export function checkOptions<T extends object>(options: T | undefined, what: string): T {
  if (options === undefined) return {} as T;
  const ok = typeof options === 'object' && options !== null && !Array.isArray(options);
  checkType(ok, what, 'an options object', options);
  return options;
}

/** Formats a shape for messages: `[2, 3]`. */
export function shapeText(shape: number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that a forward input is a Tensor of one of `ranks` (a list, or a test of the rank)
 * and returns its shape.
 * `layout` describes what was expected, e.g. "a 4-D [batch, channels, height, width] tensor".
 */
export function checkInput(
  owner: string,
  input: unknown,
  ranks: number[] | ((rank: number) => boolean),
  layout: string,
): number[] {
  checkType(input instanceof Tensor, `${owner} input`, 'a Tensor', input);
  const shape = (input as Tensor).shape;
  const ok = Array.isArray(ranks) ? ranks.includes(shape.length) : ranks(shape.length);
  if (!ok) {
    throw new AekitError(
      'SHAPE',
      `${owner} input: expected ${layout}, got shape ${shapeText(shape)}`,
    );
  }
  return shape;
}

/** Checks that dim `dim` of an input's shape has `size` elements. */
export function checkDimSize(
  owner: string,
  shape: number[],
  dim: number,
  size: number,
  meaning: string,
): void {
  const index = dim < 0 ? shape.length + dim : dim;
  if (shape[index] !== size) {
    throw new AekitError(
      'SHAPE',
      `${owner} input: expected ${size} ${meaning} in dim ${index}, got shape ${shapeText(shape)}`,
    );
  }
}
