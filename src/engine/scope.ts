/**
 * Scoped freeing of native tensors, and the no-grad scope.
 *
 * `tidy(fn)` frees every tensor created while `fn` runs except the ones it returns (found
 * inside arrays and plain objects too) and the ones passed to `keep()`. Scopes nest: what
 * an inner scope returns belongs to the outer one.
 */
import { AekitError } from './errors.js';
import { native } from './native.js';

/** Anything holding native memory that a scope can free. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];

/** Records a new native object in the innermost scope, if any. Called by constructors. */
export function track(item: Disposable): void {
  const scope = scopes[scopes.length - 1];
  if (scope) scope.add(item);
}

/** Takes `item` out of every scope, so that no scope frees it; returns it. */
export function keep<T extends Disposable>(item: T): T {
  for (const scope of scopes) scope.delete(item);
  return item;
}

function collect(value: unknown, into: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if ('dispose' in value && 'isDisposed' in value) {
    into.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collect(item, into, depth + 1);
  }
}

/**
 * Runs `fn` and frees the tensors it created, except those in its result.
 *
 * @example
 * const loss = tidy(() => model.forward(x).sub(y).square().mean());
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const item of scope) item.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const item of scope) item.dispose();
    throw new AekitError(
      'BAD_INPUT',
      'tidy: expected a synchronous function, got one returning a Promise',
    );
  }
  const kept = new Set<Disposable>();
  collect(result, kept);
  const parent = scopes[scopes.length - 1];
  for (const item of scope) {
    if (kept.has(item)) parent?.add(item);
    else item.dispose();
  }
  return result;
}

/** Runs `fn` with gradient recording off (PyTorch's `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const previous = native().setGradEnabled(false);
  try {
    return fn();
  } finally {
    native().setGradEnabled(previous);
  }
}

/** Runs `fn` with gradient recording on, even inside {@link noGrad}. */
export function enableGrad<T>(fn: () => T): T {
  const previous = native().setGradEnabled(true);
  try {
    return fn();
  } finally {
    native().setGradEnabled(previous);
  }
}

/** Whether operations are being recorded for autograd. */
export function isGradEnabled(): boolean {
  return native().isGradEnabled();
}

/** Native tensors alive now (created and neither disposed nor garbage-collected). */
export function liveTensors(): number {
  return native().liveTensors();
}
