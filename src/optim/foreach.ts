/**
 * Typed calls to libtorch's multi-tensor (`_foreach`) operators, which update a whole list
 * of tensors in one native call. On CPU each runs the same per-tensor kernel as the
 * single-tensor operator, element for element, so results match PyTorch's single-tensor
 * optimizers exactly while the cost of crossing into native code is paid once per list.
 * Internal to src/optim; lists must be non-empty and of equal length.
 */
import { OPS, Tensor, callInPlace, callOp, wrap } from '../engine/index.js';
import type { TensorHandle } from '../engine/native.js';

const handles = (list: Tensor[]): TensorHandle[] => list.map((t) => t.handle);

/** `self[i] += alpha * other[i]`. */
export function addInPlace(self: Tensor[], other: Tensor[], alpha = 1): void {
  callInPlace(OPS.foreachAddInPlace, [handles(self), handles(other), alpha]);
}

/** `out[i] = a[i] + alpha * b[i]`. */
export function addOut(a: Tensor[], b: Tensor[], alpha: number, out: Tensor[]): void {
  callInPlace(OPS.foreachAddOut, [handles(a), handles(b), alpha, handles(out)]);
}

/** `self[i] += value`. */
export function addScalarInPlace(self: Tensor[], value: number): void {
  callInPlace(OPS.foreachAddScalarInPlace, [handles(self), value]);
}

/** `self[i] *= value`. */
export function mulScalarInPlace(self: Tensor[], value: number): void {
  callInPlace(OPS.foreachMulScalarInPlace, [handles(self), value]);
}

/** `self[i] /= value`. */
export function divScalarInPlace(self: Tensor[], value: number): void {
  callInPlace(OPS.foreachDivScalarInPlace, [handles(self), value]);
}

/** `self[i] += value * a[i] * b[i]`. */
export function addcmulInPlace(self: Tensor[], a: Tensor[], b: Tensor[], value: number): void {
  callInPlace(OPS.foreachAddcmulInPlace, [handles(self), handles(a), handles(b), value]);
}

/** `self[i] += value * a[i] / b[i]`. */
export function addcdivInPlace(self: Tensor[], a: Tensor[], b: Tensor[], value: number): void {
  callInPlace(OPS.foreachAddcdivInPlace, [handles(self), handles(a), handles(b), value]);
}

/** `self[i] = max(self[i], other[i])`, elementwise. */
export function maximumInPlace(self: Tensor[], other: Tensor[]): void {
  callInPlace(OPS.foreachMaximumInPlace, [handles(self), handles(other)]);
}

/** `out[i] = sqrt(a[i])`. */
export function sqrtOut(a: Tensor[], out: Tensor[]): void {
  callInPlace(OPS.foreachSqrtOut, [handles(a), handles(out)]);
}

/** `out[i] = -a[i]`. */
export function negOut(a: Tensor[], out: Tensor[]): void {
  callInPlace(OPS.foreachNegOut, [handles(a), handles(out)]);
}

/** The `order`-norm of each tensor, as new scalar tensors that the caller owns. */
export function norms(a: Tensor[], order: number): Tensor[] {
  return callOp<TensorHandle[]>(OPS.foreachNorm, [handles(a), order]).map(wrap);
}
