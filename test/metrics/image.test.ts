// PSNR by hand and SSIM against scikit-image and a direct NumPy transcription of Wang et
// al. 2004 (test/fixtures/ssim_reference.py), on fixed random images.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { psnr, ssim } from '../../src/metrics/index.js';
import { assertNear, normal, reference, uniform } from './helpers.js';

test('psnr: a hand-computed case, per image and in the batch mean', () => {
  // Image 0 is off by 0.1 everywhere: MSE 0.01, PSNR 10 log10(1 / 0.01) = 20 dB.
  // Image 1 has one of four pixels off by 0.2: MSE 0.01 as well.
  // Image 2 has one of four pixels off by 1: MSE 0.25, PSNR 10 log10(4) = 6.0206 dB.
  const a = new Float64Array([0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1]);
  const b = new Float64Array([0.1, 0.1, 0.1, 0.1, 0.5, 0.7, 0.5, 0.5, 1, 1, 0, 1]);
  const result = psnr(a, b, { shape: [3, 2, 2] });
  assertNear(result.perImage[0], 20, 1e-12, 'image 0');
  assertNear(result.perImage[1], 20, 1e-12, 'image 1');
  assertNear(result.perImage[2], 10 * Math.log10(4), 1e-12, 'image 2');
  assertNear(result.mean, (40 + 10 * Math.log10(4)) / 3, 1e-12, 'mean');
  assert.equal(result.identical, 0);
});

test('psnr: channels share one MSE; dataRange scales the peak', () => {
  // [1, 3, 1, 2]: six values, one off by 51 on a 0-255 scale: MSE 51^2 / 6.
  const a = new Float32Array([0, 10, 20, 30, 40, 50]);
  const b = new Float32Array([0, 10, 71, 30, 40, 50]);
  const result = psnr(a, b, { shape: [1, 3, 1, 2], dataRange: 255 });
  assertNear(result.mean, 10 * Math.log10((255 * 255 * 6) / (51 * 51)), 1e-9);
});

test('psnr: identical images are Infinity, counted apart from the mean', () => {
  const a = new Float64Array([0.2, 0.4, 0.6, 0.8, 0, 0, 0, 0]);
  const b = new Float64Array([0.2, 0.4, 0.6, 0.8, 0.1, 0.1, 0.1, 0.1]);
  const result = psnr(a, b, { shape: [2, 2, 2] });
  assert.equal(result.perImage[0], Infinity);
  assertNear(result.perImage[1], 20, 1e-12);
  assertNear(result.mean, 20, 1e-12, 'mean over the differing image');
  assert.equal(result.identical, 1);

  const same = psnr(a, a, { shape: [2, 2, 2] });
  assert.equal(same.mean, Infinity);
  assert.equal(same.identical, 2);
});

test('ssim: identical images give exactly 1', () => {
  const a = uniform(2 * 3 * 16 * 16, 1);
  const result = ssim(a, a, { shape: [2, 3, 16, 16] });
  assert.deepEqual(Array.from(result.perImage), [1, 1]);
  assert.equal(result.mean, 1);
});

