// aekit train --task compress, aekit compress and aekit decompress on a tiny codec trained on
// a few hundred digits: rates with and without the header, PSNR/SSIM with --reference, the
// same integers after a round trip, the warning for unlike data, one-line errors (exit 2)
// for damaged files, another model's files and non-codec models.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { codecFromModel } from '../../src/codec/index.js';
import { loadFashionMnist, readNpy, saveNpy } from '../../src/data/index.js';
import { loadModel } from '../../src/models/index.js';
import { badInput, folder, run, saveDigits, succeed } from './task-helpers.js';

const { dir, remove } = folder('compress');
after(remove);

const codecTraining = [
  'train',
  '--task',
  'compress',
  '--data',
  'digits.npy',
  '--channels',
  '8,8',
  '--epochs',
  '2',
  '--batch-size',
  '32',
  '--lr',
  '5e-3',
];

before(async () => {
  await saveDigits(dir, 'digits', 300);
  await saveDigits(dir, 'more', 20, undefined, 300);
  const { dataset } = await loadFashionMnist({ split: 'test', limit: 40 });
  saveNpy(path.join(dir, 'fashion.npy'), dataset.data, dataset.shape);
  writeFileSync(path.join(dir, 'empty.aez'), '');
  await succeed([...codecTraining, '--lambda', '300', '-o', 'codec.aekit'], dir);
  await succeed([...codecTraining, '--lambda', '30', '--seed', '1', '-o', 'other.aekit'], dir);
  await succeed(
    [
      'train',
      '--data',
      'digits.npy',
      '--hidden',
      '16',
      '--latent',
      '4',
      '--epochs',
      '1',
      '-o',
      'plain.aekit',
    ],
    dir,
  );
});

test('train --task compress stores the tables and the training statistics', async () => {
  const loaded = loadModel(path.join(dir, 'codec.aekit'));
  assert.equal(loaded.config.family, 'compressive');
  assert.equal((loaded.config as { lambda: number }).lambda, 300);
  // The preset's map latent: 8 channels on 7 x 7.
  assert.equal(loaded.config.latentDim, 8 * 7 * 7);
  const { codec, training } = codecFromModel(loaded);
  assert.equal(training?.images, 300);
  // Tables fitted to the training images' latents, with context tables on top.
  assert.equal((loaded.extras.codec as { version: number }).version, 2);
  assert.ok(codec.tables.context && codec.tables.context.offsets.length > 0);
  const contextTables = codec.tables.context.offsets.length.toLocaleString('en-US');
  assert.ok(training!.bytes.mean > 0 && training!.mse.p99 >= training!.mse.p50);
  assert.equal(codec.fingerprint.length, 8);
  loaded.model.dispose();
  // aekit info names the codec and its tables.
  const info = await succeed(['info', 'codec.aekit'], dir);
  assert.match(
    info.stdout,
    /\ncodec +[0-9a-f]{16}: [\d.]+ bytes per image \(99% under [\d.]+\), PSNR/,
  );
  assert.ok(
    info.stdout.includes(
      `element tables fitted to the training latents, and ${contextTables} context tables ` +
        '(chosen by the signs of the left, upper and previous-channel latents and how many ' +
        'earlier channels are non-zero; codec record version 2)',
    ),
    info.stdout,
  );
});

test('train --task compress --latent N trains a dense code of N latents', async () => {
  await succeed([...codecTraining, '--latent', '12', '-o', 'dense.aekit'], dir);
  const loaded = loadModel(path.join(dir, 'dense.aekit'));
  const config = loaded.config as { latentDim: number; denseBottleneck: boolean };
  assert.equal(config.latentDim, 12);
  assert.equal(config.denseBottleneck, true);
  loaded.model.dispose();
  const result = await succeed(
    ['compress', '--model', 'dense.aekit', 'more.npy', '-o', 'dense.aez', '--json'],
    dir,
  );
  // 12 latents code in a few bytes per image, far fewer than the 8 x 7 x 7 map.
  assert.ok(JSON.parse(result.stdout).bytesPerImageWithoutHeader < 12, result.stdout);
  await succeed(['decompress', 'dense.aez', '--model', 'dense.aekit', '-o', 'dense.npy'], dir);
  // Images without their channel axis: the error says how to add it.
  const { values } = await readNpy(path.join(dir, 'more.npy'));
  saveNpy(path.join(dir, 'flat.npy'), values, [20, 28, 28]);
  await badInput(
    ['compress', '--model', 'dense.aekit', 'flat.npy', '-o', 'flat.aez'],
    dir,
    /^aekit: .*flat\.npy: sample shape: expected \[1, 28, 28\] .*got \[28, 28\]; reshape the array to \[count, 1, 28, 28\]$/,
  );
});

