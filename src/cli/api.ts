/**
 * The public API as the commands see it. Commands load it when they run, not when the CLI
 * starts, so that `aekit --help` works without the native addon.
 */

/** The module `src/index.ts`. */
export type Api = typeof import('../index.js');

/** Loads the public API (and with it the native addon). */
export function api(): Promise<Api> {
  return import('../index.js');
}

/** Prints each notice of a reader or a command as a `notice: ...` line on stderr. */
export function printNotices(notices: readonly string[]): void {
  for (const notice of notices) process.stderr.write(`notice: ${notice}\n`);
}
