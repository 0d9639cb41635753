// aekit fit-map and aekit embed on tiny data: coordinates as CSV, JSON and NPY, a plot with
// a legend, the faithfulness numbers on every run; bad input is one line with exit code 2.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import sharp from 'sharp';

import { readNpy, saveNpy } from '../../src/data/index.js';
import { badInput, folder, saveDigits, succeed } from './task-helpers.js';

const { dir, remove } = folder('embed');
after(remove);

before(async () => {
  await saveDigits(dir, 'train', 300, [0, 1, 7]);
  await saveDigits(dir, 'held', 60, [0, 1, 7], 300);
  const nan = new Float32Array(20 * 784);
  nan[7] = NaN;
  saveNpy(path.join(dir, 'nan.npy'), nan, [20, 1, 28, 28]);
  saveNpy(path.join(dir, 'few.npy'), new Float32Array(5 * 784), [5, 1, 28, 28]);
  saveNpy(path.join(dir, 'flat.npy'), new Float32Array(40), [20, 2]);
  const data = ['--data', 'train.npy', '--hidden', '32'];
  const fit = await succeed(
    ['fit-map', ...data, '--epochs', '6', '--batch-size', '64', '-o', 'map.aekit'],
    dir,
  );
  assert.match(fit.stdout, /^wrote map\.aekit: map model \(2-D\), [\d,]+ parameters, 6 epochs in /);
  assert.match(fit.stderr, /300 samples, 15-nearest-neighbour graph in /);
  assert.match(fit.stderr, /^epoch 6\/6 {2}neighbourhood [\d.]+ {2}reconstruction [\d.]+/m);
  await succeed(
    [
      'train',
      '--data',
      'train.npy',
      '--hidden',
      '16',
      '--latent',
      '4',
      '--epochs',
      '1',
      '-o',
      'dense4.aekit',
    ],
    dir,
  );
});

test('fit-map --loss tsne: 3 x perplexity neighbours, and a map that embeds', async () => {
  const args = [
    'fit-map',
    ...['--data', 'train.npy', '--limit', '200'],
    ...['--hidden', '32', '--epochs', '3', '--loss', 'tsne'],
  ];
  const fit = await succeed(
    [...args, '--perplexity', '5', '--batch-size', '100', '-o', 'tsne.aekit'],
    dir,
  );
  assert.match(fit.stderr, /200 samples, 15-nearest-neighbour graph in /);
  assert.match(fit.stderr, /^epoch 3\/3 {2}neighbourhood [\d.]+ {2}reconstruction [\d.]+/m);
  const embed = ['embed', 'held.npy', '--model', 'tsne.aekit', '--labels', 'held-labels.npy'];
  const train = ['--train-labels', 'train-labels.npy'];
  const result = await succeed([...embed, ...train, '-o', 'tsne.csv'], dir);
  assert.match(result.stdout, /^mapped 60 samples of held\.npy with map/);
  // The k-NN classifier is fitted on the 200 samples the map was fitted on, unless told.
  assert.match(result.stdout, /5-NN accuracy [\d.]+ \(fitted on 200 training points\)/);
  const more = await succeed([...embed, ...train, '--train-limit', '250', '-o', 'tsne2.csv'], dir);
  assert.match(more.stdout, /5-NN accuracy [\d.]+ \(fitted on 250 training points\)/);
});

test('fit-map --cells: a t-SNE layout, its cells, and a map that embeds', async () => {
  const fit = await succeed(
    [
      'fit-map',
      ...['--data', 'train.npy', '--hidden', '32', '--epochs', '4', '--cells', '15'],
      ...['--perplexity', '10', '--tsne-iterations', '250', '-o', 'cells.aekit'],
    ],
    dir,
  );
  assert.match(fit.stderr, /300 samples, 30-nearest-neighbour graph in /);
  assert.match(fit.stderr, /^t-SNE layout 250\/250 {2}KL [\d.]+ {2}/m);
  assert.match(fit.stderr, /^epoch 4\/4 {2}neighbourhood [\d.]+ {2}reconstruction [\d.]+/m);
  const result = await succeed(
    [
      'embed',
      'held.npy',
      '--model',
      'cells.aekit',
      '-o',
      'cells.csv',
      '--labels',
      'held-labels.npy',
    ],
    dir,
  );
  assert.match(
    result.stdout,
    /^mapped 60 samples of held\.npy with map \(15 cells, with offsets\)/,
  );
  // info describes a fitted map (it failed on any fitMap model before).
  const info = await succeed(['info', 'cells.aekit'], dir);
  const layout =
    /^training +4 epochs of fitMap \(loss cells, 30 neighbours\) after a t-SNE layout/m;
  assert.match(info.stdout, layout);
  assert.match(
    info.stdout,
    / of 250 iterations in .*; final neighbourhood [\d.]+, reconstruction /,
  );
  assert.match(info.stdout, /^model +map \(15 cells, with offsets\), input \[1, 28, 28\]/m);
  const centred = await succeed(
    [
      'fit-map',
      ...['--data', 'train.npy', '--hidden', '32', '--epochs', '1', '--cells', '15'],
      ...['--tsne-iterations', '50', '--no-cell-offsets', '-o', 'centred.aekit'],
    ],
    dir,
  );
  assert.match(centred.stdout, /^wrote centred\.aekit: map model \(2-D\)/);
  const centredInfo = await succeed(['info', 'centred.aekit'], dir);
  assert.match(centredInfo.stdout, /^model +map \(15 cells\), input /m);
  const plain = await succeed(['info', 'map.aekit'], dir);
  assert.match(plain.stdout, /^training +6 epochs of fitMap \(loss pairs, 15 neighbours\) in /m);
});

