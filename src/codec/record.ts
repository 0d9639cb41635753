/**
 * What a codec's model file records: the coding tables, and how the codec did on its own
 * training data (bytes and squared error per image), so that new data far outside that is
 * flagged. A compressive autoencoder only compresses well what it learned from: data of
 * another kind costs more bits, comes back worse, or both.
 */
import { AekitError } from '../engine/index.js';
import type { LoadedModel } from '../models/index.js';
import { CompressiveAutoencoder } from '../models/index.js';
import { ImageCodec } from './codec.js';
import { containerSizes } from './format.js';
import { fitContextTables } from './context.js';
import {
  CodingTablesJson,
  buildCodingTables,
  fitElementTables,
  tablesFromJson,
  tablesToJson,
} from './tables.js';

/** The key of a model file's extras that holds the {@link CodecRecord}. */
export const CODEC_EXTRAS_KEY = 'codec';

/** A distribution in a few numbers. */
export interface Quantiles {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** How a codec did on (a sample of) its training data. */
export interface CodecStatistics {
  /** Images measured. */
  images: number;
  /** Bytes of each image's record, its length field included (no shared header). */
  bytes: Quantiles;
  /** Mean squared error of each decoded image, in the data's units. */
  mse: Quantiles;
  /** Share of latents outside their table's window (coded through the escape). */
  escapes: number;
}

/** The codec's entry in a model file's extras. */
export interface CodecRecord {
  /** Layout version of this record: 2 with context tables, 1 without. */
  version: 1 | 2;
  /** The model fingerprint (hexadecimal), as `.aez` files carry it. */
  fingerprint: string;
  tables: CodingTablesJson;
  /** Null when no training data was measured. */
  training: CodecStatistics | null;
}

/** Per-image measurements of a codec on some images. */
export interface CodecMeasurement {
  /** Bytes of each image's record, its length field included. */
  bytes: Float64Array;
  /** Mean squared error of each decoded image. */
  mse: Float64Array;
  /** The decoded images, [count, ...shape]. */
  decoded: Float32Array;
  /** Integer latents, [count, latentDim]. */
  symbols: Int32Array;
  /** Share of latents outside their table's window. */
  escapes: number;
}

/** Compresses and decodes `images` ([count, ...shape]) and measures each one. */
export function measureCodec(
  codec: ImageCodec,
  images: Float32Array,
  count: number,
): CodecMeasurement {
  const symbols = codec.latents(images, count);
  const records = codec.encodeRecords(symbols, count);
  const perRecord = containerSizes(
    codec.shape,
    records.map((r) => r.length),
  ).perRecord;
  const decoded = codec.synthesize(symbols, count);
  const size = images.length / Math.max(count, 1);
  const mse = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let j = i * size; j < (i + 1) * size; j++) sum += (decoded[j] - images[j]) ** 2;
    mse[i] = sum / size;
  }
  let escapes = 0;
  const { offsets, cdfs } = codec.tables;
  for (let i = 0; i < symbols.length; i++) {
    const d = i % codec.latentDim;
    const s = symbols[i] - offsets[d];
    if (s < 0 || s >= cdfs[d].length - 2) escapes++;
  }
  return {
    bytes: Float64Array.from(perRecord),
    mse,
    decoded,
    symbols,
    escapes: escapes / Math.max(symbols.length, 1),
  };
}

/** Mean, median, 90th and 99th percentiles (nearest rank) and maximum. */
export function quantiles(values: ArrayLike<number>): Quantiles {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const at = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  return {
    mean: sorted.reduce((a, b) => a + b, 0) / n,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[n - 1],
  };
}

/**
 * The record to store in a model file's extras under {@link CODEC_EXTRAS_KEY}: the tables,
 * the fingerprint and, when training images are given, how the codec did on them.
 */
export function codecRecord(
  codec: ImageCodec,
  training?: { images: Float32Array; count: number },
): CodecRecord {
  let statistics: CodecStatistics | null = null;
  if (training && training.count > 0) {
    const m = measureCodec(codec, training.images, training.count);
    statistics = {
      images: training.count,
      bytes: quantiles(m.bytes),
      mse: quantiles(m.mse),
      escapes: m.escapes,
    };
  }
  return {
    version: codec.tables.context ? 2 : 1,
    fingerprint: codec.fingerprintHex,
    tables: tablesToJson(codec.tables),
    training: statistics,
  };
}

/** Limits of the fitting in {@link createCodec}. */
export interface CodecFitLimits {
  /** The most training images whose latents are counted. Default: 60,000. */
  images?: number;
  /** The most latent values held at once (images x latents). Default: 2^27 (512 MiB). */
  values?: number;
  /**
   * Context tables only for codes of at most this many latents (each has 243 contexts, so
   * larger codes would need more training images than anyone has). Default: 2^16.
   */
  contextLatents?: number;
}

/**
 * A codec for a freshly trained model. Without `training` images its tables are the learned
 * prior's. With them, each element's table is refitted to the counts of their rounded
 * latents, and context tables (see `context.ts`) are fitted on top: on Fashion-MNIST that
 * codes the same latents in about a fifth fewer bytes. `limits` bounds the work and memory.
 */
