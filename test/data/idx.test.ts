import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIRECTORY,
  loadFashionMnist,
  loadIdx,
  parseIdx,
  readIdx,
} from '../../src/data/index.js';
import { idxBytes, temporaryFolder } from './helpers.js';

let dir = '';
let remove = async () => {};
before(async () => ({ dir, remove } = await temporaryFolder()));
after(() => remove());

/** Three 2x2 images with pixels 0, 51, 102, ... and labels 2, 0, 1. */
async function writeSmall(gzip: boolean): Promise<{ images: string; labels: string }> {
  const suffix = gzip ? '.gz' : '';
  const images = path.join(dir, `images-idx3-ubyte${suffix}`);
  const labels = path.join(dir, `labels-idx1-ubyte${suffix}`);
  const pixels = Array.from({ length: 12 }, (_, i) => (i * 51) % 256);
  const imageBytes = idxBytes(0x08, [3, 2, 2], pixels);
  const labelBytes = idxBytes(0x08, [3], [2, 0, 1]);
  await writeFile(images, gzip ? gzipSync(imageBytes) : imageBytes);
  await writeFile(labels, gzip ? gzipSync(labelBytes) : labelBytes);
  return { images, labels };
}

for (const gzip of [false, true]) {
  test(`loadIdx reads images and labels${gzip ? ' (gzip)' : ''}`, async () => {
    const files = await writeSmall(gzip);
    const { dataset, report } = await loadIdx(files.images, { labels: files.labels });
    assert.deepEqual(dataset.shape, [3, 1, 2, 2]);
    assert.deepEqual(
      [...dataset.data],
      Array.from({ length: 12 }, (_, i) => Math.fround(((i * 51) % 256) / 255)),
    );
    assert.deepEqual([...(dataset.labels ?? [])], [2, 0, 1]);
    assert.deepEqual(dataset.labelNames, ['0', '1', '2']);
    assert.deepEqual(dataset.preprocessing, [{ kind: 'scale', from: [0, 255], to: [0, 1] }]);
    assert.deepEqual(report.notices, [
      `${files.images}: uint8 values scaled from [0, 255] to [0, 1]`,
    ]);
  });
}

test('loadIdx limit keeps the first images and labels', async () => {
  const files = await writeSmall(false);
  const { dataset } = await loadIdx(files.images, { labels: files.labels, limit: 2 });
  assert.deepEqual(dataset.shape, [2, 1, 2, 2]);
  assert.deepEqual([...(dataset.labels ?? [])], [2, 0]);
});

test('parseIdx reads every IDX value type, big-endian', () => {
  assert.deepEqual([...parseIdx(idxBytes(0x09, [2], [-3, 4]), 'f').values], [-3, 4]);
  assert.deepEqual([...parseIdx(idxBytes(0x0b, [2], [-300, 7]), 'f').values], [-300, 7]);
  assert.deepEqual([...parseIdx(idxBytes(0x0c, [1, 2], [-70000, 9]), 'f').values], [-70000, 9]);
  const floats = parseIdx(idxBytes(0x0d, [2], [1.5, -2.25]), 'f');
  assert.equal(floats.type, 'float32');
  assert.deepEqual([...floats.values], [1.5, -2.25]);
  assert.deepEqual([...parseIdx(idxBytes(0x0e, [1], [0.1]), 'f').values], [0.1]);
  assert.deepEqual(parseIdx(idxBytes(0x08, [2, 3, 1], new Array(6).fill(0)), 'f').dims, [2, 3, 1]);
});

