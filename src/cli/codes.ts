/**
 * Code files, as `aekit encode` writes them and `aekit decode` reads them:
 * - `.csv`: a header `z0,z1,...` (after a `label` column when labels are known), one code
 *   per row;
 * - `.npy`: float32 `[count, latentDim]`, with labels in `<name>.labels.npy` (int32);
 * - `.json`: `{ "latentDim", "codes": [[...], ...], "labels"?, "labelNames"? }`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { api } from './api.js';

/** Codes with their labels when known. */
export interface Codes {
  /** `[count, latentDim]`, C order. */
  values: Float32Array;
  count: number;
  latentDim: number;
  labels?: Int32Array;
  labelNames?: string[];
}

/** The code file formats, by file extension. */
export type CodeFormat = 'csv' | 'npy' | 'json';

/** The format of a code file by its extension, or undefined for another extension. */
export function codeFormat(file: string): CodeFormat | undefined {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv' || extension === '.npy' || extension === '.json') {
    return extension.slice(1) as CodeFormat;
  }
  return undefined;
}

/** A float32 value in the fewest digits that read back to the same float32. */
function float32Text(value: number): string {
  for (let digits = 6; digits < 9; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(Number(value.toPrecision(9)));
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Writes codes to `file` in the format its extension names, atomically. Returns the paths
 * written (an `.npy` file's labels go to a second file).
 */
export async function writeCodes(file: string, codes: Codes): Promise<string[]> {
  const { AekitError, saveNpy, writeFileAtomic } = await api();
  const format = codeFormat(file);
  const { values, count, latentDim, labels, labelNames } = codes;
  const row = (i: number) => Array.from(values.subarray(i * latentDim, (i + 1) * latentDim));
  const labelText = (label: number) => labelNames?.[label] ?? String(label);

  switch (format) {
    case 'csv': {
      const names = Array.from({ length: latentDim }, (_, j) => `z${j}`);
      const lines = [(labels ? ['label', ...names] : names).join(',')];
      for (let i = 0; i < count; i++) {
        const fields = row(i).map(float32Text);
        if (labels) fields.unshift(csvField(labelText(labels[i])));
        lines.push(fields.join(','));
      }
      writeFileAtomic(file, Buffer.from(lines.join('\n') + '\n'));
      return [file];
    }
    case 'npy': {
      saveNpy(file, values, [count, latentDim]);
      if (!labels) return [file];
      const labelFile = file.replace(/\.npy$/i, '.labels.npy');
      saveNpy(labelFile, labels, [count]);
      return [file, labelFile];
    }
    case 'json': {
      // Codes are written with the digits that float32 holds, not float64 noise.
      const rows = Array.from({ length: count }, (_, i) =>
        row(i).map((v) => Number(float32Text(v))),
      );
      const content: Record<string, unknown> = { latentDim, count, codes: rows };
      if (labels) content.labels = Array.from(labels);
      if (labelNames) content.labelNames = labelNames;
      writeFileAtomic(file, Buffer.from(JSON.stringify(content) + '\n'));
      return [file];
    }
    default:
      throw new AekitError(
        'BAD_INPUT',
        `${file}: --output: expected a file ending in .csv, .npy or .json, got ` +
          `'${path.extname(file) || 'no extension'}'`,
      );
  }
}

/**
 * Reads a code file and checks that each code has `latentDim` values; `model` names the
 * model in that message. A `label` column of a CSV file is ignored.
 */
export async function readCodes(file: string, latentDim: number, model: string): Promise<Codes> {
  const aekit = await api();
  const { AekitError } = aekit;
  const format = codeFormat(file);
  let values: Float32Array;
  let width: number;

  if (format === 'csv') {
    const table = await aekit.readTable(file);
    const features = aekit.featureMatrix(table, {}, ['label']);
    values = features.values;
    width = features.columns.length;
  } else if (format === 'npy') {
    const array = await aekit.readNpy(file);
    if (array.shape.length !== 1 && array.shape.length !== 2) {
      throw new AekitError(
        'BAD_INPUT',
        `${file}: shape: expected (count, ${latentDim}) codes, got (${array.shape.join(', ')})`,
      );
    }
    width = array.shape.length === 1 ? array.shape[0] : array.shape[1];
    values = Float32Array.from(array.values);
    aekit.checkFinite(values, file, 'codes', width);
  } else if (format === 'json') {
    ({ values, width } = await readJsonCodes(file, latentDim));
  } else {
    throw new AekitError(
      'BAD_INPUT',
      `${file}: codes: expected a .csv, .npy or .json code file (from aekit encode), got ` +
        `'${path.extname(file) || 'no extension'}'`,
    );
  }

  const count = width === 0 ? 0 : values.length / width;
  if (count === 0) {
    throw new AekitError('BAD_INPUT', `${file}: codes: expected at least 1 code, got none`);
  }
  if (width !== latentDim) {
    throw new AekitError(
      'BAD_INPUT',
      `${file}: codes: expected ${latentDim} values per code (the latent size of ${model}), ` +
        `got ${width}`,
    );
  }
  return { values, count, latentDim };
}

async function readJsonCodes(
  file: string,
  latentDim: number,
): Promise<{ values: Float32Array; width: number }> {
  const { AekitError } = await api();
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new AekitError('BAD_INPUT', `${file}: JSON: ${reason}`);
  }
  const rows = Array.isArray(parsed) ? parsed : (parsed as { codes?: unknown } | null)?.codes;
  if (!Array.isArray(rows)) {
    throw new AekitError(
      'BAD_INPUT',
      `${file}: codes: expected an array of codes or { "codes": [...] }, got ${typeof rows}`,
    );
  }
  const width = rows.length > 0 && Array.isArray(rows[0]) ? rows[0].length : latentDim;
  const values = new Float32Array(rows.length * width);
  rows.forEach((row: unknown, i) => {
    const ok =
      Array.isArray(row) &&
      row.length === width &&
      row.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!ok) {
      throw new AekitError(
        'BAD_INPUT',
        `${file}: codes[${i}]: expected an array of ${width} finite numbers, got ` +
          `${JSON.stringify(row).slice(0, 40)}`,
      );
    }
    values.set(row as number[], i * width);
  });
  return { values, width };
}
