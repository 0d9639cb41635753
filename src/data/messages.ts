/**
 * One shape for errors about a data file: `<file>: <field>: expected <what>, got <what came>`,
 * on one line, as an {@link AekitError} with a code.
 */

import { AekitError, type AekitErrorCode } from '../engine/errors.js';

/** Builds (does not throw) the error for a bad field of a data file. */
export function fileError(
  code: AekitErrorCode,
  file: string,
  field: string,
  expected: string,
  received: string,
  cause?: unknown,
): AekitError {
  const message = `${file}: ${field}: expected ${expected}, got ${received}`;
  return new AekitError(code, oneLine(message), cause === undefined ? undefined : { cause });
}

/** Collapses line breaks so that a message from a dependency stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}
