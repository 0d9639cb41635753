// The thread policy: libtorch's pool owns the cores, and OpenBLAS either runs on that pool
// (its OpenMP build) or on one thread. Checked in fresh processes, because both libraries
// read their settings when they load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const engine = fileURLToPath(new URL('../../src/engine/index.js', import.meta.url));
// dist/test/engine -> the repository root.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function infoIn(env: Record<string, string | undefined>): Record<string, unknown> {
  const script =
    `import(${JSON.stringify(engine)})` +
    '.then((e) => console.log(JSON.stringify(e.engineInfo())))';
  const clean = { ...process.env };
  delete clean.OPENBLAS_NUM_THREADS;
  delete clean.OMP_WAIT_POLICY;
  delete clean.AEKIT_NUM_THREADS;
  delete clean.AEKIT_MALLOC_TUNING;
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { ...clean, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, unknown>;
}

/** What the addon was linked with: an OpenMP OpenBLAS directory, or 'system'. */
const linkedBlas = execFileSync(process.execPath, [join(root, 'native', 'libtorch.mjs'), 'blas'], {
  encoding: 'utf8',
}).trim();

test('by default libtorch uses every core, BLAS shares its pool or has one thread', () => {
  const info = infoIn({});
  assert.equal(info.threads, availableParallelism());
  if (linkedBlas === 'system') {
    assert.equal(info.blasThreads, 1);
  } else {
    // Linked with OpenBLAS's OpenMP build: matrix products run on libtorch's own pool.
    assert.equal(info.blas, 'openmp');
    assert.equal(info.blasThreads, info.threads);
  }
  assert.equal(info.ompWaitPolicy, undefined);
  assert.equal(info.allocatorTuned, true);
  assert.match(String(info.torchVersion), /^\d+\.\d+\.\d+$/);
});

test('setNumThreads moves an OpenMP OpenBLAS along; OPENBLAS_NUM_THREADS pins it', () => {
  const script = (env: Record<string, string>): number[] => {
    const code =
      `import(${JSON.stringify(engine)}).then((e) => {` +
      'const seen = [e.engineInfo().blasThreads];' +
      'e.setNumThreads(1); seen.push(e.engineInfo().blasThreads);' +
      'e.setNumThreads(2); seen.push(e.engineInfo().blasThreads);' +
      'console.log(JSON.stringify(seen)); })';
    const clean = { ...process.env };
    delete clean.OPENBLAS_NUM_THREADS;
    delete clean.AEKIT_NUM_THREADS;
    const out = execFileSync(process.execPath, ['-e', code], {
      env: { ...clean, AEKIT_NUM_THREADS: '2', ...env },
      encoding: 'utf8',
    });
    return JSON.parse(out) as number[];
  };
  assert.deepEqual(script({}), linkedBlas === 'system' ? [1, 1, 1] : [2, 1, 2]);
  assert.deepEqual(script({ OPENBLAS_NUM_THREADS: '1' }), [1, 1, 1]);
});

test('AEKIT_NUM_THREADS, AEKIT_MALLOC_TUNING and the libraries own variables are respected', () => {
  const info = infoIn({
    AEKIT_NUM_THREADS: '1',
    OMP_WAIT_POLICY: 'active',
    AEKIT_MALLOC_TUNING: '0',
  });
  assert.equal(info.threads, 1);
  assert.equal(info.ompWaitPolicy, 'active');
  assert.equal(info.allocatorTuned, false);
});
