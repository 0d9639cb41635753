/**
 * Inputs named on the command line (`aekit denoise INPUT...`, `aekit generate --like
 * FILES...`): image files, folders of images, or data files (.npy, .csv, IDX), read with a
 * model's recorded preprocessing, with a name per sample for the files written from them;
 * and writing images or arrays out as a folder of PNGs, one PNG grid, or one .npy file.
 */
import { mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { api, printNotices } from './api.js';
import { checkFits, readData } from './data-source.js';
import type { Dataset, LoadedModel } from '../index.js';
import { isImageModel, toUnitRange } from './model-file.js';

/** Inputs read into one dataset, with a file-name stem for each sample. */
export interface Inputs {
  dataset: Dataset;
  /** One name per sample: the image file's stem, or `<file stem>-<index>`. */
  names: string[];
}

const IMAGE_FILE = /\.(png|jpe?g|webp)$/i;

/** Image files under `folder`, recursively, in path order. */
async function imagesUnder(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    const child = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await imagesUnder(child)));
    else if (IMAGE_FILE.test(entry.name)) found.push(child);
  }
  return found;
}

/**
 * Reads `paths` with the preprocessing of `loaded`: image files and folders of images as
 * one batch of images (sized as the model's input when it records no image step), other
 * files through the data readers. `flag` names the option or argument in errors.
 */
export async function readInputs(
  paths: string[],
  loaded: LoadedModel,
  flag: string,
): Promise<Inputs> {
  const aekit = await api();
  const images: string[] = [];
  const others: string[] = [];
  for (const item of paths) {
    const info = await stat(item).catch(() => null);
    if (!info) {
      throw new aekit.AekitError(
        'BAD_INPUT',
        `${item}: ${flag}: expected an existing file or folder, got no such path`,
      );
    }
    if (info.isDirectory()) {
      const found = await imagesUnder(item);
      if (found.length === 0) {
        throw new aekit.AekitError(
          'BAD_INPUT',
          `${item}: ${flag}: expected a folder of PNG, JPEG or WebP images, got none in it`,
        );
      }
      images.push(...found);
    } else if (IMAGE_FILE.test(item)) {
      images.push(item);
    } else {
      others.push(item);
    }
  }
  if (images.length > 0 && others.length > 0) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${others[0]}: ${flag}: expected images only or data files only, got both images and ` +
        'a data file',
    );
  }
  if (images.length > 0) return readImageFiles(images, loaded, flag);

  const parts: Inputs[] = [];
  for (const file of others) {
    const { dataset } = await readData({ data: file }, loaded);
    const stem = path.basename(file).replace(/\.[^.]*$/, '');
    parts.push({
      dataset,
      names: Array.from({ length: dataset.shape[0] }, (_, i) => `${stem}-${i}`),
    });
  }
  return join(parts);
}

/** Image files read as one batch: linked into a temporary folder in order, then read. */
async function readImageFiles(files: string[], loaded: LoadedModel, flag: string): Promise<Inputs> {
  const aekit = await api();
  const shape = loaded.config.inputShape;
  const recorded = loaded.preprocessing.some((step) => step.kind === 'image');
  if (!isImageModel(loaded)) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${files[0]}: ${flag}: expected data like the model's input [${shape.join(', ')}], got an ` +
        'image',
    );
  }
  const temporary = await mkdtemp(path.join(os.tmpdir(), 'aekit-inputs-'));
  try {
    const width = String(files.length - 1).length;
    const linked = files.map(
      (file, i) => `${String(i).padStart(width, '0')}-${path.basename(file)}`,
    );
    await Promise.all(
      files.map((file, i) => symlink(path.resolve(file), path.join(temporary, linked[i]))),
    );
    const { dataset, report } = await aekit.loadImageFolder(temporary, {
      reuse: loaded.preprocessing,
      // Without a recorded image step (a model trained on arrays), fit the model's input.
      ...(recorded ? {} : { width: shape[2], height: shape[1], channels: shape[0] as 1 | 3 }),
    });
    if (report.unreadable.length > 0) {
      const bad = report.unreadable[0];
      const original = files[linked.indexOf(bad.file)] ?? bad.file;
      throw new aekit.AekitError(
        'BAD_INPUT',
        `${original}: ${flag}: expected an image, got one that does not decode (${bad.reason})`,
      );
    }
    printNotices(
      report.notices.map((notice) =>
        notice
          .split(temporary + path.sep)
          .join('')
          .split(temporary)
          .join('inputs'),
      ),
    );
    const named: Dataset = {
      ...dataset,
      source: files.length === 1 ? files[0] : `${files.length} images`,
    };
    await checkFits(named, loaded);
    const names = files.map((file) => path.basename(file).replace(/\.[^.]*$/, ''));
    return { dataset: named, names: uniqueNames(names) };
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** Names made unique by a numeric suffix where they repeat (a.png in two folders). */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
    const count = seen.get(safe) ?? 0;
    seen.set(safe, count + 1);
    return count === 0 ? safe : `${safe}-${count}`;
  });
}