test('compress then decompress: rates, quality, PNGs, the same integers', async () => {
  const compressed = await succeed(
    ['compress', '--model', 'codec.aekit', 'more.npy', '-o', 'more.aez', '--reference'],
    dir,
  );
  const rate =
    /wrote more\.aez: ([\d,]+) bytes for 20 images: ([\d.]+) bytes per image \(([\d.]+) without the (\d+)-byte header\), ([\d.]+) bits per pixel/;
  const match = rate.exec(compressed.stdout);
  assert.ok(match, compressed.stdout);
  const fileBytes = Number(match[1].replace(/,/g, ''));
  assert.equal(fileBytes, readFileSync(path.join(dir, 'more.aez')).length);
  // Printed to 4 significant digits.
  const near = (printed: string, value: number) =>
    Math.abs(Number(printed) - value) <= 6e-4 * value;
  assert.ok(near(match[2], fileBytes / 20));
  assert.ok(near(match[3], (fileBytes - Number(match[4])) / 20));
  assert.ok(near(match[5], (fileBytes * 8) / 20 / 784));
  assert.match(
    compressed.stdout,
    /^decoded against the inputs: PSNR \d+\.\d\d dB, SSIM \d\.\d{4}$/m,
  );

  const decompressed = await succeed(
    ['decompress', 'more.aez', '--model', 'codec.aekit', '-o', 'out', '--reference', 'more.npy'],
    dir,
  );
  assert.match(decompressed.stdout, /^wrote 20 PNG files in out: [\d,]+ bytes for 20 images/m);
  // The quality against the originals is the quality compress reported.
  const psnr = (text: string) => /PSNR (\d+\.\d\d) dB/.exec(text)?.[1];
  assert.equal(psnr(decompressed.stdout), psnr(compressed.stdout));
  assert.equal(readdirSync(path.join(dir, 'out')).length, 20);
  assert.ok(readdirSync(path.join(dir, 'out')).includes('00.png'));

  // Decoded arrays, compressed again, give the same integers: the file is the same.
  await succeed(['decompress', 'more.aez', '--model', 'codec.aekit', '-o', 'more-out.npy'], dir);
  const { values, shape } = await readNpy(path.join(dir, 'more-out.npy'));
  assert.deepEqual(shape, [20, 1, 28, 28]);
  assert.ok(values.every((v) => v >= 0 && v <= 1));
  await succeed(['compress', '--model', 'codec.aekit', 'more.npy', '-o', 'again.aez'], dir);
  assert.deepEqual(
    readFileSync(path.join(dir, 'again.aez')),
    readFileSync(path.join(dir, 'more.aez')),
  );

  const json = await succeed(
    ['decompress', 'more.aez', '--model', 'codec.aekit', '-o', 'grid.png', '--json'],
    dir,
  );
  const event = JSON.parse(json.stdout);
  assert.equal(event.type, 'decompressed');
  assert.equal(event.images, 20);
  assert.equal(event.fileBytes, fileBytes);
});

test('data unlike the training data gets a warning that says so', async () => {
  const result = await succeed(
    ['compress', '--model', 'codec.aekit', 'fashion.npy', '-o', 'fashion.aez'],
    dir,
  );
  assert.match(
    result.stderr,
    /^warning: \d+% of the images \(\d+ of 40\) are unlike this codec's training data: their rate or distortion is above what 99% of the training images had .*an autoencoder compresses well only data like what it learned from/m,
  );
  const like = await run(['compress', '--model', 'codec.aekit', 'digits.npy', '-o', 'd.aez'], dir);
  assert.doesNotMatch(like.stderr, /warning/);
});

test('damaged, empty, foreign and truncated files, and the wrong models, are one-line errors', async () => {
  const good = readFileSync(path.join(dir, 'more.aez'));
  const flipped = Buffer.from(good);
  flipped[flipped.length - 10] ^= 0x20;
  writeFileSync(path.join(dir, 'flipped.aez'), flipped);
  writeFileSync(path.join(dir, 'short.aez'), good.subarray(0, good.length - 3));
  const newer = Buffer.from(good);
  newer[4] = 9;
  writeFileSync(path.join(dir, 'newer.aez'), newer);
  const decompress = (file: string, model = 'codec.aekit') => [
    'decompress',
    file,
    '--model',
    model,
    '-o',
    'x',
  ];
  await badInput(decompress('flipped.aez'), dir, /^aekit: flipped\.aez: payload checksum: /);
  await badInput(decompress('short.aez'), dir, /^aekit: short\.aez: length: .*truncated/);
  await badInput(decompress('empty.aez'), dir, /^aekit: empty\.aez: size: .*empty file/);
  await badInput(decompress('newer.aez'), dir, /^aekit: newer\.aez: version: .*upgrade aekit$/);
  await badInput(
    decompress('digits.npy'),
    dir,
    /^aekit: digits\.npy: magic: .*another kind of file/,
  );
  await badInput(
    decompress('more.aez', 'other.aekit'),
    dir,
    /^aekit: more\.aez: fingerprint: the file was written by another model/,
  );
  await badInput(
    decompress('more.aez', 'plain.aekit'),
    dir,
    /plain\.aekit: config\.family: expected a compressive model/,
  );
  await badInput(
    decompress('missing.aez'),
    dir,
    /^aekit: missing\.aez: file: expected an \.aez file, got no such file$/,
  );
  await badInput(
    ['compress', '--model', 'codec.aekit', 'fashion.npy', '-o', 'no/such/dir/x.aez'],
    dir,
    /--output: expected a file in an existing folder/,
  );
  await badInput(
    [...codecTraining, '--model', 'conv', '-o', 'x.aekit'],
    dir,
    /^aekit: --task compress: expected --model compressive \(or none\), got --model conv$/,
  );
  await badInput(
    ['train', '--data', 'digits.npy', '--lambda', '3', '-o', 'x.aekit'],
    dir,
    /^aekit: --lambda: applies to compressive models, not to dense$/,
  );
  await badInput(
    ['decompress', 'more.aez', '--model', 'codec.aekit', '-o', 'y', '--reference', 'fashion.npy'],
    dir,
    /--reference: expected 20 images \(as many as more\.aez holds\), got 40/,
  );
});
