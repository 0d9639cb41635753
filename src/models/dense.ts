/** Dense autoencoders, optionally sparse. */
import { Tensor } from '../engine/index.js';
import { Sequential } from '../nn/index.js';
import { Autoencoder, LossContext, LossTerms, reconstructionTerm } from './autoencoder.js';
import { DenseConfig } from './config.js';
import { mlp, sizeOf } from './layers.js';

export class DenseAutoencoder extends Autoencoder {
  readonly config: Required<DenseConfig>;
  readonly encoder: Sequential;
  readonly decoder: Sequential;

  constructor(config: Required<DenseConfig>) {
    super();
    this.config = config;
    const sizes = [sizeOf(config.inputShape), ...config.hidden, config.latentDim];
    this.encoder = this.registerModule('encoder', mlp(sizes, config.activation));
    this.decoder = this.registerModule('decoder', mlp([...sizes].reverse(), config.activation));
  }

  encode(x: Tensor): Tensor {
    const code = this.encoder.forward(x.flatten(1)); // [batch, latentDim]
    // A KL sparsity target needs codes in (0, 1), so such codes pass through a sigmoid.
    return this.config.sparsity?.kind === 'kl' ? code.sigmoid() : code;
  }

  decodeRaw(z: Tensor): Tensor {
    return this.decoder.forward(z).reshape([-1, ...this.config.inputShape]);
  }

  lossTerms(x: Tensor, target: Tensor, _context: LossContext): LossTerms {
    const code = this.encode(x);
    const reconstruction = reconstructionTerm(this.decodeRaw(code), target, this.config.likelihood);
    const sparsity = this.config.sparsity;
    if (!sparsity) return { loss: reconstruction.mean(), terms: { reconstruction } };
    let penalty: Tensor; // [batch] so that it averages like the other terms
    if (sparsity.kind === 'l1') {
      penalty = code.abs().sum(1);
    } else {
      // KL(rho || rho_hat) summed over code units, rho_hat the batch-mean activation.
      const rho = sparsity.target;
      const rhoHat = code.mean(0).clamp(1e-6, 1 - 1e-6); // [latentDim]
      const kl = rhoHat
        .reciprocal()
        .mul(rho)
        .log()
        .mul(rho)
        .add(
          rhoHat
            .rsub(1)
            .reciprocal()
            .mul(1 - rho)
            .log()
            .mul(1 - rho),
        )
        .sum();
      penalty = kl.expand(code.shape[0]);
    }
    const loss = reconstruction.add(penalty, sparsity.weight).mean();
    return { loss, terms: { reconstruction, sparsity: penalty } };
  }
}
