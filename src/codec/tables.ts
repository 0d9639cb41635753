/**
 * Coding tables: the learned prior of a compressive autoencoder, quantised once to integer
 * frequency tables (16-bit precision) and stored with the model, so that every encoder and
 * decoder codes with the same integers. The prior itself is evaluated in floating point,
 * which may differ in its last bits between machines; the tables never are recomputed on
 * the decoding side, so that cannot matter.
 *
 * Each latent element has its own table over a window of integer values [offset, offset +
 * size - 1) plus one escape symbol. A value outside the window is coded as the escape
 * followed by its distance from the window in an Elias-gamma-like code of equally likely
 * bits, so any integer can be coded, at a cost that grows with its distance.
 */
import { AekitError, noGrad, tensor, tidy } from '../engine/index.js';
import type { CompressiveAutoencoder } from '../models/index.js';
import { CONTEXTS, CONTEXT_KIND, ContextTables, flattenTables, walkContexts } from './context.js';
import {
  Cdf,
  PRECISION_BITS,
  PRECISION_TOTAL,
  RangeDecoder,
  RangeEncoder,
  quantizePmf,
} from './range-coder.js';

/** Latent values are clamped to [-LATENT_LIMIT, LATENT_LIMIT] before coding. */
export const LATENT_LIMIT = 2 ** 20;

/** The integer tables of every latent element. */
export interface CodingTables {
  /** The latent value of symbol 0 of each element's table: [elements]. */
  offsets: Int32Array;
  /** One table per element; its last symbol is the escape. */
  cdfs: Cdf[];
  /**
   * Tables chosen by already-decoded neighbours (see `context.ts`), whose escapes fall back
   * to the element tables above. Absent: every latent is coded with its element's table.
   */
  context?: ContextTables;
}

/** Options of {@link buildCodingTables}. */
export interface CodingTableOptions {
  /**
   * Probability left outside each element's window (coded through the escape): the window
   * is the smallest one that leaves at most half of this on each side. Default: 1e-6.
   */
  tailMass?: number;
  /** The widest window considered: values [-maxValue, maxValue]. Default: 256. */
  maxValue?: number;
}

/**
 * Quantises the prior of `model` to integer tables. Run once, after training; store the
 * result with the model (see {@link tablesToJson}).
 */
