/** Fixture builders for the data tests: tiny files written to a fresh temporary folder. */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary folder and a function that removes it. */
export async function temporaryFolder(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aekit-data-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** IDX bytes: magic (type code, rank), big-endian dims, then big-endian values. */
export function idxBytes(code: number, dims: number[], values: ArrayLike<number>): Buffer {
  const sizes: Record<number, number> = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 };
  const bytes = sizes[code];
  const buffer = Buffer.alloc(4 + 4 * dims.length + values.length * bytes);
  buffer[2] = code;
  buffer[3] = dims.length;
  dims.forEach((size, i) => buffer.writeUInt32BE(size, 4 + 4 * i));
  let offset = 4 + 4 * dims.length;
  for (let i = 0; i < values.length; i++, offset += bytes) {
    const v = values[i];
    if (code === 8) buffer.writeUInt8(v, offset);
    else if (code === 9) buffer.writeInt8(v, offset);
    else if (code === 11) buffer.writeInt16BE(v, offset);
    else if (code === 12) buffer.writeInt32BE(v, offset);
    else if (code === 13) buffer.writeFloatBE(v, offset);
    else buffer.writeDoubleBE(v, offset);
  }
  return buffer;
}

/** `.npy` bytes in the given format version, with a header padded to 64 bytes. */
export function npyBytes(
  descr: string,
  shape: number[],
  body: Buffer,
  options: { version?: 1 | 2 | 3; fortran?: boolean } = {},
): Buffer {
  const version = options.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const fortran = options.fortran ? 'True' : 'False';
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  while ((prefix + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const start = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(start);
  if (version === 1) start.writeUInt16LE(header.length, 8);
  else start.writeUInt32LE(header.length, 8);
  return Buffer.concat([start, Buffer.from(header, 'latin1'), body]);
}

/** Little-endian float32 bytes. */
export function float32Bytes(values: number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}
