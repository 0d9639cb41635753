/**
 * The Tensor: a handle to a libtorch tensor with PyTorch's methods. Every method returns a
 * new tensor (methods ending in `_` change this one in place and return it). A tensor owns
 * native memory until {@link Tensor.dispose} or the end of an enclosing `tidy()`; garbage
 * collection frees a forgotten one eventually, as a backstop only.
 */
import { AekitError, checkInteger, checkType, describe, invalid } from './errors.js';
import {
  DType,
  TypedArrayFor,
  dtypeOfScalarType,
  isDType,
  isFloating,
  scalarTypeOf,
} from './dtype.js';
import { TensorHandle, native } from './native.js';
import { Op, callInPlace, callOp, nativeCall } from './op.js';
import { OPS } from './ops.js';
import { Disposable, track } from './scope.js';

/** A device name: `cpu`, or `cuda` / `cuda:N` when libtorch is a CUDA build. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** Dimensions: one axis or several. Negative numbers count from the end, as in PyTorch. */
export type Dims = number | number[];

/** Loss reductions, as in PyTorch. */
export type Reduction = 'none' | 'mean' | 'sum';

const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** libtorch's reduction number for a reduction name. */
export function reductionCode(reduction: Reduction): number {
  const code = REDUCTION[reduction];
  if (code === undefined)
    throw new TypeError(invalid('reduction', "'none', 'mean' or 'sum'", reduction));
  return code;
}

export class Tensor implements Disposable {
  /** The native handle. Internal: use the methods. */
  readonly handle: TensorHandle;
  private disposedFlag = false;

  /** Wraps a native handle; library code only. */
  constructor(handle: TensorHandle) {
    this.handle = handle;
    track(this);
  }

  // ---- metadata --------------------------------------------------------------------

  /** Sizes of each dimension. */
  get shape(): number[] {
    return nativeCall(() => native().shape(this.handle));
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get dtype(): DType {
    return dtypeOfScalarType(nativeCall(() => native().scalarType(this.handle)));
  }

  get device(): string {
    return nativeCall(() => native().meta(this.handle))[2];
  }

  /** Whether autograd records operations on this tensor. */
  get requiresGrad(): boolean {
    return nativeCall(() => native().meta(this.handle))[3];
  }

  set requiresGrad(value: boolean) {
    checkType(typeof value === 'boolean', 'requiresGrad', 'a boolean', value);
    nativeCall(() => native().setRequiresGrad(this.handle, value));
  }

  /** Sets {@link requiresGrad} and returns this tensor. */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** Whether this tensor was created by the user rather than by a recorded operation. */
  get isLeaf(): boolean {
    return nativeCall(() => native().isLeaf(this.handle));
  }

  /** The accumulated gradient, or null. Each read makes a new handle to the same values. */
  get grad(): Tensor | null {
    const handle = nativeCall(() => native().grad(this.handle));
    return handle === null ? null : new Tensor(handle);
  }

  set grad(value: Tensor | null) {
    nativeCall(() => native().setGrad(this.handle, value === null ? null : value.handle));
  }

  /**
   * Gives this tensor the values, dtype and device of `source` in place, keeping its
   * identity, `requiresGrad` and the handles that hold it, as PyTorch's `tensor.data =
   * source`. `source` stays valid and separate. Library code: `Module.to` uses it.
   */
  setData_(source: Tensor): this {
    checkType(source instanceof Tensor, 'setData_: source', 'a Tensor', source);
    nativeCall(() => native().setData(this.handle, source.handle));
    return this;
  }

  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Frees the native memory now. Safe to call more than once. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    native().dispose(this.handle);
  }

  toString(): string {
    if (this.disposedFlag) return 'Tensor(disposed)';
    const [shape, code, device, grad] = native().meta(this.handle);
    const extra = grad ? ', requiresGrad' : '';
    return `Tensor([${shape.join(', ')}], ${dtypeOfScalarType(code)}, ${device}${extra})`;
  }

