// One seed makes a training run repeatable on the same machine and thread count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Tensor, manualSeed, noGrad, rand, randn, tidy } from '../../src/engine/index.js';

function train(seed: number): number[] {
  manualSeed(seed);
  const p = (...shape: number[]): Tensor => randn(shape).mul(0.2).requiresGrad_(true);
  const params = [p(6, 12), p(6), p(12, 6), p(12)];
  const data = rand([64, 12]);
  const losses: number[] = [];
  for (let epoch = 0; epoch < 20; epoch++) {
    losses.push(
      tidy(() => {
        const [w1, b1, w2, b2] = params;
        // dropout draws from the global generator, so the seed must cover it too
        const code = F.dropout(F.linear(data, w1, b1).relu(), 0.2, true);
        const loss = F.mseLoss(F.linear(code, w2, b2), data);
        loss.backward();
        noGrad(() => {
          for (const w of params) {
            w.sub_(w.grad as Tensor, 0.1);
            w.grad = null;
          }
        });
        return loss.item();
      }),
    );
  }
  for (const w of params) w.dispose();
  return losses;
}

test('the same seed gives the same losses; another seed does not', () => {
  const a = train(7);
  const b = train(7);
  const c = train(8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a[a.length - 1] < a[0]);
});
