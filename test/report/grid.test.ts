import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { comparisonGrid, imageGrid, savePngs } from '../../src/report/index.js';
import { decode, rejectsOneLine, temporaryFolder } from './helpers.js';

let root = '';
let remove = async () => {};
before(async () => ({ dir: root, remove } = await temporaryFolder()));
after(() => remove());

/** `n` constant grayscale images of size h x w, image i filled with `values[i]`. */
function constant(values: number[], h: number, w: number): Float32Array {
  return Float32Array.from(values.flatMap((v) => new Array<number>(h * w).fill(v)));
}

test('imageGrid tiles constant images: every pixel of tiles, padding and empty cells', async () => {
  // Three 2x3 images in two columns, padding 1, upscaled 2x: tiles of 4 rows by 6 columns.
  const png = await imageGrid(constant([0, 0.5, 1], 2, 3), [3, 1, 2, 3], {
    columns: 2,
    padding: 1,
    scale: 2,
    background: 0.2,
  });
  const image = await decode(png);
  assert.equal(image.width, 2 * 6 + 3 * 1);
  assert.equal(image.height, 2 * 4 + 3 * 1);
  assert.equal(image.channels, 1);

  const tileValue = (x: number, y: number): number => {
    const column = [1, 8].findIndex((left) => x >= left && x < left + 6);
    const row = [1, 6].findIndex((top) => y >= top && y < top + 4);
    if (column < 0 || row < 0) return 51; // padding: 0.2 * 255
    return [0, 128, 255, 51][row * 2 + column]; // the fourth cell is empty
  };
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      assert.equal(image.pixel(x, y), tileValue(x, y), `pixel (${x}, ${y})`);
    }
  }
});

test('imageGrid keeps RGB, reads images row-major and upscales by nearest pixel', async () => {
  const rgb = Float32Array.from([1, 0, 0.5, 0, 1, 0.25]); // two 1x1 images, planar RGB
  const image = await decode(
    await imageGrid(rgb, [2, 3, 1, 1], { columns: 2, padding: 0, scale: 3 }),
  );
  assert.deepEqual([image.width, image.height, image.channels], [6, 3, 3]);
  for (const [x, y] of [
    [0, 0],
    [2, 2],
  ]) {
    assert.deepEqual(
      [0, 1, 2].map((k) => image.pixel(x, y, k)),
      [255, 0, 128],
    );
  }
  assert.deepEqual(
    [0, 1, 2].map((k) => image.pixel(3, 1, k)),
    [0, 255, 64],
  );

  // One 2x2 image [[0, 0.2], [0.4, 0.6]] at scale 2: each value fills a 2x2 block.
  const ramp = await decode(
    await imageGrid(Float32Array.from([0, 0.2, 0.4, 0.6]), [1, 1, 2, 2], { padding: 0, scale: 2 }),
  );
  const rows = [0, 1, 2, 3].map((y) => [0, 1, 2, 3].map((x) => ramp.pixel(x, y)));
  assert.deepEqual(rows, [
    [0, 0, 51, 51],
    [0, 0, 51, 51],
    [102, 102, 153, 153],
    [102, 102, 153, 153],
  ]);
});

test('imageGrid clips values outside [0, 1]', async () => {
  const image = await decode(
    await imageGrid(Float32Array.from([-0.5, 1.7, -1e9, 0.5]), [1, 1, 1, 4], { padding: 0 }),
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((x) => image.pixel(x, 0)),
    [0, 255, 0, 128],
  );
});

test('imageGrid defaults to a square-ish grid, never more columns than images', async () => {
  // Five 4x4 images: ceil(sqrt(5)) = 3 columns, 2 rows, padding 2.
  const five = await decode(await imageGrid(constant([0, 0, 0, 0, 0], 4, 4), [5, 1, 4, 4]));
  assert.deepEqual([five.width, five.height], [3 * 4 + 4 * 2, 2 * 4 + 3 * 2]);
  const wide = await decode(
    await imageGrid(constant([0, 1], 4, 4), [2, 1, 4, 4], { columns: 10, padding: 2 }),
  );
  assert.deepEqual([wide.width, wide.height], [2 * 4 + 3 * 2, 4 + 2 * 2]);
});

