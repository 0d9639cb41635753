/**
 * Generation with a VAE, including generation of a chosen kind: encode examples of that
 * kind, fit a Gaussian to their codes (the posterior means), sample codes from it and
 * decode them. A GAN has no encoder, so it cannot do this; a VAE can.
 */
import {
  AekitError,
  Generator,
  Tensor,
  eye,
  linspace,
  noGrad,
  randn,
  tensor,
  tidy,
} from '../engine/index.js';
import { VariationalAutoencoder } from '../models/index.js';

/** A Gaussian over codes: mean [latentDim] and lower Cholesky factor [latentDim, latentDim]. */
export interface CodeGaussian {
  mean: Tensor;
  scaleTril: Tensor;
  /** Number of codes it was fitted to. */
  count: number;
}

/**
 * Fits a full-covariance Gaussian to codes [n, latentDim], with the covariance shrunk
 * slightly towards its diagonal scale (`ridge` x mean variance on the diagonal) so that it
 * stays positive definite for few examples.
 */
export function fitCodeGaussian(codes: Tensor, ridge = 1e-3): CodeGaussian {
  const [n, dim] = codes.shape;
  if (n < 2) {
    throw new AekitError(
      'BAD_INPUT',
      `fitCodeGaussian: codes: expected at least 2 examples, got ${n}`,
    );
  }
  return tidy(() => {
    const mean = codes.mean(0); // [dim]
    const centred = codes.sub(mean); // [n, dim]
    const covariance = centred
      .t()
      .matmul(centred)
      .div(n - 1); // [dim, dim]
    const meanVariance = centred.square().sum().item() / ((n - 1) * dim);
    const regular = covariance.add(eye(dim).mul(meanVariance * ridge + 1e-6));
    return { mean, scaleTril: regular.cholesky(), count: n };
  });
}

/** n codes drawn from a fitted Gaussian: [n, latentDim]. */
export function sampleCodes(gaussian: CodeGaussian, n: number, generator?: Generator): Tensor {
  const dim = gaussian.mean.shape[0];
  return tidy(() => {
    const eps = randn([n, dim], { generator }); // [n, dim]
    return eps.matmul(gaussian.scaleTril.t()).add(gaussian.mean);
  });
}

/** Encodes `examples`, fits their code distribution and decodes `n` samples from it. */
export function generateLike(
  model: VariationalAutoencoder,
  examples: Tensor,
  n: number,
  generator?: Generator,
): Tensor {
  return noGrad(() =>
    tidy(() => {
      const gaussian = fitCodeGaussian(model.encode(examples));
      return model.decode(sampleCodes(gaussian, n, generator));
    }),
  );
}

/** Decodes `steps` codes on the straight line from a's code to b's: [steps, ...]. */
export function interpolate(
  model: VariationalAutoencoder,
  a: Tensor,
  b: Tensor,
  steps: number,
): Tensor {
  return noGrad(() =>
    tidy(() => {
      const za = model.encode(a.unsqueeze(0)); // [1, latentDim]
      const zb = model.encode(b.unsqueeze(0));
      const t = linspace(0, 1, steps).unsqueeze(1); // [steps, 1]
      return model.decode(za.add(zb.sub(za).mul(t)));
    }),
  );
}

/**
 * Decodes a side x side grid over the first two latent dims (others at 0), spaced evenly
 * in probability under the prior, as in Kingma & Welling's figures: [side * side, ...].
 */
export function latentGrid(model: VariationalAutoencoder, side: number, span = 0.95): Tensor {
  return noGrad(() =>
    tidy(() => {
      const dim = model.config.latentDim;
      const quantiles = Array.from({ length: side }, (_, i) =>
        normalQuantile(0.5 - span / 2 + (span * i) / Math.max(side - 1, 1)),
      );
      const codes = new Float32Array(side * side * dim); // [side * side, dim]
      let row = 0;
      for (const y of [...quantiles].reverse()) {
        for (const x of quantiles) {
          codes[row * dim] = x;
          if (dim > 1) codes[row * dim + 1] = y;
          row++;
        }
      }
      return model.decode(tensor(codes, { shape: [side * side, dim] }));
    }),
  );
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.6968302866538, 220.946098424521, -275.928510446969, 138.357751867269, -30.6647980661472,
    2.50662827745924,
  ];
  const b = [
    -54.4760987982241, 161.585836858041, -155.698979859887, 66.8013118877197, -13.2806815528857,
  ];
  const c = [
    -0.00778489400243029, -0.322396458041136, -2.40075827716184, -2.54973253934373,
    4.37466414146497, 2.93816398269878,
  ];
  const d = [0.00778469570904146, 0.32246712907004, 2.445134137143, 3.75440866190742];
  const low = 0.02425;
  if (p <= 0 || p >= 1)
    throw new RangeError(`normalQuantile: p: expected a number in (0, 1), got ${p}`);
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
