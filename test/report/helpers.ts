/** Shared helpers of the report tests: decoding PNGs, temporary folders, counting SVG marks. */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';

/** A decoded PNG: its header facts and a pixel reader. */
export interface Decoded {
  width: number;
  height: number;
  /** Channels stored in the file (1 gray, 3 RGB, 4 RGBA). */
  channels: number;
  /** Value of channel `k` at column `x`, row `y`. */
  pixel(x: number, y: number, k?: number): number;
}

/** Decodes a PNG with sharp, keeping the file's own channel count. */
export async function decode(png: Buffer): Promise<Decoded> {
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, 'png');
  const channels = meta.channels ?? 0;
  let pipeline = sharp(png);
  if (channels === 1) pipeline = pipeline.toColourspace('b-w');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, channels);
  return {
    width: meta.width ?? 0,
    height: meta.height ?? 0,
    channels,
    pixel: (x, y, k = 0) => data[(y * info.width + x) * info.channels + k],
  };
}

/** A fresh temporary folder and a function that removes it. */
export async function temporaryFolder(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aekit-report-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The contents of every `<g class="mark-<type> role-<role> ...">` group, first level only. */
export function markGroups(svg: string, type: string, role: string): string[] {
  const open = new RegExp(`<g class="mark-${type} role-${role}\\b[^"]*"[^>]*>`, 'g');
  const groups: string[] = [];
  for (const match of svg.matchAll(open)) {
    const start = (match.index ?? 0) + match[0].length;
    groups.push(svg.slice(start, svg.indexOf('</g>', start)));
  }
  return groups;
}

/** Number of `<tag` elements in all groups of one mark type and role. */
export function countMarks(svg: string, type: string, role: string, tag = 'path'): number {
  return markGroups(svg, type, role).reduce(
    (sum, group) => sum + (group.match(new RegExp(`<${tag}\\b`, 'g'))?.length ?? 0),
    0,
  );
}

/** The texts of all `<text>` elements in groups of one role, in document order. */
export function texts(svg: string, role: string): string[] {
  return markGroups(svg, 'text', role).flatMap((group) =>
    [...group.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]),
  );
}

/** Asserts that `run` rejects with a one-line error matching `expected`. */
export async function rejectsOneLine(
  run: () => Promise<unknown>,
  expected: { name?: string; code?: string; message: string | RegExp },
): Promise<void> {
  await assert.rejects(run, (error: Error & { code?: string }) => {
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    if (expected.name !== undefined) assert.equal(error.name, expected.name);
    if (expected.code !== undefined) assert.equal(error.code, expected.code);
    if (typeof expected.message === 'string') assert.equal(error.message, expected.message);
    else assert.match(error.message, expected.message);
    return true;
  });
}

/** Asserts that `run` throws, synchronously, a one-line error matching `expected`. */
export function throwsOneLine(
  run: () => unknown,
  expected: { name?: string; code?: string; message: string | RegExp },
): void {
  assert.throws(run, (error: Error & { code?: string }) => {
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    if (expected.name !== undefined) assert.equal(error.name, expected.name);
    if (expected.code !== undefined) assert.equal(error.code, expected.code);
    if (typeof expected.message === 'string') assert.equal(error.message, expected.message);
    else assert.match(error.message, expected.message);
    return true;
  });
}
