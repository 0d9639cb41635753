// aekit side of the quality benchmark: one task, one process. Trains with aekit's own trainer
// (`train`) on data read by aekit's loaders, evaluates on the held-out images, and prints one
// JSON object. The thread settings come from the environment (AEKIT_NUM_THREADS,
// OPENBLAS_NUM_THREADS, OMP_WAIT_POLICY), read when aekit loads its addon; bench/quality.mjs
// sets them. Usage: node aekit_quality.mjs '<spec as JSON>' (quality.mjs writes the spec).
import { readFileSync } from 'node:fs';
import {
  Generator,
  buildModel,
  engineInfo,
  evaluateLoss,
  importanceWeightedBound,
  manualSeed,
  noGrad,
  tensor,
  tidy,
  train,
} from '../../dist/src/index.js';
import { checksum, fashionSplit, mnistSplit } from './data.mjs';

const spec = JSON.parse(process.argv[2]);
manualSeed(spec.seed); // loads the addon (which applies the thread policy) and seeds the init
const info = engineInfo();
const PIXELS = 784;

// ---- data ---------------------------------------------------------------------------

const { train: trainSet, test: testSet } =
  spec.data === 'mnist' ? await mnistSplit() : await fashionSplit(spec.limits);

// ---- model and training -------------------------------------------------------------

manualSeed(spec.seed);
const model = buildModel(spec.config);
const epochs = [];
let firstLoss = null;
let usageMark = process.resourceUsage();
let wallMark = performance.now();

function onEvent(event) {
  if (event.type === 'batch' && event.epoch === 0 && event.batch === 1) firstLoss = event.loss;
  if (event.type === 'batch' && event.batch === event.batches) {
    // The trainer's own rate over the epoch's steps, before any per-epoch extras.
    epochs.push({
      epoch: event.epoch,
      loss: event.loss,
      samplesPerSecond: event.samplesPerSecond,
      trainSeconds: trainSet.shape[0] / event.samplesPerSecond,
      ...usageSince(usageMark),
      load: loadAverage(),
    });
  }
  if (event.type === 'epoch') {
    process.stderr.write(
      `aekit ${spec.task} epoch ${event.record.epoch + 1}: loss ${event.record.train.loss}\n`,
    );
    epochs.at(-1).terms = event.record.train.terms;
    epochs.at(-1).epochSeconds = (performance.now() - wallMark) / 1000;
    usageMark = process.resourceUsage();
    wallMark = performance.now();
  }
}

const started = performance.now();
const summary = train(model, trainSet, {
  epochs: spec.epochs,
  batchSize: spec.batchSize,
  learningRate: spec.learningRate,
  seed: spec.seed,
  eventEvery: 1,
  onEvent,
});
const trainWallSeconds = (performance.now() - started) / 1000;

// ---- evaluation ---------------------------------------------------------------------

const evalStarted = performance.now();
const testInputs = tensor(testSet.data, { shape: testSet.shape });
const evaluation = { testCount: testSet.shape[0] };
if (spec.evaluate === 'bce') {
  const heldOut = evaluateLoss(model, testInputs, spec.evalBatch, 0, spec.seed);
  evaluation.bcePerPixel = heldOut.terms.reconstruction / PIXELS;
} else if (spec.evaluate === 'vae') {
  const heldOut = evaluateLoss(model, testInputs, spec.evalBatch, 0, spec.seed);
  evaluation.negativeElboOneSample = heldOut.loss;
  evaluation.reconstruction = heldOut.terms.reconstruction;
  evaluation.kl = heldOut.terms.kl;
  Object.assign(evaluation, importanceBounds(testInputs, spec.iwae));
}
testInputs.dispose();
const evalSeconds = (performance.now() - evalStarted) / 1000;

/** -ELBO and -L_k on the first `count` test images, k draws each from a seeded generator. */
function importanceBounds(inputs, { k, count, batch, seed }) {
  const n = Math.min(count, inputs.shape[0]);
  const generator = new Generator(seed);
  const logWeights = new Float64Array(n * k);
  model.eval();
  noGrad(() => {
    for (let start = 0; start < n; start += batch) {
      const size = Math.min(batch, n - start);
      const weights = tidy(() =>
        model.logImportanceWeights(inputs.narrow(0, start, size), k, generator).toFloat32Array(),
      ); // [size * k]
      logWeights.set(weights, start * k);
    }
  });
  const bound = importanceWeightedBound(logWeights, { shape: [n, k] });
  return { iwaeCount: n, k, negativeElbo: -bound.elbo, negativeIwae: -bound.mean };
}

// ---- report -------------------------------------------------------------------------

const aekitPackage = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url)));
console.log(
  JSON.stringify({
    contender: 'aekit',
    task: spec.task,
    threads: info.threads,
    blasThreads: info.blasThreads,
    ompWaitPolicy: info.ompWaitPolicy ?? null,
    counts: { train: trainSet.shape[0], test: testSet.shape[0] },
    checksums: { train: checksum(trainSet.data), test: checksum(testSet.data) },
    firstLoss,
    epochs,
    trainWallSeconds,
    evaluation,
    evalSeconds,
    warnings: summary.warnings,
    versions: {
      aekit: aekitPackage.version,
      libtorch: info.torchVersion,
      node: process.versions.node,
    },
  }),
);

/** CPU time, kernel time, minor page faults and context switches since `mark`. */
function usageSince(mark) {
  const now = process.resourceUsage();
  const cpu = (u) => u.userCPUTime + u.systemCPUTime;
  return {
    cpuSeconds: (cpu(now) - cpu(mark)) / 1e6,
    systemSeconds: (now.systemCPUTime - mark.systemCPUTime) / 1e6,
    minorFaults: now.minorPageFault - mark.minorPageFault,
    contextSwitches: {
      voluntary: now.voluntaryContextSwitches - mark.voluntaryContextSwitches,
      involuntary: now.involuntaryContextSwitches - mark.involuntaryContextSwitches,
    },
  };
}

function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}
