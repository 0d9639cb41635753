// The thread policy: libtorch's pool owns the cores, OpenBLAS runs on one thread, and
// idle OpenMP workers sleep. Checked in fresh processes, because both libraries read
// their settings when they load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const engine = fileURLToPath(new URL('../../src/engine/index.js', import.meta.url));

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

test('by default libtorch uses every core, OpenBLAS one thread, OpenMP its own wait policy', () => {
  const info = infoIn({});
  assert.equal(info.threads, availableParallelism());
  assert.equal(info.blasThreads, 1);
  assert.equal(info.ompWaitPolicy, undefined);
  assert.equal(info.allocatorTuned, true);
  assert.match(String(info.torchVersion), /^\d+\.\d+\.\d+$/);
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
