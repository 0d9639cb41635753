/**
 * Running the task commands (score, generate, denoise, embed) in tests, in this process or
 * as the real `aekit` binary, in a temporary folder, and the checks every bad-input case
 * shares.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { main } from '../../src/cli/main.js';
import { loadMnist, saveNpy, take } from '../../src/data/index.js';

const BIN = fileURLToPath(new URL('../../../bin/aekit.js', import.meta.url));

/** What one run of the command gave. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `aekit` binary in `cwd`, not on a terminal. */
export function spawn(args: string[], cwd: string): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, AEKIT_DEBUG: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs `aekit ...args` inside this process, in `cwd`, capturing what it prints: the same
 * code path as the binary (its `main`) without loading libtorch again for every case.
 * Commands print through `console` and `process.stderr`; the test runner reports on
 * `process.stdout`, which is left alone.
 */
export async function run(args: string[], cwd: string): Promise<Run> {
  const saved = { log: console.log, error: console.error, write: process.stderr.write };
  const previous = process.cwd();
  let stdout = '';
  let stderr = '';
  const line = (...parts: unknown[]) => parts.map(String).join(' ') + '\n';
  console.log = (...parts: unknown[]) => void (stdout += line(...parts));
  console.error = (...parts: unknown[]) => void (stderr += line(...parts));
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  process.chdir(cwd);
  try {
    const code = await main(['node', 'aekit', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.chdir(previous);
    console.log = saved.log;
    console.error = saved.error;
    process.stderr.write = saved.write;
  }
}

/** Runs a command that must succeed; returns its output. */
export async function succeed(args: string[], cwd: string): Promise<Run> {
  const result = await run(args, cwd);
  assert.equal(result.code, 0, `aekit ${args.join(' ')} failed:\n${result.stderr}`);
  return result;
}

/**
 * Asserts a bad-input failure: exit code 2, nothing on stdout, and one line on stderr
 * (notices aside) matching `pattern`.
 */
export async function badInput(args: string[], cwd: string, pattern: RegExp): Promise<void> {
  const result = await run(args, cwd);
  const lines = result.stderr
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('notice: '));
  assert.equal(result.code, 2, `aekit ${args.join(' ')}: expected exit code 2:\n${result.stderr}`);
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(result.stdout, '');
}

/** A fresh temporary folder, removed by the returned function. */
export function folder(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `aekit-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The first `count` bundled digits of the classes in `digits` (all when omitted), saved as
 * `<name>.npy` (float32 [n, 1, 28, 28]) and `<name>-labels.npy` (int32) in `dir`; returns
 * the labels.
 */
export async function saveDigits(
  dir: string,
  name: string,
  count: number,
  digits?: number[],
  skip = 0,
): Promise<Int32Array> {
  const { dataset } = await loadMnist();
  const labels = dataset.labels as Int32Array;
  const chosen: number[] = [];
  let seen = 0;
  for (let i = 0; i < labels.length && chosen.length < count; i++) {
    if (digits && !digits.includes(labels[i])) continue;
    if (seen++ >= skip) chosen.push(i);
  }
  const subset = take(dataset, chosen);
  saveNpy(path.join(dir, `${name}.npy`), subset.data, subset.shape);
  saveNpy(path.join(dir, `${name}-labels.npy`), subset.labels as Int32Array, [chosen.length]);
  return subset.labels as Int32Array;
}
