/**
 * The image codec: a trained compressive autoencoder plus its integer coding tables.
 * Compressing runs the analysis transform, rounds the latents to integers, and range-codes
 * each image's integers into one record of an `.aez` container; decompressing reads the
 * container, decodes the integers exactly and runs the synthesis transform.
 *
 * What is exact: the integers. Decoding a file gives back exactly the integers the encoder
 * wrote, on any machine, because the tables are stored integers and the range coder is
 * integer arithmetic. The pixels decoded from them come from floating-point convolutions,
 * which may differ in the last bits between machines and thread counts.
 */
import { createHash } from 'node:crypto';

import { AekitError, Tensor, noGrad, tensor, tidy } from '../engine/index.js';
import { CompressiveAutoencoder } from '../models/index.js';
import {
  Container,
  ContainerSizes,
  FINGERPRINT_BYTES,
  containerSizes,
  readContainer,
  writeContainer,
} from './format.js';
import {
  CodingTables,
  LATENT_LIMIT,
  decodeLatents,
  encodeLatents,
  tablesToJson,
} from './tables.js';

/** Options of {@link ImageCodec}. */
export interface ImageCodecOptions {
  /** Decoded values are clamped to this range (the training data's). Default: no clamp. */
  valueRange?: [number, number];
  /** Images per batch through the transforms. Default: 256. */
  batchSize?: number;
}

/** What {@link ImageCodec.compress} returns. */
export interface Compressed {
  /** The `.aez` file. */
  bytes: Uint8Array;
  /** The integer latents of every image, [count, latentDim], row after row. */
  symbols: Int32Array;
  /** How the file's bytes divide between the shared header and the records. */
  sizes: ContainerSizes;
}

/** What {@link ImageCodec.decompress} returns. */
export interface Decompressed {
  /** The decoded images, [count, ...shape], C order. */
  images: Float32Array;
  /** [count, ...sample shape]. */
  shape: number[];
  /** The integer latents read from the file, [count, latentDim]. */
  symbols: Int32Array;
  sizes: ContainerSizes;
}

/**
 * A codec for images like a compressive model's training data.
 *
 * @example
 * ```ts
 * const codec = new ImageCodec(model, buildCodingTables(model), { valueRange: [0, 1] });
 * const { bytes } = codec.compress(images, [n, 1, 28, 28]);
 * const { images: decoded } = codec.decompress(bytes, 'digits.aez');
 * ```
 */
export class ImageCodec {
  /** The trained model: its analysis and synthesis transforms. */
  readonly model: CompressiveAutoencoder;
  /** The integer tables every record is coded with. */
  readonly tables: CodingTables;
  /** Hash of the model's config, weights and tables: files record it, decoding checks it. */
  readonly fingerprint: Uint8Array;
  /** Decoded values are clamped to this range; null: not clamped. */
  readonly valueRange: [number, number] | null;
  /** Images per batch through the transforms. */
  readonly batchSize: number;

  constructor(
    model: CompressiveAutoencoder,
    tables: CodingTables,
    options: ImageCodecOptions = {},
  ) {
    if (!(model instanceof CompressiveAutoencoder)) {
      throw new TypeError('ImageCodec: model: expected a compressive autoencoder');
    }
    if (tables.cdfs.length !== model.config.latentDim) {
      throw new RangeError(
        `ImageCodec: tables: expected ${model.config.latentDim} tables (one per latent), got ` +
          `${tables.cdfs.length}`,
      );
    }
    this.model = model;
    this.tables = tables;
    this.valueRange = options.valueRange ?? null;
    this.batchSize = options.batchSize ?? 256;
    this.fingerprint = modelFingerprint(model, tables);
  }

  /** The shape of one image: [channels, height, width]. */
  get shape(): number[] {
    return this.model.config.inputShape;
  }

  /** Size of one image's integer latents. */
  get latentDim(): number {
    return this.model.config.latentDim;
  }

  /** The fingerprint as hexadecimal text. */
  get fingerprintHex(): string {
    return Buffer.from(this.fingerprint).toString('hex');
  }

  /** The integer latents of `images` ([count, ...shape], C order): [count, latentDim]. */
  latents(images: Float32Array, count: number): Int32Array {
    this.checkImages(images, count);
    const size = images.length / Math.max(count, 1);
    const out = new Int32Array(count * this.latentDim);
    this.run(() => {
      for (let start = 0; start < count; start += this.batchSize) {
        const n = Math.min(this.batchSize, count - start);
        const values = tidy(() => {
          const x = tensor(images.subarray(start * size, (start + n) * size), {
            shape: [n, ...this.shape],
          });
          return this.model.encode(x).clamp(-LATENT_LIMIT, LATENT_LIMIT).toFloat32Array();
        });
        out.set(Int32Array.from(values), start * this.latentDim);
      }
    });
    return out;
  }

  /**
   * Images decoded from integer latents [count, latentDim]: [count, ...shape].
   *
   * Limitation: these are floating-point convolutions, so two machines (or thread counts)
   * may give pixels that differ in their last bits; the integers they start from do not.
   */
  synthesize(symbols: Int32Array, count: number): Float32Array {
    const size = this.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(count * size);
    this.run(() => {
      for (let start = 0; start < count; start += this.batchSize) {
        const n = Math.min(this.batchSize, count - start);
        const values = tidy(() => {
          const codes = Float32Array.from(
            symbols.subarray(start * this.latentDim, (start + n) * this.latentDim),
          );
          let y: Tensor = this.model.decode(tensor(codes, { shape: [n, this.latentDim] }));
          if (this.valueRange) y = y.clamp(this.valueRange[0], this.valueRange[1]);
          return y.toFloat32Array();
        });
        out.set(values, start * size);
      }
    });
    return out;
  }