  // ---- values ----------------------------------------------------------------------

  /** A copy of the values, in row-major order, in the typed array of this dtype. */
  toArray(): TypedArrayFor[DType] {
    const dtype = this.dtype;
    if (dtype === 'bfloat16' || dtype === 'float16') {
      const float = this.to('float32');
      try {
        return float.toArray();
      } finally {
        float.dispose();
      }
    }
    const buffer = nativeCall(() => native().toBuffer(this.handle));
    switch (dtype) {
      case 'float32':
        return new Float32Array(buffer);
      case 'float64':
        return new Float64Array(buffer);
      case 'int64':
        return new BigInt64Array(buffer);
      case 'int32':
        return new Int32Array(buffer);
      default:
        return new Uint8Array(buffer);
    }
  }

  /** The values as float32, converting if needed. */
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return this.toArray() as Float32Array;
    const float = this.to('float32');
    try {
      return float.toArray() as Float32Array;
    } finally {
      float.dispose();
    }
  }

  /** The values as plain numbers (int64 values beyond 2^53 lose precision). */
  toNumbers(): number[] {
    const values = this.toArray();
    return Array.from(values as ArrayLike<number | bigint>, Number);
  }

  /** The value of a one-element tensor. */
  item(): number {
    const value = nativeCall(() => native().item(this.handle));
    return typeof value === 'boolean' ? Number(value) : value;
  }

  // ---- autograd --------------------------------------------------------------------

  /** Computes gradients of this tensor (a scalar, unless `gradient` is given). */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    nativeCall(() =>
      native().backward(
        this.handle,
        gradient ? gradient.handle : null,
        options.retainGraph ?? false,
      ),
    );
  }

  /** A tensor sharing these values, outside the autograd graph. */
  detach(): Tensor {
    return unary(OPS.detach, this);
  }

  // ---- conversion ------------------------------------------------------------------

  /** Converts to a dtype or moves to a device (a copy only when something changes). */
  to(target: DType | Device): Tensor {
    if (isDType(target)) {
      return wrap(callOp(OPS.toDtype, [this.handle, scalarTypeOf(target)]));
    }
    checkType(typeof target === 'string', 'to', 'a dtype or a device name', target);
    return wrap(callOp(OPS.toDevice, [this.handle, target, scalarTypeOf(this.dtype)]));
  }

  float(): Tensor {
    return this.to('float32');
  }

  long(): Tensor {
    return this.to('int64');
  }

  clone(): Tensor {
    return unary(OPS.clone, this);
  }

  contiguous(): Tensor {
    return unary(OPS.contiguous, this);
  }

  // ---- arithmetic (broadcasting) ---------------------------------------------------

  add(other: Tensor | number, alpha = 1): Tensor {
    return binary(OPS.add, OPS.addScalar, this, other, [alpha]);
  }

  sub(other: Tensor | number, alpha = 1): Tensor {
    return binary(OPS.sub, OPS.subScalar, this, other, [alpha]);
  }

  /** `other - this` for a number. */
  rsub(other: number): Tensor {
    return wrap(callOp(OPS.rsubScalar, [this.handle, other]));
  }

  mul(other: Tensor | number): Tensor {
    return binary(OPS.mul, OPS.mulScalar, this, other);
  }

  div(other: Tensor | number): Tensor {
    return binary(OPS.div, OPS.divScalar, this, other);
  }

  pow(exponent: Tensor | number): Tensor {
    return binary(OPS.pow, OPS.powScalar, this, exponent);
  }

  neg(): Tensor {
    return unary(OPS.neg, this);
  }

  reciprocal(): Tensor {
    return unary(OPS.reciprocal, this);
  }

  exp(): Tensor {
    return unary(OPS.exp, this);
  }

  log(): Tensor {
    return unary(OPS.log, this);
  }

  log1p(): Tensor {
    return unary(OPS.log1p, this);
  }

  expm1(): Tensor {
    return unary(OPS.expm1, this);
  }

  sqrt(): Tensor {
    return unary(OPS.sqrt, this);
  }

  rsqrt(): Tensor {
    return unary(OPS.rsqrt, this);
  }

  square(): Tensor {
    return unary(OPS.square, this);
  }

  abs(): Tensor {
    return unary(OPS.abs, this);
  }

  sign(): Tensor {
    return unary(OPS.sign, this);
  }

  floor(): Tensor {
    return unary(OPS.floor, this);
  }

  ceil(): Tensor {
    return unary(OPS.ceil, this);
  }

  round(): Tensor {
    return unary(OPS.round, this);
  }

  sin(): Tensor {
    return unary(OPS.sin, this);
  }

  cos(): Tensor {
    return unary(OPS.cos, this);
  }

  /** Limits values to [min, max]; either bound may be null. */
  clamp(min: number | null, max: number | null = null): Tensor {
    return wrap(callOp(OPS.clamp, [this.handle, min, max]));
  }

  maximum(other: Tensor): Tensor {
    return wrap(callOp(OPS.maximum, [this.handle, other.handle]));
  }

  minimum(other: Tensor): Tensor {
    return wrap(callOp(OPS.minimum, [this.handle, other.handle]));
  }

  /** `this + weight * (end - this)`. */
  lerp(end: Tensor, weight: number): Tensor {
    return wrap(callOp(OPS.lerp, [this.handle, end.handle, weight]));
  }

  matmul(other: Tensor): Tensor {
    return wrap(callOp(OPS.matmul, [this.handle, other.handle]));
  }

  /** Lower Cholesky factor L of a symmetric positive-definite matrix (A = L L^T). */
  cholesky(): Tensor {
    return unary(OPS.cholesky, this);
  }

  // ---- in place --------------------------------------------------------------------

  /** `this += alpha * other`. */
  add_(other: Tensor | number, alpha = 1): this {
    if (typeof other === 'number') callInPlace(OPS.addScalarInPlace, [this.handle, other, alpha]);
    else callInPlace(OPS.addInPlace, [this.handle, other.handle, alpha]);
    return this;
  }

  /** `this -= alpha * other`. */
  sub_(other: Tensor, alpha = 1): this {
    callInPlace(OPS.subInPlace, [this.handle, other.handle, alpha]);
    return this;
  }

  mul_(other: Tensor | number): this {
    if (typeof other === 'number') callInPlace(OPS.mulScalarInPlace, [this.handle, other]);
    else callInPlace(OPS.mulInPlace, [this.handle, other.handle]);
    return this;
  }

  div_(other: Tensor | number): this {
    if (typeof other === 'number') callInPlace(OPS.divScalarInPlace, [this.handle, other]);
    else callInPlace(OPS.divInPlace, [this.handle, other.handle]);
    return this;
  }

  /** `this += value * a * b`. */
  addcmul_(a: Tensor, b: Tensor, value = 1): this {
    callInPlace(OPS.addcmulInPlace, [this.handle, a.handle, b.handle, value]);
    return this;
  }

  /** `this += value * a / b`. */
  addcdiv_(a: Tensor, b: Tensor, value = 1): this {
    callInPlace(OPS.addcdivInPlace, [this.handle, a.handle, b.handle, value]);
    return this;
  }

  /** `this += weight * (end - this)`. */
  lerp_(end: Tensor, weight: number): this {
    callInPlace(OPS.lerpInPlace, [this.handle, end.handle, weight]);
    return this;
  }

  sqrt_(): this {
    callInPlace(OPS.sqrtInPlace, [this.handle]);
    return this;
  }

  clamp_(min: number | null, max: number | null = null): this {
    callInPlace(OPS.clampInPlace, [this.handle, min, max]);
    return this;
  }

  zero_(): this {
    callInPlace(OPS.zeroInPlace, [this.handle]);
    return this;
  }

  fill_(value: number): this {
    callInPlace(OPS.fillInPlace, [this.handle, value]);
    return this;
  }

  /** Copies `source`'s values into this tensor (broadcasting). */
  copy_(source: Tensor): this {
    callInPlace(OPS.copyInPlace, [this.handle, source.handle]);
    return this;
  }

  // ---- reductions ------------------------------------------------------------------

  /** Sum of all elements, or over `dim`. */
  sum(dim?: Dims, keepdim = false): Tensor {
    if (dim === undefined) return unary(OPS.sum, this);
    return wrap(callOp(OPS.sumDim, [this.handle, dims(dim), keepdim]));
  }

  mean(dim?: Dims, keepdim = false): Tensor {
    if (dim === undefined) return unary(OPS.mean, this);
    return wrap(callOp(OPS.meanDim, [this.handle, dims(dim), keepdim]));
  }

  /** Largest element. With a dim, see {@link maxDim}. */
  max(): Tensor {
    return unary(OPS.max, this);
  }

  min(): Tensor {
    return unary(OPS.min, this);
  }

  /** Largest values along `dim` and their indices. */
  maxDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callOp<TensorHandle[]>(OPS.maxDim, [this.handle, dim, keepdim]);
    return { values: wrap(values), indices: wrap(indices) };
  }

  minDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callOp<TensorHandle[]>(OPS.minDim, [this.handle, dim, keepdim]);
    return { values: wrap(values), indices: wrap(indices) };
  }

  argmax(dim?: number, keepdim = false): Tensor {
    return wrap(callOp(OPS.argmax, [this.handle, dim ?? null, keepdim]));
  }

  argmin(dim?: number, keepdim = false): Tensor {
    return wrap(callOp(OPS.argmin, [this.handle, dim ?? null, keepdim]));
  }

  /** Variance with Bessel's correction by default (`correction = 1`), as in PyTorch. */
  var(dim?: Dims, options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    const args = [this.handle, dim === undefined ? null : dims(dim), options.correction ?? 1];
    return wrap(callOp(OPS.varCorrection, [...args, options.keepdim ?? false]));
  }

  std(dim?: Dims, options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    const args = [this.handle, dim === undefined ? null : dims(dim), options.correction ?? 1];
    return wrap(callOp(OPS.stdCorrection, [...args, options.keepdim ?? false]));
  }

  logsumexp(dim: Dims, keepdim = false): Tensor {
    return wrap(callOp(OPS.logsumexp, [this.handle, dims(dim), keepdim]));
  }

  prod(): Tensor {
    return unary(OPS.prod, this);
  }

  /** The p-norm over all elements or over `dim` (default p = 2). */
  norm(p = 2, dim?: Dims, keepdim = false): Tensor {
    return wrap(
      callOp(OPS.vectorNorm, [this.handle, p, dim === undefined ? null : dims(dim), keepdim]),
    );
  }

  cumsum(dim: number): Tensor {
    return wrap(callOp(OPS.cumsum, [this.handle, dim]));
  }

  all(): Tensor {
    return unary(OPS.all, this);
  }

  any(): Tensor {
    return unary(OPS.any, this);
  }

  // ---- shape -----------------------------------------------------------------------

  /** A tensor of the same values with a new shape; one size may be -1. */
  reshape(...shape: number[] | [number[]]): Tensor {
    return wrap(callOp(OPS.reshape, [this.handle, sizes(shape)]));
  }

  /** Like {@link reshape}, but always shares memory (the tensor must be contiguous enough). */
  view(...shape: number[] | [number[]]): Tensor {
    return wrap(callOp(OPS.view, [this.handle, sizes(shape)]));
  }

  permute(...order: number[] | [number[]]): Tensor {
    return wrap(callOp(OPS.permute, [this.handle, sizes(order)]));
  }

  transpose(dim0: number, dim1: number): Tensor {
    return wrap(callOp(OPS.transpose, [this.handle, dim0, dim1]));
  }

  /** Transpose of a matrix. */
  t(): Tensor {
    return unary(OPS.t, this);
  }

  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap(callOp(OPS.flatten, [this.handle, startDim, endDim]));
  }

  unflatten(dim: number, shape: number[]): Tensor {
    return wrap(callOp(OPS.unflatten, [this.handle, dim, shape]));
  }

  unsqueeze(dim: number): Tensor {
    return wrap(callOp(OPS.unsqueeze, [this.handle, dim]));
  }

  squeeze(dim?: number): Tensor {
    if (dim === undefined) return unary(OPS.squeeze, this);
    return wrap(callOp(OPS.squeezeDim, [this.handle, dim]));
  }

  /** Broadcasts to `shape` without copying (-1 keeps a size). */
  expand(...shape: number[] | [number[]]): Tensor {
    return wrap(callOp(OPS.expand, [this.handle, sizes(shape)]));
  }

  /** Elements `start` to `end` (exclusive) of `dim`, every `step`-th. */
  slice(dim: number, start: number | null = null, end: number | null = null, step = 1): Tensor {
    return wrap(callOp(OPS.slice, [this.handle, dim, start, end, step]));
  }

  /** Index `index` of `dim`, removing that dim. */
  select(dim: number, index: number): Tensor {
    return wrap(callOp(OPS.select, [this.handle, dim, index]));
  }

  narrow(dim: number, start: number, length: number): Tensor {
    return wrap(callOp(OPS.narrow, [this.handle, dim, start, length]));
  }

  /** Advanced indexing: one index tensor (or null to keep) per leading dim. */
  index(indices: (Tensor | null)[]): Tensor {
    return wrap(callOp(OPS.index, [this.handle, indices.map((t) => (t ? t.handle : null))]));
  }

  indexSelect(dim: number, index: Tensor): Tensor {
    return wrap(callOp(OPS.indexSelect, [this.handle, dim, index.handle]));
  }

  gather(dim: number, index: Tensor): Tensor {
    return wrap(callOp(OPS.gather, [this.handle, dim, index.handle]));
  }

  /** Splits into pieces of `size` along `dim` (the last may be smaller). */
  split(size: number | number[], dim = 0): Tensor[] {
    const op = Array.isArray(size) ? OPS.splitSizes : OPS.split;
    return callOp<TensorHandle[]>(op, [this.handle, size, dim]).map(wrap);
  }

  chunk(chunks: number, dim = 0): Tensor[] {
    return callOp<TensorHandle[]>(OPS.chunk, [this.handle, chunks, dim]).map(wrap);
  }

  maskedFill(mask: Tensor, value: number): Tensor {
    return wrap(callOp(OPS.maskedFill, [this.handle, mask.handle, value]));
  }

  flip(dims_: Dims): Tensor {
    return wrap(callOp(OPS.flip, [this.handle, dims(dims_)]));
  }

  repeat(...times: number[] | [number[]]): Tensor {
    return wrap(callOp(OPS.repeat, [this.handle, sizes(times)]));
  }

  /** Pads with a constant: `[left, right]` for the last dim, then pairs for earlier dims. */
  pad(padding: number[], value = 0): Tensor {
    return wrap(callOp(OPS.pad, [this.handle, padding, value]));
  }

  // ---- comparisons -----------------------------------------------------------------

  eq(other: Tensor | number): Tensor {
    return binary(OPS.eq, OPS.eqScalar, this, other);
  }

  ne(other: Tensor | number): Tensor {
    return binary(OPS.ne, OPS.neScalar, this, other);
  }

  lt(other: Tensor | number): Tensor {
    return binary(OPS.lt, OPS.ltScalar, this, other);
  }

  le(other: Tensor | number): Tensor {
    return binary(OPS.le, OPS.leScalar, this, other);
  }

  gt(other: Tensor | number): Tensor {
    return binary(OPS.gt, OPS.gtScalar, this, other);
  }

  ge(other: Tensor | number): Tensor {
    return binary(OPS.ge, OPS.geScalar, this, other);
  }

  logicalNot(): Tensor {
    return unary(OPS.logicalNot, this);
  }

  logicalAnd(other: Tensor): Tensor {
    return wrap(callOp(OPS.logicalAnd, [this.handle, other.handle]));
  }

  logicalOr(other: Tensor): Tensor {
    return wrap(callOp(OPS.logicalOr, [this.handle, other.handle]));
  }

  isnan(): Tensor {
    return unary(OPS.isnan, this);
  }

  isfinite(): Tensor {
    return unary(OPS.isfinite, this);
  }

  // ---- activations -----------------------------------------------------------------

  relu(): Tensor {
    return unary(OPS.relu, this);
  }

  leakyRelu(negativeSlope = 0.01): Tensor {
    return wrap(callOp(OPS.leakyRelu, [this.handle, negativeSlope]));
  }

  elu(alpha = 1): Tensor {
    return wrap(callOp(OPS.elu, [this.handle, alpha]));
  }

  /** GELU; `approximate: 'tanh'` for the tanh approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return wrap(callOp(OPS.gelu, [this.handle, approximate]));
  }

  silu(): Tensor {
    return unary(OPS.silu, this);
  }

  sigmoid(): Tensor {
    return unary(OPS.sigmoid, this);
  }

  tanh(): Tensor {
    return unary(OPS.tanh, this);
  }

  softplus(beta = 1, threshold = 20): Tensor {
    return wrap(callOp(OPS.softplus, [this.handle, beta, threshold]));
  }

  logSigmoid(): Tensor {
    return unary(OPS.logSigmoid, this);
  }

  softmax(dim: number): Tensor {
    return wrap(callOp(OPS.softmax, [this.handle, dim]));
  }

  logSoftmax(dim: number): Tensor {
    return wrap(callOp(OPS.logSoftmax, [this.handle, dim]));
  }
}

// ---- helpers shared by the engine's files ------------------------------------------

/** Wraps a native handle in a Tensor. */
export function wrap(handle: unknown): Tensor {
  if (handle === null || handle === undefined) {
    throw new AekitError('NATIVE', 'operator returned no tensor');
  }
  return new Tensor(handle as TensorHandle);
}

