// aekit denoise on a tiny model trained with --corrupt: PNG files named after the inputs,
// one .npy per data file, PSNR/SSIM with --add-noise, a comparison grid; bad input is one
// line with exit code 2.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import sharp from 'sharp';

import { readNpy, saveNpy } from '../../src/data/index.js';
import { badInput, folder, saveDigits, succeed } from './task-helpers.js';

const { dir, remove } = folder('denoise');
after(remove);

before(async () => {
  await saveDigits(dir, 'digits', 300);
  await saveDigits(dir, 'more', 20, undefined, 300);
  const nan = new Float32Array(2 * 784);
  nan[900] = NaN;
  saveNpy(path.join(dir, 'nan.npy'), nan, [2, 1, 28, 28]);
  saveNpy(path.join(dir, 'flat.npy'), new Float32Array(30), [3, 10]);
  writeFileSync(path.join(dir, 'a-file'), 'x');
  const train = [
    'train',
    '--data',
    'digits.npy',
    '--hidden',
    '32',
    '--latent',
    '8',
    '--epochs',
    '3',
  ];
  await succeed([...train, '--corrupt', 'gaussian:0.3', '-o', 'denoiser.aekit'], dir);
  await succeed([...train, '-o', 'plain.aekit'], dir);
  // Two PNG inputs from the data itself.
  const { values } = await readNpy(path.join(dir, 'more.npy'));
  for (const [i, name] of ['shirt', 'shoe'].entries()) {
    const pixels = Buffer.from(Array.from(values.subarray(i * 784, (i + 1) * 784), (v) => v * 255));
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toFile(path.join(dir, `${name}.png`));
  }
});

test('images become PNG files of the same names; data files one .npy each', async () => {
  const images = await succeed(
    ['denoise', '--model', 'denoiser.aekit', 'shirt.png', 'shoe.png', '-o', 'clean'],
    dir,
  );
  assert.match(
    images.stdout,
    /^denoised 2 samples with denoiser\.aekit \(trained on gaussian noise sigma 0\.3\)$/m,
  );
  assert.deepEqual(readdirSync(path.join(dir, 'clean')).sort(), ['shirt.png', 'shoe.png']);
  const { width, channels } = await sharp(path.join(dir, 'clean', 'shoe.png')).metadata();
  assert.deepEqual([width, channels], [28, 1]);

  const arrays = await succeed(
    ['denoise', '--model', 'denoiser.aekit', 'more.npy', 'digits.npy', '-o', 'arrays'],
    dir,
  );
  assert.match(arrays.stdout, /denoised 320 samples/);
  assert.deepEqual((await readNpy(path.join(dir, 'arrays', 'more.npy'))).shape, [20, 1, 28, 28]);
  assert.deepEqual((await readNpy(path.join(dir, 'arrays', 'digits.npy'))).shape, [300, 1, 28, 28]);
});

test('--add-noise reports PSNR and SSIM before and after; --compare draws both', async () => {
  const args = ['denoise', '--model', 'denoiser.aekit', 'more.npy', '-o', 'noisy', '--add-noise'];
  const result = await succeed([...args, 'salt-pepper:0.1', '--compare', 'compare.png'], dir);
  const match =
    /10% salt and pepper: PSNR ([\d.]+) dB -> ([\d.]+) dB; SSIM ([\d.]+) -> ([\d.]+)/.exec(
      result.stdout,
    );
  assert.ok(match, result.stdout);
  assert.ok(Number(match[1]) > 5 && Number(match[1]) < 20, result.stdout);
  const { width, height } = await sharp(path.join(dir, 'compare.png')).metadata();
  // 20 pairs: 5 per row, noisy above denoised, 28 pixels scaled by 2.
  assert.equal(width, 5 * 56 + 6 * 2);
  assert.ok((height as number) > 4 * 2 * 56);

  const json = await succeed([...args, 'gaussian:0.2', '--json', '--seed', '3'], dir);
  const parsed = JSON.parse(json.stdout) as { quality: { psnr: { noisy: number } } };
  const again = JSON.parse(
    (await succeed([...args, 'gaussian:0.2', '--json', '--seed', '3'], dir)).stdout,
  );
  assert.deepEqual(again, parsed, 'the same seed gives the same noise');
  assert.ok(parsed.quality.psnr.noisy > 10);

  // A model trained on clean data needs --any-model.
  const plain = await succeed(
    ['denoise', '--model', 'plain.aekit', 'more.npy', '-o', 'p', '--any-model'],
    dir,
  );
  assert.match(plain.stdout, /\(trained on clean data\)/);
});

test('bad input is one line naming the file and field, with exit code 2', async () => {
  const denoise = (...args: string[]) => ['denoise', '--model', 'denoiser.aekit', ...args];
  await badInput(
    ['denoise', '--model', 'plain.aekit', 'more.npy', '-o', 'x'],
    dir,
    /plain\.aekit: training: expected a model trained with corruption .*pass --any-model/,
  );
  await badInput(
    ['denoise', '--model', 'missing.aekit', 'more.npy', '-o', 'x'],
    dir,
    /missing\.aekit: model file/,
  );
  await badInput(
    denoise('missing.png', '-o', 'x'),
    dir,
    /missing\.png: inputs: expected an existing file or folder, got no such path/,
  );
  await badInput(
    denoise('nan.npy', '-o', 'x'),
    dir,
    /nan\.npy: data: expected finite numbers, got NaN at sample 1, element 116/,
  );
  await badInput(
    denoise('flat.npy', '-o', 'x'),
    dir,
    /flat\.npy: sample shape: expected \[1, 28, 28\]/,
  );
  await badInput(
    denoise('more.npy', '-o', 'a-file'),
    dir,
    /a-file: --output: expected a folder, got a file/,
  );
  await badInput(
    denoise('more.npy', '-o', 'no/such/x'),
    dir,
    /--output: expected a folder in an existing folder/,
  );
  await badInput(
    denoise('more.npy', '-o', 'x', '--compare', 'c.jpg'),
    dir,
    /c\.jpg: --compare: expected a file ending in \.png/,
  );
  await badInput(
    denoise('more.npy', '-o', 'x', '--add-noise', 'blur:2'),
    dir,
    /option '--add-noise <spec>' argument 'blur:2' is invalid/,
  );
  await badInput(
    denoise('shirt.png', 'more.npy', '-o', 'x'),
    dir,
    /more\.npy: inputs: expected images only or data files only/,
  );
  await badInput(
    ['denoise', '--model', 'denoiser.aekit', '-o', 'x'],
    dir,
    /missing required argument 'inputs'/,
  );
});
