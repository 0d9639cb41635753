/**
 * A folder of images (PNG, JPEG, WebP), decoded by `sharp` into one size and channel
 * count. Recoverable differences (sizes, grayscale versus colour, alpha) are converted and
 * counted in the report; unreadable files are listed by name and skipped.
 */

import { readdir } from 'node:fs/promises';
import path from 'node:path';

import sharp from 'sharp';

import { AekitError, checkInteger, checkType } from '../engine/errors.js';
import type { Dataset, ImageFit, ImageStep, Loaded, LoadReport, Preprocessing } from './dataset.js';
import { UINT8_TO_UNIT } from './checks.js';
import { fileError, messageOf } from './messages.js';

/** File extensions read as images, lower case. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

/** Images decoded at once; sharp runs each on its own thread pool. */
const CONCURRENCY = 8;

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Target width in pixels. Default: the most common size in the folder. */
  width?: number;
  /** Target height in pixels. Give both or neither. */
  height?: number;
  /** 1 (grayscale) or 3 (RGB). Default: 1 when every image is grayscale, else 3. */
  channels?: 1 | 3;
  /** How an image of another aspect ratio is fitted: sharp's `fit`. Default `'fill'`. */
  fit?: ImageFit;
  /** Gray level 0-255 that transparent pixels are composited onto. Default 255 (white). */
  alphaBackground?: number;
  /** Label each image by its first-level subfolder, whose names become `labelNames`. */
  labelsFromSubfolders?: boolean;
  /** Preprocessing recorded at training: its image step fixes size, channels and fit. */
  reuse?: Preprocessing[];
}

/** Report of {@link loadImageFolder}. */
export interface ImageFolderReport extends LoadReport {
  /** Images read into the dataset. */
  read: number;
  /** Image files that could not be decoded, by path relative to the folder, with why. */
  unreadable: { file: string; reason: string }[];
  /** Files skipped: not PNG/JPEG/WebP, or outside any class subfolder. */
  skipped: string[];
  /** Images whose size differed from the target and were resized. */
  resized: number;
  /** Colour images converted to grayscale. */
  toGrayscale: number;
  /** Grayscale images converted to RGB. */
  toRgb: number;
  /** Images with an alpha channel composited onto `alphaBackground`. */
  alphaFlattened: number;
  /** Images per label name, when labelled. */
  perLabel?: Record<string, number>;
}

interface Candidate {
  /** Path relative to the folder, with `/` separators. */
  relative: string;
  absolute: string;
  label?: string;
}

interface Probe {
  candidate: Candidate;
  width: number;
  height: number;
  grayscale: boolean;
  alpha: boolean;
}

/**
 * Reads every PNG, JPEG and WebP file under `directory` (recursively, in path order) into a
 * dataset of shape `[n, channels, height, width]` with values in [0, 1].
 *
 * @example
 * ```ts
 * const { dataset, report } = await loadImageFolder('faces', {
 *   width: 64,
 *   height: 64,
 *   channels: 3,
 * });
 * ```
 */