export function createCodec(
  model: CompressiveAutoencoder,
  valueRange?: [number, number],
  training?: { images: Float32Array; count: number },
  limits: CodecFitLimits = {},
): ImageCodec {
  const prior = buildCodingTables(model);
  const options = valueRange ? { valueRange } : {};
  const codec = new ImageCodec(model, prior, options);
  if (!training || training.count === 0) return codec;
  const elements = codec.latentDim;
  const count = Math.max(
    1,
    Math.min(
      training.count,
      limits.images ?? 60_000,
      Math.floor((limits.values ?? 2 ** 27) / elements),
    ),
  );
  const size = training.images.length / training.count;
  const latents = codec.latents(training.images.subarray(0, count * size), count);
  const element = fitElementTables(prior, latents, count);
  if (elements > (limits.contextLatents ?? 2 ** 16)) return new ImageCodec(model, element, options);
  const context = fitContextTables(model.latentShape, latents, count, element);
  return new ImageCodec(model, { ...element, context }, options);
}

/**
 * The codec stored in a loaded model file, with its training statistics. The tables come
 * from the file, never recomputed, so every machine codes with the same integers.
 *
 * @throws AekitError 'BAD_FILE' when the model is not compressive, has no codec record, or
 *   its record does not match its weights.
 */
export function codecFromModel(loaded: LoadedModel): {
  codec: ImageCodec;
  training: CodecStatistics | null;
} {
  const where = `${loaded.path}: extras.${CODEC_EXTRAS_KEY}`;
  if (!(loaded.model instanceof CompressiveAutoencoder)) {
    throw new AekitError(
      'BAD_FILE',
      `${loaded.path}: config.family: expected a compressive model (aekit train --task ` +
        `compress), got ${loaded.config.family}`,
    );
  }
  const record = loaded.extras[CODEC_EXTRAS_KEY] as Partial<CodecRecord> | undefined;
  if (!record || typeof record !== 'object') {
    throw new AekitError(
      'BAD_FILE',
      `${where}: expected the coding tables written by aekit train --task compress, got none`,
    );
  }
  if (record.version !== 1 && record.version !== 2) {
    throw new AekitError(
      'BAD_FILE',
      `${where}.version: expected 1 or 2, got ${String(record.version)}: a newer aekit's model?`,
    );
  }
  const tables = tablesFromJson(record.tables, loaded.config.latentDim, `${where}.tables`);
  if ((record.version === 2) !== Boolean(tables.context)) {
    throw new AekitError(
      'BAD_FILE',
      `${where}.tables.context: version ${record.version} ` +
        `${record.version === 2 ? 'needs context tables, got none' : 'has no context tables'}`,
    );
  }
  const codec = new ImageCodec(loaded.model, tables, { valueRange: loaded.data.valueRange });
  if (record.fingerprint !== codec.fingerprintHex) {
    throw new AekitError(
      'BAD_FILE',
      `${where}.fingerprint: expected ${codec.fingerprintHex} (the weights and tables in the ` +
        `file), got ${String(record.fingerprint)}: the file was changed after training`,
    );
  }
  return { codec, training: record.training ?? null };
}

/** How new images compare with the codec's training data. */
export interface TrainingComparison {
  /** Images whose bytes or squared error exceed the 99th percentile of training. */
  unlike: number;
  images: number;
  /** A one-line warning when at least a tenth of the images are unlike training, else null. */
  warning: string | null;
}

/**
 * Flags data unlike a codec's training data: images whose rate or distortion is above what
 * 99% of the training images had. About 1% of images like the training data are flagged;
 * the warning comes when at least 10% are.
 */
export function compareWithTraining(
  training: CodecStatistics | null,
  bytes: ArrayLike<number>,
  mse: ArrayLike<number>,
  source: string,
  dataRange = 1,
): TrainingComparison {
  const images = bytes.length;
  // Limitation: a rule of thumb on two numbers per image. Data that costs as few bits and
  // comes back as well as training data passes, however different it looks.
  if (!training || images === 0) return { unlike: 0, images, warning: null };
  let unlike = 0;
  for (let i = 0; i < images; i++) {
    if (bytes[i] > training.bytes.p99 || mse[i] > training.mse.p99) unlike++;
  }
  if (unlike < 0.1 * images) return { unlike, images, warning: null };
  const mean = (values: ArrayLike<number>): number =>
    Array.from(values).reduce((a, b) => a + b, 0) / values.length;
  const psnr = (m: number): string =>
    m > 0 ? `${(10 * Math.log10((dataRange * dataRange) / m)).toFixed(1)} dB` : 'inf';
  const warning =
    `${Math.round((100 * unlike) / images)}% of the images (${unlike} of ${images}) are unlike ` +
    `this codec's training data: their rate or distortion is above what 99% of the training ` +
    `images had (here ${mean(bytes).toFixed(1)} bytes and ${psnr(mean(mse))} PSNR per image, in ` +
    `training ${training.bytes.mean.toFixed(1)} bytes and ${psnr(training.mse.mean)}); an ` +
    `autoencoder compresses well only data like what it learned from (${source})`;
  return { unlike, images, warning };
}
