/**
 * Image grids as PNG: a batch of images tiled into one picture, originals above their
 * reconstructions, and one PNG per image. Pixels are drawn here from `[n, c, h, w]` float
 * arrays in [0, 1] (clipped); `sharp` encodes them and renders the optional text labels.
 */

import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import sharp from 'sharp';

import { AekitError, checkInteger, checkNumber, checkType, invalid } from '../engine/errors.js';
import { type ImageShape, checkImages, checkLabels, checkOptions } from './checks.js';
import { escapeXml } from './escape.js';
import { writeFileAtomic } from './files.js';

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Images per row. Default: the square root of the count, rounded up. */
  columns?: number;
  /** Pixels between tiles and around the grid, in output pixels. Default 2. */
  padding?: number;
  /** Integer upscaling of each image, nearest neighbour, 1 to 64. Default 1. */
  scale?: number;
  /** One text label per image, drawn under its tile. Default: none. */
  labels?: string[];
  /** Gray level in [0, 1] of the padding and empty cells. Default 1 (white). */
  background?: number;
}

/** Options of {@link comparisonGrid}. */
export interface ComparisonGridOptions {
  /** Pairs per row. Default: the square root of the count, rounded up. */
  columns?: number;
  /** Pixels between tiles; pairs of rows are separated by twice this. Default 2. */
  padding?: number;
  /** Integer upscaling of each image, nearest neighbour, 1 to 64. Default 1. */
  scale?: number;
  /** One text label per pair, drawn under the reconstruction. Default: none. */
  labels?: string[];
  /** Gray level in [0, 1] of the padding and empty cells. Default 1 (white). */
  background?: number;
}

/** Options of {@link savePngs}. */
export interface SavePngsOptions {
  /** Integer upscaling of each image, nearest neighbour, 1 to 64. Default 1. */
  scale?: number;
}

/** Height in pixels of the text under a labelled tile, and its font size. */
const LABEL_HEIGHT = 16;
const LABEL_FONT_SIZE = 11;
/** Average glyph width as a fraction of the font size, to shorten labels that overflow. */
const GLYPH_WIDTH = 0.6;
const MAX_SCALE = 64;
/** sharp's default input limit, 16383 x 16383 pixels; a larger grid is refused up front. */
const MAX_PIXELS = 0x3fff * 0x3fff;

/** A tile: which image, and the label under it. */
interface Cell {
  image: number;
  label?: string;
}

/** Rows of cells (null: empty), with the gap under each row and whether it has labels. */
interface Layout {
  rows: (Cell | null)[][];
  columns: number;
  gapAfter: number[];
  labelled: boolean[];
}

interface DrawOptions {
  padding: number;
  scale: number;
  background: number;
}

/**
 * Tiles `images` into one PNG, row by row, left to right.
 *
 * The PNG has one channel for grayscale images and three for RGB. Its width is
 * `columns * w * scale + (columns + 1) * padding`; its height is the same with rows and `h`,
 * plus 16 pixels per row for labels when given.
 *
 * @param images - Pixel values in [0, 1], `[n, c, h, w]` row-major; values outside are clipped.
 * @param shape - `[n, c, h, w]` with c = 1 or 3.
 * @returns The PNG file's bytes.
 * @example
 * ```ts
 * const png = await imageGrid(batch, [64, 1, 28, 28], { columns: 8, scale: 2 });
 * await writeFile('samples.png', png);
 * ```
 */
export async function imageGrid(
  images: Float32Array,
  shape: readonly number[],
  options?: ImageGridOptions,
): Promise<Buffer> {
  const fn = 'imageGrid';
  const size = checkImages(fn, 'images', images, shape);
  const opts = checkOptions<ImageGridOptions>(fn, options);
  const draw = checkDrawOptions(fn, opts);
  const columns = checkColumns(fn, opts.columns, size.n);
  const labels =
    opts.labels === undefined ? undefined : checkLabels(fn, 'options.labels', opts.labels, size.n);

  const rows: (Cell | null)[][] = [];
  for (let start = 0; start < size.n; start += columns) {
    const row: (Cell | null)[] = [];
    for (let i = start; i < start + columns; i++) {
      row.push(i < size.n ? { image: i, label: labels?.[i] } : null);
    }
    rows.push(row);
  }
  const layout: Layout = {
    rows,
    columns,
    gapAfter: rows.map(() => draw.padding),
    labelled: rows.map(() => labels !== undefined),
  };
  return renderGrid(fn, images, size, layout, draw);
}

