/**
 * Time series: sliding windows over chosen columns of a CSV file, one row per time step.
 * Each window is a sample of shape `[channels, window]` (channels first, as Conv1d reads).
 */

import { AekitError, checkInteger } from '../engine/errors.js';
import { observedRange, type Dataset, type Loaded, type WindowStep } from './dataset.js';
import { featureMatrix, readTable, type CsvReport, type TableOptions } from './csv.js';

/** Window length and step of {@link slidingWindows}. */
export interface WindowOptions {
  /** Time steps per window. */
  window: number;
  /** Time steps between the starts of consecutive windows. Default 1. */
  stride?: number;
}

/** Windows cut from a series. */
export interface Windows {
  /** `[count, channels, window]`, C order. */
  data: Float32Array;
  count: number;
  /** Time steps at the end that no window covers. */
  uncovered: number;
}

/**
 * Cuts windows out of a series stored as `[length, channels]` (one row per time step):
 * `floor((length - window) / stride) + 1` windows, each `[channels, window]`. A series
 * shorter than the window is an error naming both lengths.
 */
export function slidingWindows(
  series: Float32Array,
  channels: number,
  options: WindowOptions,
  source = 'series',
): Windows {
  checkInteger(channels, `${source}: channels`, 1);
  const window = checkInteger(options.window, `${source}: window`, 1);
  const stride = checkInteger(options.stride ?? 1, `${source}: stride`, 1);
  if (series.length % channels !== 0) {
    throw new AekitError(
      'SHAPE',
      `${source}: series: expected a multiple of ${channels} values (one per channel per ` +
        `step), got ${series.length}`,
    );
  }
  const length = series.length / channels;
  if (length < window) {
    throw new AekitError(
      'BAD_INPUT',
      `${source}: series length: expected at least the window length ${window}, got ${length}`,
    );
  }

  const count = Math.floor((length - window) / stride) + 1;
  const data = new Float32Array(count * channels * window);
  for (let w = 0; w < count; w++) {
    const start = w * stride;
    for (let c = 0; c < channels; c++) {
      const offset = (w * channels + c) * window; // data[w, c, :]
      for (let t = 0; t < window; t++) data[offset + t] = series[(start + t) * channels + c];
    }
  }
  return { data, count, uncovered: length - ((count - 1) * stride + window) };
}

/**
 * Options of {@link loadTimeSeriesCsv}. `window` is required unless `reuse` holds a
 * recorded window step, whose window and stride then apply.
 */
export interface TimeSeriesOptions extends TableOptions, Partial<WindowOptions> {}

/**
 * Reads columns of a CSV file as a multichannel series (rows are time steps), applies the
 * missing-value policy and standardisation per column over the whole series, then cuts
 * sliding windows: shape `[windows, channels, window]`.
 *
 * @example
 * ```ts
 * const { dataset } = await loadTimeSeriesCsv('ecg.csv', {
 *   columns: ['lead1', 'lead2'],
 *   window: 128,
 *   stride: 32,
 *   standardize: true,
 * });
 * ```
 */
export async function loadTimeSeriesCsv(
  file: string,
  options: TimeSeriesOptions,
): Promise<Loaded<CsvReport>> {
  const recorded = (options.reuse ?? []).find((step): step is WindowStep => step.kind === 'window');
  const window = checkInteger(recorded?.window ?? options.window, `${file}: window`, 1);
  const stride = recorded?.stride ?? options.stride ?? 1;

  const table = await readTable(file, options.delimiter);
  const features = featureMatrix(table, options);
  const channels = features.columns.length;
  const windows = slidingWindows(features.values, channels, { window, stride }, file);

  const notices = [...features.notices];
  if (windows.uncovered > 0) {
    notices.push(`${file}: the last ${windows.uncovered} rows are in no window (stride ${stride})`);
  }
  const step: WindowStep = { kind: 'window', window, stride };
  const dataset: Dataset = {
    data: windows.data,
    shape: [windows.count, channels, window],
    valueRange: observedRange(windows.data),
    source: file,
    preprocessing: [...features.steps, step],
  };
  const report: CsvReport = {
    notices,
    rows: features.rows,
    columns: features.columns,
    missing: features.missing,
    imputed: features.imputed,
    constantColumns: features.constantColumns,
  };
  return { dataset, report };
}
