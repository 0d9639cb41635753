// aekit generate on a tiny VAE: prior samples, samples like a class or like files, an
// interpolation and a latent grid, as a PNG grid, PNG files or .npy; every bad input is
// one line with exit code 2.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import sharp from 'sharp';

import { readNpy, saveNpy } from '../../src/data/index.js';
import { badInput, folder, saveDigits, succeed } from './task-helpers.js';

const { dir, remove } = folder('generate');
after(remove);

before(async () => {
  await saveDigits(dir, 'digits', 300);
  const nan = new Float32Array(2 * 784);
  nan[5] = NaN;
  saveNpy(path.join(dir, 'nan.npy'), nan, [2, 1, 28, 28]);
  const rows = ['a,b,c'];
  for (let i = 0; i < 40; i++) rows.push(`${i % 3},${(i * 7) % 5},${i / 10}`);
  writeFileSync(path.join(dir, 'table.csv'), rows.join('\n') + '\n');
  writeFileSync(path.join(dir, 'broken.png'), 'not a png');

  const digits = ['--data', 'digits.npy', '--labels', 'digits-labels.npy', '--epochs', '3'];
  const small = ['--hidden', '32', '--latent', '4', '--batch-size', '50'];
  await succeed(['train', ...digits, ...small, '--model', 'vae', '-o', 'vae.aekit'], dir);
  await succeed(['train', ...digits, ...small, '-o', 'dense.aekit'], dir);
  const table = ['--data', 'table.csv', '--epochs', '1', '--hidden', '8', '--latent', '2'];
  await succeed(['train', ...table, '--model', 'vae', '-o', 'table-vae.aekit'], dir);
});

async function pngSize(file: string): Promise<[number, number]> {
  const { width, height } = await sharp(path.join(dir, file)).metadata();
  return [width as number, height as number];
}

test('prior samples as a grid, a folder of PNGs and an array; a class; a grid walk', async () => {
  const prior = await succeed(
    ['generate', '--model', 'vae.aekit', '-n', '9', '-o', 'prior.png'],
    dir,
  );
  assert.match(prior.stdout, /^wrote prior\.png \(a grid of 9 images\): 9 samples from the prior/);
  // 3 x 3 tiles of 28 x 28 scaled by 2, with 2 pixels of padding.
  assert.deepEqual(await pngSize('prior.png'), [3 * 56 + 4 * 2, 3 * 56 + 4 * 2]);

  const cool = ['generate', '--model', 'vae.aekit', '-n', '4', '--temperature', '0.5'];
  const colder = await succeed([...cool, '-o', 'cool.npy'], dir);
  assert.match(colder.stdout, /4 samples from the prior N\(0, 0\.5\^2 I\)/);
  const files = await succeed(['generate', '--model', 'vae.aekit', '-n', '3', '-o', 'out'], dir);
  assert.match(files.stdout, /wrote 3 PNG files in out/);
  assert.deepEqual(readdirSync(path.join(dir, 'out')).sort(), [
    'sample-0.png',
    'sample-1.png',
    'sample-2.png',
  ]);
  assert.deepEqual(await pngSize('out/sample-0.png'), [28, 28]);

  const args = [
    'generate',
    '--model',
    'vae.aekit',
    '--labels',
    'digits-labels.npy',
    '--class',
    '3',
  ];
  args.push('-n', '5', '-o', 'threes.npy');
  const threes = await succeed(args, dir);
  assert.match(
    threes.stdout,
    /5 samples like class 3 \(\d+ examples of digits\.npy\); a Gaussian fitted to \d+ codes/,
  );
  const array = await readNpy(path.join(dir, 'threes.npy'));
  assert.deepEqual(array.shape, [5, 1, 28, 28]);
  assert.ok(array.values.every((v) => v >= 0 && v <= 1));
  const again = await succeed(args, dir);
  assert.equal(again.stdout, threes.stdout);
  const repeat = await readNpy(path.join(dir, 'threes.npy'));
  assert.deepEqual(repeat.values, array.values, 'one seed gives the same samples');

  const mixture = await succeed(
    [...args.slice(0, -1), 'mix.npy', '--mixture', '2', '--seed', '4'],
    dir,
  );
  assert.match(mixture.stdout, /a mixture of 2 Gaussians \(full covariances\) fitted to \d+ codes/);
  const diagonal = await succeed(
    [...args.slice(0, -1), 'diag.npy', '--mixture', '2', '--covariance', 'diagonal'],
    dir,
  );
  assert.match(diagonal.stdout, /a mixture of 2 Gaussians \(diagonal covariances\)/);
  const posterior = await succeed(
    [...args.slice(0, -1), 'posterior.npy', '--posterior', '--temperature', '0.5'],
    dir,
  );
  assert.match(
    posterior.stdout,
    /5 samples like class 3 \((\d+) examples of digits\.npy\); their aggregate posterior \(one Gaussian per example, \1 examples\)/,
  );
  const sampled = await readNpy(path.join(dir, 'posterior.npy'));
  assert.deepEqual(sampled.shape, [5, 1, 28, 28]);
  assert.notDeepEqual(sampled.values, array.values);

  const grid = await succeed(
    ['generate', '--model', 'vae.aekit', '--grid', '-n', '16', '-o', 'grid.npy'],
    dir,
  );
  assert.match(grid.stdout, /a 4 x 4 grid over latent dimensions 1 and 2/);
  assert.deepEqual((await readNpy(path.join(dir, 'grid.npy'))).shape, [16, 1, 28, 28]);
});