/**
 * Draws originals and their reconstructions in alternating rows: a row of `columns`
 * originals, under it the same images reconstructed, then the next row of originals.
 * Pairs of rows are separated by twice the padding so the pairing reads at a glance.
 *
 * @param originals - Input images in [0, 1], `[n, c, h, w]`.
 * @param reconstructions - The model's outputs for them, same shape.
 * @param shape - `[n, c, h, w]` of each array, c = 1 or 3.
 * @returns The PNG file's bytes.
 */
export async function comparisonGrid(
  originals: Float32Array,
  reconstructions: Float32Array,
  shape: readonly number[],
  options?: ComparisonGridOptions,
): Promise<Buffer> {
  const fn = 'comparisonGrid';
  const size = checkImages(fn, 'originals', originals, shape);
  checkImages(fn, 'reconstructions', reconstructions, shape);
  const opts = checkOptions<ComparisonGridOptions>(fn, options);
  const draw = checkDrawOptions(fn, opts);
  const columns = checkColumns(fn, opts.columns, size.n);
  const labels =
    opts.labels === undefined ? undefined : checkLabels(fn, 'options.labels', opts.labels, size.n);

  // Both batches in one array: original i is image i, its reconstruction image n + i.
  const both = new Float32Array(originals.length * 2);
  both.set(originals, 0);
  both.set(reconstructions, originals.length);

  const rows: (Cell | null)[][] = [];
  const gapAfter: number[] = [];
  const labelled: boolean[] = [];
  for (let start = 0; start < size.n; start += columns) {
    const top: (Cell | null)[] = [];
    const bottom: (Cell | null)[] = [];
    for (let i = start; i < start + columns; i++) {
      top.push(i < size.n ? { image: i } : null);
      bottom.push(i < size.n ? { image: size.n + i, label: labels?.[i] } : null);
    }
    rows.push(top, bottom);
    gapAfter.push(draw.padding, 2 * draw.padding);
    labelled.push(false, labels !== undefined);
  }
  gapAfter[gapAfter.length - 1] = draw.padding;
  return renderGrid(
    fn,
    both,
    { ...size, n: 2 * size.n },
    { rows, columns, gapAfter, labelled },
    draw,
  );
}

/**
 * Writes each image as its own PNG file, `dir/<name>.png`, creating `dir` if needed. Each
 * file is written atomically (temporary file, then rename).
 *
 * @param images - Pixel values in [0, 1], `[n, c, h, w]`; values outside are clipped.
 * @param shape - `[n, c, h, w]` with c = 1 or 3.
 * @param dir - Output folder.
 * @param names - One file name per image, letters, digits, `.`, `_` and `-`; `.png` is
 *   added when missing.
 * @returns The paths written, in image order.
 */
export async function savePngs(
  images: Float32Array,
  shape: readonly number[],
  dir: string,
  names: string[],
  options?: SavePngsOptions,
): Promise<string[]> {
  const fn = 'savePngs';
  const size = checkImages(fn, 'images', images, shape);
  checkType(typeof dir === 'string' && dir.length > 0, `${fn}: dir`, 'a folder path', dir);
  const opts = checkOptions<SavePngsOptions>(fn, options);
  const scale =
    opts.scale === undefined ? 1 : checkInteger(opts.scale, `${fn}: options.scale`, 1, MAX_SCALE);
  const files = checkLabels(fn, 'names', names, size.n, 'names').map((name, i) => {
    const file = name.toLowerCase().endsWith('.png') ? name : `${name}.png`;
    if (!/^[A-Za-z0-9._-]+$/.test(name) || /^\.+$/.test(name)) {
      throw new RangeError(
        invalid(`${fn}: names[${i}]`, "a file name of letters, digits, '.', '_' and '-'", name),
      );
    }
    return file;
  });
  const seen = new Set<string>();
  files.forEach((file, i) => {
    if (seen.has(file)) {
      throw new AekitError(
        'BAD_INPUT',
        `${fn}: names[${i}]: expected unique names, got ${file} twice`,
      );
    }
    seen.add(file);
  });

  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AekitError('BAD_FILE', `${fn}: dir: could not create ${dir}: ${reason}`, {
      cause: error,
    });
  }
  const single = { ...size, n: 1 };
  const draw = { padding: 0, scale, background: 1 };
  const written: string[] = [];
  for (let i = 0; i < size.n; i++) {
    const count = size.c * size.h * size.w;
    const image = images.subarray(i * count, (i + 1) * count);
    const layout: Layout = { rows: [[{ image: 0 }]], columns: 1, gapAfter: [0], labelled: [false] };
    const png = await renderGrid(fn, image, single, layout, draw);
    const target = path.join(dir, files[i]);
    await writeFileAtomic(target, png, fn);
    written.push(target);
  }
  return written;
}

