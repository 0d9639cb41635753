/**
 * CSV tables: numeric feature columns, an optional label column, a missing-value policy and
 * standardisation whose statistics are recorded so they can be re-applied to new data.
 * Parsing is done by `csv-parse`; the first record must name the columns.
 */

import { readFile } from 'node:fs/promises';

import { parse } from 'csv-parse/sync';

import { AekitError, checkType } from '../engine/errors.js';
import {
  observedRange,
  type ColumnsStep,
  type Dataset,
  type ImputeStep,
  type Loaded,
  type LoadReport,
  type Preprocessing,
  type StandardizeStep,
} from './dataset.js';
import { fileError, messageOf } from './messages.js';

/** What to do with a missing value: fail naming it, or replace it by a column statistic. */
export type MissingPolicy = 'error' | 'mean' | 'median';

/** Cell texts read as missing, compared case-insensitively after trimming. */
export const MISSING_TOKENS = ['', 'na', 'n/a', 'nan', 'null', 'none', '?'];

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Options shared by {@link loadCsv} and the time-series reader. */
export interface TableOptions {
  /** Feature columns, in order. Default: every column except `labelColumn`. */
  columns?: string[];
  /** Missing values: `'error'` (default) names the file, row and column; or impute. */
  missing?: MissingPolicy;
  /** Standardise each column to mean 0, std 1. Default false. */
  standardize?: boolean;
  /** Field delimiter. Default `','`. */
  delimiter?: string;
  /**
   * Preprocessing recorded when the model was trained: its columns, imputation values and
   * standardisation statistics are used instead of ones computed from this file.
   */
  reuse?: Preprocessing[];
}

/** Options of {@link loadCsv}. */
export interface CsvOptions extends TableOptions {
  /** Column holding class labels (any text); not a feature. */
  labelColumn?: string;
}

/** Report of {@link loadCsv}. */
export interface CsvReport extends LoadReport {
  /** Data rows read. */
  rows: number;
  /** Feature columns, in order. */
  columns: string[];
  /** Missing values per feature column (every column listed, 0 where none). */
  missing: Record<string, number>;
  /** Replacement value per column where missing values were imputed. */
  imputed: Record<string, number>;
  /** Columns with a single value, left at 0 by standardisation. */
  constantColumns: string[];
}

/** A parsed table: header names and the data records with their line numbers. */
export interface Table {
  file: string;
  header: string[];
  records: { cells: string[]; line: number }[];
}

/**
 * Reads a CSV file with `csv-parse`. Errors (unreadable, ragged rows, bad quoting, no
 * header, duplicate column names, no data rows) name the file and the line.
 */
export async function readTable(file: string, delimiter = ','): Promise<Table> {
  checkType(typeof file === 'string', 'readTable: file', 'a path string', file);
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (error) {
    throw fileError('BAD_FILE', file, 'file', 'a readable file', messageOf(error), error);
  }

  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      delimiter,
      info: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    throw new AekitError('BAD_FILE', `${file}: CSV: ${messageOf(error)}`, { cause: error });
  }
  if (parsed.length === 0) {
    throw fileError('BAD_FILE', file, 'header', 'a first row of column names', 'an empty file');
  }

  const header = parsed[0].record;
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') {
      throw fileError('BAD_FILE', file, `header column ${i + 1}`, 'a column name', 'empty');
    }
    if (seen.has(name)) {
      throw fileError('BAD_FILE', file, 'header', 'distinct column names', `'${name}' twice`);
    }
    seen.add(name);
  });
  const records = parsed.slice(1).map(({ record, info }) => ({ cells: record, line: info.lines }));
  if (records.length === 0) {
    throw fileError('BAD_INPUT', file, 'rows', 'at least 1 data row', '0 (empty set)');
  }
  return { file, header, records };
}

/** The index of each named column in the table, with an error naming a missing one. */
export function columnIndices(table: Table, names: string[]): number[] {
  return names.map((name) => {
    const index = table.header.indexOf(name);
    if (index < 0) {
      throw fileError(
        'BAD_INPUT',
        table.file,
        `column '${name}'`,
        `a column of the header (${table.header.join(', ')})`,
        'none',
      );
    }
    return index;
  });
}

/** Numeric features of a table after the missing-value policy and standardisation. */
export interface FeatureMatrix {
  /** `[rows, columns]`, C order. */
  values: Float32Array;
  rows: number;
  columns: string[];
  /** Steps applied, in order: columns, then impute and standardize where done. */
  steps: Preprocessing[];
  missing: Record<string, number>;
  imputed: Record<string, number>;
  constantColumns: string[];
  notices: string[];
}

/**
 * Reads the chosen numeric columns of a table, applies the missing-value policy and,
 * if asked, standardisation, reusing recorded statistics where `options.reuse` has them.
 */