test('like given files, and an interpolation between two files or two sample indices', async () => {
  await succeed(['generate', '--model', 'vae.aekit', '-n', '2', '-o', 'examples'], dir);
  const like = await succeed(
    [
      'generate',
      '--model',
      'vae.aekit',
      '--like',
      'examples/sample-0.png',
      'examples/sample-1.png',
      '-n',
      '4',
      '-o',
      'like.npy',
    ],
    dir,
  );
  assert.match(like.stdout, /4 samples like 2 examples; a Gaussian fitted to 2 codes/);
  // From 500 examples on, the default fit is a mixture of 5 full-covariance Gaussians.
  await saveDigits(dir, 'many', 500);
  const many = ['generate', '--model', 'vae.aekit', '--like', 'many.npy', '-n', '2'];
  const mixture = await succeed([...many, '-o', 'many-out.npy'], dir);
  assert.match(
    mixture.stdout,
    /2 samples like 500 examples; a mixture of 5 Gaussians \(full covariances\) fitted to 500/,
  );
  const one = await succeed([...many, '--mixture', '1', '-o', 'one.npy'], dir);
  assert.match(one.stdout, /a Gaussian fitted to 500 codes/);
  const folderLike = await succeed(
    ['generate', '--model', 'vae.aekit', '--like', 'examples', '-o', 'like2.npy'],
    dir,
  );
  assert.match(folderLike.stdout, /64 samples like 2 examples/);
  // One example is enough for the aggregate posterior (a Gaussian needs two).
  const likeOne = await succeed(
    [
      'generate',
      '--model',
      'vae.aekit',
      '--like',
      'examples/sample-0.png',
      '--posterior',
      '-n',
      '3',
      '-o',
      'like-one.npy',
    ],
    dir,
  );
  assert.match(
    likeOne.stdout,
    /3 samples like 1 example; their aggregate posterior \(one Gaussian per example, 1 example\)/,
  );

  const files = ['examples/sample-0.png', 'examples/sample-1.png'];
  const between = await succeed(
    [
      'generate',
      '--model',
      'vae.aekit',
      '--interpolate',
      ...files,
      '--steps',
      '5',
      '-o',
      'path.png',
    ],
    dir,
  );
  assert.match(between.stdout, /5 images from examples\/sample-0\.png to examples\/sample-1\.png/);
  assert.deepEqual(await pngSize('path.png'), [5 * 56 + 6 * 2, 56 + 2 * 2]);
  const indices = await succeed(
    [
      'generate',
      '--model',
      'vae.aekit',
      '--interpolate',
      '0',
      '7',
      '--steps',
      '3',
      '-o',
      'idx.npy',
    ],
    dir,
  );
  assert.match(indices.stdout, /3 images from 0 to 7/);
});

