/**
 * The `.aez` container: many compressed records (one per image) behind one small header.
 *
 * Layout, version 1 (varint: unsigned LEB128, at most 5 bytes, below 2^32):
 *
 * | field             | size          | meaning                                           |
 * |-------------------|---------------|---------------------------------------------------|
 * | magic             | 4             | 0x89 'A' 'E' 'Z'                                  |
 * | version           | 1             | format version (1)                                |
 * | fingerprint       | 8             | the model's fingerprint (see `ImageCodec`)        |
 * | count             | varint        | number of records                                 |
 * | shape             | varint + dims | rank (1 to 4), then each size of one sample       |
 * | lengths           | count varints | bytes of each record                              |
 * | header checksum   | 4             | CRC-32 (little-endian) of every byte above        |
 * | records           | sum(lengths)  | the records, in order                             |
 * | payload checksum  | 4             | CRC-32 (little-endian) of the records             |
 *
 * Reading checks the fields in that order and stops at the first bad one with a one-line
 * AekitError (code 'BAD_FILE') naming the file and the field. Every size is checked against
 * the bytes actually there before anything is allocated, so no file, however damaged, makes
 * the reader crash, allocate without bound or hang.
 */
import { AekitError } from '../engine/index.js';
import { crc32 } from '../engine/zip.js';

/** The first four bytes of every `.aez` file. */
export const AEZ_MAGIC = Uint8Array.from([0x89, 0x41, 0x45, 0x5a]);
/** The format version this aekit writes and the newest it reads. */
export const AEZ_VERSION = 1;
/** Bytes of a model fingerprint. */
export const FINGERPRINT_BYTES = 8;

const MAX_RANK = 4;
const MAX_VARINT = 2 ** 32 - 1;

/** The contents of a container. */
export interface Container {
  /** Format version of the file (written: always {@link AEZ_VERSION}). */
  version: number;
  /** The fingerprint of the model that wrote it. */
  fingerprint: Uint8Array;
  /** The shape of one sample, e.g. [1, 28, 28]. */
  shape: number[];
  /** One byte array per record (views into the file's bytes when read). */
  records: Uint8Array[];
}

/** Where a container's bytes go: the header shared by all records, and the rest. */
export interface ContainerSizes {
  /** The whole file. */
  total: number;
  /**
   * Bytes that do not grow with the records: magic, version, fingerprint, count, shape,
   * checksums.
   */
  header: number;
  /** Bytes per record: its payload and its length field. */
  perRecord: number[];
}

/** Writes a container. */
export function writeContainer(container: Omit<Container, 'version'>): Uint8Array {
  const { fingerprint, shape, records } = container;
  if (fingerprint.length !== FINGERPRINT_BYTES) {
    throw new RangeError(
      `writeContainer: fingerprint: expected ${FINGERPRINT_BYTES} bytes, got ${fingerprint.length}`,
    );
  }
  if (shape.length < 1 || shape.length > MAX_RANK || shape.some((s) => !isVarint(s) || s < 1)) {
    throw new RangeError(
      `writeContainer: shape: expected 1 to ${MAX_RANK} positive sizes, got [${shape.join(', ')}]`,
    );
  }
  const header: number[] = [...AEZ_MAGIC, AEZ_VERSION, ...fingerprint];
  pushVarint(header, records.length);
  pushVarint(header, shape.length);
  for (const size of shape) pushVarint(header, size);
  for (const record of records) pushVarint(header, record.length);
  const headerBytes = Uint8Array.from(header);
  const payloadLength = records.reduce((sum, r) => sum + r.length, 0);

  const out = new Uint8Array(headerBytes.length + 4 + payloadLength + 4);
  out.set(headerBytes, 0);
  const view = new DataView(out.buffer);
  view.setUint32(headerBytes.length, crc32(headerBytes), true);
  let at = headerBytes.length + 4;
  const payloadStart = at;
  for (const record of records) {
    out.set(record, at);
    at += record.length;
  }
  view.setUint32(at, crc32(out.subarray(payloadStart, at)), true);
  return out;
}

/** How the bytes of a container with these records divide between header and records. */
export function containerSizes(shape: number[], recordLengths: number[]): ContainerSizes {
  const fixed: number[] = [];
  pushVarint(fixed, recordLengths.length);
  pushVarint(fixed, shape.length);
  for (const size of shape) pushVarint(fixed, size);
  const header = AEZ_MAGIC.length + 1 + FINGERPRINT_BYTES + fixed.length + 8;
  const perRecord = recordLengths.map((n) => n + varintLength(n));
  return { total: header + perRecord.reduce((a, b) => a + b, 0), header, perRecord };
}

