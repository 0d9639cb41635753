import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import sharp from 'sharp';

import { loadImageFolder } from '../../src/data/index.js';
import { temporaryFolder } from './helpers.js';

let root = '';
let remove = async () => {};
before(async () => ({ dir: root, remove } = await temporaryFolder()));
after(() => remove());

/** Encodes raw interleaved pixels as an image file. */
async function image(
  file: string,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  pixels: number[],
  format: 'png' | 'jpeg' | 'webp' = 'png',
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  let raw = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  // Without this, sharp writes one- and two-channel input as RGB(A).
  if (channels <= 2) raw = raw.toColourspace('b-w');
  const encoded =
    format === 'png'
      ? raw.png()
      : format === 'jpeg'
        ? raw.jpeg({ quality: 100 })
        : raw.webp({ lossless: true });
  await encoded.toFile(file);
}

const ramp = (n: number, step: number) => Array.from({ length: n }, (_, i) => (i * step) % 256);

test('a folder of same-size grayscale PNGs reads exactly, in path order', async () => {
  const dir = path.join(root, 'gray');
  await image(path.join(dir, 'b.png'), 3, 2, 1, ramp(6, 40));
  await image(path.join(dir, 'a.png'), 3, 2, 1, ramp(6, 10));
  const { dataset, report } = await loadImageFolder(dir);
  assert.deepEqual(dataset.shape, [2, 1, 2, 3]);
  assert.deepEqual(
    [...dataset.data],
    [...ramp(6, 10), ...ramp(6, 40)].map((v) => Math.fround(v / 255)),
  );
  assert.deepEqual(dataset.valueRange, [0, 1]);
  assert.equal(dataset.labels, undefined);
  assert.deepEqual(dataset.preprocessing, [
    { kind: 'image', width: 3, height: 2, channels: 1, fit: 'fill', alphaBackground: 255 },
    { kind: 'scale', from: [0, 255], to: [0, 1] },
  ]);
  assert.equal(report.read, 2);
  assert.deepEqual(report.notices, []);
});

test('RGB images become planar [3, height, width]', async () => {
  const dir = path.join(root, 'rgb');
  // Two pixels: pure red, then (10, 20, 30).
  await image(path.join(dir, 'x.webp'), 2, 1, 3, [255, 0, 0, 10, 20, 30], 'webp');
  const { dataset } = await loadImageFolder(dir);
  assert.deepEqual(dataset.shape, [1, 3, 1, 2]);
  assert.deepEqual(
    [...dataset.data],
    [255, 10, 0, 20, 0, 30].map((v) => Math.fround(v / 255)),
  );
});

test('mixed sizes, colour and alpha are converted and counted', async () => {
  const dir = path.join(root, 'mixed');
  await image(path.join(dir, '1.png'), 4, 4, 1, new Array(16).fill(100));
  await image(path.join(dir, '2.png'), 4, 4, 1, new Array(16).fill(200));
  // A gray-valued RGB JPEG of another size: converted to grayscale and resized.
  await image(path.join(dir, '3.jpg'), 8, 6, 3, new Array(8 * 6 * 3).fill(50), 'jpeg');
  // RGBA, fully transparent: composited onto the white background.
  await image(path.join(dir, '4.png'), 4, 4, 4, new Array(64).fill(0));
  // Gray + alpha, opaque.
  await image(
    path.join(dir, '5.png'),
    4,
    4,
    2,
    ramp(32, 1).map((_, i) => (i % 2 ? 255 : 30)),
  );

  const { dataset, report } = await loadImageFolder(dir, { channels: 1 });
  assert.deepEqual(dataset.shape, [5, 1, 4, 4]);
  assert.equal(report.resized, 1);
  assert.equal(report.toGrayscale, 2);
  assert.equal(report.toRgb, 0);
  assert.equal(report.alphaFlattened, 2);
  assert.deepEqual(report.notices, [
    `${dir}: 1 of 5 images resized to 4x4 (fill)`,
    `${dir}: 2 colour images converted to grayscale`,
    `${dir}: 2 images with alpha composited onto gray level 255`,
  ]);
  const pixel = (i: number) => Math.round(dataset.data[i * 16 + 5] * 255);
  assert.equal(pixel(0), 100);
  assert.equal(pixel(1), 200);
  assert.ok(Math.abs(pixel(2) - 50) <= 2, `jpeg gray ${pixel(2)}`);
  assert.equal(pixel(3), 255);
  assert.equal(pixel(4), 30);

  // By default one colour image makes the set RGB; grayscale ones get three equal channels.
  const rgb = await loadImageFolder(dir, { width: 2, height: 2 });
  assert.deepEqual(rgb.dataset.shape, [5, 3, 2, 2]);
  assert.equal(rgb.report.toRgb, 3);
  assert.equal(rgb.report.resized, 5);
  const first = rgb.dataset.data.subarray(0, 12);
  assert.deepEqual([...first], new Array(12).fill(Math.fround(100 / 255)));
});

