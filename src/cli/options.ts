/**
 * Parsers for option values. Each throws commander's InvalidArgumentError, which commander
 * prints as one line naming the option and the value (`error: option '--epochs <n>'
 * argument 'x' is invalid. expected ...`), and which the CLI turns into exit code 2.
 */
import { InvalidArgumentError } from 'commander';

/** A whole number from `min` up (and to `max` when given). */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^[+-]?\d+$/.test(text.trim()) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected an integer ${range}`);
    }
    return value;
  };
}

/** A finite number in [min, max]; `exclusive` leaves both ends out. */
export function number(min: number, max = Infinity, exclusive = false): (text: string) => number {
  return (text) => {
    const value = Number(text);
    const inside = exclusive ? value > min && value < max : value >= min && value <= max;
    if (text.trim() === '' || !Number.isFinite(value) || !inside) {
      const [open, close] = exclusive ? ['(', ')'] : ['[', ']'];
      const high = max === Infinity ? 'inf' : String(max);
      throw new InvalidArgumentError(`expected a number in ${open}${min}, ${high}${close}`);
    }
    return value;
  };
}

/** A comma-separated list of positive integers, such as `256,64`. */
export function sizes(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part) || Number(part) < 1)) {
    throw new InvalidArgumentError('expected positive integers separated by commas, e.g. 256,64');
  }
  return parts.map(Number);
}

/** A comma-separated list of names, such as column names `a,b,c`. */
export function names(text: string): string[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) {
    throw new InvalidArgumentError('expected names separated by commas, e.g. temp,pressure');
  }
  return parts;
}

/** An image size: `28` (square) or `WIDTHxHEIGHT` such as `64x48`. */
export function imageSize(text: string): [number, number] {
  const match = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  const width = match ? Number(match[1]) : 0;
  const height = match ? Number(match[2] ?? match[1]) : 0;
  if (!match || width < 1 || height < 1 || width > 16384 || height > 16384) {
    throw new InvalidArgumentError('expected a size such as 28 or 64x48 (width x height)');
  }
  return [width, height];
}

/** `kind:a:b` split into the kind and numeric parameters, checked by `check`. */
function spec(text: string, usage: string): { kind: string; values: number[] } {
  const [kind, ...rest] = text.trim().split(':');
  const values = rest.map(Number);
  if (rest.some((part) => part.trim() === '') || values.some((v) => !Number.isFinite(v))) {
    throw new InvalidArgumentError(`expected ${usage}`);
  }
  return { kind, values };
}

/** What `--corrupt` asks for, before the data's value range is known. */
export type CorruptionSpec =
  | { kind: 'gaussian'; sigma: number }
  | { kind: 'salt_pepper'; amount: number }
  | { kind: 'mask'; fraction: number };

const CORRUPTION_USAGE = 'gaussian:SIGMA, salt-pepper:AMOUNT or mask:FRACTION, e.g. mask:0.25';

/** `gaussian:0.3`, `salt-pepper:0.1` or `mask:0.25`. */
export function corruption(text: string): CorruptionSpec {
  const { kind, values } = spec(text, CORRUPTION_USAGE);
  const [value] = values;
  if (values.length !== 1) throw new InvalidArgumentError(`expected ${CORRUPTION_USAGE}`);
  if (kind === 'gaussian' && value >= 0) return { kind, sigma: value };
  if (kind === 'salt-pepper' && value >= 0 && value <= 1) {
    return { kind: 'salt_pepper', amount: value };
  }
  if (kind === 'mask' && value >= 0 && value <= 1) return { kind, fraction: value };
  throw new InvalidArgumentError(
    `expected ${CORRUPTION_USAGE} (sigma >= 0, amount and fraction in [0, 1])`,
  );
}

/** What `--schedule` asks for; the epoch count fills in defaults later. */
export type ScheduleSpec =
  | { kind: 'step'; stepSize?: number; gamma?: number }
  | { kind: 'cosine'; minLr?: number }
  | { kind: 'plateau'; patience?: number; factor?: number };

const SCHEDULE_USAGE = 'step[:EPOCHS[:GAMMA]], cosine[:MIN_LR] or plateau[:PATIENCE[:FACTOR]]';

/** `step`, `step:5:0.5`, `cosine`, `cosine:1e-5`, `plateau` or `plateau:3:0.5`. */
export function schedule(text: string): ScheduleSpec {
  const { kind, values } = spec(text, SCHEDULE_USAGE);
  const [a, b] = values;
  const positiveInteger = (v: number | undefined) =>
    v === undefined || (Number.isInteger(v) && v >= 1);
  const fraction = (v: number | undefined) => v === undefined || (v > 0 && v < 1);
  if (kind === 'step' && values.length <= 2 && positiveInteger(a) && fraction(b)) {
    return { kind, stepSize: a, gamma: b };
  }
  if (kind === 'cosine' && values.length <= 1 && (a === undefined || a >= 0)) {
    return { kind, minLr: a };
  }
  if (kind === 'plateau' && values.length <= 2 && positiveInteger(a) && fraction(b)) {
    return { kind, patience: a, factor: b };
  }
  throw new InvalidArgumentError(
    `expected ${SCHEDULE_USAGE} (EPOCHS and PATIENCE whole, GAMMA and FACTOR in (0, 1))`,
  );
}

/** What `--sparsity` asks for. */
export type SparsitySpec =
  { kind: 'l1'; weight: number } | { kind: 'kl'; target: number; weight: number };

const SPARSITY_USAGE = 'l1:WEIGHT or kl:TARGET:WEIGHT, e.g. kl:0.05:1';

/** `l1:0.001` or `kl:0.05:1`. */
export function sparsity(text: string): SparsitySpec {
  const { kind, values } = spec(text, SPARSITY_USAGE);
  if (kind === 'l1' && values.length === 1 && values[0] >= 0) {
    return { kind, weight: values[0] };
  }
  if (kind === 'kl' && values.length === 2 && values[0] > 0 && values[0] < 1 && values[1] >= 0) {
    return { kind, target: values[0], weight: values[1] };
  }
  throw new InvalidArgumentError(`expected ${SPARSITY_USAGE} (TARGET in (0, 1), weights >= 0)`);
}