export function featureMatrix(
  table: Table,
  options: TableOptions,
  exclude: string[] = [],
): FeatureMatrix {
  const file = table.file;
  const reused = reusedSteps(options.reuse ?? [], file);
  const columns =
    reused.columns?.columns ??
    options.columns ??
    table.header.filter((name) => !exclude.includes(name));
  if (options.columns && reused.columns && options.columns.join() !== columns.join()) {
    throw fileError(
      'BAD_INPUT',
      file,
      'columns',
      `the recorded columns (${columns.join(', ')})`,
      options.columns.join(', '),
    );
  }
  if (columns.length === 0) {
    throw fileError('BAD_INPUT', file, 'columns', 'at least one numeric column', 'none');
  }
  const indices = columnIndices(table, columns);
  const policy = reused.impute?.strategy ?? options.missing ?? 'error';
  if (policy !== 'error' && policy !== 'mean' && policy !== 'median') {
    throw new TypeError(
      `${file}: missing: expected 'error', 'mean' or 'median', got ${JSON.stringify(policy)}`,
    );
  }

  // Parse every cell; a missing one is NaN until imputed.
  const rows = table.records.length;
  const width = columns.length;
  const values = new Float64Array(rows * width);
  const missingCounts = new Array<number>(width).fill(0);
  table.records.forEach(({ cells, line }, row) => {
    for (let c = 0; c < width; c++) {
      const text = cells[indices[c]];
      const where = `row ${row + 1} (line ${line}), column '${columns[c]}'`;
      if (MISSING_TOKENS.includes(text.toLowerCase())) {
        if (policy === 'error') {
          throw fileError(
            'BAD_INPUT',
            file,
            where,
            "a number (or choose missing: 'mean' or 'median')",
            `missing value ${JSON.stringify(text)}`,
          );
        }
        values[row * width + c] = NaN;
        missingCounts[c]++;
      } else if (NUMBER.test(text)) {
        values[row * width + c] = Number(text);
      } else {
        throw fileError('BAD_INPUT', file, where, 'a number', JSON.stringify(text));
      }
    }
  });

  const steps: Preprocessing[] = [{ kind: 'columns', columns: [...columns] }];
  const notices: string[] = [];
  const imputed: Record<string, number> = {};
  if (policy !== 'error') {
    const fills =
      reused.impute?.values ?? columns.map((name, c) => columnStatistic(values, c, width, policy));
    columns.forEach((name, c) => {
      if (Number.isNaN(fills[c])) {
        throw fileError(
          'BAD_INPUT',
          file,
          `column '${name}'`,
          `at least one value to compute the ${policy} from`,
          `all ${rows} values missing`,
        );
      }
      if (missingCounts[c] > 0) {
        imputed[name] = fills[c];
        notices.push(
          `${file}: column '${name}': ${missingCounts[c]} missing values replaced by the ` +
            `${policy} ${fills[c]}`,
        );
      }
      for (let r = 0; r < rows; r++) {
        if (Number.isNaN(values[r * width + c])) values[r * width + c] = fills[c];
      }
    });
    const step: ImputeStep = {
      kind: 'impute',
      strategy: policy,
      columns: [...columns],
      values: fills,
    };
    steps.push(step);
  }

  let constantColumns: string[] = [];
  let standardize = reused.standardize;
  if (!standardize && options.standardize) {
    ({ step: standardize, constantColumns } = fitStandardize(values, columns));
    if (constantColumns.length > 0) {
      notices.push(
        `${file}: constant columns left at 0 by standardisation: ${constantColumns.join(', ')}`,
      );
    }
  }
  if (standardize) {
    applyStandardize(values, standardize);
    steps.push(standardize);
  }

  const missing: Record<string, number> = {};
  columns.forEach((name, c) => (missing[name] = missingCounts[c]));
  const result = Float32Array.from(values);
  return {
    values: result,
    rows,
    columns: [...columns],
    steps,
    missing,
    imputed,
    constantColumns,
    notices,
  };
}

/**
 * Fits per-column standardisation to `[rows, columns]` values: the mean and the
 * population standard deviation. A constant column (spread at rounding-noise level) gets
 * std 1, so it maps to 0, and is listed in `constantColumns`.
 */
export function fitStandardize(
  values: Float64Array | Float32Array,
  columns: string[],
): { step: StandardizeStep; constantColumns: string[] } {
  const width = columns.length;
  const rows = values.length / width;
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  const constantColumns: string[] = [];
  for (let c = 0; c < width; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += values[r * width + c];
    mean[c] = sum / rows;
    let squares = 0;
    for (let r = 0; r < rows; r++) squares += (values[r * width + c] - mean[c]) ** 2;
    const deviation = Math.sqrt(squares / rows);
    if (deviation > 1e-12 * Math.max(1, Math.abs(mean[c]))) {
      std[c] = deviation;
    } else {
      std[c] = 1;
      constantColumns.push(columns[c]);
    }
  }
  return { step: { kind: 'standardize', columns: [...columns], mean, std }, constantColumns };
}