test('labels from subfolders; unreadable and other files are listed by name', async () => {
  const dir = path.join(root, 'labelled');
  await image(path.join(dir, 'dog', 'd1.png'), 2, 2, 1, [1, 2, 3, 4]);
  await image(path.join(dir, 'cat', 'c1.png'), 2, 2, 1, [5, 6, 7, 8]);
  await image(path.join(dir, 'cat', 'nested', 'c2.png'), 2, 2, 1, [9, 9, 9, 9]);
  await writeFile(path.join(dir, 'cat', 'broken.png'), 'not an image at all');
  const good = await sharp(Buffer.alloc(64 * 64 * 3, 7), {
    raw: { width: 64, height: 64, channels: 3 },
  })
    .png()
    .toBuffer();
  await writeFile(path.join(dir, 'dog', 'truncated.png'), good.subarray(0, good.length - 40));
  await writeFile(path.join(dir, 'dog', 'notes.txt'), 'hello');
  await image(path.join(dir, 'top.png'), 2, 2, 1, [0, 0, 0, 0]);

  const { dataset, report } = await loadImageFolder(dir, { labelsFromSubfolders: true });
  assert.deepEqual(dataset.labelNames, ['cat', 'dog']);
  assert.deepEqual([...(dataset.labels ?? [])], [0, 0, 1]);
  assert.deepEqual(dataset.shape, [3, 1, 2, 2]);
  assert.deepEqual(
    [...dataset.data.subarray(0, 4)],
    [5, 6, 7, 8].map((v) => Math.fround(v / 255)),
  );
  assert.deepEqual(report.perLabel, { cat: 2, dog: 1 });
  assert.deepEqual(
    report.unreadable.map((u) => u.file),
    ['cat/broken.png', 'dog/truncated.png'],
  );
  assert.ok(report.unreadable.every((u) => u.reason.length > 0 && !u.reason.includes('\n')));
  assert.deepEqual(report.skipped, ['dog/notes.txt', 'top.png']);
  assert.ok(
    report.notices.includes(
      `${dir}: 2 unreadable files skipped: cat/broken.png, dog/truncated.png`,
    ),
  );
});

test('reuse takes size and channels from the recorded image step', async () => {
  const dir = path.join(root, 'reuse');
  await image(path.join(dir, 'a.png'), 6, 6, 3, new Array(108).fill(90));
  const reuse = [
    { kind: 'image', width: 3, height: 3, channels: 1, fit: 'cover', alphaBackground: 0 },
  ] as const;
  const { dataset } = await loadImageFolder(dir, {
    reuse: [{ ...reuse[0] }],
    width: 10,
    height: 10,
  });
  assert.deepEqual(dataset.shape, [1, 1, 3, 3]);
  assert.ok(Math.abs(dataset.data[4] * 255 - 90) <= 1);
});

test('no readable image is an error naming the folder and the files', async () => {
  const dir = path.join(root, 'bad');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'x.png'), 'garbage');
  await writeFile(path.join(dir, 'y.jpg'), Buffer.alloc(10));
  await assert.rejects(loadImageFolder(dir), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'BAD_INPUT');
    assert.match(
      error.message,
      new RegExp(
        `^${dir}: images: expected at least one readable image, ` +
          `got 2 unreadable \\(x\\.png: .*y\\.jpg: `,
      ),
    );
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });

  const empty = path.join(root, 'empty');
  await mkdir(empty, { recursive: true });
  await writeFile(path.join(empty, 'readme.md'), '#');
  await assert.rejects(loadImageFolder(empty), {
    message: `${empty}: images: expected PNG, JPEG or WebP files, got only other files (readme.md)`,
  });
  await assert.rejects(loadImageFolder(path.join(root, 'absent')), {
    message: new RegExp(`absent: folder: expected a readable folder, got ENOENT`),
  });
  await assert.rejects(loadImageFolder(empty, { width: 4 }), {
    name: 'TypeError',
    message:
      'loadImageFolder: width and height: expected both or neither, ' +
      'got width 4 and height undefined',
  });
});
