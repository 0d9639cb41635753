/**
 * IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic number (two zero bytes,
 * a type code, the number of dimensions), one big-endian uint32 size per dimension, then
 * the values, big-endian, in C order. A name ending in `.gz` is gunzipped first.
 */

import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { AekitError, checkInteger, checkType } from '../engine/errors.js';
import { product, type Dataset, type Loaded, type LoadReport } from './dataset.js';
import { UINT8_TO_UNIT, scaleUint8, uint8Notice } from './checks.js';
import { fileError, messageOf } from './messages.js';

/** Type codes of the IDX format and the array each is read into. */
const IDX_TYPES = {
  0x08: { name: 'unsigned byte', bytes: 1 },
  0x09: { name: 'signed byte', bytes: 1 },
  0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 },
  0x0d: { name: 'float32', bytes: 4 },
  0x0e: { name: 'float64', bytes: 8 },
} as const;

type IdxTypeCode = keyof typeof IDX_TYPES;

/** The contents of one IDX file. */
export interface IdxArray {
  /** Name of the IDX value type, e.g. `'unsigned byte'`. */
  type: (typeof IDX_TYPES)[IdxTypeCode]['name'];
  /** Size of each dimension. */
  dims: number[];
  /** Values in C order, in the array type matching `type`. */
  values: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/**
 * Parses IDX bytes (already gunzipped). `file` only names the source in errors: a bad
 * magic number, an unknown type code, a header or data shorter than the header says, or
 * bytes left over after the data.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) {
    throw fileError('BAD_FILE', file, 'header', 'at least 4 bytes', `${bytes.length} (truncated)`);
  }
  const magic = view.getUint32(0, false);
  const code = bytes[2];
  const rank = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(code in IDX_TYPES) || rank === 0) {
    throw fileError(
      'BAD_FILE',
      file,
      'magic number',
      '0x0000TTNN (IDX: type code TT in 08, 09, 0B-0E, NN >= 1 dimensions)',
      `0x${magic.toString(16).padStart(8, '0')}`,
    );
  }
  const type = IDX_TYPES[code as IdxTypeCode];

  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw fileError(
      'BAD_FILE',
      file,
      'header',
      `${headerBytes} bytes for ${rank} dimension sizes`,
      `${bytes.length} bytes (truncated)`,
    );
  }
  const dims: number[] = [];
  for (let axis = 0; axis < rank; axis++) dims.push(view.getUint32(4 + 4 * axis, false));

  const expected = product(dims) * type.bytes;
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw fileError(
      'BAD_FILE',
      file,
      'data',
      `${expected} bytes for dimensions [${dims.join(', ')}] of ${type.name}`,
      actual < expected ? `${actual} bytes (truncated)` : `${actual} bytes (extra bytes at end)`,
    );
  }

  const count = product(dims);
  const start = headerBytes;
  let values: IdxArray['values'];
  switch (code as IdxTypeCode) {
    case 0x08:
      // Copy: a Buffer's slice() shares memory, and the file's bytes may be a pooled buffer.
      values = new Uint8Array(bytes.subarray(start, start + count));
      break;
    case 0x09:
      values = new Int8Array(new Uint8Array(bytes.subarray(start, start + count)).buffer);
      break;
    case 0x0b:
      values = new Int16Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getInt16(start + 2 * i, false);
      break;
    case 0x0c:
      values = new Int32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getInt32(start + 4 * i, false);
      break;
    case 0x0d:
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(start + 4 * i, false);
      break;
    case 0x0e:
      values = new Float64Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat64(start + 8 * i, false);
      break;
  }
  return { type: type.name, dims, values };
}

/** Reads an IDX file from disk, gunzipping it when its name ends in `.gz`. */
export async function readIdx(file: string): Promise<IdxArray> {
  checkType(typeof file === 'string', 'readIdx: file', 'a path string', file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fileError('BAD_FILE', file, 'file', 'a readable file', messageOf(error), error);
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw fileError('BAD_FILE', file, 'gzip stream', 'valid gzip data', messageOf(error), error);
    }
  }
  return parseIdx(bytes, file);
}

/** Options of {@link loadIdx}. */
export interface IdxOptions {
  /** IDX file of labels, one unsigned byte per image. */
  labels?: string;
  /** Names of the label values 0, 1, ...; default their decimal digits. */
  labelNames?: string[];
  /** Keep only the first `limit` images. Default: all. */
  limit?: number;
}

/**
 * Reads an IDX image file (`[n, height, width]` or `[n, channels, height, width]` of
 * unsigned bytes) and optionally its label file into a dataset of shape
 * `[n, channels, height, width]` with values scaled to [0, 1].
 *
 * @example
 * ```ts
 * const { dataset } = await loadIdx('t10k-images-idx3-ubyte.gz', {
 *   labels: 't10k-labels-idx1-ubyte.gz',
 * });
 * ```
 */
