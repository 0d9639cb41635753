/**
 * Image quality between a reference batch and its reconstruction: PSNR and SSIM, per
 * image and averaged over the batch. Images are C-order typed arrays of shape
 * `[n, channels, height, width]` or `[n, height, width]` (one channel).
 */

import { AekitError } from '../engine/errors.js';
import {
  checkFiniteNumber,
  checkLength,
  checkOptions,
  checkShape,
  checkValues,
  type Values,
} from './checks.js';

/** Options of {@link psnr} and {@link ssim}. */
export interface ImageMetricOptions {
  /** `[n, channels, height, width]` or `[n, height, width]`. Required. */
  shape: number[];
  /** Distance between the smallest and largest possible value (1 for [0, 1]). Default: 1. */
  dataRange?: number;
}

/** Per-image scores and their mean over the batch. */
export interface ImageScores {
  /** One score per image, in batch order. */
  perImage: Float64Array;
  /** Mean of `perImage` (see each metric for how infinities are averaged). */
  mean: number;
}

/** PSNR scores; identical images score Infinity and are counted apart. */
export interface PsnrScores extends ImageScores {
  /**
   * Mean PSNR over the images that differ from their reference (finite PSNR), in dB;
   * Infinity when every image is identical to its reference.
   */
  mean: number;
  /** Number of images identical to their reference (PSNR Infinity, left out of `mean`). */
  identical: number;
}

interface Batch {
  count: number;
  channels: number;
  height: number;
  width: number;
  dataRange: number;
}

function checkBatch(fn: string, a: unknown, b: unknown, options: unknown): Batch {
  checkOptions(options, `${fn}: options`);
  const given = (options ?? {}) as Partial<ImageMetricOptions>;
  const shape = checkShape(given.shape, `${fn}: options.shape`, [3, 4]);
  const dataRange = checkFiniteNumber(given.dataRange ?? 1, `${fn}: options.dataRange`, 0, true);

  const [count, channels, height, width] =
    shape.length === 4 ? shape : [shape[0], 1, shape[1], shape[2]];
  const size = count * channels * height * width;
  checkValues(a, `${fn}: a`);
  checkValues(b, `${fn}: b`);
  const why = `shape [${shape.join(', ')}]`;
  checkLength(a.length, size, `${fn}: a`, why);
  checkLength(b.length, size, `${fn}: b`, why);
  return { count, channels, height, width, dataRange };
}

/**
 * Peak signal-to-noise ratio in dB, `10 log10(dataRange^2 / MSE)`, per image (the mean
 * squared error over all its channels and pixels) and averaged over the batch.
 *
 * An image identical to its reference has PSNR Infinity. Averaging an Infinity would hide
 * every other image, so `mean` is the mean over the images that differ, `identical` counts
 * the others, and `mean` is Infinity only when all are identical.
 *
 * @example
 * ```ts
 * const a = new Float32Array([0, 0, 0, 0]);
 * const b = new Float32Array([0.1, 0.1, 0.1, 0.1]);
 * psnr(a, b, { shape: [1, 2, 2] }).mean; // 20 (MSE 0.01)
 * ```
 */
export function psnr(a: Values, b: Values, options: ImageMetricOptions): PsnrScores {
  const batch = checkBatch('psnr', a, b, options);
  const size = batch.channels * batch.height * batch.width;
  const peak = batch.dataRange * batch.dataRange;

  const perImage = new Float64Array(batch.count);
  let sum = 0;
  let identical = 0;
  for (let image = 0; image < batch.count; image++) {
    let squared = 0;
    const end = (image + 1) * size;
    for (let i = image * size; i < end; i++) {
      const d = a[i] - b[i];
      squared += d * d;
    }
    if (squared === 0) {
      perImage[image] = Infinity;
      identical++;
    } else {
      perImage[image] = 10 * Math.log10(peak / (squared / size));
      sum += perImage[image];
    }
  }
  const differing = batch.count - identical;
  return { perImage, mean: differing === 0 ? Infinity : sum / differing, identical };
}

// Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment: from error visibility to
// structural similarity", IEEE Transactions on Image Processing 13(4), 2004: an 11 x 11
// circular-symmetric Gaussian window with standard deviation 1.5, normalised to sum 1,
// and the constants K1 = 0.01, K2 = 0.03.
const SSIM_WINDOW = 11;
const SSIM_SIGMA = 1.5;
const SSIM_K1 = 0.01;
const SSIM_K2 = 0.03;

/** The 1-D Gaussian whose outer product with itself is the normalised 2-D window. */
function gaussianWindow(size: number, sigma: number): Float64Array {
  const weights = new Float64Array(size);
  const centre = (size - 1) / 2;
  let total = 0;
  for (let i = 0; i < size; i++) {
    weights[i] = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma));
    total += weights[i];
  }
  for (let i = 0; i < size; i++) weights[i] /= total;
  return weights;
}

