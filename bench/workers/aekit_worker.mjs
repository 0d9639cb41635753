// aekit side of the engine benchmark: one workload, one thread setting, one process. Uses the
// compiled library (run `npx tsc -p .` in the repository root first). The thread settings
// come from the environment (AEKIT_NUM_THREADS, OPENBLAS_NUM_THREADS, OMP_WAIT_POLICY), read
// by aekit when it loads its addon. The models are in ../lib/aekit_models.mjs.
import { engineInfo, manualSeed, noGrad, tensor, tidy } from '../../dist/src/engine/index.js';
import { build, trainStep as step } from '../lib/aekit_models.mjs';
import { readFileSync } from 'node:fs';
import { measure, readBatches, serveBursts, statusKB, workerOptions } from '../lib/common.mjs';

const options = workerOptions(process.argv.slice(2));
manualSeed(0); // loads the addon, which applies the thread policy
const info = engineInfo();
const rssStart = statusKB('VmRSS');

// ---- run ---------------------------------------------------------------------------

const { workload, batch } = options;
const batches = readBatches(options.data, options.count, batch, (x) =>
  tensor(x, { shape: [batch, 1, 28, 28] }),
);

const { model, optimizer } = build(workload);
const losses = [];

function trainStep(i) {
  losses.push(step(workload, model, optimizer, batches[i % batches.length]));
}

model.train();
if (options.serve) {
  await serveBursts(trainStep, options);
  process.exit(0);
}
const result = {
  contender: 'aekit',
  workload,
  threads: info.threads,
  batch,
  train: measure(
    trainStep,
    batch,
    options.seconds,
    options.warmupSteps,
    options.warmupSeconds,
    options.minSteps,
  ),
  lossFirst: losses[0],
  lossLast: losses.at(-1),
};

if (options.infer) {
  model.eval();
  const run = (fn) => (i) => noGrad(() => tidy(() => fn(batches[i % batches.length])).dispose());
  const timing = [options.inferSeconds, options.warmupSteps, 0.2, options.minSteps];
  result.reconstruct = measure(
    run((x) => model.forward(x)),
    batch,
    ...timing,
  );
  result.encode = measure(
    run((x) => model.encoder.forward(x)),
    batch,
    ...timing,
  );
}

result.rssStartKB = rssStart;
result.rssPeakKB = statusKB('VmHWM');
const aekitPackage = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url)));
result.versions = {
  aekit: aekitPackage.version,
  torch: info.torchVersion,
  node: process.versions.node,
};
result.env = {
  OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? null,
  OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? null,
  blasThreads: info.blasThreads,
};
console.log(JSON.stringify(result));
