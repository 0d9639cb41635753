/**
 * Rates of a lossy codec: bits per pixel, bytes per image and compression ratio.
 *
 * A pixel is one spatial position: an RGB pixel counts once, not three times, as is usual
 * in the image-compression literature. Uncompressed 8-bit grayscale is 8 bits per pixel,
 * 8-bit RGB is 24.
 */

import { checkInteger } from '../engine/errors.js';
import { checkFiniteNumber, checkShape } from './checks.js';

/**
 * Bits per pixel of `bytes` of compressed data that encode `pixels` pixels.
 *
 * @example
 * ```ts
 * bitsPerPixel(98, 28 * 28); // 1 (98 bytes for one MNIST digit)
 * ```
 */
export function bitsPerPixel(bytes: number, pixels: number): number {
  checkFiniteNumber(bytes, 'bitsPerPixel: bytes', 0);
  checkInteger(pixels, 'bitsPerPixel: pixels', 1);
  return (bytes * 8) / pixels;
}

/** Mean bytes per image of `totalBytes` that encode `images` images. */
export function bytesPerImage(totalBytes: number, images: number): number {
  checkFiniteNumber(totalBytes, 'bytesPerImage: totalBytes', 0);
  checkInteger(images, 'bytesPerImage: images', 1);
  return totalBytes / images;
}

/**
 * Pixels in one image of a batch shape `[n, channels, height, width]` or `[n, height,
 * width]`: `height * width`, whatever the channel count.
 */
export function pixelsPerImage(shape: number[]): number {
  const sizes = checkShape(shape, 'pixelsPerImage: shape', [3, 4]);
  return sizes[sizes.length - 2] * sizes[sizes.length - 1];
}

/**
 * Bytes of one image stored uncompressed at `bitsPerValue` bits per value (8 for uint8
 * pixels), for a batch shape `[n, channels, height, width]` or `[n, height, width]`.
 */
export function rawBytesPerImage(shape: number[], bitsPerValue = 8): number {
  const sizes = checkShape(shape, 'rawBytesPerImage: shape', [3, 4]);
  checkInteger(bitsPerValue, 'rawBytesPerImage: bitsPerValue', 1, 64);
  let values = 1;
  for (let i = 1; i < sizes.length; i++) values *= sizes[i];
  return (values * bitsPerValue) / 8;
}

/**
 * How many times smaller the compressed data is: `rawBytes / compressedBytes`.
 *
 * @example
 * ```ts
 * compressionRatio(rawBytesPerImage([1, 28, 28]), 98); // 8
 * ```
 */
export function compressionRatio(rawBytes: number, compressedBytes: number): number {
  checkFiniteNumber(rawBytes, 'compressionRatio: rawBytes', 0);
  checkFiniteNumber(compressedBytes, 'compressionRatio: compressedBytes', 0, true);
  return rawBytes / compressedBytes;
}
