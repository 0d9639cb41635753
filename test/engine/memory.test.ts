// Native memory: scoped freeing keeps a long training loop flat, and tensors that were
// never disposed are still found by garbage collection because their size is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  F,
  Tensor,
  liveTensors,
  manualSeed,
  noGrad,
  randn,
  tidy,
  zeros,
} from '../../src/engine/index.js';

/** A tiny MLP autoencoder 16-8-16 trained with plain SGD on random data. */
function makeModel(): Tensor[] {
  manualSeed(0);
  const p = (...shape: number[]): Tensor => randn(shape).mul(0.1).requiresGrad_(true);
  return [p(8, 16), p(8), p(16, 8), p(16)];
}

function step(params: Tensor[], x: Tensor): number {
  return tidy(() => {
    const [w1, b1, w2, b2] = params;
    const code = F.linear(x, w1, b1).relu(); // [batch, 8]
    const out = F.linear(code, w2, b2).sigmoid(); // [batch, 16]
    const loss = F.bce(out, x);
    loss.backward();
    noGrad(() => {
      for (const w of params) {
        const grad = w.grad as Tensor;
        w.sub_(grad, 0.5);
        grad.zero_();
      }
    });
    return loss.item();
  });
}

test('10,000 training steps keep the live tensor count constant and RSS flat', () => {
  const params = makeModel();
  const x = randn([32, 16]).sigmoid();
  step(params, x); // grads now exist
  const live = liveTensors();
  let rssAfterWarmup = 0;
  let first = 0;
  let last = 0;
  for (let i = 1; i <= 10_000; i++) {
    last = step(params, x);
    if (i === 1) first = last;
    if (i % 1000 === 0) assert.equal(liveTensors(), live, `live tensors after ${i} steps`);
    if (i === 2000) rssAfterWarmup = process.memoryUsage().rss;
  }
  const growth = (process.memoryUsage().rss - rssAfterWarmup) / 2 ** 20;
  assert.ok(growth < 32, `RSS grew by ${growth.toFixed(1)} MiB over 8,000 steps`);
  assert.ok(last < first, `loss fell from ${first} to ${last}`);
});

test('forgotten tensors are collected: their native size is reported to V8', async () => {
  const before = liveTensors();
  // 300 tensors of 4 MiB (1.2 GiB in all) with no dispose; the event loop gets turns,
  // so finalisers run when V8 collects under the reported external memory.
  for (let i = 0; i < 300; i++) {
    zeros([1024, 1024]).add_(1);
    if (i % 10 === 0) await nextTurn();
  }
  await nextTurn();
  const alive = liveTensors() - before;
  assert.ok(alive < 150, `${alive} of 300 forgotten tensors still alive`);
});