export function buildCodingTables(
  model: CompressiveAutoencoder,
  options: CodingTableOptions = {},
): CodingTables {
  const tailMass = options.tailMass ?? 1e-6;
  const maxValue = options.maxValue ?? 256;
  const elements = model.prior.elements;
  const width = 2 * maxValue + 1;
  const grid = new Float32Array(width);
  for (let i = 0; i < width; i++) grid[i] = i - maxValue;

  // Bin probabilities of every value, and the CDF's logits at the window's outer edges.
  const { pmf, edges } = noGrad(() =>
    tidy(() => {
      const values = tensor(grid, { shape: [1, width] })
        .expand(elements, width)
        .contiguous();
      const bins = model.prior.binProbabilities(values).to('float64'); // [elements, width]
      const outer = tensor(new Float32Array([-maxValue - 0.5, maxValue + 0.5]), { shape: [1, 2] });
      const logits = model.prior.cdfLogits(outer.expand(elements, 2).contiguous()); // [elements, 2]
      return {
        pmf: bins.toArray() as Float64Array,
        edges: logits.to('float64').toArray() as Float64Array,
      };
    }),
  );

  const offsets = new Int32Array(elements);
  const cdfs: Cdf[] = [];
  for (let d = 0; d < elements; d++) {
    const row = pmf.subarray(d * width, (d + 1) * width);
    const below = sigmoid(edges[2 * d]); // mass under -maxValue - 1/2
    const above = sigmoid(-edges[2 * d + 1]); // mass over maxValue + 1/2
    // Widen the window from each side until the mass left outside is below tailMass / 2.
    let lo = 0;
    let lowerTail = below;
    while (lo < width - 1 && lowerTail + row[lo] <= tailMass / 2) lowerTail += row[lo++];
    let hi = width - 1;
    let upperTail = above;
    while (hi > lo && upperTail + row[hi] <= tailMass / 2) upperTail += row[hi--];
    const window = Array.from(row.subarray(lo, hi + 1));
    window.push(lowerTail + upperTail); // the escape
    offsets[d] = lo - maxValue;
    cdfs.push(quantizePmf(window));
  }
  return { offsets, cdfs };
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Refits each element's table to counts of training latents ([count, elements], rounded),
 * keeping the prior's windows. The prior stays in the mix with the weight of
 * `priorShare` of the samples, so that values never seen in training stay codable at about
 * their prior cost plus log2(1 / priorShare) bits.
 */
export function fitElementTables(
  prior: CodingTables,
  latents: Int32Array,
  count: number,
  priorShare = 1e-3,
): CodingTables {
  const elements = prior.cdfs.length;
  if (latents.length !== count * elements) {
    throw new RangeError(
      `fitElementTables: latents: expected ${count} x ${elements} values, got ${latents.length}`,
    );
  }
  const cdfs = prior.cdfs.map((cdf, d) => {
    const escape = cdf.length - 2;
    const counts = new Float64Array(escape + 1);
    for (let i = 0; i < count; i++) {
      const s = latents[i * elements + d] - prior.offsets[d];
      counts[s >= 0 && s < escape ? s : escape]++;
    }
    const weight = priorShare * count;
    for (let s = 0; s <= escape; s++)
      counts[s] += (weight * (cdf[s + 1] - cdf[s])) / PRECISION_TOTAL;
    return quantizePmf(counts);
  });
  return { offsets: Int32Array.from(prior.offsets), cdfs };
}

/** Codes one sample's integer latents (one per element, in order) into bytes. */
export function encodeLatents(values: ArrayLike<number>, tables: CodingTables): Uint8Array {
  const encoder = new RangeEncoder();
  const elements = tables.cdfs.length;
  if (values.length !== elements) {
    throw new RangeError(
      `encodeLatents: values: expected ${elements} latents (one per table), got ${values.length}`,
    );
  }
  // Limitation: latents beyond +-2^20 are clamped, so an image that drives the analysis
  // transform that far (nothing like its training data) decodes wrong; none has been seen.
  const clamped = new Int32Array(elements);
  for (let d = 0; d < elements; d++) {
    clamped[d] = Math.max(-LATENT_LIMIT, Math.min(LATENT_LIMIT, values[d]));
  }
  const context = tables.context;
  if (!context) {
    for (let d = 0; d < elements; d++) encodeElement(encoder, tables, d, clamped[d]);
    return encoder.finish();
  }
  const { cdf, starts } = context;
  walkContexts(context.shape, clamped, (d, c) => {
    const t = context.index[d * CONTEXTS + c];
    const v = clamped[d];
    if (t >= 0) {
      const start = starts[t];
      const escape = starts[t + 1] - start - 2;
      const symbol = v - context.offsets[t];
      const at = start + (symbol >= 0 && symbol < escape ? symbol : escape);
      encoder.encodeRange(cdf[at], cdf[at + 1] - cdf[at]);
      if (at < start + escape) return;
    }
    encodeElement(encoder, tables, d, v);
  });
  return encoder.finish();
}

/** Codes value `v` of element `d` with the element's own table (and its escape code). */
function encodeElement(encoder: RangeEncoder, tables: CodingTables, d: number, v: number): void {
  const cdf = tables.cdfs[d];
  const escape = cdf.length - 2;
  const symbol = v - tables.offsets[d];
  if (symbol >= 0 && symbol < escape) {
    encoder.encode(cdf, symbol);
    return;
  }
  encoder.encode(cdf, escape);
  const below = symbol < 0;
  encoder.encodeUniform(below ? 0 : 1, 1);
  encodeGamma(encoder, below ? -symbol - 1 : symbol - escape);
}

/**
 * Decodes one sample's latents from `bytes[start, end)` into `out` (one per element).
 * Damaged bytes give wrong values, never an exception or a hang.
 */
export function decodeLatents(
  bytes: Uint8Array,
  start: number,
  end: number,
  tables: CodingTables,
  out: Int32Array,
): void {
  const decoder = new RangeDecoder(bytes, start, end);
  const context = tables.context;
  if (!context) {
    for (let d = 0; d < tables.cdfs.length; d++) out[d] = decodeElement(decoder, tables, d);
    return;
  }
  walkContexts(context.shape, out, (d, c) => {
    const t = context.index[d * CONTEXTS + c];
    if (t >= 0) {
      const start = context.starts[t];
      const symbols = context.starts[t + 1] - start - 1;
      const symbol = decoder.decodeIn(context.cdf, start, symbols);
      if (symbol < symbols - 1) {
        out[d] = context.offsets[t] + symbol;
        return;
      }
    }
    out[d] = decodeElement(decoder, tables, d);
  });
}

/** The value of element `d` coded by {@link encodeElement}. */
function decodeElement(decoder: RangeDecoder, tables: CodingTables, d: number): number {
  const cdf = tables.cdfs[d];
  const escape = cdf.length - 2;
  const symbol = decoder.decode(cdf);
  if (symbol < escape) return tables.offsets[d] + symbol;
  const below = decoder.decodeUniform(1) === 0;
  const distance = decodeGamma(decoder);
  const v = below ? tables.offsets[d] - 1 - distance : tables.offsets[d] + escape + distance;
  return Math.max(-LATENT_LIMIT, Math.min(LATENT_LIMIT, v));
}

/**
 * n >= 0 as Elias gamma of n + 1 (Elias, "Universal codeword sets and representations of
 * the integers", 1975): k zero bits, a one, then the low k bits of n + 1, where
 * 2^k <= n + 1 < 2^(k+1).
 */
function encodeGamma(encoder: RangeEncoder, n: number): void {
  const m = n + 1;
  const k = Math.floor(Math.log2(m));
  for (let i = 0; i < k; i++) encoder.encodeUniform(0, 1);
  encoder.encodeUniform(1, 1);
  let rest = m - 2 ** k;
  for (let bits = k; bits > 0;) {
    const chunk = Math.min(bits, PRECISION_BITS);
    bits -= chunk;
    encoder.encodeUniform(Math.floor(rest / 2 ** bits), chunk);
    rest %= 2 ** bits;
  }
}

function decodeGamma(decoder: RangeDecoder): number {
  // Valid values need at most 21 leading zeros; damaged input stops there.
  let k = 0;
  while (k < 22 && decoder.decodeUniform(1) === 0) k++;
  let rest = 0;
  for (let bits = k; bits > 0;) {
    const chunk = Math.min(bits, PRECISION_BITS);
    bits -= chunk;
    rest = rest * 2 ** chunk + decoder.decodeUniform(chunk);
  }
  return 2 ** k + rest - 1;
}

/** Tables as JSON: window offsets, sizes, and frequencies minus one as little-endian uint16. */
export interface CodingTablesJson {
  precision: number;
  offsets: number[];
  sizes: number[];
  /** Base64 of every table's frequencies minus one, uint16 little-endian, table after table. */
  frequencies: string;
  /** The context tables, when there are any. */
  context?: ContextTablesJson;
}

/** Context tables as JSON: binary arrays as base64, little-endian. */
export interface ContextTablesJson {
  /** The context rule: {@link CONTEXT_KIND}. */
  kind: string;
  /** The latent map: [channels, height, width]. */
  shape: number[];
  /** Each table's slot (element * contexts + context), uint32, ascending. */
  slots: string;
  /** Each table's value of symbol 0, int32. */
  offsets: string;
  /** Each table's size in symbols, the escape included, uint16 (a size of 65536 as 0). */
  sizes: string;
  /** Every table's frequencies minus one, uint16, table after table. */
  frequencies: string;
}

/** Tables in a JSON-shaped form for a model file's extras. */
export function tablesToJson(tables: CodingTables): CodingTablesJson {
  const json: CodingTablesJson = {
    precision: PRECISION_BITS,
    offsets: Array.from(tables.offsets),
    sizes: tables.cdfs.map((cdf) => cdf.length - 1),
    frequencies: packFrequencies(tables.cdfs),
  };
  const context = tables.context;
  if (context) {
    const count = context.offsets.length;
    const slots = Buffer.alloc(4 * count);
    const offsets = Buffer.alloc(4 * count);
    const sizes = Buffer.alloc(2 * count);
    let t = 0;
    context.index.forEach((table, slot) => {
      if (table < 0) return;
      if (table !== t) throw new RangeError('tablesToJson: context tables out of slot order');
      slots.writeUInt32LE(slot, 4 * t);
      offsets.writeInt32LE(context.offsets[t], 4 * t);
      sizes.writeUInt16LE((context.starts[t + 1] - context.starts[t] - 1) % PRECISION_TOTAL, 2 * t);
      t++;
    });
    json.context = {
      kind: CONTEXT_KIND,
      shape: [...context.shape],
      slots: slots.toString('base64'),
      offsets: offsets.toString('base64'),
      sizes: sizes.toString('base64'),
      frequencies: packFrequencies(
        Array.from({ length: count }, (_, t) =>
          context.cdf.subarray(context.starts[t], context.starts[t + 1]),
        ),
      ),
    };
  }
  return json;
}

function packFrequencies(cdfs: Cdf[]): string {
  const packed = Buffer.alloc(2 * cdfs.reduce((sum, cdf) => sum + cdf.length - 1, 0));
  let at = 0;
  for (const cdf of cdfs) {
    for (let s = 0; s + 1 < cdf.length; s++, at += 2)
      packed.writeUInt16LE(cdf[s + 1] - cdf[s] - 1, at);
  }
  return packed.toString('base64');
}

/** Tables from base64 frequencies of tables of the given sizes; `bad` makes the error. */
function unpackFrequencies(
  base64: unknown,
  sizes: ArrayLike<number>,
  bad: (what: string) => AekitError,
): Cdf[] {
  const packed = Buffer.from(typeof base64 === 'string' ? base64 : '', 'base64');
  let total = 0;
  for (let t = 0; t < sizes.length; t++) total += sizes[t];
  if (packed.length !== 2 * total) {
    throw bad(`frequencies: expected ${2 * total} bytes, got ${packed.length}`);
  }
  const cdfs: Cdf[] = [];
  let at = 0;
  for (let t = 0; t < sizes.length; t++) {
    const cdf = new Uint32Array(sizes[t] + 1);
    for (let s = 0; s < sizes[t]; s++, at += 2) cdf[s + 1] = cdf[s] + packed.readUInt16LE(at) + 1;
    if (cdf[sizes[t]] !== PRECISION_TOTAL) {
      throw bad(`frequencies: table ${t} sums to ${cdf[sizes[t]]}, expected ${PRECISION_TOTAL}`);
    }
    cdfs.push(cdf);
  }
  return cdfs;
}

/**
 * Tables back from {@link tablesToJson}, checked: `where` names the file and field in
 * errors (AekitError 'BAD_FILE').
 */
export function tablesFromJson(json: unknown, elements: number, where: string): CodingTables {
  const bad = (what: string): AekitError => new AekitError('BAD_FILE', `${where}: ${what}`);
  if (typeof json !== 'object' || json === null) throw bad('expected coding tables, got none');
  const j = json as Partial<CodingTablesJson>;
  if (j.precision !== PRECISION_BITS) {
    throw bad(`precision: expected ${PRECISION_BITS} bits, got ${String(j.precision)}`);
  }
  const integers = (value: unknown): value is number[] =>
    Array.isArray(value) &&
    value.length === elements &&
    value.every((v) => Number.isInteger(v) && Math.abs(v) <= 2 ** 31);
  if (!integers(j.offsets)) throw bad(`offsets: expected ${elements} integers`);
  if (!integers(j.sizes) || j.sizes.some((n) => n < 1 || n > 2 ** PRECISION_BITS)) {
    throw bad(`sizes: expected ${elements} table sizes from 1 to ${2 ** PRECISION_BITS}`);
  }
  const cdfs = unpackFrequencies(j.frequencies, j.sizes, bad);
  const tables: CodingTables = { offsets: Int32Array.from(j.offsets), cdfs };
  if (j.context !== undefined) {
    tables.context = contextFromJson(j.context, elements, (what) => bad(`context.${what}`));
  }
  return tables;
}

function contextFromJson(
  json: unknown,
  elements: number,
  bad: (what: string) => AekitError,
): ContextTables {
  if (typeof json !== 'object' || json === null) throw bad('expected context tables');
  const j = json as Partial<ContextTablesJson>;
  if (j.kind !== CONTEXT_KIND) {
    throw bad(`kind: expected '${CONTEXT_KIND}', got ${JSON.stringify(j.kind)}: a newer aekit?`);
  }
  const shape = j.shape;
  if (
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((n) => Number.isInteger(n) && n >= 1) ||
    shape[0] * shape[1] * shape[2] !== elements
  ) {
    throw bad(`shape: expected 3 sizes whose product is ${elements}, got ${JSON.stringify(shape)}`);
  }
  const binary = (field: 'slots' | 'offsets' | 'sizes'): Buffer =>
    Buffer.from(typeof j[field] === 'string' ? j[field] : '', 'base64');
  const slots = binary('slots');
  const offsets = binary('offsets');
  const sizes = binary('sizes');
  const count = slots.length / 4;
  if (!Number.isInteger(count) || offsets.length !== 4 * count || sizes.length !== 2 * count) {
    throw bad(
      `slots, offsets, sizes: expected 4, 4 and 2 bytes per table, got ${slots.length}, ` +
        `${offsets.length} and ${sizes.length} bytes`,
    );
  }
  const index = new Int32Array(elements * CONTEXTS).fill(-1);
  const tableSizes = new Uint32Array(count);
  let previous = -1;
  for (let t = 0; t < count; t++) {
    const slot = slots.readUInt32LE(4 * t);
    if (slot <= previous || slot >= index.length) {
      throw bad(`slots: table ${t}: expected an ascending slot below ${index.length}, got ${slot}`);
    }
    index[slot] = t;
    previous = slot;
    tableSizes[t] = sizes.readUInt16LE(2 * t) || PRECISION_TOTAL;
  }
  const cdfs = unpackFrequencies(j.frequencies, tableSizes, bad);
  const tableOffsets = new Int32Array(count);
  for (let t = 0; t < count; t++) tableOffsets[t] = offsets.readInt32LE(4 * t);
  return {
    shape: [shape[0], shape[1], shape[2]],
    index,
    offsets: tableOffsets,
    ...flattenTables(cdfs),
  };
}
