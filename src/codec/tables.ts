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
import { Cdf, PRECISION_BITS, RangeDecoder, RangeEncoder, quantizePmf } from './range-coder.js';

/** Latent values are clamped to [-LATENT_LIMIT, LATENT_LIMIT] before coding. */
export const LATENT_LIMIT = 2 ** 20;

/** The integer tables of every latent element. */
export interface CodingTables {
  /** The latent value of symbol 0 of each element's table: [elements]. */
  offsets: Int32Array;
  /** One table per element; its last symbol is the escape. */
  cdfs: Cdf[];
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

/** Codes one sample's integer latents (one per element, in order) into bytes. */
export function encodeLatents(values: ArrayLike<number>, tables: CodingTables): Uint8Array {
  const encoder = new RangeEncoder();
  const elements = tables.cdfs.length;
  if (values.length !== elements) {
    throw new RangeError(
      `encodeLatents: values: expected ${elements} latents (one per table), got ${values.length}`,
    );
  }
  for (let d = 0; d < elements; d++) {
    const cdf = tables.cdfs[d];
    const escape = cdf.length - 2;
    // Limitation: latents beyond +-2^20 are clamped, so an image that drives the analysis
    // transform that far (nothing like its training data) decodes wrong; none has been seen.
    const v = Math.max(-LATENT_LIMIT, Math.min(LATENT_LIMIT, values[d]));
    const symbol = v - tables.offsets[d];
    if (symbol >= 0 && symbol < escape) {
      encoder.encode(cdf, symbol);
      continue;
    }
    encoder.encode(cdf, escape);
    const below = symbol < 0;
    encoder.encodeUniform(below ? 0 : 1, 1);
    encodeGamma(encoder, below ? -symbol - 1 : symbol - escape);
  }
  return encoder.finish();
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
  for (let d = 0; d < tables.cdfs.length; d++) {
    const cdf = tables.cdfs[d];
    const escape = cdf.length - 2;
    const symbol = decoder.decode(cdf);
    if (symbol < escape) {
      out[d] = tables.offsets[d] + symbol;
      continue;
    }
    const below = decoder.decodeUniform(1) === 0;
    const distance = decodeGamma(decoder);
    const v = below ? tables.offsets[d] - 1 - distance : tables.offsets[d] + escape + distance;
    out[d] = Math.max(-LATENT_LIMIT, Math.min(LATENT_LIMIT, v));
  }
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
}

/** Tables in a JSON-shaped form for a model file's extras. */
export function tablesToJson(tables: CodingTables): CodingTablesJson {
  const sizes = tables.cdfs.map((cdf) => cdf.length - 1);
  const packed = Buffer.alloc(2 * sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const cdf of tables.cdfs) {
    for (let s = 0; s + 1 < cdf.length; s++, at += 2)
      packed.writeUInt16LE(cdf[s + 1] - cdf[s] - 1, at);
  }
  return {
    precision: PRECISION_BITS,
    offsets: Array.from(tables.offsets),
    sizes,
    frequencies: packed.toString('base64'),
  };
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
  const packed = Buffer.from(typeof j.frequencies === 'string' ? j.frequencies : '', 'base64');
  const total = j.sizes.reduce((a, b) => a + b, 0);
  if (packed.length !== 2 * total) {
    throw bad(`frequencies: expected ${2 * total} bytes, got ${packed.length}`);
  }
  const cdfs: Cdf[] = [];
  let at = 0;
  for (let d = 0; d < elements; d++) {
    const cdf = new Uint32Array(j.sizes[d] + 1);
    for (let s = 0; s < j.sizes[d]; s++, at += 2) cdf[s + 1] = cdf[s] + packed.readUInt16LE(at) + 1;
    if (cdf[j.sizes[d]] !== 2 ** PRECISION_BITS) {
      throw bad(
        `frequencies: table ${d} sums to ${cdf[j.sizes[d]]}, expected ${2 ** PRECISION_BITS}`,
      );
    }
    cdfs.push(cdf);
  }
  return { offsets: Int32Array.from(j.offsets), cdfs };
}
