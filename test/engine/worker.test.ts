// The addon loads inside worker_threads, and a long computation there leaves the main
// event loop free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { manualSeed, randn } from '../../src/engine/index.js';

test('a worker computes with the engine while the main event loop keeps ticking', async () => {
  const url = new URL('./worker-job.js', import.meta.url);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const worker = new Worker(url, { workerData: { milliseconds: 1500 } });
  const started = Date.now();
  const result = await new Promise<{ rounds: number; check: number; live: number }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    },
  );
  const elapsed = Date.now() - started;
  clearInterval(timer);
  await worker.terminate();

  // The main thread got most of its 10 ms ticks while the worker ran.
  const expected = elapsed / 10;
  assert.ok(ticks > expected * 0.5, `${ticks} ticks in ${elapsed} ms`);
  assert.ok(result.rounds > 1, `worker ran ${result.rounds} rounds`);

  // The worker's result equals the same computation on the main thread.
  manualSeed(1);
  const a = randn([256, 256]);
  const expectedCheck = a.matmul(a).sum().item();
  assert.ok(Math.abs(result.check - expectedCheck) <= 1e-3 * Math.abs(expectedCheck));
});