function unary(op: Op, self: Tensor): Tensor {
  return wrap(callOp(op, [self.handle]));
}

function binary(
  tensorOp: Op,
  scalarOp: Op,
  self: Tensor,
  other: Tensor | number,
  extra: unknown[] = [],
): Tensor {
  if (typeof other === 'number') return wrap(callOp(scalarOp, [self.handle, other, ...extra]));
  if (!(other instanceof Tensor)) {
    throw new TypeError(invalid(`${tensorOp.name}: other`, 'a Tensor or a number', other));
  }
  return wrap(callOp(tensorOp, [self.handle, other.handle, ...extra]));
}

function dims(dim: Dims): number[] {
  return typeof dim === 'number' ? [dim] : dim;
}

/** Accepts `f(2, 3)` and `f([2, 3])`. */
export function sizes(args: number[] | [number[]]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : (args as number[]);
  for (const size of list) checkInteger(size, 'size', -1);
  return list;
}

/** True when `value` is a Tensor that has not been disposed. */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor && !value.isDisposed;
}

/** Throws a TypeError naming `what` unless `value` is a floating-point Tensor. */
export function checkFloatTensor(value: unknown, what: string): asserts value is Tensor {
  checkType(value instanceof Tensor, what, 'a Tensor', value);
  const dtype = (value as Tensor).dtype;
  if (!isFloating(dtype)) {
    throw new TypeError(
      `${what}: expected a floating-point tensor, got ${dtype} (${describe(value)})`,
    );
  }
}
