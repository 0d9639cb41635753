/**
 * Corruptions for denoising training (Vincent et al., "Extracting and Composing Robust
 * Features with Denoising Autoencoders", 2008), applied on the fly to each batch and drawn
 * from a seeded generator of their own, so a run repeats exactly.
 */
import { AekitError, Generator, Tensor, checkNumber, rand, randn, where } from '../engine/index.js';

/** A corruption of the inputs; the clean inputs stay the targets. */
export type Corruption =
  /** x + N(0, sigma^2), clipped to [clipLow, clipHigh] when given. */
  | { kind: 'gaussian'; sigma: number; clip?: [number, number] }
  /** A fraction `amount` of values set to low or high with equal odds. */
  | { kind: 'salt_pepper'; amount: number; low?: number; high?: number }
  /** A fraction `fraction` of values set to zero. */
  | { kind: 'mask'; fraction: number };

/** Checks a corruption spec; returns it. */
export function checkCorruption(value: unknown): Corruption {
  const c = value as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null) {
    throw new TypeError(
      "corruption: expected { kind: 'gaussian' | 'salt_pepper' | 'mask', ... }, " +
        `got ${String(value)}`,
    );
  }
  switch (c.kind) {
    case 'gaussian':
      checkNumber(c.sigma, 'corruption.sigma', 0);
      return c as Corruption;
    case 'salt_pepper':
      checkNumber(c.amount, 'corruption.amount', 0, 1);
      return c as Corruption;
    case 'mask':
      checkNumber(c.fraction, 'corruption.fraction', 0, 1);
      return c as Corruption;
    default:
      throw new AekitError(
        'BAD_INPUT',
        `corruption.kind: expected 'gaussian', 'salt_pepper' or 'mask', got ${String(c.kind)}`,
      );
  }
}

/** Applies `corruption` to a batch with draws from `generator`. */
export function corrupt(x: Tensor, corruption: Corruption, generator: Generator): Tensor {
  switch (corruption.kind) {
    case 'gaussian': {
      const noisy = randn(x.shape, { generator }).mul(corruption.sigma).add(x);
      return corruption.clip ? noisy.clamp(corruption.clip[0], corruption.clip[1]) : noisy;
    }
    case 'salt_pepper': {
      const u = rand(x.shape, { generator }); // [batch, ...]
      const half = corruption.amount / 2;
      const low = x.mul(0).add(corruption.low ?? 0);
      const high = x.mul(0).add(corruption.high ?? 1);
      return where(u.lt(half), low, where(u.lt(corruption.amount), high, x));
    }
    case 'mask': {
      const keep = rand(x.shape, { generator }).ge(corruption.fraction);
      return x.mul(keep);
    }
  }
}
