/**
 * NumPy `.npy` files (format versions 1-3): the magic string `\x93NUMPY`, a version, a
 * little-endian header length, a Python dict literal with `descr`, `fortran_order` and
 * `shape`, then the values. Read here: little-endian float32, float64, uint8, int32 and
 * int64 in C order.
 */

import { readFile } from 'node:fs/promises';

import { AekitError, checkInteger, checkType } from '../engine/errors.js';
import {
  checkFinite,
  observedRange,
  product,
  type Dataset,
  type Loaded,
  type LoadReport,
} from './dataset.js';
import { UINT8_TO_UNIT, scaleUint8, uint8Notice } from './checks.js';
import { fileError, messageOf } from './messages.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The value types read from `.npy` files, by their NumPy names. */
export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64';

const DESCRIPTORS: Record<string, { dtype: NpyDtype; bytes: number }> = {
  '<f4': { dtype: 'float32', bytes: 4 },
  '<f8': { dtype: 'float64', bytes: 8 },
  '|u1': { dtype: 'uint8', bytes: 1 },
  '<u1': { dtype: 'uint8', bytes: 1 },
  '<i4': { dtype: 'int32', bytes: 4 },
  '<i8': { dtype: 'int64', bytes: 8 },
};

/** The contents of one `.npy` file. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Values in C order; int64 values are converted to the nearest double. */
  values: Float32Array | Float64Array | Uint8Array | Int32Array;
}

