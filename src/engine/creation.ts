/** Creating tensors: from JavaScript values, filled, ranges and random draws. */
import { checkType, invalid } from './errors.js';
import { DType, dtypeOfArray, isDType, itemSize, scalarTypeOf } from './dtype.js';
import { native } from './native.js';
import { callOp, nativeCall } from './op.js';
import { OPS } from './ops.js';
import { Generator } from './random.js';
import { Device, Tensor, sizes, wrap } from './tensor.js';

/** Options shared by the creation functions. */
export interface TensorOptions {
  /** Element type. Default: float32 (int64 for `arange` of integers and `randint`). */
  dtype?: DType;
  /** Where the tensor lives. Default: 'cpu'. */
  device?: Device;
  /** Whether autograd tracks it. Default: false. */
  requiresGrad?: boolean;
}

/** Options for random draws. */
export interface RandomOptions extends TensorOptions {
  /** The stream to draw from. Default: the global generator (see `manualSeed`). */
  generator?: Generator;
}

type Nested = number | boolean | Nested[];

function finish(handle: unknown, options: TensorOptions): Tensor {
  const tensor = wrap(handle);
  if (options.requiresGrad) tensor.requiresGrad = true;
  return tensor;
}

function dtypeCode(options: TensorOptions, fallback: DType = 'float32'): number {
  const dtype = options.dtype ?? fallback;
  if (!isDType(dtype)) throw new TypeError(invalid('dtype', 'a dtype such as float32', dtype));
  return scalarTypeOf(dtype);
}

function flatten(data: Nested, shape: number[], out: number[], depth: number): void {
  if (Array.isArray(data)) {
    if (shape.length <= depth) shape.push(data.length);
    else if (shape[depth] !== data.length) {
      throw new RangeError(
        `tensor: ragged nested array: expected length ${shape[depth]} at depth ${depth}, ` +
          `got ${data.length}`,
      );
    }
    for (const item of data) flatten(item, shape, out, depth + 1);
    return;
  }
  if (depth !== shape.length) throw new RangeError('tensor: ragged nested array');
  checkType(
    typeof data === 'number' || typeof data === 'boolean',
    'tensor: element',
    'a number',
    data,
  );
  out.push(Number(data));
}

function typedArrayFor(dtype: DType, values: ArrayLike<number>): ArrayBufferView {
  switch (dtype) {
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
    case 'int32':
      return Int32Array.from(values);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(values);
    default:
      return Float32Array.from(values);
  }
}

/**
 * A tensor holding a copy of `data`: a nested array, or a typed array with `shape`.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);                 // [2, 2] float32
 * const y = tensor(new Float32Array(6), { shape: [2, 3] });
 */
export function tensor(
  data: Nested | ArrayLike<number> | BigInt64Array,
  options: TensorOptions & { shape?: number[] } = {},
): Tensor {
  let shape: number[];
  let values: ArrayBufferView;
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    const arrayType = dtypeOfArray(data as unknown as ArrayLike<number>);
    if (arrayType === undefined) {
      const expected = 'a Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array';
      throw new TypeError(invalid('tensor: data', expected, data));
    }
    dtype = options.dtype ?? arrayType;
    shape = options.shape ?? [(data as unknown as ArrayLike<number>).length];
    values = data as ArrayBufferView;
    if (dtype !== arrayType) {
      if (arrayType === 'int64') throw new TypeError('tensor: a BigInt64Array makes int64 tensors');
      values = typedArrayFor(dtype, data as unknown as ArrayLike<number>);
    }
  } else {
    const flat: number[] = [];
    shape = [];
    flatten(data as Nested, shape, flat, 0);
    if (options.shape) shape = options.shape;
    dtype = options.dtype ?? 'float32';
    values = typedArrayFor(dtype, flat);
  }

  // Half-precision values travel as float32 and are narrowed natively.
  const carried: DType = dtype === 'bfloat16' || dtype === 'float16' ? 'float32' : dtype;
  const count = shape.reduce((a, b) => a * b, 1);
  if (count * itemSize(carried) !== values.byteLength) {
    const got = values.byteLength / itemSize(carried);
    throw new RangeError(`tensor: shape [${shape.join(', ')}] needs ${count} values, got ${got}`);
  }
  const device = options.device ?? 'cpu';
  let result = wrap(
    nativeCall(() => native().fromBuffer(values, shape, scalarTypeOf(carried), device)),
  );
  if (carried !== dtype) {
    const narrow = result.to(dtype);
    result.dispose();
    result = narrow;
  }
  if (options.requiresGrad) result.requiresGrad = true;
  return result;
}