export async function loadImageFolder(
  directory: string,
  options: ImageFolderOptions = {},
): Promise<Loaded<ImageFolderReport>> {
  checkType(typeof directory === 'string', 'loadImageFolder: directory', 'a path', directory);
  const recorded = (options.reuse ?? []).find((step): step is ImageStep => step.kind === 'image');
  const settings = checkOptions(options, recorded);
  const labelled = options.labelsFromSubfolders ?? false;

  // Find candidate files.
  const skipped: string[] = [];
  const candidates: Candidate[] = [];
  for (const relative of await listFiles(directory)) {
    const extension = path.extname(relative).toLowerCase();
    const parts = relative.split('/');
    if (!IMAGE_EXTENSIONS.includes(extension) || (labelled && parts.length < 2)) {
      skipped.push(relative);
      continue;
    }
    const candidate: Candidate = { relative, absolute: path.join(directory, relative) };
    if (labelled) candidate.label = parts[0];
    candidates.push(candidate);
  }
  if (candidates.length === 0) {
    const where = labelled ? ' in class subfolders' : '';
    throw fileError(
      'BAD_INPUT',
      directory,
      'images',
      `PNG, JPEG or WebP files${where}`,
      skipped.length === 0 ? 'an empty folder' : `only other files (${preview(skipped)})`,
    );
  }

  // Read each header to decide the target size and channels.
  const unreadable: ImageFolderReport['unreadable'] = [];
  const probes: Probe[] = [];
  await forEachLimited(candidates, async (candidate) => {
    try {
      const metadata = await sharp(candidate.absolute, { autoOrient: true }).metadata();
      const oriented = metadata.autoOrient ?? metadata;
      probes.push({
        candidate,
        width: oriented.width,
        height: oriented.height,
        grayscale: metadata.channels - (metadata.hasAlpha ? 1 : 0) === 1,
        alpha: metadata.hasAlpha,
      });
    } catch (error) {
      unreadable.push({ file: candidate.relative, reason: messageOf(error) });
    }
  });
  probes.sort((a, b) => compare(a.candidate.relative, b.candidate.relative));
  failIfNoneReadable(directory, probes.length, unreadable);

  // Decode into [n, channels, height, width]. A file can still fail here (truncated pixel
  // data); when that changes the size or channels chosen from the headers, decode again.
  let good = probes;
  let step = chooseStep(settings, good);
  let decoded = new Map<Probe, Float32Array>();
  for (;;) {
    const current = step;
    decoded = new Map();
    await forEachLimited(good, async (probe) => {
      try {
        decoded.set(probe, await decode(probe, current));
      } catch (error) {
        unreadable.push({ file: probe.candidate.relative, reason: messageOf(error) });
      }
    });
    good = good.filter((probe) => decoded.has(probe));
    failIfNoneReadable(directory, good.length, unreadable);
    step = chooseStep(settings, good);
    if (JSON.stringify(step) === JSON.stringify(current)) break;
  }
  unreadable.sort((a, b) => compare(a.file, b.file));
  const { width, height, channels } = step;
  const pixels = width * height * channels;

  const data = new Float32Array(good.length * pixels);
  good.forEach((probe, i) => data.set(decoded.get(probe) as Float32Array, i * pixels));
  const dataset: Dataset = {
    data,
    shape: [good.length, channels, height, width],
    valueRange: [0, 1],
    source: directory,
    preprocessing: [step, structuredClone(UINT8_TO_UNIT)],
  };

  const report: ImageFolderReport = {
    notices: [],
    read: good.length,
    unreadable,
    skipped,
    resized: good.filter((p) => p.width !== width || p.height !== height).length,
    toGrayscale: channels === 1 ? good.filter((p) => !p.grayscale).length : 0,
    toRgb: channels === 3 ? good.filter((p) => p.grayscale).length : 0,
    alphaFlattened: good.filter((p) => p.alpha).length,
  };
  if (labelled) {
    const names = [...new Set(good.map((p) => p.candidate.label as string))].sort(compare);
    const index = new Map(names.map((name, i) => [name, i]));
    dataset.labels = Int32Array.from(good, (p) => index.get(p.candidate.label as string) as number);
    dataset.labelNames = names;
    report.perLabel = Object.fromEntries(names.map((name) => [name, 0]));
    for (const p of good) report.perLabel[p.candidate.label as string]++;
  }
  report.notices = notices(directory, report, step);
  return { dataset, report };
}

async function decode(probe: Probe, step: ImageStep): Promise<Float32Array> {
  const background = { r: step.alphaBackground, g: step.alphaBackground, b: step.alphaBackground };
  let image = sharp(probe.candidate.absolute, { autoOrient: true });
  if (probe.alpha) image = image.flatten({ background });
  if (probe.width !== step.width || probe.height !== step.height) {
    image = image.resize(step.width, step.height, { fit: step.fit, background });
  }
  image = step.channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
  const { data, info } = await image
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== step.channels || info.width !== step.width || info.height !== step.height) {
    throw new Error(
      `decoded to ${info.width}x${info.height}x${info.channels}, expected ` +
        `${step.width}x${step.height}x${step.channels}`,
    );
  }

  // Interleaved [height, width, channels] bytes to planar [channels, height, width] floats.
  const plane = step.width * step.height;
  const result = new Float32Array(plane * step.channels);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < step.channels; c++) {
      result[c * plane + i] = data[i * step.channels + c] / 255;
    }
  }
  return result;
}

/** The image step: the given settings, else the most common size and the channels needed. */
function chooseStep(settings: Settings, probes: Probe[]): ImageStep {
  const [width, height] =
    settings.width !== undefined && settings.height !== undefined
      ? [settings.width, settings.height]
      : mostCommonSize(probes);
  return {
    kind: 'image',
    width,
    height,
    channels: settings.channels ?? (probes.every((p) => p.grayscale) ? 1 : 3),
    fit: settings.fit,
    alphaBackground: settings.alphaBackground,
  };
}

interface Settings {
  width?: number;
  height?: number;
  channels?: 1 | 3;
  fit: ImageFit;
  alphaBackground: number;
}