test('ssim equals scikit-image and the paper written out in NumPy within 1e-4', () => {
  const clip = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));
  const cases: { shape: number[]; dataRange: number; a: Float64Array; b: Float64Array }[] = [];

  // RGB with additive noise, values in [0, 1].
  const rgb = uniform(3 * 3 * 24 * 32, 2);
  const noise = normal(rgb.length, 3);
  cases.push({
    shape: [3, 3, 24, 32],
    dataRange: 1,
    a: rgb,
    b: rgb.map((x, i) => clip(x + 0.1 * noise[i], 0, 1)),
  });

  // Smooth gray images with a brightness and contrast change: structure kept, so SSIM is
  // high but not 1. Values in [-1, 1] with dataRange 2.
  const size = 20;
  const smooth = new Float64Array(2 * size * size);
  for (let n = 0; n < 2; n++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        smooth[(n * size + y) * size + x] = Math.sin((x + 2 * n) / 3) * Math.cos(y / 4);
      }
    }
  }
  cases.push({
    shape: [2, 1, size, size],
    dataRange: 2,
    a: smooth,
    b: smooth.map((x) => 0.8 * x + 0.1),
  });

  // Exactly one window position (11 x 11), and unrelated images.
  cases.push({ shape: [1, 1, 11, 11], dataRange: 1, a: uniform(121, 4), b: uniform(121, 5) });

  const expected = reference<{ skimage: number[]; direct: number[] }[]>(
    'ssim_reference.py',
    'ssim',
    cases,
  );
  let worst = 0;
  for (const [c, { shape, dataRange, a, b }] of cases.entries()) {
    // The 3-D shape [n, h, w] for the one-channel cases, as callers pass grayscale.
    const callShape = shape[1] === 1 ? [shape[0], shape[2], shape[3]] : shape;
    const result = ssim(a, b, { shape: callShape, dataRange });
    let sum = 0;
    for (let i = 0; i < shape[0]; i++) {
      assertNear(result.perImage[i], expected[c].skimage[i], 1e-4, `case ${c} image ${i} skimage`);
      assertNear(result.perImage[i], expected[c].direct[i], 1e-4, `case ${c} image ${i} direct`);
      worst = Math.max(worst, Math.abs(result.perImage[i] - expected[c].skimage[i]));
      sum += expected[c].skimage[i];
    }
    assertNear(result.mean, sum / shape[0], 1e-4, `case ${c} mean`);
  }
  // The computation is the same in double precision: far closer than the 1e-4 required.
  assert.ok(worst < 1e-10, `largest difference from scikit-image ${worst}`);
});

test('ssim takes float32 images', () => {
  const a = new Float32Array(uniform(12 * 12, 6));
  const b = new Float32Array(uniform(12 * 12, 7));
  const single = ssim(a, b, { shape: [1, 12, 12] }).mean;
  const double = ssim(new Float64Array(a), new Float64Array(b), { shape: [1, 12, 12] }).mean;
  assert.equal(single, double);
  assert.ok(single < 0.2, `unrelated images: ${single}`);
});

test('bad images are refused with the argument and what was expected', () => {
  const a = new Float64Array(2 * 12 * 12);
  const b = new Float64Array(2 * 12 * 12);
  const shape = [2, 12, 12];
  assert.throws(() => psnr(a, b.subarray(1), { shape }), {
    name: 'AekitError',
    message: 'psnr: b: expected 288 values (shape [2, 12, 12]), got 287',
  });
  assert.throws(() => ssim(a, new Float64Array(300), { shape }), {
    message: 'ssim: b: expected 288 values (shape [2, 12, 12]), got 300',
  });
  const withNaN = new Float64Array(b);
  withNaN[150] = NaN;
  assert.throws(() => ssim(a, withNaN, { shape }), {
    name: 'AekitError',
    message: 'ssim: b: expected finite numbers, got NaN at index 150',
  });
  assert.throws(() => psnr([0, 1] as unknown as Float64Array, b, { shape }), {
    name: 'TypeError',
    message: 'psnr: a: expected a Float32Array or Float64Array, got array of length 2',
  });
  assert.throws(() => psnr(new Float64Array(0), b, { shape: [1, 1, 1] }), {
    message: 'psnr: a: expected at least one value, got an empty array',
  });
  assert.throws(() => psnr(a, b, {} as { shape: number[] }), {
    name: 'TypeError',
    message: 'psnr: options.shape: expected an array of 3 or 4 positive integers, got undefined',
  });
  assert.throws(() => psnr(a, b, { shape: [288] }), {
    message:
      'psnr: options.shape: expected an array of 3 or 4 positive integers, got array of length 1',
  });
  assert.throws(() => psnr(a, b, { shape: [2, 0, 12] }), {
    name: 'RangeError',
    message: 'psnr: options.shape[1]: expected an integer >= 1, got number 0',
  });
  assert.throws(() => psnr(a, b, { shape, dataRange: 0 }), {
    name: 'RangeError',
    message: 'psnr: options.dataRange: expected a finite number > 0, got number 0',
  });
  assert.throws(() => ssim(a.subarray(0, 160), b.subarray(0, 160), { shape: [2, 8, 10] }), {
    name: 'AekitError',
    message:
      'ssim: options.shape: expected images of at least 11 x 11 (the Gaussian window), got 8 x 10',
  });
});