export async function loadIdx(imagesFile: string, options: IdxOptions = {}): Promise<Loaded> {
  const images = await readIdx(imagesFile);
  if (images.type !== 'unsigned byte') {
    throw fileError('BAD_FILE', imagesFile, 'type', 'unsigned byte images', images.type);
  }
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw fileError(
      'SHAPE',
      imagesFile,
      'dimensions',
      '[n, height, width] or [n, channels, height, width]',
      `[${images.dims.join(', ')}]`,
    );
  }
  if (images.dims[0] === 0) {
    throw fileError('BAD_FILE', imagesFile, 'image count', 'at least 1', '0 (empty set)');
  }
  const sample = images.dims.length === 3 ? [1, ...images.dims.slice(1)] : images.dims.slice(1);
  const limit =
    options.limit === undefined ? Infinity : checkInteger(options.limit, 'loadIdx: limit', 1);
  const n = Math.min(images.dims[0], limit);
  const pixels = product(sample);

  let labels: Int32Array | undefined;
  let labelNames: string[] | undefined;
  if (options.labels !== undefined) {
    const file = options.labels;
    const read = await readIdx(file);
    if (read.type !== 'unsigned byte' || read.dims.length !== 1) {
      throw fileError(
        'BAD_FILE',
        file,
        'labels',
        'one dimension of unsigned bytes',
        `${read.type} with dimensions [${read.dims.join(', ')}]`,
      );
    }
    if (read.dims[0] !== images.dims[0]) {
      throw new AekitError(
        'BAD_FILE',
        `${file}: label count: expected ${images.dims[0]} (the image count of ${imagesFile}), ` +
          `got ${read.dims[0]}`,
      );
    }
    labels = Int32Array.from(read.values.subarray(0, n));
    let classes = 0;
    for (const label of labels) classes = Math.max(classes, label + 1);
    const names = options.labelNames ?? Array.from({ length: classes }, (_, i) => String(i));
    const bad = labels.findIndex((label) => label >= names.length);
    if (bad >= 0) {
      throw fileError(
        'BAD_FILE',
        file,
        `labels[${bad}]`,
        `a class index below ${names.length}`,
        String(labels[bad]),
      );
    }
    labelNames = names;
  }

  const source = imagesFile;
  const dataset: Dataset = {
    data: scaleUint8(images.values.subarray(0, n * pixels) as Uint8Array),
    shape: [n, ...sample],
    valueRange: [0, 1],
    source,
    preprocessing: [structuredClone(UINT8_TO_UNIT)],
  };
  if (labels) dataset.labels = labels;
  if (labelNames) dataset.labelNames = labelNames;
  const report: LoadReport = { notices: [uint8Notice(source)] };
  return { dataset, report };
}

/** Where the Debian package `dataset-fashion-mnist` installs its files. */
export const FASHION_MNIST_DIRECTORY = '/usr/share/datasets/fashion-mnist';

/** The ten Fashion-MNIST classes, in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** `'train'` (60,000 images) or `'test'` (10,000). Default `'train'`. */
  split?: 'train' | 'test';
  /** Folder holding the IDX files. Default {@link FASHION_MNIST_DIRECTORY}. */
  directory?: string;
  /** Keep only the first `limit` images. Default: all. */
  limit?: number;
}

/**
 * Reads Fashion-MNIST from the IDX files `train-images-idx3-ubyte(.gz)`,
 * `train-labels-idx1-ubyte(.gz)`, `t10k-...` in `directory`: shape `[n, 1, 28, 28]`,
 * values in [0, 1], labels with the class names.
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<Loaded> {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new TypeError(
      `loadFashionMnist: split: expected 'train' or 'test', got ${JSON.stringify(split)}`,
    );
  }
  const directory = options.directory ?? FASHION_MNIST_DIRECTORY;
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = await findIdx(directory, `${prefix}-images-idx3-ubyte`);
  const labels = await findIdx(directory, `${prefix}-labels-idx1-ubyte`);

  const idxOptions: IdxOptions = { labels, labelNames: FASHION_MNIST_CLASSES };
  if (options.limit !== undefined) idxOptions.limit = options.limit;
  return loadIdx(images, idxOptions);
}

async function findIdx(directory: string, base: string): Promise<string> {
  for (const name of [`${base}.gz`, base]) {
    const file = path.join(directory, name);
    try {
      await access(file);
      return file;
    } catch {
      // Try the next spelling.
    }
  }
  throw new AekitError(
    'BAD_INPUT',
    `${path.join(directory, base)}: file: expected ${base}.gz or ${base} in ${directory}, ` +
      `got neither; install the Debian package dataset-fashion-mnist or pass the folder`,
  );
}