function join(parts: Inputs[]): Inputs {
  if (parts.length === 1) return { ...parts[0], names: uniqueNames(parts[0].names) };
  const first = parts[0].dataset;
  const size = first.data.length / first.shape[0];
  const total = parts.reduce((n, part) => n + part.dataset.shape[0], 0);
  const data = new Float32Array(total * size);
  let offset = 0;
  for (const part of parts) {
    data.set(part.dataset.data, offset);
    offset += part.dataset.data.length;
  }
  const dataset: Dataset = {
    ...first,
    data,
    shape: [total, ...first.shape.slice(1)],
    source: `${parts.length} files`,
  };
  delete dataset.labels;
  return { dataset, names: uniqueNames(parts.flatMap((part) => part.names)) };
}

/** Where images or arrays go: a folder of files, one PNG grid, or one .npy array. */
export type OutputKind = 'folder' | 'grid' | 'npy';

/** The kind of output a path names: `.png` a grid, `.npy` an array, anything else a folder. */
export async function outputKind(
  output: string,
  loaded: LoadedModel,
  flag = '--output',
): Promise<OutputKind> {
  const { AekitError } = await api();
  const lower = output.toLowerCase();
  const kind: OutputKind = lower.endsWith('.png')
    ? 'grid'
    : lower.endsWith('.npy')
      ? 'npy'
      : 'folder';
  const existing = await stat(output).catch(() => null);
  if (kind !== 'folder' && existing?.isDirectory()) {
    throw new AekitError('BAD_INPUT', `${output}: ${flag}: expected a file name, got a folder`);
  }
  if (kind === 'folder' && existing && !existing.isDirectory()) {
    throw new AekitError(
      'BAD_INPUT',
      `${output}: ${flag}: expected a folder (or a .png or .npy file), got a file`,
    );
  }
  const parent = await stat(path.dirname(path.resolve(output))).catch(() => null);
  if (!parent?.isDirectory()) {
    throw new AekitError(
      'BAD_INPUT',
      `${output}: ${flag}: expected a path in an existing folder, got a folder that does not exist`,
    );
  }
  if (kind === 'grid' && !isImageModel(loaded)) {
    throw new AekitError(
      'BAD_INPUT',
      `${output}: ${flag}: expected a .npy file or a folder for a model of input ` +
        `[${loaded.config.inputShape.join(', ')}] (a PNG needs [1 or 3, height, width]), got .png`,
    );
  }
  return kind;
}

/** What {@link writeOutputs} draws a grid with. */
export interface GridLayout {
  /** Images per row. */
  columns?: number;
  /** Integer upscaling of each image of a grid. Default 2. */
  scale?: number;
  labels?: string[];
}

/**
 * Writes `values` ([n, ...inputShape] in the model's value range) to `output` as `kind`
 * says: a folder gets one PNG per sample (image models) or one `.npy` per sample; a grid
 * one PNG; `.npy` one array. Returns a phrase saying what was written.
 */
export async function writeOutputs(
  output: string,
  kind: OutputKind,
  values: Float32Array,
  loaded: LoadedModel,
  names: string[],
  layout: GridLayout = {},
): Promise<string> {
  const aekit = await api();
  const shape = [names.length, ...loaded.config.inputShape];
  if (kind === 'npy') {
    aekit.saveNpy(output, values, shape);
    return `${output} (float32 [${shape.join(', ')}])`;
  }
  if (kind === 'grid') {
    const png = await aekit.imageGrid(toUnitRange(values, loaded), shape, {
      scale: layout.scale ?? 2,
      ...(layout.columns ? { columns: layout.columns } : {}),
      ...(layout.labels ? { labels: layout.labels } : {}),
    });
    await aekit.writeFileAtomic(output, png);
    return `${output} (a grid of ${names.length} images)`;
  }
  await mkdir(output, { recursive: true });
  if (isImageModel(loaded)) {
    // One file per sample at the model's own size, so that it reads back as an input.
    await aekit.savePngs(toUnitRange(values, loaded), shape, output, names);
    return `${names.length} PNG files in ${output}`;
  }
  const size = values.length / names.length;
  names.forEach((name, i) => {
    aekit.saveNpy(path.join(output, `${name}.npy`), values.subarray(i * size, (i + 1) * size), [
      1,
      ...loaded.config.inputShape,
    ]);
  });
  return `${names.length} .npy files in ${output}`;
}