test('coordinates with labels, a plot, and both numbers', async () => {
  const args = ['embed', 'held.npy', '--labels', 'held-labels.npy', '--model', 'map.aekit'];
  const train = ['--train-labels', 'train-labels.npy'];
  const result = await succeed([...args, ...train, '-o', 'coords.csv', '--plot', 'map.svg'], dir);
  assert.match(
    result.stdout,
    /^mapped 60 samples of held\.npy with map, input \[1, 28, 28\], latent 2 in /,
  );
  const numbers =
    /5-NN accuracy ([\d.]+) \(fitted on 300 training points\); trustworthiness ([\d.]+) \(k = 5, 60 points\)/.exec(
      result.stdout,
    );
  assert.ok(numbers, result.stdout);
  assert.ok(Number(numbers[1]) > 0.8 && Number(numbers[2]) > 0.7, result.stdout);
  const lines = readFileSync(path.join(dir, 'coords.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'label,z0,z1');
  assert.equal(lines.length, 61);
  const svg = readFileSync(path.join(dir, 'map.svg'), 'utf8');
  assert.match(svg, /^<svg/);
  // The title names the model and data; the numbers, rounded, go on the line under it.
  assert.match(svg, />map\.aekit on held\.npy</);
  const short = `5-NN accuracy ${Number(numbers[1]).toFixed(3)}, trustworthiness ${Number(
    numbers[2],
  ).toFixed(3)} (k = 5)`;
  assert.ok(svg.includes(`>${short}<`), svg.slice(0, 3000));
  for (const label of ['0', '1', '7']) assert.match(svg, new RegExp(`>${label}</text>`));

  const json = await succeed(
    [...args, ...train, '-o', 'coords.json', '--json', '--plot', 'map.png'],
    dir,
  );
  const parsed = JSON.parse(json.stdout) as {
    knnAccuracy: number;
    trustworthiness: number;
    written: string[];
  };
  assert.equal(parsed.knnAccuracy.toFixed(4), numbers[1]);
  assert.deepEqual(parsed.written, ['coords.json', 'map.png']);
  assert.equal((await sharp(path.join(dir, 'map.png')).metadata()).format, 'png');
  const coords = JSON.parse(readFileSync(path.join(dir, 'coords.json'), 'utf8')) as {
    codes: number[][];
  };
  assert.equal(coords.codes.length, 60);

  // Without labels for the training data: trustworthiness, and a notice for the missing number.
  const plain = await succeed([...args, '-o', 'coords.npy'], dir);
  assert.match(
    plain.stdout,
    /5-NN accuracy: none \(train\.npy has no labels \(give --train-labels\)\); trustworthiness/,
  );
  assert.deepEqual((await readNpy(path.join(dir, 'coords.npy'))).shape, [60, 2]);
  const same = await succeed(['embed', '--model', 'map.aekit', '-o', 'c.csv'], dir);
  assert.match(same.stdout, /5-NN accuracy: none \(train\.npy has no labels\)/);
  // Any model's codes can be measured; only a 2-D one is drawn.
  const dense = await succeed(['embed', 'held.npy', '--model', 'dense4.aekit', '-o', 'd.csv'], dir);
  assert.match(dense.stdout, /trustworthiness [\d.]+ \(k = 5, 60 points\)/);
});

test('bad input is one line naming the file and field, with exit code 2', async () => {
  const embed = (...args: string[]) => ['embed', '--model', 'map.aekit', ...args];
  await badInput(
    ['embed', 'held.npy', '--model', 'dense4.aekit', '-o', 'c.csv', '--plot', 'm.svg'],
    dir,
    /dense4\.aekit: latent size: expected a 2-D code for --plot, got 4 dimensions/,
  );
  await badInput(
    ['embed', 'held.npy', '--model', 'nope.aekit', '-o', 'c.csv'],
    dir,
    /nope\.aekit: model file/,
  );
  await badInput(
    embed('held.npy', '-o', 'c.txt'),
    dir,
    /c\.txt: --output: expected a file ending in \.csv, \.json or \.npy/,
  );
  await badInput(
    embed('held.npy', '-o', 'c.csv', '--plot', 'm.gif'),
    dir,
    /m\.gif: --plot: expected a file ending in \.svg or \.png/,
  );
  await badInput(
    embed('nan.npy', '-o', 'c.csv'),
    dir,
    /nan\.npy: data: expected finite numbers, got NaN at sample 0, element 7/,
  );
  await badInput(
    embed('flat.npy', '-o', 'c.csv'),
    dir,
    /flat\.npy: sample shape: expected \[1, 28, 28\]/,
  );
  await badInput(
    embed('few.npy', '-o', 'c.csv'),
    dir,
    /few\.npy: samples: expected more than 10 to measure the map \(k = 5\), got 5/,
  );
  await badInput(
    embed('held.npy', '-o', 'c.csv', '--trust-points', '3'),
    dir,
    /'--trust-points <n>' argument '3' is invalid/,
  );
  await badInput(
    ['fit-map', 'few.npy', '-o', 'm.aekit'],
    dir,
    /few\.npy: samples: expected more than --neighbours 15, got 5/,
  );
  await badInput(
    ['fit-map', 'nan.npy', '-o', 'm.aekit'],
    dir,
    /nan\.npy: data: expected finite numbers/,
  );
  await badInput(
    ['fit-map', 'few.npy', '-o', 'm.aekit', '--loss', 'tsne', '--perplexity', '2'],
    dir,
    /few\.npy: samples: expected more than --neighbours 6, got 5/,
  );
  // The options of a map with cells are refused without --cells, not ignored.
  for (const [flag, ...value] of [
    ['--cell-temperature', '0.2'],
    ['--no-cell-offsets'],
    ['--tsne-iterations', '100'],
  ]) {
    await badInput(
      ['fit-map', 'train.npy', '-o', 'm.aekit', flag, ...value],
      dir,
      new RegExp(`^aekit: ${flag}: applies to a map with --cells N, got no --cells$`),
    );
  }
  await badInput(
    ['fit-map', 'train.npy', '-o', 'm.aekit', '--loss', 'umap'],
    dir,
    /'--loss <name>' argument 'umap' is invalid/,
  );
  await badInput(
    ['fit-map', 'train.npy', '-o', 'm.aekit', '--cells', '400'],
    dir,
    /train\.npy: samples: expected at least --cells 400, got 300/,
  );
  await badInput(
    ['fit-map', 'train.npy', '-o', 'm.aekit', '--cells', '10', '--loss', 'pairs'],
    dir,
    /--loss pairs: a map with --cells is fitted with --loss cells/,
  );
  await badInput(
    ['fit-map', 'train.npy', '-o', 'm.aekit', '--loss', 'cells'],
    dir,
    /--loss cells: needs --cells N/,
  );
  await badInput(
    ['fit-map', 'train.npy', '-o', 'm.aekit', '--cells', '10', '--latent', '3'],
    dir,
    /--cells: cells need a 2-D map, got --latent 3/,
  );
  await badInput(
    ['fit-map', 'train.npy', '-o', 'm.aekit', '--latent', '4'],
    dir,
    /'--latent <size>' argument '4' is invalid/,
  );
});

test('held-out data of other classes than the training data gets no 5-NN accuracy', async () => {
  await succeed(
    [
      'fit-map',
      ...['--data', 'fashion-mnist:test', '--limit', '200', '--hidden', '16'],
      ...['--epochs', '1', '-o', 'fashion.aekit'],
    ],
    dir,
  );
  const result = await succeed(
    ['embed', '--model', 'fashion.aekit', '--data', 'mnist', '--limit', '100', '-o', 'x.csv'],
    dir,
  );
  const notice = /5-NN accuracy needs held-out data of the training classes: (.*)$/m.exec(
    result.stderr,
  );
  assert.ok(notice, result.stderr);
  assert.match(notice[1], /^mnist's classes \(0, 1, 2, \.\.\. 10 in all\) are not those of /);
  assert.match(notice[1], /t10k-images-idx3-ubyte.* \(T-shirt\/top, Trouser, Pullover, \.\.\. /);
  assert.match(result.stdout, /5-NN accuracy: none \(mnist's classes /);
  assert.match(result.stdout, /trustworthiness [\d.]+ \(k = 5, 100 points\)/);
});
