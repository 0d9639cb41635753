/**
 * A learned factorised prior: one univariate density per latent element, the
 * non-parametric model of Balle, Minnen, Singh, Hwang and Johnston, "Variational image
 * compression with a scale hyperprior" (ICLR 2018), section 6.1. Each element's cumulative
 * distribution is a small network that is monotone in its input,
 *
 *   c(x) = sigmoid(f_K(...f_1(x))),  f_k(x) = g_k(softplus(H_k) x + b_k),
 *   g_k(x) = x + tanh(a_k) * tanh(x)  (no g on the last layer),
 *
 * with positive matrices (softplus) and factors above -1 (tanh), so every layer is
 * increasing. The probability of the integer bin around y is c(y + 1/2) - c(y - 1/2),
 * which is also the density of y + u with u uniform on [-1/2, 1/2]: the same expression
 * serves the noisy relaxation in training and the rounded latents at test (Balle, Laparra
 * and Simoncelli, "End-to-end optimized image compression", ICLR 2017).
 */
import { Tensor, cat, full, rand } from '../engine/index.js';
import { Module } from '../nn/index.js';

/** The smallest probability a bin is given, so that rates stay finite (about 30 bits). */
export const LIKELIHOOD_BOUND = 1e-9;

/**
 * One monotone CDF network per latent element, evaluated for all elements at once with
 * batched matrix products.
 */
export class FactorizedDensity extends Module {
  /** Number of latent elements, each with its own density. */
  readonly elements: number;
  /** Widths of the network: [1, ...hidden, 1]. */
  readonly widths: number[];
  private readonly matrices: Tensor[] = [];
  private readonly biases: Tensor[] = [];
  private readonly factors: Tensor[] = [];

  /**
   * @param elements - latent elements (one density each).
   * @param hidden - hidden widths of each network, e.g. [3, 3, 3].
   * @param initScale - the initial densities are spread over about [-initScale, initScale].
   *   The paper's examples start at 10; 1, the size of an untrained model's latents, lets
   *   the rates fall to their working level in a fraction of the steps on small images.
   */
  constructor(elements: number, hidden: number[], initScale = 1) {
    super();
    this.elements = elements;
    this.widths = [1, ...hidden, 1];
    const layers = this.widths.length - 1;
    // Each layer's gain starts at 1/s, so the composed map starts near x / initScale.
    const s = initScale ** (1 / layers);
    for (let k = 0; k < layers; k++) {
      const [fanIn, fanOut] = [this.widths[k], this.widths[k + 1]];
      const weight = 1 / (s * fanIn);
      const raw = Math.log(Math.expm1(weight)); // softplus(raw) = weight
      this.matrices.push(
        this.registerParameter(`matrix${k}`, full([elements, fanOut, fanIn], raw)),
      );
      const uniform = rand([elements, fanOut, 1]);
      this.biases.push(this.registerParameter(`bias${k}`, uniform.sub(0.5))); // U(-1/2, 1/2)
      uniform.dispose();
      if (k + 1 < layers) {
        this.factors.push(this.registerParameter(`factor${k}`, full([elements, fanOut, 1], 0)));
      }
    }
  }

  /** The logit of each element's CDF at `values`: [elements, n] -> [elements, n]. */
  cdfLogits(values: Tensor): Tensor {
    let x = values.unsqueeze(1); // [elements, 1, n]
    const layers = this.matrices.length;
    for (let k = 0; k < layers; k++) {
      x = this.matrices[k].softplus().matmul(x).add(this.biases[k]); // [elements, width, n]
      if (k + 1 < layers) x = x.add(this.factors[k].tanh().mul(x.tanh()));
    }
    return x.squeeze(1); // [elements, n]
  }

  /**
   * The probability of the unit bin around each value, c(v + 1/2) - c(v - 1/2), at least
   * {@link LIKELIHOOD_BOUND}: [elements, n] -> [elements, n]. Computed on whichever side of
   * the median is further from 1, where sigmoids keep their precision.
   */
  binProbabilities(values: Tensor): Tensor {
    const n = values.shape[1];
    const logits = this.cdfLogits(cat([values.sub(0.5), values.add(0.5)], 1)); // [elements, 2n]
    const lower = logits.narrow(1, 0, n);
    const upper = logits.narrow(1, n, n);
    const side = lower.add(upper).sign().neg().detach();
    const p = side.mul(upper).sigmoid().sub(side.mul(lower).sigmoid()).abs();
    return p.clamp(LIKELIHOOD_BOUND, null);
  }

  /** Bits of each sample's latents under the prior: [batch, elements] -> [batch]. */
  bits(latents: Tensor): Tensor {
    const p = this.binProbabilities(latents.t()); // [elements, batch]
    return p
      .log()
      .sum(0)
      .mul(-1 / Math.LN2); // [batch]
  }

  /** {@link bits}. */
  forward(latents: Tensor): Tensor {
    return this.bits(latents);
  }
}
