import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  bitsPerPixel,
  bytesPerImage,
  compressionRatio,
  pixelsPerImage,
  rawBytesPerImage,
} from '../../src/metrics/index.js';

test('bits per pixel, bytes per image and compression ratio', () => {
  assert.equal(bitsPerPixel(98, 28 * 28), 1);
  assert.equal(bitsPerPixel(0, 10), 0);
  assert.equal(bitsPerPixel(3072, 1024), 24); // uncompressed 8-bit RGB
  assert.equal(bytesPerImage(9800, 100), 98);
  assert.equal(pixelsPerImage([64, 3, 32, 32]), 1024);
  assert.equal(pixelsPerImage([64, 28, 28]), 784);
  assert.equal(rawBytesPerImage([64, 3, 32, 32]), 3072);
  assert.equal(rawBytesPerImage([1, 28, 28], 32), 3136);
  assert.equal(compressionRatio(rawBytesPerImage([1, 28, 28]), 98), 8);
});

test('bad rates are refused', () => {
  assert.throws(() => bitsPerPixel(10, 0), {
    name: 'RangeError',
    message: 'bitsPerPixel: pixels: expected an integer >= 1, got number 0',
  });
  assert.throws(() => bitsPerPixel(-1, 10), {
    name: 'RangeError',
    message: 'bitsPerPixel: bytes: expected a finite number >= 0, got number -1',
  });
  assert.throws(() => bitsPerPixel(NaN, 10), {
    name: 'TypeError',
    message: 'bitsPerPixel: bytes: expected a number, got number NaN',
  });
  assert.throws(() => bytesPerImage(100, 2.5), {
    name: 'TypeError',
    message: 'bytesPerImage: images: expected an integer, got number 2.5',
  });
  assert.throws(() => compressionRatio(784, 0), {
    name: 'RangeError',
    message: 'compressionRatio: compressedBytes: expected a finite number > 0, got number 0',
  });
  assert.throws(() => pixelsPerImage([28, 28]), {
    name: 'AekitError',
    message:
      'pixelsPerImage: shape: expected an array of 3 or 4 positive integers, got array of length 2',
  });
  assert.throws(() => rawBytesPerImage([1, 28, 28], 0), {
    message: 'rawBytesPerImage: bitsPerValue: expected an integer from 1 to 64, got number 0',
  });
});
