/**
 * Context tables: each latent is coded with a table chosen by latents already decoded
 * before it, instead of one fixed table per element. A factorised prior treats the latents
 * as independent; they are not. Whether a position already holds non-zero values in earlier
 * channels says much about whether this channel is non-zero there too, and the signs of the
 * left, upper and previous-channel neighbours say which way it leans.
 *
 * The context of latent (c, h, w) of a [C, H, W] latent map, coded channel by channel, row
 * by row:
 * - the signs (-, 0, +) of its left neighbour (c, h, w - 1), its upper neighbour
 *   (c, h - 1, w) and the same position in the channel before (c - 1, h, w), a missing
 *   neighbour counting as 0: 27 patterns;
 * - how many of the channels before it are non-zero at (h, w), in 9 buckets (0, 1, 2, 3, 4,
 *   5-6, 7-9, 10-14, 15 or more).
 * A dense code of N latents is the map [N, 1, 1]: its context is the previous latent's sign
 * and how many latents before it are non-zero.
 *
 * The tables are fitted once, after training, from counts of the training data's latents
 * (see {@link fitContextTables}), quantised to 16-bit integers and stored with the model, so
 * encoder and decoder code with the same integers on every machine. A context seen too
 * rarely in training has no table: its latents use the element's own table. Each context
 * table covers the values seen in that context, plus an escape to the element's table.
 */
import type { Cdf } from './range-coder.js';
import { PRECISION_TOTAL, quantizePmf } from './range-coder.js';

/** The name of the context rule above, as model files record it. */
export const CONTEXT_KIND = 'signs3-activity9';
/** The context rule in words, for people (`aekit info`). */
export const CONTEXT_RULE =
  'the signs of the left, upper and previous-channel latents and how many earlier ' +
  'channels are non-zero';
/** Contexts per latent element: 27 sign patterns x 9 activity buckets. */
export const CONTEXTS = 27 * 9;

/** Context tables of a latent map. */
export interface ContextTables {
  /** The latent map the contexts are taken on: [channels, height, width]. */
  shape: [number, number, number];
  /**
   * For each element and context (element * {@link CONTEXTS} + context): the index of its
   * table, or -1 where the element's own table codes it.
   */
  index: Int32Array;
  /** The latent value of symbol 0 of each table. */
  offsets: Int32Array;
  /**
   * Where each table starts in {@link cdf}; one more entry than tables. Table `t` is
   * `cdf[starts[t] ... starts[t + 1] - 1]`: a cumulative table of `starts[t + 1] - starts[t]
   * - 1` symbols whose last symbol is the escape.
   */
  starts: Int32Array;
  /** Every table's cumulative frequencies, end to end (one array: fast to look up). */
  cdf: Uint32Array;
}

/** Lays tables end to end: the `starts` and `cdf` of {@link ContextTables}. */
export function flattenTables(cdfs: Cdf[]): { starts: Int32Array; cdf: Uint32Array } {
  const starts = new Int32Array(cdfs.length + 1);
  cdfs.forEach((table, t) => (starts[t + 1] = starts[t] + table.length));
  const cdf = new Uint32Array(starts[cdfs.length]);
  cdfs.forEach((table, t) => cdf.set(table, starts[t]));
  return { starts, cdf };
}

/** Options of {@link fitContextTables}. */
export interface ContextFitOptions {
  /** Pseudo-counts of the element's own distribution in each context's table. Default: 8. */
  alpha?: number;
  /** Training latents a context needs to get a table. Default: 16. */
  minCount?: number;
}

function activityBucket(nonZero: number): number {
  if (nonZero <= 4) return nonZero;
  if (nonZero <= 6) return 5;
  if (nonZero <= 9) return 6;
  return nonZero <= 14 ? 7 : 8;
}

function sign3(v: number): number {
  return v > 0 ? 2 : v < 0 ? 0 : 1;
}

/**
 * Walks one sample's latents in coding order, calling `step(d, context)` for element `d`
 * before its value is read: a decoder writes `values[d]` in `step`, an encoder codes it.
 */
