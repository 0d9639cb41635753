/**
 * Errors raised by aekit. Validation errors share one shape: what was checked, what was
 * expected, what was received. A wrong type is a TypeError, a value out of range a
 * RangeError, and everything else an {@link AekitError} with a `code`.
 */

/** Codes carried by {@link AekitError}. */
export type AekitErrorCode =
  | 'NATIVE'
  | 'NO_ADDON'
  | 'DISPOSED'
  | 'SHAPE'
  | 'BAD_INPUT'
  | 'BAD_FILE'
  | 'NOT_FINITE'
  | 'STATE_DICT';

/** An aekit error with a machine-readable `code`. */
export class AekitError extends Error {
  readonly code: AekitErrorCode;

  constructor(code: AekitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AekitError';
    this.code = code;
  }
}

/** A short description of a received value for error messages: its type and value. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'string') {
    return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value)}`;
  }
  if (Array.isArray(value)) return `array of length ${value.length}`;
  const name = (value as object).constructor?.name;
  return name ? `${name}` : typeof value;
}

/** Builds the validation message: `<what>: expected <expected>, got <received>`. */
export function invalid(what: string, expected: string, received: unknown): string {
  return `${what}: expected ${expected}, got ${describe(received)}`;
}

/** Throws a TypeError unless `ok`. */
export function checkType(ok: boolean, what: string, expected: string, received: unknown): void {
  if (!ok) throw new TypeError(invalid(what, expected, received));
}

/** Throws a RangeError unless `ok`. */
export function checkRange(ok: boolean, what: string, expected: string, received: unknown): void {
  if (!ok) throw new RangeError(invalid(what, expected, received));
}

/** Checks that `value` is an integer in [min, max] and returns it. */
export function checkInteger(
  value: unknown,
  what: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  checkType(typeof value === 'number' && Number.isInteger(value), what, 'an integer', value);
  const n = value as number;
  checkRange(n >= min && n <= max, what, rangeText(min, max, 'an integer'), value);
  return n;
}

/** Checks that `value` is a finite number in [min, max] and returns it. */
export function checkNumber(value: unknown, what: string, min = -Infinity, max = Infinity): number {
  checkType(typeof value === 'number' && !Number.isNaN(value), what, 'a number', value);
  const n = value as number;
  checkRange(n >= min && n <= max, what, rangeText(min, max, 'a number'), value);
  return n;
}

function rangeText(min: number, max: number, kind: string): string {
  const low = min > Number.MIN_SAFE_INTEGER && min > -Infinity;
  const high = max < Number.MAX_SAFE_INTEGER && max < Infinity;
  if (low && high) return `${kind} from ${min} to ${max}`;
  if (low) return `${kind} >= ${min}`;
  if (high) return `${kind} <= ${max}`;
  return kind;
}
