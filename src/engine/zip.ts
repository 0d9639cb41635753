/**
 * A reader for the zip archives PyTorch writes: stored (uncompressed) entries, found through
 * the central directory, zip64 records included. Every problem is an {@link AekitError} with
 * code `BAD_FILE` whose message names the file; nothing here trusts a size or offset in the
 * file before checking it against the bytes that are really there.
 */
import * as zlib from 'node:zlib';
import { AekitError } from './errors.js';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_OF_CENTRAL_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_END_SIZE = 56;
const MAX_COMMENT = 0xffff;

/** The error for a malformed file: `<source>: <what is wrong>`, on one line. */
export function badFile(source: string, what: string): AekitError {
  return new AekitError('BAD_FILE', `${source}: ${what}`.replace(/\s*\n\s*/g, ' '));
}

/** A name read from a file, quoted and shortened for an error message. */
export function quoted(name: string): string {
  return JSON.stringify(name.length > 60 ? name.slice(0, 60) + '...' : name);
}

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  /** 0 for stored; anything else is a compression method aekit does not read. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 (ISO-HDLC, as zip uses) of `bytes`: zlib's when Node has it (20.15 on). */
export function crc32(bytes: Uint8Array): number {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(bytes) >>> 0;
  return crc32Table(bytes);
}

