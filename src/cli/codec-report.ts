/**
 * What `aekit compress` and `aekit decompress` share: opening a codec model, the rates of a
 * file (bytes per image with the header shared and without it, bits per pixel), quality
 * against a reference, and the warning for data unlike the codec's training data.
 */
import { api } from './api.js';
import type { CodecStatistics, ContainerSizes, ImageCodec, LoadedModel } from '../index.js';
import { openModel } from './model-file.js';
import { formatCount, formatNumber } from './progress.js';

/** SSIM's Gaussian window is 11 x 11; smaller images get no SSIM. */
const SSIM_MIN_SIDE = 11;

/** A model file opened as a codec. */
export interface OpenedCodec {
  loaded: LoadedModel;
  codec: ImageCodec;
  training: CodecStatistics | null;
}

/** Opens `file` as a codec: a compressive model with the tables `aekit train` stored. */
export async function openCodec(file: string): Promise<OpenedCodec> {
  const aekit = await api();
  const loaded = await openModel(file);
  try {
    return { loaded, ...aekit.codecFromModel(loaded) };
  } catch (error) {
    loaded.model.dispose();
    throw error;
  }
}

/** The rates of a file of `count` images. */
export interface Rates {
  images: number;
  fileBytes: number;
  /** Bytes shared by all images: magic, version, fingerprint, count, shape, checksums. */
  headerBytes: number;
  /** The file's bytes over its images: the header amortised. */
  bytesPerImage: number;
  /** Without the shared header: each image's record and length field. */
  bytesPerImageWithoutHeader: number;
  /** Bits per pixel (a pixel is one position of the image, whatever its channels). */
  bitsPerPixel: number;
  bitsPerPixelWithoutHeader: number;
}

/** Rates from a file's sizes. */
export async function rates(sizes: ContainerSizes, shape: number[]): Promise<Rates> {
  const { bitsPerPixel } = await api();
  const images = sizes.perRecord.length;
  const pixels = shape[shape.length - 2] * shape[shape.length - 1];
  const perImage = sizes.total / Math.max(images, 1);
  const withoutHeader = (sizes.total - sizes.header) / Math.max(images, 1);
  return {
    images,
    fileBytes: sizes.total,
    headerBytes: sizes.header,
    bytesPerImage: perImage,
    bytesPerImageWithoutHeader: withoutHeader,
    bitsPerPixel: bitsPerPixel(perImage, pixels),
    bitsPerPixelWithoutHeader: bitsPerPixel(withoutHeader, pixels),
  };
}

/** One line for the rates: `12,345 bytes, 10,000 images: 23.4 bytes per image ...`. */
export function ratesLine(r: Rates): string {
  return (
    `${formatCount(r.fileBytes)} bytes for ${formatCount(r.images)} ` +
    `${r.images === 1 ? 'image' : 'images'}: ${formatNumber(r.bytesPerImage)} bytes per image ` +
    `(${formatNumber(r.bytesPerImageWithoutHeader)} without the ${r.headerBytes}-byte header), ` +
    `${formatNumber(r.bitsPerPixel)} bits per pixel ` +
    `(${formatNumber(r.bitsPerPixelWithoutHeader)} without the header)`
  );
}

/** Mean PSNR and SSIM of decoded images against their references. */
export interface Quality {
  psnr: number;
  /** Images identical to their reference (PSNR infinite, left out of the mean). */
  identical: number;
  /** Null for images smaller than SSIM's 11 x 11 window. */
  ssim: number | null;
}

/** PSNR and SSIM of `decoded` against `reference`, both [count, ...shape]. */
export async function quality(
  reference: Float32Array,
  decoded: Float32Array,
  shape: number[],
  valueRange: [number, number],
): Promise<Quality> {
  const { psnr, ssim } = await api();
  const dataRange = valueRange[1] - valueRange[0] || 1;
  const p = psnr(reference, decoded, { shape, dataRange });
  const small = Math.min(shape[shape.length - 1], shape[shape.length - 2]) < SSIM_MIN_SIDE;
  const s = small ? null : ssim(reference, decoded, { shape, dataRange }).mean;
  return { psnr: p.mean, identical: p.identical, ssim: s };
}

/** One line for the quality: `PSNR 27.31 dB, SSIM 0.9123`. */
export function qualityLine(q: Quality): string {
  const identical = q.identical > 0 ? ` (${formatCount(q.identical)} images exact)` : '';
  const ssim = q.ssim === null ? 'SSIM n/a (images under 11 x 11)' : `SSIM ${q.ssim.toFixed(4)}`;
  return `PSNR ${q.psnr.toFixed(2)} dB${identical}, ${ssim}`;
}

/** Prints `warning: ...` on stderr. */
export function printWarning(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Mean squared error of each decoded image against its reference: [count]. */
export function perImageMse(a: Float32Array, b: Float32Array, count: number): Float64Array {
  const size = a.length / Math.max(count, 1);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let j = i * size; j < (i + 1) * size; j++) sum += (a[j] - b[j]) ** 2;
    out[i] = sum / size;
  }
  return out;
}
