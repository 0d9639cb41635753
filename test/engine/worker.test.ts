// The addon loads inside worker_threads, and a long computation there leaves the main
// event loop free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { manualSeed, randn } from '../../src/engine/index.js';

test('a worker computes with the engine while the main event loop keeps ticking', async () => {
  const url = new URL('./worker-job.js', import.meta.url);
  let ticks = 0;
  let computing = false;
  // Ticks are counted only while the worker computes (after it loaded the engine).
  const timer = setInterval(() => {
    if (computing) ticks++;
  }, 10);
  const worker = new Worker(url, { workerData: { milliseconds: 1500 } });
  const result = await new Promise<{ rounds: number; check: number; live: number }>(
    (resolve, reject) => {
      worker.on(
        'message',
        (message: { started?: boolean; rounds: number; check: number; live: number }) => {
          if (message.started) computing = true;
          else resolve(message);
        },
      );
      worker.once('error', reject);
    },
  );
  computing = false;
  clearInterval(timer);
  await worker.terminate();

  // Had the computation blocked the main thread, no tick could have run during it. About
  // 150 run on a quiet machine; a loaded one runs fewer, but never none.
  assert.ok(ticks >= 10, `${ticks} ticks while the worker computed for 1.5 s`);
  assert.ok(result.rounds > 1, `worker ran ${result.rounds} rounds`);

  // The worker's result equals the same computation on the main thread.
  manualSeed(1);
  const a = randn([256, 256]);
  const expectedCheck = a.matmul(a).sum().item();
  assert.ok(Math.abs(result.check - expectedCheck) <= 1e-3 * Math.abs(expectedCheck));
});
