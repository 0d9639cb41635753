/**
 * Gradient clipping, as `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_` in
 * PyTorch 1.13: gradients change in place; parameters without a gradient are skipped.
 */
import { AekitError, Tensor, checkNumber, checkType, noGrad, stack } from '../engine/index.js';
import * as foreach from './foreach.js';

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Throw (code 'NOT_FINITE') when the total norm is NaN or infinite. Default: false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients of `params` so that their total `normType`-norm (taken over all of
 * them as if joined into one vector) is at most `maxNorm`, and returns that total norm as it
 * was before scaling. The factor is `min(1, maxNorm / (norm + 1e-6))`, as in PyTorch.
 *
 * @param params parameters (or one parameter) whose gradients to clip
 * @param maxNorm the largest total norm allowed, >= 0
 * @param normType the p of the p-norm, > 0; `Infinity` for the largest magnitude. Default: 2.
 * @returns the total norm of the gradients before clipping (0 when none has a gradient)
 *
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * optimizer.step();
 */
export function clipGradNorm(
  params: Tensor[] | Tensor,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  checkNumber(maxNorm, 'clipGradNorm: maxNorm', 0);
  checkNumber(normType, 'clipGradNorm: normType');
  if (!(normType > 0)) {
    throw new RangeError(`clipGradNorm: normType: expected a number > 0, got number ${normType}`);
  }
  const grads = gradients(params, 'clipGradNorm');
  if (grads.length === 0) return 0;
  try {
    return noGrad(() => {
      // The norm of the per-gradient norms equals the norm of all elements joined.
      const norms = foreach.norms(grads, normType);
      const joined = stack(norms);
      const totalTensor = normType === Infinity ? joined.max() : joined.norm(normType);
      const total = totalTensor.item();
      for (const tensor of [...norms, joined, totalTensor]) tensor.dispose();

      if (options.errorIfNonfinite && !Number.isFinite(total)) {
        throw new AekitError(
          'NOT_FINITE',
          `clipGradNorm: total gradient norm: expected a finite number, got ${total} ` +
            `(order ${normType})`,
        );
      }

      // PyTorch computes the factor on float32 tensors: max_norm * (1 / (norm + 1e-6)).
      const f = Math.fround;
      const coefficient = Math.min(f(f(1 / f(total + f(1e-6))) * f(maxNorm)), 1);
      foreach.mulScalarInPlace(grads, coefficient);
      return total;
    });
  } finally {
    for (const grad of grads) grad.dispose();
  }
}

/**
 * Clamps every gradient element of `params` to [-clipValue, clipValue], in place.
 *
 * @example
 * clipGradValue(model.parameters(), 0.5);
 */
export function clipGradValue(params: Tensor[] | Tensor, clipValue: number): void {
  checkNumber(clipValue, 'clipGradValue: clipValue', 0);
  const grads = gradients(params, 'clipGradValue');
  try {
    noGrad(() => {
      for (const grad of grads) grad.clamp_(-clipValue, clipValue);
    });
  } finally {
    for (const grad of grads) grad.dispose();
  }
}

/** The gradients of `params` that exist (new handles the caller frees). */
function gradients(params: Tensor[] | Tensor, what: string): Tensor[] {
  const list = params instanceof Tensor ? [params] : params;
  checkType(Array.isArray(list), `${what}: params`, 'a tensor or an array of tensors', params);
  const grads: Tensor[] = [];
  list.forEach((param, i) => {
    if (!(param instanceof Tensor) || param.isDisposed) {
      for (const grad of grads) grad.dispose();
      checkType(false, `${what}: params[${i}]`, 'a live Tensor', param);
    }
    const grad = param.grad;
    if (grad !== null) grads.push(grad);
  });
  return grads;
}