  /** One record per image from integer latents [count, latentDim]. */
  encodeRecords(symbols: Int32Array, count: number): Uint8Array[] {
    const records: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const row = symbols.subarray(i * this.latentDim, (i + 1) * this.latentDim);
      records.push(encodeLatents(row, this.tables));
    }
    return records;
  }

  /** The integer latents of each record: [records.length, latentDim]. */
  decodeRecords(records: Uint8Array[]): Int32Array {
    const out = new Int32Array(records.length * this.latentDim);
    records.forEach((record, i) => {
      const row = out.subarray(i * this.latentDim, (i + 1) * this.latentDim);
      decodeLatents(record, 0, record.length, this.tables, row);
    });
    return out;
  }

  /** Compresses `images` ([count, ...shape], C order) into one `.aez` file. */
  compress(images: Float32Array, shape: number[]): Compressed {
    const count = this.checkShape(shape);
    const symbols = this.latents(images, count);
    return this.pack(symbols, count);
  }

  /** An `.aez` file from integer latents [count, latentDim]. */
  pack(symbols: Int32Array, count: number): Compressed {
    const records = this.encodeRecords(symbols, count);
    const bytes = writeContainer({ fingerprint: this.fingerprint, shape: this.shape, records });
    const sizes = containerSizes(
      this.shape,
      records.map((r) => r.length),
    );
    return { bytes, symbols, sizes };
  }

  /**
   * Reads an `.aez` file written by this codec and decodes its images. `file` names the
   * file in errors.
   *
   * @throws AekitError 'BAD_FILE' for a damaged, truncated, empty or newer file, or one
   *   written by another model (a different fingerprint).
   */
  decompress(bytes: Uint8Array, file: string): Decompressed {
    const { symbols, container } = this.unpack(bytes, file);
    const count = container.records.length;
    const images = this.synthesize(symbols, count);
    const sizes = containerSizes(
      container.shape,
      container.records.map((r) => r.length),
    );
    return { images, shape: [count, ...container.shape], symbols, sizes };
  }

  /** Reads and checks a file, and decodes its integer latents (no synthesis). */
  unpack(bytes: Uint8Array, file: string): { symbols: Int32Array; container: Container } {
    const container = readContainer(bytes, file);
    if (!sameBytes(container.fingerprint, this.fingerprint)) {
      throw new AekitError(
        'BAD_FILE',
        `${file}: fingerprint: the file was written by another model ` +
          `(${Buffer.from(container.fingerprint).toString('hex')}), this one is ` +
          `${this.fingerprintHex}; decompress it with the model that compressed it`,
      );
    }
    if (container.shape.join(',') !== this.shape.join(',')) {
      throw new AekitError(
        'BAD_FILE',
        `${file}: shape: expected [${this.shape.join(', ')}], got [${container.shape.join(', ')}]`,
      );
    }
    return { symbols: this.decodeRecords(container.records), container };
  }

  private run(fn: () => void): void {
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      noGrad(fn);
    } finally {
      this.model.train(wasTraining);
    }
  }

  private checkShape(shape: number[]): number {
    const [count, ...sample] = shape;
    if (sample.join(',') !== this.shape.join(',') || !(Number.isInteger(count) && count >= 0)) {
      throw new AekitError(
        'BAD_INPUT',
        `ImageCodec: shape: expected [count, ${this.shape.join(', ')}], got [${shape.join(', ')}]`,
      );
    }
    return count;
  }

  private checkImages(images: Float32Array, count: number): void {
    const size = this.shape.reduce((a, b) => a * b, 1);
    if (!(images instanceof Float32Array) || images.length !== count * size) {
      throw new RangeError(
        `ImageCodec: images: expected a Float32Array of ${count * size} values ` +
          `(${count} images of [${this.shape.join(', ')}]), got ${images?.length}`,
      );
    }
    for (let i = 0; i < images.length; i++) {
      if (!Number.isFinite(images[i])) {
        throw new AekitError(
          'BAD_INPUT',
          `ImageCodec: images: expected finite values, got ${images[i]} in image ` +
            `${Math.floor(i / size)}`,
        );
      }
    }
  }
}

/**
 * The first 8 bytes of SHA-256 over the model's config, every weight (by name, in name
 * order, with its shape and float32 bytes) and the coding tables.
 */
export function modelFingerprint(model: CompressiveAutoencoder, tables: CodingTables): Uint8Array {
  const hash = createHash('sha256');
  hash.update('aekit-codec-1\0');
  hash.update(JSON.stringify(model.config));
  tidy(() => {
    const state = model.stateDict();
    for (const name of Object.keys(state).sort()) {
      const value = state[name];
      hash.update(`\0${name}\0${value.shape.join(',')}\0`);
      hash.update(value.toFloat32Array());
    }
  });
  hash.update(JSON.stringify(tablesToJson(tables)));
  return new Uint8Array(hash.digest().subarray(0, FINGERPRINT_BYTES));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