/** A scalar (0-dimensional) tensor. */
export function scalar(value: number, options: TensorOptions = {}): Tensor {
  return tensor([value], { ...options, shape: [] });
}

function filled(op: typeof OPS.zeros, shape: number[], options: TensorOptions): Tensor {
  return finish(
    callOp(op, [sizes(shape), dtypeCode(options), null, options.device ?? null]),
    options,
  );
}

export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  return filled(OPS.zeros, shape, options);
}

export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return filled(OPS.ones, shape, options);
}

export function full(shape: number[], value: number, options: TensorOptions = {}): Tensor {
  const args = [sizes(shape), value, dtypeCode(options), null, options.device ?? null];
  return finish(callOp(OPS.full, args), options);
}

/** Values from `start` to `end` (exclusive) by `step`; `arange(n)` is 0..n-1. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  const whole = [from, to, step].every(Number.isInteger);
  const code = dtypeCode(options, whole ? 'int64' : 'float32');
  return finish(callOp(OPS.arange, [from, to, step, code, null, options.device ?? null]), options);
}

export function linspace(
  start: number,
  end: number,
  steps: number,
  options: TensorOptions = {},
): Tensor {
  return finish(
    callOp(OPS.linspace, [start, end, steps, dtypeCode(options), null, options.device ?? null]),
    options,
  );
}

export function eye(n: number, options: TensorOptions = {}): Tensor {
  return finish(callOp(OPS.eye, [n, dtypeCode(options), null, options.device ?? null]), options);
}

function drawn(op: typeof OPS.rand, shape: number[], options: RandomOptions): Tensor {
  const args = [
    sizes(shape),
    options.generator?.handle ?? null,
    dtypeCode(options),
    null,
    options.device ?? null,
  ];
  return finish(callOp(op, args), options);
}

/** Uniform draws in [0, 1). */
export function rand(shape: number[], options: RandomOptions = {}): Tensor {
  return drawn(OPS.rand, shape, options);
}

/** Standard normal draws. */
export function randn(shape: number[], options: RandomOptions = {}): Tensor {
  return drawn(OPS.randn, shape, options);
}

/** Integers drawn uniformly from [low, high). */
export function randint(
  low: number,
  high: number,
  shape: number[],
  options: RandomOptions = {},
): Tensor {
  const args = [
    low,
    high,
    sizes(shape),
    options.generator?.handle ?? null,
    dtypeCode(options, 'int64'),
  ];
  return finish(callOp(OPS.randint, [...args, null, options.device ?? null]), options);
}

/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  const args = [
    n,
    options.generator?.handle ?? null,
    dtypeCode(options, 'int64'),
    null,
    options.device ?? null,
  ];
  return finish(callOp(OPS.randperm, args), options);
}

export function zerosLike(like: Tensor): Tensor {
  return wrap(callOp(OPS.zerosLike, [like.handle]));
}

export function onesLike(like: Tensor): Tensor {
  return wrap(callOp(OPS.onesLike, [like.handle]));
}

export function fullLike(like: Tensor, value: number): Tensor {
  return wrap(callOp(OPS.fullLike, [like.handle, value]));
}

export function randnLike(like: Tensor): Tensor {
  return wrap(callOp(OPS.randnLike, [like.handle]));
}

export function randLike(like: Tensor): Tensor {
  return wrap(callOp(OPS.randLike, [like.handle]));
}

/** Joins tensors along an existing dim. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(callOp(OPS.cat, [tensors.map((t) => t.handle), dim]));
}

/** Joins tensors along a new dim. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(callOp(OPS.stack, [tensors.map((t) => t.handle), dim]));
}

/** `condition ? a : b`, elementwise with broadcasting. */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  return wrap(callOp(OPS.where, [condition.handle, a.handle, b.handle]));
}
