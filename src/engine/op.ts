/**
 * Typed access to libtorch's operators. An {@link Op} names one ATen operator overload;
 * it is looked up in the dispatcher once, on first use, and then called by number. The
 * native side converts each argument by the operator's schema, so wrappers pass handles,
 * numbers, arrays and strings in schema order and leave trailing defaults out.
 */
import { AekitError } from './errors.js';
import { native } from './native.js';

/** One ATen operator overload, such as `aten::add` / `Tensor`. */
export class Op {
  private id = -1;

  constructor(
    readonly name: string,
    readonly overload = '',
  ) {}

  /** The dispatcher id, resolved on first use. */
  resolve(): number {
    if (this.id < 0) this.id = native().findOperator(this.name, this.overload);
    return this.id;
  }

  /** The schema as libtorch prints it, for documentation and debugging. */
  schema(): string {
    return native().operatorSchema(this.resolve());
  }
}

const SHAPE_WORDS = new RegExp(
  [
    'size of tensor',
    'shapes cannot be multiplied',
    'must match',
    'Expected .*size',
    'invalid for input of size',
    "shape '\\[",
  ].join('|'),
);

/**
 * Re-raises a native error on an Error made here, so the stack points at the caller, with
 * a class that says what kind of problem it was.
 */
export function rethrow(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TypeError) throw new TypeError(message);
  if (error instanceof RangeError) throw new RangeError(message);
  if (message.includes('tensor was disposed')) throw new AekitError('DISPOSED', message);
  if (SHAPE_WORDS.test(message)) throw new AekitError('SHAPE', message);
  throw new AekitError('NATIVE', message);
}

/** Calls an operator and returns its one result. */
export function callOp<T = unknown>(op: Op, args: unknown[]): T {
  try {
    return native().call(op.resolve(), args, true) as T;
  } catch (error) {
    rethrow(error);
  }
}

/** Calls an in-place operator and drops its result (no new handle is made). */
export function callInPlace(op: Op, args: unknown[]): void {
  try {
    native().call(op.resolve(), args, false);
  } catch (error) {
    rethrow(error);
  }
}

/** Calls a native helper (not an operator), re-raising errors at the caller. */
export function nativeCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    rethrow(error);
  }
}
