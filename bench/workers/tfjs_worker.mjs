// TensorFlow.js side of the engine benchmark, on its WASM backend: one workload, one process.
// The models are the ones bench/README.md lists (NHWC here; with one channel the bytes of
// a batch are the same as the NCHW batches of the other contenders). Prints one JSON object.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { measure, readBatches, statusKB, workerOptions } from '../lib/common.mjs';

const options = workerOptions(process.argv.slice(2));
const require = createRequire(import.meta.url);
const wasmDir = dirname(
  require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
);

// tfjs 4.22 turns its multithreaded WASM off under Node (WASM_HAS_MULTITHREAD_SUPPORT is
// false when IS_NODE); forcing the flag on fails, because its pthread workers are started
// from blob: URLs that Node's Worker refuses. So this is the SIMD build on one thread.
setWasmPaths(`${wasmDir}/`);
await tf.setBackend('wasm');
await tf.ready();
const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
const threadsFlag = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
const rssStart = statusKB('VmRSS');

// ---- models (bench/README.md) ------------------------------------------------------

const L = tf.layers;

function mlp() {
  const encoder = tf.sequential({
    layers: [
      L.flatten({ inputShape: [28, 28, 1] }),
      L.dense({ units: 256, activation: 'relu' }),
      L.dense({ units: 32, activation: 'relu' }),
    ],
  });
  const decoder = tf.sequential({
    layers: [
      L.dense({ inputShape: [32], units: 256, activation: 'relu' }),
      L.dense({ units: 784, activation: 'sigmoid' }),
      L.reshape({ targetShape: [28, 28, 1] }),
    ],
  });
  return { encoder, decoder };
}

function convAe() {
  const conv = (filters, activation, extra = {}) =>
    L.conv2d({ filters, kernelSize: 3, padding: 'same', activation, ...extra });
  const encoder = tf.sequential({
    layers: [
      conv(32, 'relu', { inputShape: [28, 28, 1] }),
      L.maxPooling2d({ poolSize: 2 }), // [B, 14, 14, 32]
      conv(32, 'relu'),
      L.maxPooling2d({ poolSize: 2 }), // [B, 7, 7, 32]
    ],
  });
  const decoder = tf.sequential({
    layers: [
      conv(32, 'relu', { inputShape: [7, 7, 32] }),
      L.upSampling2d({ size: [2, 2] }), // 14
      conv(32, 'relu'),
      L.upSampling2d({ size: [2, 2] }), // 28
      conv(1, 'sigmoid'),
    ],
  });
  return { encoder, decoder };
}

function convVae(latent = 16) {
  const encoder = tf.sequential({
    layers: [
      L.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
      }), // [B, 14, 14, 32]
      L.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      L.flatten(), // [B, 3136]
    ],
  });
  const mu = tf.sequential({ layers: [L.dense({ inputShape: [3136], units: latent })] });
  const logvar = tf.sequential({ layers: [L.dense({ inputShape: [3136], units: latent })] });
  const decoder = tf.sequential({
    layers: [
      L.dense({ inputShape: [latent], units: 3136, activation: 'relu' }),
      L.reshape({ targetShape: [7, 7, 64] }),
      L.conv2dTranspose({
        filters: 32,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
      }), // [B, 14, 14, 32]
      L.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same' }), // logits
    ],
  });
  return { encoder, mu, logvar, decoder };
}

/** Mean binary cross-entropy of probabilities, clamped as PyTorch does (log >= -100). */
function bce(p, x) {
  const logP = tf.maximum(tf.log(p), -100);
  const log1mP = tf.maximum(tf.log(tf.sub(1, p)), -100);
  return tf.neg(tf.mean(tf.add(tf.mul(x, logP), tf.mul(tf.sub(1, x), log1mP))));
}

/** Bernoulli negative log-likelihood from logits summed per sample, plus Gaussian KL. */
function vaeLoss(logits, x, mu, logvar) {
  const batch = x.shape[0];
  // max(l, 0) - l * x + log(1 + exp(-|l|)), the stable form of BCE with logits.
  const nll = tf.sum(
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
  );
  // Kingma & Welling (2014), appendix B.
  const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))));
  return tf.div(tf.add(nll, kl), batch);
}

// ---- run ---------------------------------------------------------------------------

const { workload, batch } = options;
const batches = readBatches(options.data, options.count, batch, (x) =>
  tf.tensor4d(x, [batch, 28, 28, 1]),
);

tf.randomUniform([1]).dispose(); // no seed API for layers' initialisers; values do not matter
const parts = workload === 'mlp' ? mlp() : workload === 'conv' ? convAe() : convVae();
const optimizer = tf.train.adam(1e-3);
const losses = [];

function forwardLoss(x) {
  if (workload !== 'vae') return bce(parts.decoder.apply(parts.encoder.apply(x)), x);
  const h = parts.encoder.apply(x);
  const mu = parts.mu.apply(h);
  const logvar = parts.logvar.apply(h); // [B, latent]
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logvar)), tf.randomNormal(mu.shape)));
  return vaeLoss(parts.decoder.apply(z), x, mu, logvar);
}

function trainStep(i) {
  const x = batches[i % batches.length];
  const loss = optimizer.minimize(() => forwardLoss(x), true);
  losses.push(loss.dataSync()[0]);
  loss.dispose();
}

const result = { contender: 'tfjs-wasm', workload, threads: getThreadsCount(), batch };
try {
  result.train = measure(
    trainStep,
    batch,
    options.seconds,
    options.warmupSteps,
    options.warmupSeconds,
    options.minSteps,
  );
  result.lossFirst = losses[0];
  result.lossLast = losses.at(-1);
} catch (error) {
  // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: conv training cannot run.
  result.trainError = error.message.split('\n')[0];
}

if (options.infer) {
  const run = (model) => (i) => tf.tidy(() => model(batches[i % batches.length])).dispose();
  const reconstruct = run((x) => parts.decoder.predict(parts.encoder.predict(x)));
  const encode = run((x) => parts.encoder.predict(x));
  const timing = [options.inferSeconds, options.warmupSteps, 0.2, options.minSteps];
  result.reconstruct = measure(reconstruct, batch, ...timing);
  result.encode = measure(encode, batch, ...timing);
}

result.rssStartKB = rssStart;
result.rssPeakKB = statusKB('VmHWM');
result.versions = { tfjs: tf.version.tfjs, node: process.versions.node };
result.wasm = { simd, multithread: threadsFlag };
console.log(JSON.stringify(result));