/**
 * Structural similarity (Wang et al. 2004) per image and averaged over the batch. Each
 * channel's SSIM map uses local means, variances and covariance under an 11 x 11 Gaussian
 * window (sigma 1.5), with C1 = (0.01 L)^2 and C2 = (0.03 L)^2 for L = `dataRange`:
 *
 * `SSIM = (2 mu_a mu_b + C1)(2 sigma_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(var_a + var_b + C2))`
 *
 * with local means `mu`, variances `var` and covariance `sigma_ab`.
 *
 * The map covers only positions where the window fits inside the image (the paper's
 * `ssim_index.m` filters with 'valid'); an image's SSIM is the mean of the map, averaged
 * over its channels. Identical images give exactly 1. This equals scikit-image's
 * `structural_similarity(..., gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=L)`. Images must be at least 11 x 11.
 *
 * @example
 * ```ts
 * const { perImage, mean } = ssim(original, reconstruction, { shape: [64, 3, 32, 32] });
 * ```
 */
export function ssim(a: Values, b: Values, options: ImageMetricOptions): ImageScores {
  const batch = checkBatch('ssim', a, b, options);
  const { count, channels, height, width } = batch;
  if (height < SSIM_WINDOW || width < SSIM_WINDOW) {
    throw new AekitError(
      'SHAPE',
      `ssim: options.shape: expected images of at least ${SSIM_WINDOW} x ${SSIM_WINDOW} ` +
        `(the Gaussian window), got ${height} x ${width}`,
    );
  }

  const weights = gaussianWindow(SSIM_WINDOW, SSIM_SIGMA);
  const c1 = (SSIM_K1 * batch.dataRange) ** 2;
  const c2 = (SSIM_K2 * batch.dataRange) ** 2;
  const outWidth = width - SSIM_WINDOW + 1;
  const outHeight = height - SSIM_WINDOW + 1;

  // Scratch reused for every plane: the five windowed moments after the horizontal pass,
  // [height, outWidth] each, then one output row of each after the vertical pass.
  const rowSize = height * outWidth;
  const horizontal = new Float64Array(5 * rowSize);
  const column = new Float64Array(5 * outWidth);

  const perImage = new Float64Array(count);
  let batchSum = 0;
  for (let image = 0; image < count; image++) {
    let imageSum = 0;
    for (let channel = 0; channel < channels; channel++) {
      const plane = (image * channels + channel) * height * width;

      // Horizontal pass: a, b, a^2, b^2 and a*b filtered along each row.
      for (let y = 0; y < height; y++) {
        const rowStart = plane + y * width;
        for (let x = 0; x < outWidth; x++) {
          let ma = 0;
          let mb = 0;
          let maa = 0;
          let mbb = 0;
          let mab = 0;
          for (let t = 0; t < SSIM_WINDOW; t++) {
            const w = weights[t];
            const va = a[rowStart + x + t];
            const vb = b[rowStart + x + t];
            ma += w * va;
            mb += w * vb;
            maa += w * va * va;
            mbb += w * vb * vb;
            mab += w * va * vb;
          }
          const at = y * outWidth + x;
          horizontal[at] = ma;
          horizontal[rowSize + at] = mb;
          horizontal[2 * rowSize + at] = maa;
          horizontal[3 * rowSize + at] = mbb;
          horizontal[4 * rowSize + at] = mab;
        }
      }

      // Vertical pass, one output row at a time, then the SSIM of each position.
      let planeSum = 0;
      for (let y = 0; y < outHeight; y++) {
        column.fill(0);
        for (let t = 0; t < SSIM_WINDOW; t++) {
          const w = weights[t];
          const from = (y + t) * outWidth;
          for (let moment = 0; moment < 5; moment++) {
            const source = moment * rowSize + from;
            const target = moment * outWidth;
            for (let x = 0; x < outWidth; x++) column[target + x] += w * horizontal[source + x];
          }
        }
        for (let x = 0; x < outWidth; x++) {
          const muA = column[x];
          const muB = column[outWidth + x];
          const varA = column[2 * outWidth + x] - muA * muA;
          const varB = column[3 * outWidth + x] - muB * muB;
          const covariance = column[4 * outWidth + x] - muA * muB;
          planeSum +=
            ((2 * muA * muB + c1) * (2 * covariance + c2)) /
            ((muA * muA + muB * muB + c1) * (varA + varB + c2));
        }
      }
      imageSum += planeSum / (outHeight * outWidth);
    }
    perImage[image] = imageSum / channels;
    batchSum += perImage[image];
  }
  return { perImage, mean: batchSum / count };
}
