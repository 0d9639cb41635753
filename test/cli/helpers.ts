/**
 * Running the real `aekit` command in tests, and the tiny data files it runs on: MNIST
 * digits saved as .npy, a labelled CSV table, a two-channel series, and a folder of PNGs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import sharp from 'sharp';

import { loadMnist, saveNpy } from '../../src/data/index.js';
import { loadModel, type ModelFileContents } from '../../src/models/index.js';

const BIN = fileURLToPath(new URL('../../../bin/aekit.js', import.meta.url));

/** What one run of the command gave. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `aekit ...args` in `cwd` with stdin, stdout and stderr as pipes (not a terminal). */
export function aekit(args: string[], cwd: string): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, AEKIT_DEBUG: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs `aekit ...args` in this process through the CLI's own `main`, with `cwd` as the
 * working folder and stdout and stderr captured: the same code as the command, without
 * the second or so that loading libtorch costs each new process.
 */
export async function aekitInProcess(args: string[], cwd: string): Promise<Run> {
  const { main } = await import('../../src/cli/main.js');
  const saved = {
    out: process.stdout.write,
    err: process.stderr.write,
    cwd: process.cwd(),
    debug: process.env.AEKIT_DEBUG,
  };
  let stdout = '';
  let stderr = '';
  const capture = (append: (text: string) => void) =>
    ((chunk: string | Uint8Array) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture((text) => (stdout += text));
  process.stderr.write = capture((text) => (stderr += text));
  delete process.env.AEKIT_DEBUG;
  process.chdir(cwd);
  try {
    const code = await main([process.execPath, 'aekit', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.chdir(saved.cwd);
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    if (saved.debug !== undefined) process.env.AEKIT_DEBUG = saved.debug;
  }
}

/**
 * Runs each case's command in this process (see {@link aekitInProcess}) and checks that
 * each failed as bad input with a line matching its pattern (see {@link assertBadInput}).
 */
export async function assertAllBadInput(cases: [string[], RegExp][], cwd: string): Promise<void> {
  for (const [args, pattern] of cases) {
    const run = await aekitInProcess(args, cwd);
    try {
      assertBadInput(run, pattern);
    } catch (error) {
      (error as Error).message = `aekit ${args.join(' ')}: ${(error as Error).message}`;
      throw error;
    }
  }
}

/** Runs a command that must succeed, failing the test with its stderr otherwise. */
export function ok(args: string[], cwd: string): Run {
  const run = aekit(args, cwd);
  assert.equal(run.code, 0, `aekit ${args.join(' ')} failed:\n${run.stderr}`);
  return run;
}

/**
 * Asserts that a run failed as bad input: exit code 2, nothing on stdout, and one line on
 * stderr (notices aside) that matches `pattern`.
 */
export function assertBadInput(run: Run, pattern: RegExp): void {
  const lines = run.stderr
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('notice: '));
  assert.equal(run.code, 2, `expected exit code 2, got ${run.code}: ${run.stderr}`);
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(run.stdout, '');
}

/** JSON objects, one per line. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A fresh temporary folder and a function that removes it. */
export async function workspace(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aekit-cli-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The first `count` bundled MNIST digits as `digits.npy` (float32 `[count, 1, 28, 28]`) and
 * their labels as `digits-labels.npy` (int32), in `dir`. Returns the labels.
 */
export async function writeDigits(dir: string, count: number): Promise<Int32Array> {
  const { dataset } = await loadMnist({ limit: count });
  saveNpy(path.join(dir, 'digits.npy'), dataset.data, dataset.shape);
  const labels = dataset.labels as Int32Array;
  saveNpy(path.join(dir, 'digits-labels.npy'), labels, [count]);
  return labels;
}

/**
 * The first `count` bundled digits as gzipped IDX files, as MNIST ships:
 * `digits-idx3-ubyte.gz` (uint8 pixels) and `digits-labels-idx1-ubyte.gz`.
 */
export async function writeIdxDigits(
  dir: string,
  count: number,
): Promise<{ images: string; labels: string }> {
  const { dataset } = await loadMnist({ limit: count });
  const images = Buffer.alloc(16 + dataset.data.length);
  images.writeUInt32BE(0x00000803, 0); // unsigned bytes, 3 dimensions
  [count, 28, 28].forEach((size, i) => images.writeUInt32BE(size, 4 + 4 * i));
  dataset.data.forEach((value, i) => (images[16 + i] = Math.round(value * 255)));
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  (dataset.labels as Int32Array).forEach((label, i) => (labels[8 + i] = label));
  const names = { images: 'digits-idx3-ubyte.gz', labels: 'digits-labels-idx1-ubyte.gz' };
  await writeFile(path.join(dir, names.images), gzipSync(images));
  await writeFile(path.join(dir, names.labels), gzipSync(labels));
  return names;
}

/** `table.csv`: 60 rows of three numeric columns and a text label `kind` (x, y or z). */
export async function writeTable(dir: string): Promise<void> {
  const rows = ['a,b,c,kind'];
  for (let i = 0; i < 60; i++) {
    const k = i % 3;
    rows.push(`${k + (i % 7) / 10},${10 * k - (i % 5)},${(i * 37) % 100},${'xyz'[k]}`);
  }
  await writeFile(path.join(dir, 'table.csv'), rows.join('\n') + '\n');
}

/** `series.csv`: 200 time steps of two channels, x and y, with a time column t. */
export async function writeSeries(dir: string): Promise<void> {
  const rows = ['t,x,y'];
  for (let i = 0; i < 200; i++) {
    rows.push(`${i},${Math.sin(i / 5).toFixed(5)},${Math.cos(i / 3).toFixed(5)}`);
  }
  await writeFile(path.join(dir, 'series.csv'), rows.join('\n') + '\n');
}

/** `images/`: 8 grayscale 20x20 PNGs in subfolders `bars` and `dots`. */
export async function writeImages(dir: string): Promise<void> {
  const side = 20;
  for (const [label, draw] of [
    ['bars', (x: number, y: number, i: number) => ((x + i) % 4 < 2 ? 255 : 0)],
    ['dots', (x: number, y: number, i: number) => ((x * y + i) % 5 === 0 ? 255 : 30)],
  ] as const) {
    const folder = path.join(dir, 'images', label);
    await mkdir(folder, { recursive: true });
    for (let i = 0; i < 4; i++) {
      const pixels = Buffer.alloc(side * side);
      for (let y = 0; y < side; y++)
        for (let x = 0; x < side; x++) pixels[y * side + x] = draw(x, y, i);
      await sharp(pixels, { raw: { width: side, height: side, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toFile(path.join(folder, `${i}.png`));
    }
  }
}

/** What a model file holds besides the weights, read in this process, and its size. */
export function readModel(file: string): ModelFileContents & { parameters: number } {
  const loaded = loadModel(file);
  const parameters = loaded.model.numParameters();
  loaded.model.dispose();
  const { config, preprocessing, data, summary, extras } = loaded;
  return { config, preprocessing, data, summary, extras, parameters };
}
