// The aekit models of the engine benchmark (bench/README.md), and one training step, shared
// by the aekit worker and the probes. Imports the compiled library from dist/.
import { F, randnLike, tidy } from '../../dist/src/engine/index.js';
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

export class Autoencoder extends Module {
  constructor(encoder, decoder) {
    super();
    this.encoder = this.registerModule('encoder', encoder);
    this.decoder = this.registerModule('decoder', decoder);
  }

  forward(x) {
    return tidy(() => this.decoder.forward(this.encoder.forward(x)));
  }
}

export function mlp() {
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

export function convAe() {
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

export class ConvVae extends Module {
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
export function vaeLoss({ logits, mu, logvar }, x) {
  return tidy(() => {
    const batch = x.shape[0];
    const reconstruction = F.bceWithLogits(logits, x, 'sum');
    return reconstruction.add(F.gaussianKl(mu, logvar).sum()).div(batch);
  });
}

/**
 * A fresh model of `workload` and its Adam optimizer (learning rate 1e-3; op by op when the
 * environment has BENCH_ADAM_FUSED=0, else aekit's default one-pass update).
 */
export function build(workload) {
  const model = workload === 'mlp' ? mlp() : workload === 'conv' ? convAe() : new ConvVae();
  const fused = process.env.BENCH_ADAM_FUSED !== '0';
  return { model, optimizer: new Adam(model.parameters(), { lr: 1e-3, fused }) };
}

/** One training step on batch `x`; returns the loss value. */
export function trainStep(workload, model, optimizer, x) {
  const loss = tidy(() => {
    optimizer.zeroGrad();
    const loss = workload === 'vae' ? vaeLoss(model.forward(x), x) : F.bce(model.forward(x), x);
    loss.backward();
    return loss;
  });
  optimizer.step();
  const value = loss.item();
  loss.dispose();
  return value;
}
