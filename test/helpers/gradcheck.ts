/**
 * Finite-difference gradient checks. For f(inputs) the check forms the scalar
 * L = sum(f(inputs) * w) with fixed random weights w, computes dL/dx by autograd, and
 * compares it with central differences (L(x + e) - L(x - e)) / 2e on every element, in
 * float64 so that the differences are accurate to about 1e-9.
 */
import { Tensor, manualSeed, noGrad, randn, tensor, tidy } from '../../src/engine/index.js';

export interface GradcheckOptions {
  /** Step of the central difference. Default 1e-6. */
  eps?: number;
  /** Allowed |analytic - numeric| <= atol + rtol * |numeric|. Defaults 1e-6 and 1e-5. */
  atol?: number;
  rtol?: number;
  /** Reseeds the global generator before each evaluation (for dropout). */
  seed?: number;
}

/** Returns the largest error found; throws with a description when a check fails. */
export function gradcheck(
  name: string,
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): number {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 1e-5;
  return tidy(() => {
    const leaves = inputs.map((x) => x.to('float64').detach().requiresGrad_(true));
    const evaluate = (xs: Tensor[]): Tensor => {
      if (options.seed !== undefined) manualSeed(options.seed);
      return f(...xs);
    };
    const out = evaluate(leaves);
    manualSeed(12345);
    const weights = randn(out.shape, { dtype: 'float64' });
    const loss = (xs: Tensor[]): number => evaluate(xs).mul(weights).sum().item();
    evaluate(leaves).mul(weights).sum().backward();

    let worst = 0;
    leaves.forEach((leaf, which) => {
      const analytic = leaf.grad ? (leaf.grad.toArray() as Float64Array) : null;
      const base = leaf.toArray() as Float64Array;
      const shape = leaf.shape;
      for (let i = 0; i < base.length; i++) {
        const shifted = (delta: number): number =>
          noGrad(() => {
            const values = Float64Array.from(base);
            values[i] += delta;
            const moved = tensor(values, { shape, dtype: 'float64' });
            const xs = leaves.map((x, j) => (j === which ? moved : x.detach()));
            return loss(xs);
          });
        const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
        const got = analytic ? analytic[i] : 0;
        const error = Math.abs(got - numeric);
        worst = Math.max(worst, error);
        if (error > atol + rtol * Math.abs(numeric)) {
          throw new Error(
            `${name}: gradient of input ${which} element ${i}: autograd ${got}, ` +
              `finite difference ${numeric}`,
          );
        }
      }
    });
    return worst;
  });
}
