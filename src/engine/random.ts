/**
 * Random number generation. `manualSeed(seed)` seeds libtorch's global CPU generator, as
 * `torch.manual_seed` does; a {@link Generator} is an independent stream for code that
 * must not disturb (or be disturbed by) the global one, such as data corruption.
 */
import { checkInteger } from './errors.js';
import { GeneratorHandle, native } from './native.js';
import { nativeCall } from './op.js';

/** Seeds the global generator: the same seed, thread count and machine repeat a run. */
export function manualSeed(seed: number): void {
  checkInteger(seed, 'seed', 0);
  nativeCall(() => native().manualSeed(seed));
}

/** An independent, seeded random stream (PyTorch's `torch.Generator`). */
export class Generator {
  readonly handle: GeneratorHandle;
  readonly seed: number;

  constructor(seed: number) {
    checkInteger(seed, 'seed', 0);
    this.seed = seed;
    this.handle = nativeCall(() => native().newGenerator(seed));
  }
}