/**
 * Reads a container, checking every field. `file` names the file in errors.
 *
 * @throws AekitError 'BAD_FILE' for an empty, truncated, damaged, foreign or newer file.
 */
export function readContainer(bytes: Uint8Array, file: string): Container {
  const bad = (field: string, message: string): AekitError =>
    new AekitError('BAD_FILE', `${file}: ${field}: ${message}`);
  if (bytes.length === 0) {
    throw bad('size', 'expected an aekit compressed file (.aez), got an empty file (0 bytes)');
  }
  const magicLength = AEZ_MAGIC.length;
  const seen = Math.min(bytes.length, magicLength);
  if (AEZ_MAGIC.subarray(0, seen).some((b, i) => bytes[i] !== b)) {
    throw bad('magic', 'expected an aekit compressed file (.aez), got another kind of file');
  }
  if (seen < magicLength) {
    throw bad('magic', `the file is truncated (${bytes.length} bytes) inside the magic number`);
  }
  if (bytes.length < magicLength + 1) {
    throw bad('version', 'the file is truncated before its format version');
  }
  const version = bytes[magicLength];
  if (version === 0) throw bad('version', 'expected a format version of at least 1, got 0');
  if (version > AEZ_VERSION) {
    throw bad(
      'version',
      `the file is format version ${version}, newer than this aekit reads (${AEZ_VERSION}); ` +
        'upgrade aekit',
    );
  }

  // The header, field by field, within the bytes that are there.
  let at = magicLength + 1;
  const truncated = (field: string): AekitError =>
    bad(field, `the file is truncated (${bytes.length} bytes) inside the header`);
  if (at + FINGERPRINT_BYTES > bytes.length) throw truncated('fingerprint');
  const fingerprint = bytes.slice(at, at + FINGERPRINT_BYTES);
  at += FINGERPRINT_BYTES;
  const varint = (field: string): number => {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (at >= bytes.length) throw truncated(field);
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (value > MAX_VARINT) throw bad(field, `expected a value below 2^32, got ${value}`);
        return value;
      }
    }
    throw bad(field, 'expected a number of at most 5 bytes, got a longer one');
  };
  const count = varint('count');
  // Every record has a length field of at least one byte: a count beyond that is damage.
  if (count > bytes.length - at) {
    throw bad(
      'count',
      `${count} records cannot fit in a file of ${bytes.length} bytes: the file is truncated ` +
        'or damaged',
    );
  }
  const rank = varint('shape');
  if (rank < 1 || rank > MAX_RANK) {
    throw bad('shape', `expected a rank from 1 to ${MAX_RANK}, got ${rank}`);
  }
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const size = varint(`shape[${i}]`);
    if (size < 1) throw bad(`shape[${i}]`, 'expected a positive size, got 0');
    shape.push(size);
  }
  const lengths = new Array<number>(count);
  let payloadLength = 0;
  for (let i = 0; i < count; i++) {
    lengths[i] = varint(`lengths[${i}]`);
    payloadLength += lengths[i];
  }
  const headerEnd = at;
  if (headerEnd + 4 > bytes.length) throw truncated('header checksum');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (crc32(bytes.subarray(0, headerEnd)) !== view.getUint32(headerEnd, true)) {
    throw bad('header checksum', 'the CRC-32 does not match: the header is damaged');
  }

  // The records and the payload checksum.
  const payloadStart = headerEnd + 4;
  const expected = payloadStart + payloadLength + 4;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'the file is truncated' : 'the file has extra bytes';
    throw bad(
      'length',
      `expected ${expected} bytes (header with the record lengths ${payloadStart}, ` +
        `${count} record${count === 1 ? '' : 's'} ${payloadLength}, checksum 4), ` +
        `got ${bytes.length}: ${what}`,
    );
  }
  const payloadEnd = payloadStart + payloadLength;
  if (crc32(bytes.subarray(payloadStart, payloadEnd)) !== view.getUint32(payloadEnd, true)) {
    throw bad('payload checksum', 'the CRC-32 does not match: the records are damaged');
  }
  const records: Uint8Array[] = [];
  for (let i = 0, from = payloadStart; i < count; from += lengths[i], i++) {
    records.push(bytes.subarray(from, from + lengths[i]));
  }
  return { version, fingerprint, shape, records };
}

function isVarint(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_VARINT;
}

function pushVarint(out: number[], n: number): void {
  if (!isVarint(n)) throw new RangeError(`aez: expected an integer in [0, 2^32), got ${n}`);
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function varintLength(n: number): number {
  let length = 1;
  for (let rest = n; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}
