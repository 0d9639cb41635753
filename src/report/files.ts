/**
 * File helpers of the report layer: atomic writes and checks on file names that a report
 * places inside its own output folder.
 */

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

import { AekitError, checkType, invalid } from '../engine/errors.js';

/**
 * Writes `data` to `target` atomically: into a temporary file in the same folder, flushed to
 * disk, then renamed over `target`. A reader sees the old file or the whole new one, never a
 * part; on failure the temporary file is removed and `target` is left as it was.
 *
 * @param target - File to write; its folder must exist.
 * @param data - Bytes or UTF-8 text.
 * @param what - Names the caller in the error message, e.g. `'savePngs'`.
 * @throws AekitError `BAD_FILE` naming the file when writing or renaming fails.
 */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  what = 'writeFileAtomic',
): Promise<void> {
  const folder = path.dirname(target);
  const suffix = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const temporary = path.join(folder, `.${path.basename(target)}.${suffix}`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temporary, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new AekitError('BAD_FILE', `${what}: could not write ${target}: ${reason}`, {
      cause: error,
    });
  }
}

/** One path segment a report may create: letters, digits, `.`, `_`, `-`, not only dots. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Checks a relative path that stays inside an output folder (`grid.png`, `samples/0.png`):
 * `/`-separated segments of letters, digits, `.`, `_` and `-`, none of them `.` or `..`.
 * Returns it unchanged.
 */
export function checkRelativeFile(file: unknown, what: string): string {
  checkType(typeof file === 'string', what, 'a file name', file);
  const name = file as string;
  const segments = name.split('/');
  const ok = segments.every((s) => SEGMENT.test(s) && !/^\.+$/.test(s));
  if (!ok) {
    throw new RangeError(
      invalid(
        what,
        "a relative path of letters, digits, '.', '_', '-' and '/' inside the folder",
        name,
      ),
    );
  }
  return name;
}