test('bad input is one line naming the file and field, with exit code 2', async () => {
  const generate = (...args: string[]) => ['generate', '--model', 'vae.aekit', ...args];
  await badInput(
    ['generate', '--model', 'dense.aekit', '-o', 'x.png'],
    dir,
    /dense\.aekit: model: expected a VAE for aekit generate \(train one with --model vae or --model conv-vae\), got a dense/,
  );
  await badInput(
    ['generate', '--model', 'none.aekit', '-o', 'x.png'],
    dir,
    /none\.aekit: model file: expected an aekit model file/,
  );
  await badInput(
    generate('--class', '3', '--grid', '-o', 'x.png'),
    dir,
    /--class and --grid: expected one way to generate, got 2/,
  );
  await badInput(
    generate('--class', 'cat', '--labels', 'digits-labels.npy', '-o', 'x.png'),
    dir,
    /digits\.npy: --class: expected one of the data's labels \(0, 1, 2, .*\), got 'cat'/,
  );
  await badInput(
    generate('--class', '3', '--data', 'digits.npy', '-o', 'x.png'),
    dir,
    /digits\.npy: labels: expected labelled data for --class, got none/,
  );
  await badInput(
    generate('--interpolate', '0', '-o', 'x.png'),
    dir,
    /--interpolate: expected two inputs \(A B\), got 1/,
  );
  await badInput(
    generate('--interpolate', '0', '300', '-o', 'x.png'),
    dir,
    /digits\.npy: --interpolate: expected a sample index from 0 to 299, got 300/,
  );
  await badInput(
    generate('--like', 'missing.png', '-o', 'x.png'),
    dir,
    /missing\.png: --like: expected an existing file or folder, got no such path/,
  );
  await badInput(
    generate('--like', 'broken.png', 'examples/sample-0.png', '-o', 'x.png'),
    dir,
    /broken\.png: --like: expected an image, got one that does not decode/,
  );
  await badInput(
    generate('--like', 'nan.npy', '-o', 'x.png'),
    dir,
    /nan\.npy: data: expected finite numbers, got NaN at sample 0, element 5/,
  );
  await badInput(
    generate('--like', 'table.csv', '-o', 'x.png'),
    dir,
    /table\.csv: sample shape: expected \[1, 28, 28\]/,
  );
  await badInput(
    generate('--like', 'examples/sample-0.png', '-o', 'x.png'),
    dir,
    /expected at least 2 to fit a code distribution, got 1/,
  );
  const classThree = ['--class', '3', '--labels', 'digits-labels.npy'];
  await badInput(
    generate(...classThree, '--posterior', '--mixture', '3', '-o', 'x.png'),
    dir,
    /--posterior and --mixture 3: expected one code distribution, got both/,
  );
  await badInput(
    generate('--mixture', '3', '-o', 'x.png'),
    dir,
    /--mixture 3: expected --like or --class, whose examples it samples, got neither/,
  );
  await badInput(
    generate(...classThree, '--covariance', 'diagonal', '-o', 'x.png'),
    dir,
    /--covariance diagonal: expected a mixture \(--mixture 2 or more, .*\), got one Gaussian for \d+ examples/,
  );
  await badInput(
    generate('--like', 'digits.npy', '--posterior', '--covariance', 'full', '-o', 'x.png'),
    dir,
    /--covariance full: expected a mixture, got --posterior/,
  );
  await badInput(
    generate('--mixture', '2', '--covariance', 'tied', '-o', 'x.png'),
    dir,
    /^aekit: option '--covariance <kind>' argument 'tied' is invalid\. Allowed choices are full, diagonal/,
  );
  await badInput(
    generate('--posterior', '-o', 'x.png'),
    dir,
    /--posterior: expected --like or --class, whose examples it samples, got neither/,
  );
  await badInput(
    generate('-o', 'examples/sample-0.png/x.png'),
    dir,
    /--output: expected a path in an existing folder/,
  );
  await badInput(
    generate('-o', 'x.png', '--temperature', '-1'),
    dir,
    /option '--temperature <t>' argument '-1' is invalid/,
  );
  await badInput(
    generate('-o', 'prior.png', '-n', '0'),
    dir,
    /option '-n, --count <n>' argument '0' is invalid/,
  );
  await badInput(
    ['generate', '--model', 'table-vae.aekit', '-o', 'x.png'],
    dir,
    /x\.png: --output: expected a \.npy file or a folder for a model of input \[3\]/,
  );
  await badInput(
    ['generate', '--model', 'table-vae.aekit', '--like', 'examples', '-o', 'x.npy'],
    dir,
    /examples\/sample-0\.png: --like: expected data like the model's input \[3\], got an image/,
  );
});