function checkOptions(options: ImageFolderOptions, recorded?: ImageStep): Settings {
  if (recorded) {
    return {
      width: recorded.width,
      height: recorded.height,
      channels: recorded.channels,
      fit: recorded.fit,
      alphaBackground: recorded.alphaBackground,
    };
  }
  if ((options.width === undefined) !== (options.height === undefined)) {
    throw new TypeError(
      'loadImageFolder: width and height: expected both or neither, got ' +
        `width ${String(options.width)} and height ${String(options.height)}`,
    );
  }
  const settings: Settings = {
    fit: options.fit ?? 'fill',
    alphaBackground: checkInteger(
      options.alphaBackground ?? 255,
      'loadImageFolder: alphaBackground',
      0,
      255,
    ),
  };
  if (options.width !== undefined && options.height !== undefined) {
    settings.width = checkInteger(options.width, 'loadImageFolder: width', 1, 16384);
    settings.height = checkInteger(options.height, 'loadImageFolder: height', 1, 16384);
  }
  if (options.channels !== undefined) {
    if (options.channels !== 1 && options.channels !== 3) {
      throw new RangeError(
        `loadImageFolder: channels: expected 1 or 3, got ${JSON.stringify(options.channels)}`,
      );
    }
    settings.channels = options.channels;
  }
  if (!['fill', 'cover', 'contain'].includes(settings.fit)) {
    throw new TypeError(
      `loadImageFolder: fit: expected 'fill', 'cover' or 'contain', ` +
        `got ${JSON.stringify(settings.fit)}`,
    );
  }
  return settings;
}

/** Files under `directory`, relative, `/`-separated, in path order. */
async function listFiles(directory: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(directory, relative), { withFileTypes: true });
    } catch (error) {
      throw fileError(
        'BAD_INPUT',
        directory,
        'folder',
        'a readable folder',
        messageOf(error),
        error,
      );
    }
    for (const entry of entries) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile() || entry.isSymbolicLink()) files.push(child);
    }
  };
  await walk('');
  return files.sort(compare);
}

function failIfNoneReadable(
  directory: string,
  readable: number,
  unreadable: ImageFolderReport['unreadable'],
): void {
  if (readable > 0) return;
  // Files are read concurrently, so failures arrive in any order: list them by name.
  const names = [...unreadable]
    .sort((a, b) => compare(a.file, b.file))
    .map(({ file, reason }) => `${file}: ${reason}`);
  throw new AekitError(
    'BAD_INPUT',
    `${directory}: images: expected at least one readable image, got ${unreadable.length} ` +
      `unreadable (${preview(names)})`,
  );
}

/** The most common [width, height]; ties go to the larger area, then the first found. */
function mostCommonSize(probes: Probe[]): [number, number] {
  const counts = new Map<string, { size: [number, number]; n: number }>();
  for (const { width, height } of probes) {
    const key = `${width}x${height}`;
    const entry = counts.get(key) ?? { size: [width, height], n: 0 };
    entry.n++;
    counts.set(key, entry);
  }
  let best: { size: [number, number]; n: number } | undefined;
  for (const entry of counts.values()) {
    const area = entry.size[0] * entry.size[1];
    if (!best || entry.n > best.n || (entry.n === best.n && area > best.size[0] * best.size[1])) {
      best = entry;
    }
  }
  return (best as { size: [number, number] }).size;
}

function notices(directory: string, report: ImageFolderReport, step: ImageStep): string[] {
  const lines: string[] = [];
  const size = `${step.width}x${step.height}`;
  if (report.resized > 0) {
    lines.push(
      `${directory}: ${report.resized} of ${report.read} images resized to ${size} (${step.fit})`,
    );
  }
  if (report.toGrayscale > 0) {
    lines.push(`${directory}: ${report.toGrayscale} colour images converted to grayscale`);
  }
  if (report.toRgb > 0) {
    lines.push(`${directory}: ${report.toRgb} grayscale images converted to RGB`);
  }
  if (report.alphaFlattened > 0) {
    lines.push(
      `${directory}: ${report.alphaFlattened} images with alpha composited onto gray level ` +
        `${step.alphaBackground}`,
    );
  }
  if (report.unreadable.length > 0) {
    const names = report.unreadable.map((u) => u.file);
    lines.push(`${directory}: ${names.length} unreadable files skipped: ${preview(names)}`);
  }
  if (report.skipped.length > 0) {
    lines.push(
      `${directory}: ${report.skipped.length} other files skipped: ${preview(report.skipped)}`,
    );
  }
  return lines;
}

/** The first few items of a list, joined, with a count of the rest. */
function preview(items: string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function forEachLimited<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}