export function walkContexts(
  shape: readonly [number, number, number],
  values: ArrayLike<number>,
  step: (d: number, context: number) => void,
): void {
  const [channels, height, width] = shape;
  const plane = height * width;
  const active = new Uint16Array(plane);
  for (let c = 0, d = 0; c < channels; c++) {
    for (let h = 0, p = 0; h < height; h++) {
      for (let w = 0; w < width; w++, d++, p++) {
        const left = w > 0 ? values[d - 1] : 0;
        const up = h > 0 ? values[d - width] : 0;
        const before = c > 0 ? values[d - plane] : 0;
        const signs = (sign3(left) * 3 + sign3(up)) * 3 + sign3(before);
        step(d, signs * 9 + activityBucket(active[p]));
        if (values[d] !== 0) active[p]++;
      }
    }
  }
}

/**
 * Fits context tables from training latents ([count, elements], the rounded latents of the
 * training data) on top of each element's own table (`element`: what an escape falls back
 * to, and the smoothing of rare contexts).
 */
export function fitContextTables(
  shape: [number, number, number],
  latents: Int32Array,
  count: number,
  element: { offsets: Int32Array; cdfs: Cdf[] },
  options: ContextFitOptions = {},
): ContextTables {
  const alpha = options.alpha ?? 8;
  const minCount = options.minCount ?? 16;
  const elements = shape[0] * shape[1] * shape[2];
  if (latents.length !== count * elements || element.cdfs.length !== elements) {
    throw new RangeError(
      `fitContextTables: expected ${count} x ${elements} latents and ${elements} element ` +
        `tables, got ${latents.length} latents and ${element.cdfs.length} tables`,
    );
  }
  const slots = elements * CONTEXTS;
  // First pass: how often each context occurs, and the range of values seen in it (within
  // the element's window; values outside it are escapes either way).
  const totals = new Float64Array(slots);
  const low = new Int32Array(slots).fill(2 ** 31 - 1);
  const high = new Int32Array(slots).fill(-(2 ** 31));
  const inWindow = (d: number, v: number): boolean => {
    const s = v - element.offsets[d];
    return s >= 0 && s < element.cdfs[d].length - 2;
  };
  forEachSample(shape, latents, count, (row, d, context) => {
    const slot = d * CONTEXTS + context;
    totals[slot]++;
    const v = row[d];
    if (!inWindow(d, v)) return;
    if (v < low[slot]) low[slot] = v;
    if (v > high[slot]) high[slot] = v;
  });

  // Which contexts get a table, and where each table's counts start.
  const index = new Int32Array(slots).fill(-1);
  const starts: number[] = [];
  let entries = 0;
  for (let slot = 0; slot < slots; slot++) {
    if (totals[slot] < minCount || high[slot] < low[slot]) continue;
    index[slot] = starts.length;
    starts.push(entries);
    entries += high[slot] - low[slot] + 2; // the values seen, and the escape
  }
  const counts = new Float64Array(entries);
  forEachSample(shape, latents, count, (row, d, context) => {
    const slot = d * CONTEXTS + context;
    const t = index[slot];
    if (t < 0) return;
    const v = row[d];
    const size = high[slot] - low[slot] + 1;
    const inside = v >= low[slot] && v <= high[slot] && inWindow(d, v);
    counts[starts[t] + (inside ? v - low[slot] : size)]++;
  });

  // Each table: the counts, plus alpha pseudo-counts spread as the element's own table.
  const offsets = new Int32Array(starts.length);
  const cdfs: Cdf[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const t = index[slot];
    if (t < 0) continue;
    const d = Math.floor(slot / CONTEXTS);
    const own = element.cdfs[d];
    const size = high[slot] - low[slot] + 1;
    const pmf = new Float64Array(size + 1);
    let covered = 0;
    for (let s = 0; s < size; s++) {
      const e = low[slot] + s - element.offsets[d];
      const p = (own[e + 1] - own[e]) / PRECISION_TOTAL;
      covered += p;
      pmf[s] = counts[starts[t] + s] + alpha * p;
    }
    pmf[size] = counts[starts[t] + size] + alpha * Math.max(1 - covered, 1 / PRECISION_TOTAL);
    offsets[t] = low[slot];
    cdfs.push(quantizePmf(pmf));
  }
  return { shape, index, offsets, ...flattenTables(cdfs) };
}

function forEachSample(
  shape: [number, number, number],
  latents: Int32Array,
  count: number,
  visit: (row: Int32Array, d: number, context: number) => void,
): void {
  const elements = shape[0] * shape[1] * shape[2];
  for (let i = 0; i < count; i++) {
    const row = latents.subarray(i * elements, (i + 1) * elements);
    walkContexts(shape, row, (d, context) => visit(row, d, context));
  }
}
