/**
 * Pieces shared by the task commands (score, generate, denoise, embed): the data source as
 * a positional argument or `--data`, refusing a model of the wrong kind, reading the
 * training data that a model file records, and writing small CSV tables.
 */
import { api } from './api.js';
import { readData, type DataOptions, type DataSourceRecord, type ReadData } from './data-source.js';
import type { LoadedModel } from '../index.js';
import { describeModel } from './model-file.js';

/**
 * The data source of a command that takes it as a positional argument or as `--data`:
 * giving both, with different values, is refused.
 */
export async function dataSource(
  positional: string | undefined,
  options: DataOptions,
): Promise<DataOptions> {
  if (positional === undefined) return options;
  if (options.data !== undefined && options.data !== positional) {
    const { AekitError } = await api();
    throw new AekitError(
      'BAD_INPUT',
      `--data: expected the data source once (as DATA or --data), got both '${positional}' ` +
        `and '${options.data}'`,
    );
  }
  return { ...options, data: positional };
}

/** Refuses a model that is not a VAE, naming the command and how to train one. */
export async function requireVae(loaded: LoadedModel, command: string): Promise<void> {
  const { AekitError } = await api();
  if (loaded.config.family === 'vae') return;
  throw new AekitError(
    'BAD_INPUT',
    `${loaded.path}: model: expected a VAE for aekit ${command} (train one with --model vae or ` +
      `--model conv-vae), got a ${describeModel(loaded)} model`,
  );
}

/**
 * The `--limit` a model was trained with, when `source` (undefined: the recorded one) is the
 * source it was trained on.
 */
export function recordedLimit(loaded: LoadedModel, source: string | undefined): number | undefined {
  const recorded = loaded.extras.cli as DataSourceRecord | undefined;
  if (recorded === undefined || (source !== undefined && source !== recorded.data))
    return undefined;
  return recorded.limit;
}

/**
 * Reads the data a model was trained on: `source` when given, else the source that
 * `aekit train` recorded in the model file, cut to the recorded `--limit` unless
 * `options.limit` says otherwise. A model trained through the API records none; then `flag`
 * must name one, and `why` says what it is for.
 */
export async function readTrainingData(
  loaded: LoadedModel,
  source: string | undefined,
  flag: string,
  why: string,
  options: DataOptions = {},
): Promise<ReadData> {
  const { AekitError } = await api();
  const recorded = loaded.extras.cli as DataSourceRecord | undefined;
  const data = source ?? recorded?.data;
  if (data === undefined) {
    throw new AekitError(
      'BAD_INPUT',
      `${loaded.path}: data source: expected a training data source recorded by aekit train ` +
        `(${why}), got none: pass ${flag} SOURCE`,
    );
  }
  const limit = options.limit ?? recordedLimit(loaded, source);
  return readData({ ...options, data, ...(limit === undefined ? {} : { limit }) }, loaded);
}

/** The label text of each class index: the dataset's names, or the index itself. */
export function labelText(label: number, names: string[] | undefined): string {
  return names?.[label] ?? String(label);
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A number for a CSV file: up to 9 significant digits, no float noise. */
export function csvNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(9)));
}

/** CSV text from a header and rows of fields, one line each, with a final line break. */
export function csvText(header: string[], rows: string[][]): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return lines.join('\n') + '\n';
}
