/** Element types of tensors, named as in PyTorch, and their typed-array counterparts. */

/** The element types aekit's tensors use. */
export type DType =
  'float32' | 'float64' | 'bfloat16' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

/** The typed array that holds each dtype's values on the JavaScript side. */
export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  bfloat16: Float32Array;
  float16: Float32Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type AnyTypedArray = TypedArrayFor[DType];

/** libtorch's c10::ScalarType numbers. */
const SCALAR_TYPE: Record<DType, number> = {
  uint8: 0,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};

const FROM_SCALAR_TYPE = new Map<number, DType>(
  Object.entries(SCALAR_TYPE).map(([name, code]) => [code, name as DType]),
);

export const DTYPES = Object.keys(SCALAR_TYPE) as DType[];

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && value in SCALAR_TYPE;
}

export function scalarTypeOf(dtype: DType): number {
  return SCALAR_TYPE[dtype];
}

export function dtypeOfScalarType(code: number): DType {
  const dtype = FROM_SCALAR_TYPE.get(code);
  if (dtype === undefined)
    throw new TypeError(`tensor has a libtorch dtype aekit does not support (${code})`);
  return dtype;
}

/** Bytes per element. */
export function itemSize(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'bfloat16':
      return 2;
    default:
      return 1;
  }
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'bfloat16' || dtype === 'float16';
}

/** The dtype a typed array's values are read as when no dtype is given. */
export function dtypeOfArray(data: ArrayLike<number> | ArrayLike<bigint>): DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  return undefined;
}
