// The command line without and with the native addon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/aekit.js', import.meta.url));

function aekit(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('aekit --help works without the native addon', () => {
  const run = aekit(['--help'], { AEKIT_ADDON: '/nonexistent/aekit.node' });
  assert.equal(run.code, 0);
  assert.match(run.stdout, /Usage: aekit/);
  assert.match(run.stdout, /info/);
});

test("a command's help marks the options it cannot run without", () => {
  const run = aekit(['embed', '--help'], { AEKIT_ADDON: '/nonexistent/aekit.node' });
  assert.equal(run.code, 0);
  const help = run.stdout.replace(/\s+/g, ' ');
  assert.match(
    help,
    /-o, --output <file> coordinates: coords\.csv, coords\.json or coords\.npy \(required\)/,
  );
  assert.match(
    help,
    /--model <file> model file written by aekit train or aekit fit-map \(required\)/,
  );
  assert.doesNotMatch(help, /--plot <file> [^-]*\(required\)/);
});

test('without the addon, a command fails with one line saying what to install', () => {
  const run = aekit(['info'], { AEKIT_ADDON: '/nonexistent/aekit.node' });
  assert.equal(run.code, 1);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^aekit: aekit could not load its native addon/);
  assert.match(lines[0], /apt-get install libtorch-dev libopenblas-dev/);
  assert.match(lines[0], /LIBTORCH/);
});

test('aekit info reports libtorch and the thread pools', () => {
  const run = aekit(['info', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const info = JSON.parse(run.stdout) as {
    torchVersion: string;
    threads: number;
    blasThreads: number;
    blas: string | null;
  };
  assert.match(info.torchVersion, /^1\.13\./);
  // OpenBLAS's OpenMP build runs on libtorch's pool; any other build gets one thread.
  assert.equal(info.blasThreads, info.blas === 'openmp' ? info.threads : 1);
  const text = aekit(['info']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`threads: libtorch ${info.threads}, OpenBLAS `));
});

test('an unknown command is a usage error with exit code 2', () => {
  const run = aekit(['no-such-command']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /unknown command 'no-such-command'/);
});
