// aekit side of the engine benchmark: one workload, one thread setting, one process. Uses the
// compiled library (run `npx tsc -p .` in the repository root first). The thread settings
// come from the environment (AEKIT_NUM_THREADS, OPENBLAS_NUM_THREADS, OMP_WAIT_POLICY), read
// by aekit when it loads its addon. The models are the ones bench/README.md lists.
import {
  F,
  engineInfo,
  manualSeed,
  noGrad,
  randnLike,
  tensor,
  tidy,
} from '../../dist/src/engine/index.js';
import {
  Conv2d,
  ConvTranspose2d,
  Flatten,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
  Sigmoid,
  Unflatten,
  Upsample,
} from '../../dist/src/nn/index.js';
import { Adam } from '../../dist/src/optim/index.js';
import { readFileSync } from 'node:fs';
import { measure, readImages, statusKB, workerOptions } from '../lib/common.mjs';

const options = workerOptions(process.argv.slice(2));
manualSeed(0); // loads the addon, which applies the thread policy
const info = engineInfo();
const rssStart = statusKB('VmRSS');

// ---- models (bench/README.md) ------------------------------------------------------

class Autoencoder extends Module {
  constructor(encoder, decoder) {
    super();
    this.encoder = this.registerModule('encoder', encoder);
    this.decoder = this.registerModule('decoder', decoder);
  }

  forward(x) {
    return tidy(() => this.decoder.forward(this.encoder.forward(x)));
  }
}

function mlp() {
  return new Autoencoder(
    new Sequential(
      new Flatten(),
      new Linear(784, 256),
      new ReLU(),
      new Linear(256, 32),
      new ReLU(),
    ),
    new Sequential(
      new Linear(32, 256),
      new ReLU(),
      new Linear(256, 784),
      new Sigmoid(),
      new Unflatten(1, [1, 28, 28]),
    ),
  );
}

function convAe() {
  const conv = (inChannels, outChannels) => new Conv2d(inChannels, outChannels, 3, { padding: 1 });
  return new Autoencoder(
    new Sequential(
      conv(1, 32),
      new ReLU(),
      new MaxPool2d(2), // [B, 32, 14, 14]
      conv(32, 32),
      new ReLU(),
      new MaxPool2d(2), // [B, 32, 7, 7]
    ),
    new Sequential(
      conv(32, 32),
      new ReLU(),
      new Upsample({ scaleFactor: 2 }), // 14
      conv(32, 32),
      new ReLU(),
      new Upsample({ scaleFactor: 2 }), // 28
      conv(32, 1),
      new Sigmoid(),
    ),
  );
}

class ConvVae extends Module {
  constructor(latent = 16) {
    super();
    const down = { stride: 2, padding: 1 };
    const up = { stride: 2, padding: 1, outputPadding: 1 };
    this.encoder = this.registerModule(
      'encoder',
      new Sequential(
        new Conv2d(1, 32, 3, down), // [B, 32, 14, 14]
        new ReLU(),
        new Conv2d(32, 64, 3, down), // [B, 64, 7, 7]
        new ReLU(),
        new Flatten(),
      ),
    );
    this.mu = this.registerModule('mu', new Linear(64 * 7 * 7, latent));
    this.logvar = this.registerModule('logvar', new Linear(64 * 7 * 7, latent));
    this.decoderInput = this.registerModule('decoder_input', new Linear(latent, 64 * 7 * 7));
    this.decoder = this.registerModule(
      'decoder',
      new Sequential(
        new ReLU(),
        new Unflatten(1, [64, 7, 7]),
        new ConvTranspose2d(64, 32, 3, up), // [B, 32, 14, 14]
        new ReLU(),
        new ConvTranspose2d(32, 1, 3, up), // logits [B, 1, 28, 28]
      ),
    );
  }

  forward(x) {
    return tidy(() => {
      const h = this.encoder.forward(x);
      const mu = this.mu.forward(h);
      const logvar = this.logvar.forward(h); // [B, latent]
      const z = mu.add(logvar.mul(0.5).exp().mul(randnLike(mu)));
      return { logits: this.decoder.forward(this.decoderInput.forward(z)), mu, logvar };
    });
  }
}

/** Bernoulli negative log-likelihood summed per sample plus Gaussian KL, batch mean. */
function vaeLoss({ logits, mu, logvar }, x) {
  return tidy(() => {
    const batch = x.shape[0];
    const reconstruction = F.bceWithLogits(logits, x, 'sum');
    return reconstruction.add(F.gaussianKl(mu, logvar).sum()).div(batch);
  });
}

// ---- run ---------------------------------------------------------------------------

const { workload, batch } = options;
const images = readImages(options.data, options.count);
const batches = [];
for (let start = 0; start + batch <= options.count; start += batch) {
  const slice = images.subarray(start * 784, (start + batch) * 784);
  batches.push(tensor(slice, { shape: [batch, 1, 28, 28] }));
}

const model = workload === 'mlp' ? mlp() : workload === 'conv' ? convAe() : new ConvVae();
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const losses = [];

function trainStep(i) {
  const x = batches[i % batches.length];
  const loss = tidy(() => {
    optimizer.zeroGrad();
    const loss = workload === 'vae' ? vaeLoss(model.forward(x), x) : F.bce(model.forward(x), x);
    loss.backward();
    return loss;
  });
  optimizer.step();
  losses.push(loss.item());
  loss.dispose();
}

model.train();
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
