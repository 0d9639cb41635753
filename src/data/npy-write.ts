/**
 * Writing NumPy `.npy` files: format version 1.0 (2.0 when the header outgrows 65,535
 * bytes), little-endian, C order, the header padded with spaces so that the data starts at
 * a multiple of 64 bytes, as `np.save` does. `np.load` reads the result.
 */

import { checkInteger, checkType } from '../engine/errors.js';
import { writeFileAtomic } from '../engine/serialize.js';
import { product } from './dataset.js';

/** Arrays that {@link encodeNpy} writes, and the NumPy dtype each becomes. */
export type NpyWritable = Float32Array | Float64Array | Uint8Array | Int32Array;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** The data of an .npy file starts at a multiple of this many bytes. */
const ALIGNMENT = 64;

function descriptorOf(values: NpyWritable): { descr: string; bytes: number } {
  if (values instanceof Float32Array) return { descr: '<f4', bytes: 4 };
  if (values instanceof Float64Array) return { descr: '<f8', bytes: 8 };
  if (values instanceof Int32Array) return { descr: '<i4', bytes: 4 };
  return { descr: '|u1', bytes: 1 };
}

/**
 * The bytes of an `.npy` file holding `values` (C order) with `shape`. Float32Array becomes
 * `<f4`, Float64Array `<f8`, Int32Array `<i4` and Uint8Array `|u1`.
 *
 * @example
 * ```ts
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * // np.load(...) -> array([[1., 2., 3.], [4., 5., 6.]], dtype=float32)
 * ```
 */
export function encodeNpy(values: NpyWritable, shape: readonly number[]): Buffer {
  checkType(
    values instanceof Float32Array ||
      values instanceof Float64Array ||
      values instanceof Int32Array ||
      values instanceof Uint8Array,
    'encodeNpy: values',
    'a Float32Array, Float64Array, Int32Array or Uint8Array',
    values,
  );
  checkType(Array.isArray(shape), 'encodeNpy: shape', 'an array of sizes', shape);
  shape.forEach((size, axis) => checkInteger(size, `encodeNpy: shape[${axis}]`, 0));
  if (product(shape) !== values.length) {
    throw new RangeError(
      `encodeNpy: values: expected ${product(shape)} values for shape [${shape.join(', ')}], ` +
        `got ${values.length}`,
    );
  }

  // A one-element tuple needs its trailing comma: (3,).
  const { descr, bytes } = descriptorOf(values);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;

  // Version 1 stores the header length in 2 bytes, version 2 in 4.
  let version = 1;
  let prefix = MAGIC.length + 2 + 2;
  let padded = paddedLength(prefix, dict.length);
  if (padded > 0xffff) {
    version = 2;
    prefix = MAGIC.length + 2 + 4;
    padded = paddedLength(prefix, dict.length);
  }
  const header = dict.padEnd(padded - 1, ' ') + '\n';

  const out = Buffer.alloc(prefix + padded + values.length * bytes);
  MAGIC.forEach((byte, i) => (out[i] = byte));
  out[6] = version;
  out[7] = 0;
  if (version === 1) out.writeUInt16LE(padded, 8);
  else out.writeUInt32LE(padded, 8);
  out.write(header, prefix, 'latin1');

  const view = new DataView(out.buffer, out.byteOffset + prefix + padded);
  if (values instanceof Uint8Array) {
    out.set(values, prefix + padded);
  } else if (values instanceof Float32Array) {
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  } else if (values instanceof Float64Array) {
    for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i], true);
  } else {
    for (let i = 0; i < values.length; i++) view.setInt32(4 * i, values[i], true);
  }
  return out;
}

/** Header length (newline included) that makes `prefix + header` a multiple of 64. */
function paddedLength(prefix: number, dictLength: number): number {
  const unpadded = prefix + dictLength + 1;
  return Math.ceil(unpadded / ALIGNMENT) * ALIGNMENT - prefix;
}

/**
 * Writes `values` with `shape` to an `.npy` file, atomically (a temporary file, then a
 * rename), so a failed write leaves any file already at `file` as it was.
 *
 * @example
 * ```ts
 * saveNpy('codes.npy', codes, [count, latentDim]);
 * ```
 */
export function saveNpy(file: string, values: NpyWritable, shape: readonly number[]): void {
  checkType(typeof file === 'string' && file.length > 0, 'saveNpy: file', 'a file path', file);
  writeFileAtomic(file, encodeNpy(values, shape));
}