/** The same CRC-32 in JavaScript, for older Node versions (about 10x slower). */
export function crc32Table(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** A read-only zip archive over a byte array. */
export class ZipArchive {
  /** Entries by name, in central-directory order. */
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  /** Reads the central directory; throws `BAD_FILE` naming `source` on any damage. */
  constructor(
    private readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.checkMagic();
    const { count, offset, size } = this.findCentralDirectory();
    this.readCentralDirectory(count, offset, size);
  }

  /** Whether the archive has an entry called `name`. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The bytes of entry `name`, as a view into the archive (no copy), after checking that it
   * is stored uncompressed, lies wholly inside the file and matches its CRC-32.
   */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw this.bad(`the archive has no entry ${quoted(name)}`);
    const what = `entry ${quoted(name)}`;
    if (entry.flags & 1) throw this.bad(`${what} is encrypted`);
    if (entry.method !== 0) {
      const kind = entry.method === 8 ? ' (deflate)' : '';
      throw this.bad(
        `${what} is compressed with method ${entry.method}${kind}; aekit reads only the ` +
          'stored (uncompressed) entries that torch.save writes',
      );
    }
    if (entry.compressedSize !== entry.size) {
      throw this.bad(`${what} is stored but its two sizes differ (the file is damaged)`);
    }

    const at = entry.localHeaderOffset;
    if (at + LOCAL_HEADER_SIZE > this.bytes.length || this.u32(at) !== LOCAL_HEADER) {
      throw this.bad(`${what} has no local header at byte ${at} (the file is damaged)`);
    }
    const start = at + LOCAL_HEADER_SIZE + this.u16(at + 26) + this.u16(at + 28);
    const end = start + entry.size;
    if (end > this.bytes.length) {
      throw this.bad(
        `${what} needs bytes ${start} to ${end} but the file has ${this.bytes.length} ` +
          '(the file is truncated)',
      );
    }
    const data = this.bytes.subarray(start, end);
    if (crc32(data) !== entry.crc32) {
      throw this.bad(`${what} fails its CRC-32 check (the file is damaged)`);
    }
    return data;
  }

  private bad(what: string): AekitError {
    return badFile(this.source, what);
  }

  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  private u64(at: number, what: string): number {
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.bad(`${what} is too large (${value})`);
    return Number(value);
  }

  private checkMagic(): void {
    const bytes = this.bytes;
    if (bytes.length === 0) throw this.bad('the file is empty (0 bytes)');
    if (bytes.length >= 4 && this.u32(0) === LOCAL_HEADER) return;
    const head = hexBytes(bytes.subarray(0, 8));
    const legacy =
      bytes[0] === 0x80
        ? '; it looks like a bare pickle or a legacy (pre-1.6) torch.save file'
        : '';
    throw this.bad(
      `not a zip archive (starts with ${head}, a PyTorch file starts with 50 4b 03 04)${legacy}`,
    );
  }

  /** Finds the end-of-central-directory record, and the zip64 one when it is used. */
  private findCentralDirectory(): { count: number; offset: number; size: number } {
    const length = this.bytes.length;
    let end = -1;
    const lowest = Math.max(0, length - END_OF_CENTRAL_SIZE - MAX_COMMENT);
    for (let at = length - END_OF_CENTRAL_SIZE; at >= lowest; at--) {
      if (this.u32(at) === END_OF_CENTRAL) {
        end = at;
        break;
      }
    }
    if (end < 0) {
      throw this.bad('no zip end-of-central-directory record (the file is truncated or damaged)');
    }

    let count = this.u16(end + 10);
    let size = this.u32(end + 12);
    let offset = this.u32(end + 16);
    const locator = end - ZIP64_LOCATOR_SIZE;
    if (locator >= 0 && this.u32(locator) === ZIP64_LOCATOR) {
      const record = this.u64(locator + 8, 'the zip64 record offset');
      if (record + ZIP64_END_SIZE > locator || this.u32(record) !== ZIP64_END) {
        throw this.bad('the zip64 end-of-central-directory record is missing (damaged file)');
      }
      count = this.u64(record + 32, 'the zip64 entry count');
      size = this.u64(record + 40, 'the zip64 central directory size');
      offset = this.u64(record + 48, 'the zip64 central directory offset');
    }
    if (offset + size > end) {
      throw this.bad(
        `the central directory (bytes ${offset} to ${offset + size}) runs past its end ` +
          `record at byte ${end} (the file is truncated or damaged)`,
      );
    }
    if (count * CENTRAL_HEADER_SIZE > size) {
      throw this.bad(`the central directory is too small for ${count} entries (damaged file)`);
    }
    return { count, offset, size };
  }

  private readCentralDirectory(count: number, offset: number, size: number): void {
    const limit = offset + size;
    const decoder = new TextDecoder('utf-8', { fatal: false });
    let at = offset;
    for (let i = 0; i < count; i++) {
      if (at + CENTRAL_HEADER_SIZE > limit || this.u32(at) !== CENTRAL_HEADER) {
        throw this.bad(`central directory entry ${i} is damaged (byte ${at})`);
      }
      const nameLength = this.u16(at + 28);
      const extraLength = this.u16(at + 30);
      const commentLength = this.u16(at + 32);
      const next = at + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
      if (next > limit) throw this.bad(`central directory entry ${i} is damaged (byte ${at})`);
      const nameStart = at + CENTRAL_HEADER_SIZE;
      const name = decoder.decode(this.bytes.subarray(nameStart, nameStart + nameLength));
      const entry: ZipEntry = {
        name,
        flags: this.u16(at + 8),
        method: this.u16(at + 10),
        crc32: this.u32(at + 16),
        compressedSize: this.u32(at + 20),
        size: this.u32(at + 24),
        localHeaderOffset: this.u32(at + 42),
      };
      this.readZip64Extra(entry, nameStart + nameLength, extraLength);
      if (!this.entries.has(name)) this.entries.set(name, entry);
      at = next;
    }
  }

  /** Replaces the 32-bit fields that are 0xffffffff with their zip64 values. */
  private readZip64Extra(entry: ZipEntry, start: number, length: number): void {
    const wide = 0xffffffff;
    const needs = [entry.size, entry.compressedSize, entry.localHeaderOffset].some(
      (v) => v === wide,
    );
    if (!needs) return;
    const what = `the zip64 sizes of entry ${quoted(entry.name)}`;
    let at = start;
    while (at + 4 <= start + length) {
      const id = this.u16(at);
      const size = this.u16(at + 2);
      const body = at + 4;
      if (body + size > start + length) break;
      if (id === ZIP64_EXTRA) {
        let field = body;
        const take = (): number => {
          if (field + 8 > body + size) throw this.bad(`${what} are missing (damaged file)`);
          const value = this.u64(field, what);
          field += 8;
          return value;
        };
        if (entry.size === wide) entry.size = take();
        if (entry.compressedSize === wide) entry.compressedSize = take();
        if (entry.localHeaderOffset === wide) entry.localHeaderOffset = take();
        return;
      }
      at = body + size;
    }
    throw this.bad(`${what} are missing (damaged file)`);
  }
}