/** Applies a recorded standardisation in place to `[rows, columns]` values. */
export function applyStandardize(values: Float64Array | Float32Array, step: StandardizeStep): void {
  const width = step.columns.length;
  for (let i = 0; i < values.length; i++) {
    const c = i % width;
    values[i] = (values[i] - step.mean[c]) / step.std[c];
  }
}

/**
 * Reads a CSV table into a dataset of shape `[rows, columns]`.
 *
 * @example
 * ```ts
 * const { dataset, report } = await loadCsv('sensors.csv', {
 *   labelColumn: 'state',
 *   missing: 'median',
 *   standardize: true,
 * });
 * ```
 */
export async function loadCsv(file: string, options: CsvOptions = {}): Promise<Loaded<CsvReport>> {
  const table = await readTable(file, options.delimiter);
  const reusedColumns = reusedSteps(options.reuse ?? [], file).columns;
  const labelColumn = options.labelColumn ?? reusedColumns?.labelColumn;
  const features = featureMatrix(table, options, labelColumn === undefined ? [] : [labelColumn]);
  if (labelColumn !== undefined && features.columns.includes(labelColumn)) {
    throw fileError(
      'BAD_INPUT',
      file,
      'labelColumn',
      'a column that is not also a feature',
      `'${labelColumn}'`,
    );
  }

  const dataset: Dataset = {
    data: features.values,
    shape: [features.rows, features.columns.length],
    valueRange: observedRange(features.values),
    source: file,
    preprocessing: features.steps,
  };
  if (labelColumn !== undefined) {
    const [index] = columnIndices(table, [labelColumn]);
    const texts = table.records.map(({ cells, line }, row) => {
      const text = cells[index];
      if (text === '') {
        throw fileError(
          'BAD_INPUT',
          file,
          `row ${row + 1} (line ${line}), column '${labelColumn}'`,
          'a label',
          'an empty cell',
        );
      }
      return text;
    });
    const names = reusedColumns?.labelNames ?? sortLabels([...new Set(texts)]);
    const lookup = new Map(names.map((name, i) => [name, i]));
    dataset.labels = Int32Array.from(texts, (text, row) => {
      const label = lookup.get(text);
      if (label === undefined) {
        throw fileError(
          'BAD_INPUT',
          file,
          `row ${row + 1}, column '${labelColumn}'`,
          `a recorded label (${names.join(', ')})`,
          JSON.stringify(text),
        );
      }
      return label;
    });
    dataset.labelNames = names;
    const columnsStep = features.steps[0] as ColumnsStep;
    columnsStep.labelColumn = labelColumn;
    columnsStep.labelNames = [...names];
  }

  const report: CsvReport = {
    notices: features.notices,
    rows: features.rows,
    columns: features.columns,
    missing: features.missing,
    imputed: features.imputed,
    constantColumns: features.constantColumns,
  };
  return { dataset, report };
}

/** Label texts in order: numerically when all are numbers, otherwise by text. */
function sortLabels(names: string[]): string[] {
  if (names.every((name) => NUMBER.test(name))) return names.sort((a, b) => Number(a) - Number(b));
  return names.sort();
}

function columnStatistic(
  values: Float64Array,
  column: number,
  width: number,
  statistic: 'mean' | 'median',
): number {
  const present: number[] = [];
  for (let i = column; i < values.length; i += width) {
    if (!Number.isNaN(values[i])) present.push(values[i]);
  }
  if (present.length === 0) return NaN;
  if (statistic === 'mean') return present.reduce((a, b) => a + b, 0) / present.length;
  present.sort((a, b) => a - b);
  const middle = present.length >> 1;
  return present.length % 2 === 1 ? present[middle] : (present[middle - 1] + present[middle]) / 2;
}

interface ReusedSteps {
  columns?: ColumnsStep;
  impute?: ImputeStep;
  standardize?: StandardizeStep;
}

function reusedSteps(steps: Preprocessing[], file: string): ReusedSteps {
  checkType(Array.isArray(steps), `${file}: reuse`, 'an array of preprocessing steps', steps);
  const found: ReusedSteps = {};
  for (const step of steps) {
    if (step.kind === 'columns') found.columns = step;
    if (step.kind === 'impute') found.impute = step;
    if (step.kind === 'standardize') found.standardize = step;
  }
  const columns = found.columns?.columns;
  for (const step of [found.impute, found.standardize]) {
    if (step && columns && step.columns.join() !== columns.join()) {
      throw fileError(
        'BAD_INPUT',
        file,
        `reuse ${step.kind} columns`,
        `the recorded columns (${columns.join(', ')})`,
        step.columns.join(', '),
      );
    }
  }
  return found;
}
