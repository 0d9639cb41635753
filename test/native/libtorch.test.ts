// The build's libtorch search: LIBTORCH first, then the system install, with the version
// checked, and one message saying what to install when nothing is found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../native/libtorch.mjs', import.meta.url));

function find(env: Record<string, string>) {
  const result = spawnSync(process.execPath, [script, 'json'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function fakeLibtorch(major: number, minor: number): string {
  const root = mkdtempSync(join(tmpdir(), 'aekit-libtorch-'));
  const header = join(root, 'include/torch/csrc/api/include/torch');
  mkdirSync(header, { recursive: true });
  mkdirSync(join(root, 'lib'));
  writeFileSync(join(root, 'lib/libtorch.so'), '');
  writeFileSync(
    join(header, 'version.h'),
    `#define TORCH_VERSION_MAJOR ${major}\n#define TORCH_VERSION_MINOR ${minor}\n` +
      '#define TORCH_VERSION_PATCH 0\n',
  );
  return root;
}

test('the system libtorch is found and its version read', () => {
  const run = find({ LIBTORCH: '' });
  assert.equal(run.code, 0, run.stderr);
  const found = JSON.parse(run.stdout) as { version: string; source: string };
  assert.match(found.version, /^1\.13\.\d+$/);
  assert.equal(found.source, 'system');
});

test('LIBTORCH comes first', () => {
  const root = fakeLibtorch(2, 1);
  const found = JSON.parse(find({ LIBTORCH: root }).stdout) as { version: string; lib: string };
  assert.equal(found.version, '2.1.0');
  assert.equal(found.lib, join(root, 'lib'));
});

test('a LIBTORCH that is not libtorch, or too old, is refused with the fix', () => {
  const wrong = find({ LIBTORCH: '/nonexistent' });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /LIBTORCH=\/nonexistent does not look like libtorch/);
  assert.match(wrong.stderr, /apt-get install libtorch-dev/);
  const old = find({ LIBTORCH: fakeLibtorch(1, 12) });
  assert.match(old.stderr, /libtorch 1\.12\.0 .* is too old: aekit needs 1\.13 or newer/);
});

test('an OpenMP OpenBLAS beside libtorch is linked first, unless AEKIT_BLAS=system', () => {
  const run = (what: string, env: Record<string, string>) =>
    spawnSync(process.execPath, [script, what], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    }).stdout.trim();
  // A fake libtorch with an openblas-openmp folder beside its lib/.
  const root = fakeLibtorch(1, 13);
  const blas = join(root, 'lib', 'openblas-openmp');
  mkdirSync(blas);
  writeFileSync(join(blas, 'libblas.so.3'), '');
  writeFileSync(join(blas, 'libopenblas.so.0'), '');
  assert.equal(run('blas', { LIBTORCH: root }), blas);
  const flags = run('libs', { LIBTORCH: root });
  assert.ok(flags.startsWith(`-Wl,-rpath,${blas} -Wl,--no-as-needed ${blas}/libblas.so.3`), flags);
  assert.ok(flags.indexOf(blas) < flags.indexOf('-ltorch'), flags);
  assert.equal(run('blas', { LIBTORCH: root, AEKIT_BLAS: 'system' }), 'system');
  assert.doesNotMatch(run('libs', { LIBTORCH: root, AEKIT_BLAS: 'system' }), /openblas/);
});