function checkDrawOptions(
  fn: string,
  opts: { padding?: number; scale?: number; background?: number },
): DrawOptions {
  return {
    padding:
      opts.padding === undefined
        ? 2
        : checkInteger(opts.padding, `${fn}: options.padding`, 0, 1000),
    scale:
      opts.scale === undefined ? 1 : checkInteger(opts.scale, `${fn}: options.scale`, 1, MAX_SCALE),
    background:
      opts.background === undefined
        ? 1
        : checkNumber(opts.background, `${fn}: options.background`, 0, 1),
  };
}

function checkColumns(fn: string, columns: number | undefined, n: number): number {
  if (columns === undefined) return Math.ceil(Math.sqrt(n));

  // More columns than images would only add empty space on the right.
  return Math.min(checkInteger(columns, `${fn}: options.columns`, 1), n);
}

/** Maps a value to a byte: clipped to [0, 1], then rounded. */
function toByte(value: number): number {
  return Math.round((value < 0 ? 0 : value > 1 ? 1 : value) * 255);
}

/** Draws the layout into raw pixels, adds labels as an SVG overlay, and encodes a PNG. */
async function renderGrid(
  fn: string,
  images: Float32Array,
  size: ImageShape,
  layout: Layout,
  draw: DrawOptions,
): Promise<Buffer> {
  const { c, h, w } = size;
  const { padding, scale } = draw;
  const tileWidth = w * scale;
  const tileHeight = h * scale;

  // Top edge of each row, and the whole canvas.
  const width = layout.columns * tileWidth + (layout.columns + 1) * padding;
  const tops: number[] = [];
  let height = padding;
  layout.rows.forEach((_, r) => {
    tops.push(height);
    height += tileHeight + (layout.labelled[r] ? LABEL_HEIGHT : 0) + layout.gapAfter[r];
  });
  if (width * height > MAX_PIXELS) {
    throw new RangeError(
      `${fn}: grid size: expected at most ${MAX_PIXELS} pixels, got ${width} x ${height}; ` +
        'use fewer images, a smaller scale or less padding',
    );
  }

  const pixels = Buffer.alloc(width * height * c, toByte(draw.background));
  const plane = h * w;
  const texts: string[] = [];
  layout.rows.forEach((row, r) => {
    row.forEach((cell, col) => {
      if (cell === null) return;
      const left = padding + col * (tileWidth + padding);
      const top = tops[r];
      const base = cell.image * c * plane;
      for (let y = 0; y < tileHeight; y++) {
        const sourceRow = Math.floor(y / scale) * w;
        const rowStart = ((top + y) * width + left) * c;
        for (let x = 0; x < tileWidth; x++) {
          const source = base + sourceRow + Math.floor(x / scale);
          for (let k = 0; k < c; k++) {
            pixels[rowStart + x * c + k] = toByte(images[source + k * plane]);
          }
        }
      }
      if (cell.label !== undefined && cell.label !== '') {
        texts.push(labelText(cell.label, left, top + tileHeight, tileWidth, draw));
      }
    });
  });

  // Raw input of one channel would otherwise be encoded as RGB.
  let image = sharp(pixels, { raw: { width, height, channels: c } });
  if (texts.length > 0) {
    const overlay =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `${texts.join('')}</svg>`;
    const composed = await image
      .composite([{ input: Buffer.from(overlay), top: 0, left: 0 }])
      .png()
      .toBuffer();
    image = sharp(composed).removeAlpha();
  }
  if (c === 1) image = image.toColourspace('b-w');
  return image.png().toBuffer();
}

/**
 * One label under a tile, centred, shortened with an ellipsis when it is wider than the
 * tile, and clipped to the tile's width by its own nested `<svg>` viewport.
 */
function labelText(
  label: string,
  left: number,
  top: number,
  tileWidth: number,
  draw: DrawOptions,
): string {
  const fits = Math.max(1, Math.floor(tileWidth / (LABEL_FONT_SIZE * GLYPH_WIDTH)));
  const chars = Array.from(label);
  const shown = chars.length > fits ? chars.slice(0, fits - 1).join('') + '\u2026' : label;
  const colour = draw.background >= 0.5 ? '#000000' : '#ffffff';
  return (
    `<svg x="${left}" y="${top}" width="${tileWidth}" height="${LABEL_HEIGHT}">` +
    `<text x="${tileWidth / 2}" y="${LABEL_HEIGHT - 4}" text-anchor="middle" ` +
    `font-family="DejaVu Sans, sans-serif" font-size="${LABEL_FONT_SIZE}" fill="${colour}">` +
    `${escapeXml(shown)}</text></svg>`
  );
}
