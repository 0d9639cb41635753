/** How the CLI reports failures: one line on stderr, exit code 2 for bad input. */
import { AekitError } from '../engine/errors.js';

/** Exit codes of the aekit command. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** Prints one line for an error and returns the exit code to use. */
export function reportError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`aekit: ${message.split('\n')[0]}`);
  if (process.env.AEKIT_DEBUG && error instanceof Error) console.error(error.stack);
  if (error instanceof AekitError && (error.code === 'NO_ADDON' || error.code === 'NATIVE')) {
    return EXIT.failed;
  }
  return EXIT.badInput;
}