test('imageGrid labels add a text strip under each tile, clipped to the tile', async () => {
  // Two 8x24 tiles (scale 1) with white padding; text is drawn in black.
  const images = constant([1, 1, 1], 8, 24);
  const labels = ['seven', '', 'a label far wider than its tile'];
  const png = await imageGrid(images, [3, 1, 8, 24], { columns: 3, padding: 2, labels });
  const image = await decode(png);
  assert.equal(image.channels, 1);
  assert.deepEqual([image.width, image.height], [3 * 24 + 4 * 2, 8 + 16 + 2 * 2]);

  const darkest = (left: number, right: number, top: number, bottom: number): number => {
    let least = 255;
    for (let y = top; y < bottom; y++) {
      for (let x = left; x < right; x++) least = Math.min(least, image.pixel(x, y));
    }
    return least;
  };
  const strip = [10, 26] as const; // rows of the label strip, under the tiles
  assert.ok(darkest(2, 26, ...strip) < 100, 'text under the first tile');
  assert.equal(darkest(28, 52, ...strip), 255, 'no text under the empty label');
  assert.ok(darkest(54, 78, ...strip) < 100, 'text under the third tile');
  assert.equal(darkest(52, 54, ...strip), 255, 'the long label stays inside its tile');
  assert.equal(darkest(78, 80, ...strip), 255, 'nor does it cross the right edge');
  assert.equal(darkest(0, image.width, 2, 10), 255, 'tiles are untouched');
});

test('comparisonGrid puts originals above their reconstructions, pairs of rows apart', async () => {
  // Three 2x2 pairs in two columns, padding 1: original i = i / 10, reconstruction = i / 10 + 0.5.
  const originals = constant([0, 0.1, 0.2], 2, 2);
  const reconstructions = constant([0.5, 0.6, 0.7], 2, 2);
  const png = await comparisonGrid(originals, reconstructions, [3, 1, 2, 2], {
    columns: 2,
    padding: 1,
  });
  const image = await decode(png);
  assert.equal(image.channels, 1);

  // Rows start at y = 1 (originals), 4 (reconstructions), 8 after a double gap, then 11.
  assert.deepEqual([image.width, image.height], [2 * 2 + 3, 4 * 2 + 1 + 1 + 2 + 1 + 1]);
  const at = (x: number, y: number) => image.pixel(x, y);
  const byte = (v: number) => Math.round(Math.fround(v) * 255);
  assert.deepEqual([at(1, 1), at(4, 2), at(1, 4), at(4, 5)], [0, 0.1, 0.5, 0.6].map(byte));
  assert.deepEqual([at(1, 8), at(2, 9), at(1, 11), at(2, 12)], [0.2, 0.2, 0.7, 0.7].map(byte));
  assert.deepEqual([at(4, 8), at(4, 11)], [255, 255], 'empty cells in the last pair of rows');
  assert.deepEqual([at(1, 6), at(1, 7), at(1, 3)], [255, 255, 255], 'gaps');
});

test('savePngs writes one PNG per image, atomically, and returns the paths', async () => {
  const dir = path.join(root, 'samples', 'nested');
  const images = constant([0, 0.5, 1], 2, 2);
  const paths = await savePngs(images, [3, 1, 2, 2], dir, ['a', 'b.png', 'c-1'], { scale: 2 });
  assert.deepEqual(
    paths,
    ['a.png', 'b.png', 'c-1.png'].map((f) => path.join(dir, f)),
  );
  assert.deepEqual((await readdir(dir)).sort(), ['a.png', 'b.png', 'c-1.png']);
  for (const [i, value] of [0, 128, 255].entries()) {
    const image = await decode(await readFile(paths[i]));
    assert.deepEqual([image.width, image.height, image.channels], [4, 4, 1]);
    assert.equal(image.pixel(3, 3), value);
  }

  // Writing again replaces the files and leaves no temporary file behind.
  await writeFile(paths[0], 'old');
  await savePngs(constant([1], 2, 2), [1, 1, 2, 2], dir, ['a']);
  assert.equal((await decode(await readFile(paths[0]))).pixel(0, 0), 255);
  assert.deepEqual((await readdir(dir)).sort(), ['a.png', 'b.png', 'c-1.png']);
});