/**
 * Parses `.npy` bytes. `file` only names the source in errors: bad magic, an unknown
 * version, a header that is truncated or lacks a field, fortran_order, an unsupported
 * dtype, or data shorter or longer than the shape says.
 */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const start = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0'));
    throw fileError(
      'BAD_FILE',
      file,
      'magic string',
      '\\x93NUMPY (a .npy file)',
      bytes.length < 10 ? `${bytes.length} bytes (truncated)` : `bytes ${start.join(' ')}`,
    );
  }

  // Header length: uint16 in version 1, uint32 in versions 2 and 3.
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw fileError('BAD_FILE', file, 'format version', '1, 2 or 3', String(major));
  }
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) {
    throw fileError('BAD_FILE', file, 'header', 'a header length', 'end of file (truncated)');
  }
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) {
    throw fileError(
      'BAD_FILE',
      file,
      'header',
      `${headerLength} header bytes`,
      `${bytes.length - 8 - lengthBytes} (truncated)`,
    );
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(8 + lengthBytes, dataStart),
  );

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    const missing =
      descr === undefined ? 'descr' : fortran === undefined ? 'fortran_order' : 'shape';
    throw fileError('BAD_FILE', file, `header ${missing}`, 'a value', 'none');
  }
  if (fortran === 'True') {
    throw fileError(
      'BAD_FILE',
      file,
      'fortran_order',
      'False (C order; save with np.ascontiguousarray)',
      'True',
    );
  }
  const descriptor = DESCRIPTORS[descr];
  if (!descriptor) {
    const hint = descr.startsWith('>') ? ' (big-endian; convert with .astype("<f4"))' : '';
    throw fileError(
      'BAD_FILE',
      file,
      'dtype',
      'one of <f4 (float32), <f8 (float64), |u1 (uint8), <i4 (int32), <i8 (int64)',
      `'${descr}'${hint}`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
  if (shape.some((size) => !Number.isInteger(size) || size < 0)) {
    throw fileError('BAD_FILE', file, 'shape', 'non-negative integers', `(${shapeText})`);
  }

  const count = product(shape);
  const expected = count * descriptor.bytes;
  const actual = bytes.length - dataStart;
  if (actual !== expected) {
    throw fileError(
      'BAD_FILE',
      file,
      'data',
      `${expected} bytes for shape (${shape.join(', ')}) of ${descriptor.dtype}`,
      actual < expected ? `${actual} bytes (truncated)` : `${actual} bytes (extra bytes at end)`,
    );
  }

  return { dtype: descriptor.dtype, shape, values: readValues(view, dataStart, count, descriptor) };
}

function readValues(
  view: DataView,
  start: number,
  count: number,
  descriptor: { dtype: NpyDtype; bytes: number },
): NpyArray['values'] {
  switch (descriptor.dtype) {
    case 'uint8':
      return new Uint8Array(
        view.buffer.slice(view.byteOffset + start, view.byteOffset + start + count),
      );
    case 'float32': {
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(start + 4 * i, true);
      return values;
    }
    case 'float64': {
      const values = new Float64Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat64(start + 8 * i, true);
      return values;
    }
    case 'int32': {
      const values = new Int32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getInt32(start + 4 * i, true);
      return values;
    }
    case 'int64': {
      const values = new Float64Array(count);
      for (let i = 0; i < count; i++) values[i] = Number(view.getBigInt64(start + 8 * i, true));
      return values;
    }
  }
}

/** Reads and parses a `.npy` file. */
export async function readNpy(file: string): Promise<NpyArray> {
  checkType(typeof file === 'string', 'readNpy: file', 'a path string', file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fileError('BAD_FILE', file, 'file', 'a readable file', messageOf(error), error);
  }
  return parseNpy(bytes, file);
}

/** Options of {@link loadNpy}. */
export interface NpyOptions {
  /** A `.npy` file of integer class labels, one per sample. */
  labels?: string;
  /** Scale uint8 data from [0, 255] to [0, 1] (with a notice). Default true. */
  scaleUint8?: boolean;
  /** Keep only the first `limit` samples. Default: all. */
  limit?: number;
}

/**
 * Reads a `.npy` array whose first axis is the sample axis into a dataset. A 1-D array
 * becomes `[n, 1]` (with a notice); uint8 data is scaled to [0, 1] (with a notice) unless
 * `scaleUint8` is false; NaN and infinities are refused, naming the sample.
 */
export async function loadNpy(file: string, options: NpyOptions = {}): Promise<Loaded> {
  const array = await readNpy(file);
  const notices: string[] = [];
  if (array.shape.length === 0) {
    throw fileError('SHAPE', file, 'shape', '[count, ...sampleShape]', '() (a single scalar)');
  }
  let shape = array.shape;
  if (shape.length === 1) {
    shape = [shape[0], 1];
    notices.push(`${file}: 1-D array of ${shape[0]} values read as ${shape[0]} samples of 1 value`);
  }
  if (shape[0] === 0) {
    throw fileError('BAD_INPUT', file, 'samples', 'at least 1', '0 (empty set)');
  }
  if (shape.slice(1).some((size) => size === 0)) {
    throw fileError('SHAPE', file, 'shape', 'positive sample sizes', `(${shape.join(', ')})`);
  }
  const limit =
    options.limit === undefined ? Infinity : checkInteger(options.limit, 'loadNpy: limit', 1);
  const n = Math.min(shape[0], limit);
  const sampleValues = product(shape.slice(1));
  const values = array.values.subarray(0, n * sampleValues);

  const dataset: Dataset = {
    data: new Float32Array(0),
    shape: [n, ...shape.slice(1)],
    valueRange: [0, 1],
    source: file,
    preprocessing: [],
  };
  if (array.dtype === 'uint8' && (options.scaleUint8 ?? true)) {
    dataset.data = scaleUint8(values as Uint8Array);
    dataset.preprocessing.push(structuredClone(UINT8_TO_UNIT));
    notices.push(uint8Notice(file));
  } else {
    checkFinite(values, file, 'data', sampleValues);
    dataset.data = Float32Array.from(values);
    // A float64 value beyond float32's range becomes infinite on conversion.
    checkFinite(dataset.data, file, 'data (as float32)', sampleValues);
    dataset.valueRange = observedRange(dataset.data);
  }

  if (options.labels !== undefined) {
    const read = await readNpy(options.labels);
    const labels = checkLabels(read, options.labels, array.shape[0], file);
    dataset.labels = labels.subarray(0, n);
    let classes = 0;
    for (const label of dataset.labels) classes = Math.max(classes, label + 1);
    dataset.labelNames = Array.from({ length: classes }, (_, i) => String(i));
  }
  return { dataset, report: { notices } satisfies LoadReport };
}

function checkLabels(
  array: NpyArray,
  file: string,
  expected: number,
  dataFile: string,
): Int32Array {
  if (array.dtype === 'float32' || array.dtype === 'float64') {
    throw fileError('BAD_FILE', file, 'dtype', 'integer labels (uint8, int32, int64)', array.dtype);
  }
  if (array.shape.length !== 1) {
    throw fileError('SHAPE', file, 'shape', '(count,)', `(${array.shape.join(', ')})`);
  }
  if (array.shape[0] !== expected) {
    throw new AekitError(
      'BAD_FILE',
      `${file}: label count: expected ${expected} (the sample count of ${dataFile}), ` +
        `got ${array.shape[0]}`,
    );
  }
  const labels = Int32Array.from(array.values);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] !== array.values[i]) {
      throw fileError(
        'BAD_FILE',
        file,
        `labels[${i}]`,
        'a class index >= 0',
        String(array.values[i]),
      );
    }
  }
  return labels;
}
