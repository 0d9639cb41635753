// The encoder-side search (refineLatents): it lowers each image's cost or keeps the
// transform's latents, writes files that decode with the same model, leaves the model as it
// was, and refuses bad settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ImageCodec,
  LATENT_LIMIT,
  buildCodingTables,
  refineLatents,
} from '../../src/codec/index.js';
import { liveTensors, tensor, tidy } from '../../src/engine/index.js';
import { digits, tinyModel } from './helpers.js';

const { images, count } = await digits(200);
const model = tinyModel(images, count);
const tables = buildCodingTables(model);
const plain = new ImageCodec(model, tables, { valueRange: [0, 1] });
const searching = new ImageCodec(model, tables, { valueRange: [0, 1], refineSteps: 30 });

/** lambda * squared error + bits of each image coded with `symbols`, from the decoded file. */
function costs(symbols: Int32Array): number[] {
  const bytes = plain.pack(symbols, count).bytes;
  const decoded = plain.decompress(bytes, 'searched.aez');
  const lambda = model.config.lambda;
  const bits = plain.encodeRecords(symbols, count).map((r) => 8 * r.length);
  return bits.map((b, i) => {
    let error = 0;
    for (let j = i * 784; j < (i + 1) * 784; j++) error += (decoded.images[j] - images[j]) ** 2;
    return lambda * error + b;
  });
}

test('the search lowers the mean cost, never raises an image’s, and decodes as any file', () => {
  const before = liveTensors();
  const weights = tidy(() => Object.values(model.stateDict()).map((t) => t.toFloat32Array()));
  const refined = searching.refined(images, count);
  for (let i = 0; i < count; i++) assert.ok(refined.cost[i] <= refined.startCost[i]);
  const mean = (values: ArrayLike<number>): number =>
    Array.from(values).reduce((a, b) => a + b, 0) / values.length;
  // On the model's measure, and on the real file: coded bytes and decoded pixels.
  assert.ok(mean(refined.cost) < 0.97 * mean(refined.startCost));
  assert.ok(mean(costs(refined.symbols)) < mean(costs(plain.latents(images, count))));
  // compress() uses the search; the file decodes to exactly the integers it holds.
  const file = searching.compress(images, [count, 1, 28, 28]);
  assert.deepEqual(file.symbols, refined.symbols);
  assert.deepEqual(plain.decompress(file.bytes, 'searched.aez').symbols, refined.symbols);
  // The model is as it was: weights, and which of them train.
  const after = tidy(() => Object.values(model.stateDict()).map((t) => t.toFloat32Array()));
  assert.deepEqual(after, weights);
  assert.ok(model.parameters().every((p) => p.requiresGrad));
  assert.equal(liveTensors(), before);
});

test('zero steps keep the analysis transform’s own latents', () => {
  const refined = plain.refined(images, count, 0);
  assert.deepEqual(refined.symbols, plain.latents(images, count));
  assert.deepEqual(refined.cost, refined.startCost);
});

test('bad search settings are refused', () => {
  assert.throws(
    () => new ImageCodec(model, tables, { refineSteps: -1 }),
    /refineSteps: expected an integer >= 0, got -1/,
  );
  assert.throws(
    () => new ImageCodec(model, tables, { refineSteps: 2.5 }),
    /refineSteps: expected an integer >= 0, got 2.5/,
  );
  const x = tensor(images.subarray(0, 784), { shape: [1, 1, 28, 28] });
  assert.throws(
    () => refineLatents(model, x, { steps: 3, learningRate: 0, limit: LATENT_LIMIT }),
    /learningRate: expected a positive number, got 0/,
  );
  assert.throws(
    () => refineLatents(model, x, { steps: Number.NaN, limit: LATENT_LIMIT }),
    /steps: expected an integer >= 0, got NaN/,
  );
  x.dispose();
  const nan = images.slice(0, 784);
  nan[3] = Number.NaN;
  assert.throws(() => searching.refined(nan, 1), /expected finite values, got NaN in image 0/);
});
