/**
 * Running Python PyTorch (Debian's python3-torch) from tests, for golden values and for
 * checking that files move between aekit and PyTorch. Tests that need it fail, never skip,
 * when it is missing: the README's test command installs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = process.env.AEKIT_PYTHON ?? '/usr/bin/python3';

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A folder for generated fixtures, made if missing: test/fixtures/generated/<name>. */
export function generatedDir(name: string): string {
  const dir = join(REPO_ROOT, 'test', 'fixtures', 'generated', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Runs a Python script from test/fixtures (or a path) with arguments and returns stdout.
 * Python's own thread count is pinned to 1 so golden values do not depend on the machine.
 */
export function runPython(script: string, args: string[] = []): string {
  const path = script.includes('/') ? script : join(REPO_ROOT, 'test', 'fixtures', script);
  try {
    return execFileSync(PYTHON, [path, ...args], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`python ${path} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}