test('IDX errors name the file and the field', async () => {
  const good = idxBytes(0x08, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);

  const badMagic = Buffer.from(good);
  badMagic[0] = 0x1f;
  assert.throws(() => parseIdx(badMagic, 'a.idx'), {
    code: 'BAD_FILE',
    message:
      'a.idx: magic number: expected 0x0000TTNN (IDX: type code TT in 08, 09, 0B-0E, ' +
      'NN >= 1 dimensions), got 0x1f000803',
  });
  const badType = Buffer.from(good);
  badType[2] = 0x0a;
  assert.throws(() => parseIdx(badType, 'b.idx'), /b\.idx: magic number: .*got 0x00000a03/);

  assert.throws(() => parseIdx(good.subarray(0, 2), 'c.idx'), {
    message: 'c.idx: header: expected at least 4 bytes, got 2 (truncated)',
  });
  assert.throws(() => parseIdx(good.subarray(0, 10), 'd.idx'), {
    message: 'd.idx: header: expected 16 bytes for 3 dimension sizes, got 10 bytes (truncated)',
  });
  assert.throws(() => parseIdx(good.subarray(0, good.length - 3), 'e.idx'), {
    code: 'BAD_FILE',
    message:
      'e.idx: data: expected 8 bytes for dimensions [2, 2, 2] of unsigned byte, ' +
      'got 5 bytes (truncated)',
  });
  assert.throws(() => parseIdx(Buffer.concat([good, Buffer.from([0])]), 'f.idx'), {
    message: /f\.idx: data: expected 8 bytes .*got 9 bytes \(extra bytes at end\)/,
  });

  const notGzip = path.join(dir, 'broken.gz');
  await writeFile(notGzip, good);
  await assert.rejects(readIdx(notGzip), {
    code: 'BAD_FILE',
    message: new RegExp(`^${notGzip}: gzip stream: expected valid gzip data, got .*header`),
  });
  const missing = path.join(dir, 'nothing-here');
  await assert.rejects(readIdx(missing), {
    message: new RegExp(`^${missing}: file: expected a readable file, got ENOENT`),
  });
});

test('loadIdx refuses count mismatches, empty sets and wrong shapes', async () => {
  const images = path.join(dir, 'mismatch-images');
  const labels = path.join(dir, 'mismatch-labels');
  await writeFile(images, idxBytes(0x08, [3, 1, 1], [0, 1, 2]));
  await writeFile(labels, idxBytes(0x08, [2], [0, 1]));
  await assert.rejects(loadIdx(images, { labels }), {
    code: 'BAD_FILE',
    message: `${labels}: label count: expected 3 (the image count of ${images}), got 2`,
  });

  const empty = path.join(dir, 'empty-images');
  await writeFile(empty, idxBytes(0x08, [0, 28, 28], []));
  await assert.rejects(loadIdx(empty), {
    message: `${empty}: image count: expected at least 1, got 0 (empty set)`,
  });

  const flat = path.join(dir, 'flat-images');
  await writeFile(flat, idxBytes(0x08, [4], [0, 1, 2, 3]));
  await assert.rejects(loadIdx(flat), {
    code: 'SHAPE',
    message:
      `${flat}: dimensions: expected [n, height, width] or [n, channels, height, width], ` +
      'got [4]',
  });

  const floats = path.join(dir, 'float-images');
  await writeFile(floats, idxBytes(0x0d, [1, 1, 1], [0.5]));
  await assert.rejects(loadIdx(floats), {
    message: `${floats}: type: expected unsigned byte images, got float32`,
  });

  const badLabels = path.join(dir, 'bad-labels');
  await writeFile(badLabels, idxBytes(0x08, [3], [0, 1, 12]));
  await assert.rejects(loadIdx(images, { labels: badLabels, labelNames: ['a', 'b', 'c'] }), {
    message: `${badLabels}: labels[2]: expected a class index below 3, got 12`,
  });
});

test('loadFashionMnist names the package when the files are missing', async () => {
  await assert.rejects(loadFashionMnist({ directory: dir, split: 'test' }), {
    code: 'BAD_INPUT',
    message: new RegExp(
      `t10k-images-idx3-ubyte: file: expected t10k-images-idx3-ubyte.gz or ` +
        `t10k-images-idx3-ubyte in ${dir}, got neither; install the Debian package ` +
        'dataset-fashion-mnist',
    ),
  });
});

// The README's test command installs dataset-fashion-mnist, so this test fails (rather
// than skips) without it.
test('loadFashionMnist reads the Debian package (test split)', async () => {
  const installed = existsSync(path.join(FASHION_MNIST_DIRECTORY, 't10k-images-idx3-ubyte.gz'));
  assert.ok(installed, 'not installed: apt-get install dataset-fashion-mnist');
  const { dataset } = await loadFashionMnist({ split: 'test' });
  assert.deepEqual(dataset.shape, [10000, 1, 28, 28]);
  assert.deepEqual(dataset.labelNames, FASHION_MNIST_CLASSES);
  const perClass = new Array<number>(10).fill(0);
  for (const label of dataset.labels ?? []) perClass[label]++;
  assert.deepEqual(perClass, new Array(10).fill(1000));
  // The first test image is an ankle boot, as in the published files.
  assert.equal(dataset.labels?.[0], 9);
  let max = 0;
  for (const v of dataset.data) max = Math.max(max, v);
  assert.equal(max, 1);
});