test('bad images, shapes and options are one-line errors naming the argument', async () => {
  const four = constant([0], 2, 2);
  await rejectsOneLine(() => imageGrid([0, 0, 0, 0] as unknown as Float32Array, [1, 1, 2, 2]), {
    name: 'TypeError',
    message: 'imageGrid: images: expected a Float32Array, got array of length 4',
  });
  await rejectsOneLine(() => imageGrid(four, [1, 2, 2]), {
    name: 'TypeError',
    message: 'imageGrid: shape: expected an array [n, c, h, w], got array of length 3',
  });
  await rejectsOneLine(() => imageGrid(four, [2, 1, 2, 2]), {
    code: 'SHAPE',
    message: 'imageGrid: images: expected 8 values for shape [2, 1, 2, 2], got 4',
  });
  await rejectsOneLine(() => imageGrid(Float32Array.from([0, 0, NaN, 0]), [1, 1, 2, 2]), {
    code: 'NOT_FINITE',
    message: 'imageGrid: images: expected finite numbers, got NaN at index 2',
  });
  await rejectsOneLine(() => imageGrid(new Float32Array(0), [0, 1, 2, 2]), {
    name: 'RangeError',
    message: 'imageGrid: images: expected at least one image, got none',
  });
  await rejectsOneLine(() => imageGrid(new Float32Array(8), [1, 2, 2, 2]), {
    name: 'RangeError',
    message: 'imageGrid: shape[1] (channels): expected 1 or 3, got number 2',
  });
  await rejectsOneLine(() => imageGrid(four, [1, 1, 2.5, 2]), {
    name: 'TypeError',
    message: 'imageGrid: shape[2] (height): expected an integer, got number 2.5',
  });
  await rejectsOneLine(() => imageGrid(four, [1, 1, 2, 2], { scale: 0 }), {
    name: 'RangeError',
    message: 'imageGrid: options.scale: expected an integer from 1 to 64, got number 0',
  });
  await rejectsOneLine(() => imageGrid(four, [1, 1, 2, 2], { columns: 0 }), {
    name: 'RangeError',
    message: 'imageGrid: options.columns: expected an integer >= 1, got number 0',
  });
  await rejectsOneLine(() => imageGrid(four, [1, 1, 2, 2], { padding: -1 }), {
    message: /^imageGrid: options\.padding: expected an integer from 0 to 1000, got number -1$/,
  });
  await rejectsOneLine(() => imageGrid(four, [1, 1, 2, 2], { background: 2 }), {
    message: 'imageGrid: options.background: expected a number from 0 to 1, got number 2',
  });
  await rejectsOneLine(() => imageGrid(four, [1, 1, 2, 2], { labels: ['a', 'b'] }), {
    code: 'SHAPE',
    message: 'imageGrid: options.labels: expected 1 labels, one per image, got 2',
  });
  await rejectsOneLine(() => imageGrid(four, [1, 1, 2, 2], { labels: [7 as unknown as string] }), {
    message: 'imageGrid: options.labels[0]: expected a string, got number 7',
  });
  const big = new Float32Array(300 * 300);
  await rejectsOneLine(() => imageGrid(big, [1, 1, 300, 300], { scale: 64, padding: 0 }), {
    message: /^imageGrid: grid size: expected at most 268402689 pixels, got 19200 x 19200;/,
  });
});

test('comparisonGrid and savePngs name their own arguments in errors', async () => {
  const four = constant([0], 2, 2);
  await rejectsOneLine(() => comparisonGrid(four, new Float32Array(3), [1, 1, 2, 2]), {
    code: 'SHAPE',
    message: 'comparisonGrid: reconstructions: expected 4 values for shape [1, 1, 2, 2], got 3',
  });
  await rejectsOneLine(
    () => comparisonGrid(Float32Array.from([Infinity, 0, 0, 0]), four, [1, 1, 2, 2]),
    {
      code: 'NOT_FINITE',
      message: 'comparisonGrid: originals: expected finite numbers, got Infinity at index 0',
    },
  );
  const dir = path.join(root, 'bad');
  await rejectsOneLine(() => savePngs(four, [1, 1, 2, 2], dir, ['a', 'b']), {
    code: 'SHAPE',
    message: 'savePngs: names: expected 1 names, one per image, got 2',
  });
  await rejectsOneLine(() => savePngs(four, [1, 1, 2, 2], dir, ['../escape']), {
    name: 'RangeError',
    message: /^savePngs: names\[0\]: expected a file name of letters, digits/,
  });
  await rejectsOneLine(() => savePngs(constant([0, 0], 2, 2), [2, 1, 2, 2], dir, ['x', 'x.png']), {
    code: 'BAD_INPUT',
    message: 'savePngs: names[1]: expected unique names, got x.png twice',
  });
  await rejectsOneLine(() => savePngs(four, [1, 1, 2, 2], '', ['a']), {
    message: 'savePngs: dir: expected a folder path, got string ""',
  });
  await assert.rejects(readdir(dir), { code: 'ENOENT' }, 'nothing was written');
});
