/**
 * Optimizer updates that the addon runs in one pass over memory (native/optim.cc), for the
 * optimizers in src/optim. libtorch 1.13 has no fused CPU kernel of its own for these.
 */
import { native } from './native.js';
import { nativeCall } from './op.js';
import type { Tensor } from './tensor.js';

/** The scalars of one fused Adam update, shared by every tensor in it. */
export interface FusedAdamScalars {
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 penalty added to the gradient (Adam); 0 for none. */
  weightDecay: number;
  /** Factor the parameters are scaled by first (AdamW's `1 - lr * weightDecay`); 1 for none. */
  decay: number;
  maximize: boolean;
}

/**
 * One Adam (or AdamW) update of every `params[i]` in place, with its moment buffers: the
 * arithmetic of PyTorch's single-tensor Adam per element, in one pass. `stepSizes[i]` is
 * `lr / (1 - beta1^step)` and `biasCorrection2Sqrts[i]` is `sqrt(1 - beta2^step)` for that
 * parameter's step count. Returns false, having changed nothing, unless every parameter is
 * a float32 or float64 CPU tensor in one dense block whose moment buffers share its dtype,
 * shape and layout; the caller then updates op by op.
 */
export function fusedAdamStep(
  params: Tensor[],
  grads: Tensor[],
  expAvgs: Tensor[],
  expAvgSqs: Tensor[],
  maxExpAvgSqs: Tensor[] | null,
  stepSizes: number[],
  biasCorrection2Sqrts: number[],
  scalars: FusedAdamScalars,
): boolean {
  const handles = (list: Tensor[]) => list.map((t) => t.handle);
  return nativeCall(() =>
    native().adamStep(
      handles(params),
      handles(grads),
      handles(expAvgs),
      handles(expAvgSqs),
      maxExpAvgSqs === null ? null : handles(maxExpAvgSqs),
      stepSizes,
      biasCorrection2Sqrts,
      scalars,
    ),
  );
}
