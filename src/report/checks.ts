/**
 * Checks on the typed arrays that report functions draw: images as `[n, c, h, w]` and
 * finite number series. Each message names the function and the argument.
 */

import { AekitError, checkInteger, checkType, invalid } from '../engine/errors.js';

/** Sizes of an image batch laid out as `[n, c, h, w]`, row-major. */
export interface ImageShape {
  /** Images. */
  n: number;
  /** Channels: 1 (grayscale) or 3 (RGB). */
  c: 1 | 3;
  /** Height in pixels. */
  h: number;
  /** Width in pixels. */
  w: number;
}

const AXES = ['images', 'channels', 'height', 'width'];

/**
 * Checks `images` against `shape` (`[n, c, h, w]`, c = 1 or 3) and that every value is
 * finite. `fn` and `argument` name the caller and the array in messages.
 */
export function checkImages(
  fn: string,
  argument: string,
  images: unknown,
  shape: unknown,
): ImageShape {
  checkType(images instanceof Float32Array, `${fn}: ${argument}`, 'a Float32Array', images);
  checkType(
    Array.isArray(shape) && shape.length === 4,
    `${fn}: shape`,
    'an array [n, c, h, w]',
    shape,
  );
  const dims = shape as unknown[];
  const data = images as Float32Array;

  // An empty batch says so first, rather than as a shape mismatch.
  if (dims[0] === 0 || data.length === 0) {
    throw new RangeError(`${fn}: ${argument}: expected at least one image, got none`);
  }
  const [n, c, h, w] = dims.map((d, i) => checkInteger(d, `${fn}: shape[${i}] (${AXES[i]})`, 1));
  if (c !== 1 && c !== 3) {
    throw new RangeError(invalid(`${fn}: shape[1] (channels)`, '1 or 3', c));
  }

  const expected = n * c * h * w;
  if (data.length !== expected) {
    throw new AekitError(
      'SHAPE',
      `${fn}: ${argument}: expected ${expected} values for shape [${n}, ${c}, ${h}, ${w}], ` +
        `got ${data.length}`,
    );
  }
  checkFinite(fn, argument, data);
  return { n, c, h, w };
}

/** Throws `NOT_FINITE` at the first NaN or infinity in `values`, naming its index. */
export function checkFinite(fn: string, argument: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new AekitError(
        'NOT_FINITE',
        `${fn}: ${argument}: expected finite numbers, got ${String(values[i])} at index ${i}`,
      );
    }
  }
}

/** Checks a list of `count` strings, one per image; `noun` names them in messages. */
export function checkLabels(
  fn: string,
  what: string,
  labels: unknown,
  count: number,
  noun = 'labels',
): string[] {
  checkType(Array.isArray(labels), `${fn}: ${what}`, 'an array of strings', labels);
  const list = labels as unknown[];
  if (list.length !== count) {
    throw new AekitError(
      'SHAPE',
      `${fn}: ${what}: expected ${count} ${noun}, one per image, got ${list.length}`,
    );
  }
  list.forEach((label, i) => {
    checkType(typeof label === 'string', `${fn}: ${what}[${i}]`, 'a string', label);
  });
  return list as string[];
}

/** Checks that `options` is undefined or a plain object and returns it as one. */
export function checkOptions<T extends object>(fn: string, options: unknown): Partial<T> {
  if (options === undefined) return {};
  checkType(
    typeof options === 'object' && options !== null && !Array.isArray(options),
    `${fn}: options`,
    'an object',
    options,
  );
  return options as Partial<T>;
}
