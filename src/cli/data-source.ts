/**
 * The data options every command shares, and reading the data they name with the right
 * reader. Training chooses the preprocessing; every later command reads new data with the
 * preprocessing recorded in the model file and checks that the result fits the model.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

import { Command, Option } from 'commander';

import { api, printNotices } from './api.js';
import type { Dataset, LoadedModel, Loaded, Preprocessing } from '../index.js';
import { imageSize, integer, names } from './options.js';

/** The data options as commander parses them. */
export interface DataOptions {
  data?: string;
  labels?: string;
  labelColumn?: string;
  subfolderLabels?: boolean;
  limit?: number;
  // Training only: later commands take these from the model file.
  columns?: string[];
  window?: number;
  stride?: number;
  imageSize?: [number, number];
  color?: 'gray' | 'rgb';
  missing?: 'error' | 'mean' | 'median';
  standardize?: boolean;
}

/** Which reader a data source goes to. */
export type ReaderKind =
  'mnist' | 'fashion-mnist' | 'images' | 'csv' | 'timeseries' | 'npy' | 'idx';

/** What {@link readData} returns. */
export interface ReadData {
  dataset: Dataset;
  /** The data source as given (or as recorded at training). */
  spec: string;
  reader: ReaderKind;
}

/** How `aekit train` records its data source in the model file's extras. */
export interface DataSourceRecord {
  data: string;
  reader: ReaderKind;
  /** `--limit` of training: the model saw only the first `limit` samples of `data`. */
  limit?: number;
}

/** The record of a training data source, with its `--limit` when one was given. */
export function sourceRecord(spec: string, reader: ReaderKind, limit?: number): DataSourceRecord {
  return limit === undefined ? { data: spec, reader } : { data: spec, reader, limit };
}

const SOURCES =
  'mnist, fashion-mnist[:train|test], a folder of images, or a .csv, .npy or IDX ' +
  '(*-idx3-ubyte[.gz]) file';

/** Adds the data options to `command`; `training` adds the ones that choose preprocessing. */
export function addDataOptions(command: Command, training: boolean): Command {
  const defaultSource = training ? 'default mnist' : 'default: the training data source';
  command
    .option('--data <source>', `${SOURCES} (${defaultSource})`)
    .option('--labels <file>', 'labels of an IDX or .npy data file (an IDX or .npy file)')
    .option('--label-column <name>', 'CSV: the column holding class labels')
    .option('--subfolder-labels', 'image folder: label each image by its subfolder')
    .option('--limit <n>', 'read only the first n samples', integer(1));
  if (!training) return command;
  return command
    .option('--columns <names>', 'CSV: feature columns, comma-separated (default: all)', names)
    .option('--window <steps>', 'CSV as a time series: time steps per window', integer(1))
    .option('--stride <steps>', 'time series: steps between window starts (default 1)', integer(1))
    .option(
      '--image-size <size>',
      'images: resize to 28 or WIDTHxHEIGHT (default: the most common size)',
      imageSize,
    )
    .addOption(
      new Option('--color <mode>', 'images: gray or rgb (default: gray if all are)').choices([
        'gray',
        'rgb',
      ]),
    )
    .addOption(
      new Option('--missing <policy>', 'CSV: missing values are an error or imputed').choices([
        'error',
        'mean',
        'median',
      ]),
    )
    .option('--no-standardize', 'CSV: keep values as read (default: standardise each column)');
}

/** The reader for a source, after checking that a path exists. */
async function readerFor(spec: string, options: DataOptions, recorded: Preprocessing[]) {
  const { AekitError } = await api();
  if (spec === 'mnist') return 'mnist';
  if (spec === 'fashion-mnist' || spec.startsWith('fashion-mnist:')) {
    const split = spec.split(':')[1] ?? 'train';
    if (split !== 'train' && split !== 'test') {
      throw new AekitError(
        'BAD_INPUT',
        `--data: expected fashion-mnist, fashion-mnist:train or fashion-mnist:test, got '${spec}'`,
      );
    }
    return 'fashion-mnist';
  }

  let isFolder: boolean;
  try {
    isFolder = (await stat(spec)).isDirectory();
  } catch {
    throw new AekitError(
      'BAD_INPUT',
      `${spec}: --data: expected ${SOURCES}, got a path that does not exist`,
    );
  }
  if (isFolder) return 'images';
  const name = path.basename(spec).toLowerCase();
  if (name.endsWith('.csv') || name.endsWith('.tsv')) {
    const windowed = options.window !== undefined || recorded.some((s) => s.kind === 'window');
    return windowed ? 'timeseries' : 'csv';
  }
  if (name.endsWith('.npy')) return 'npy';
  if (/idx\d-ubyte(\.gz)?$/.test(name) || /\.idx\d?(\.gz)?$/.test(name)) return 'idx';
  throw new AekitError(
    'BAD_INPUT',
    `${spec}: --data: expected ${SOURCES}, got a file of another kind (by its name)`,
  );
}

/** Options that only some readers take: the option, its key, and those readers. */
const READER_OPTIONS: [string, keyof DataOptions, ReaderKind[]][] = [
  ['--labels', 'labels', ['idx', 'npy']],
  ['--label-column', 'labelColumn', ['csv']],
  ['--subfolder-labels', 'subfolderLabels', ['images']],
  ['--columns', 'columns', ['csv', 'timeseries']],
  ['--window', 'window', ['timeseries']],
  ['--stride', 'stride', ['timeseries']],
  ['--image-size', 'imageSize', ['images']],
  ['--color', 'color', ['images']],
  ['--missing', 'missing', ['csv', 'timeseries']],
];

/**
 * Reads the data that the options name. With `model`, the source defaults to the one the
 * model was trained on, the model's recorded preprocessing is applied, and the data is
 * checked against the model (see {@link checkFits}). Notices are printed on stderr.
 */
export async function readData(options: DataOptions, model?: LoadedModel): Promise<ReadData> {
  const aekit = await api();
  const recorded = model?.preprocessing ?? [];
  const trained = model?.extras.cli as DataSourceRecord | undefined;
  let spec = options.data;
  if (spec === undefined) {
    spec = trained?.data ?? 'mnist';
    if (model && spec !== 'mnist') {
      printNotices([`no --data given: reading the training data source, ${spec}`]);
    }
  }
  const reader = await readerFor(spec, options, recorded);

  for (const [flag, key, readers] of READER_OPTIONS) {
    if (options[key] !== undefined && !readers.includes(reader)) {
      throw new aekit.AekitError(
        'BAD_INPUT',
        `${flag}: applies to ${readers.join(' and ')} data, not to ${spec} (${reader})`,
      );
    }
  }
  if (options.standardize === false && reader !== 'csv' && reader !== 'timeseries') {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `--no-standardize: applies to CSV data, not to ${spec} (${reader})`,
    );
  }

  const limit = options.limit;
  // Training chooses standardisation; later commands take it from the recorded steps.
  const standardize = model ? false : (options.standardize ?? true);
  let loaded: Loaded;
  switch (reader) {
    case 'mnist':
      loaded = await aekit.loadMnist(limit === undefined ? {} : { limit });
      break;
    case 'fashion-mnist': {
      const split = spec.endsWith(':test') ? 'test' : 'train';
      loaded = await aekit.loadFashionMnist({ split, ...(limit ? { limit } : {}) });
      break;
    }
    case 'idx':
      loaded = await aekit.loadIdx(spec, { labels: options.labels, limit });
      break;
    case 'npy':
      loaded = await aekit.loadNpy(spec, { labels: options.labels, limit });
      break;
    case 'csv':
      loaded = await aekit.loadCsv(spec, {
        columns: options.columns,
        labelColumn: options.labelColumn,
        missing: options.missing,
        standardize,
        reuse: await csvReuse(spec, recorded, options.labelColumn),
      });
      break;
    case 'timeseries':
      loaded = await aekit.loadTimeSeriesCsv(spec, {
        columns: options.columns,
        missing: options.missing,
        standardize,
        window: options.window,
        stride: options.stride,
        reuse: recorded,
      });
      break;
    case 'images':
      loaded = await aekit.loadImageFolder(spec, {
        width: options.imageSize?.[0],
        height: options.imageSize?.[1],
        channels: options.color === undefined ? undefined : options.color === 'gray' ? 1 : 3,
        labelsFromSubfolders: options.subfolderLabels ?? false,
        reuse: recorded,
      });
      break;
  }
  printNotices(loaded.report.notices);

  // Limitation: the CSV, time-series and image-folder readers have no limit of their own,
  // so they read every sample and the first `limit` are kept here.
  let dataset = loaded.dataset;
  if (limit !== undefined && dataset.shape[0] > limit) {
    dataset = aekit.take(
      dataset,
      Array.from({ length: limit }, (_, i) => i),
    );
  }
  if (model) await checkFits(dataset, model);
  return { dataset, spec, reader };
}

/**
 * The recorded steps for reading a CSV file. A label column recorded at training is
 * dropped when this file has none, so that unlabelled new data can still be read.
 */
async function csvReuse(
  file: string,
  recorded: Preprocessing[],
  labelColumn: string | undefined,
): Promise<Preprocessing[]> {
  const columns = recorded.find((step) => step.kind === 'columns');
  if (!columns?.labelColumn || labelColumn !== undefined) return recorded;
  const { readTable } = await api();
  const table = await readTable(file);
  if (table.header.includes(columns.labelColumn)) return recorded;
  const unlabelled = { ...columns };
  delete unlabelled.labelColumn;
  delete unlabelled.labelNames;
  return recorded.map((step) => (step === columns ? unlabelled : step));
}

/** Steps that give values their meaning: new data must have been through the same ones. */
const DEFINING_STEPS = ['columns', 'impute', 'standardize', 'window'] as const;

/**
 * Checks new data against a model: the sample shape must be the model's input shape, the
 * values must suit its likelihood, and the columns, imputation, standardisation and
 * windowing recorded at training must be the ones this data went through.
 */
export async function checkFits(dataset: Dataset, model: LoadedModel): Promise<void> {
  const { AekitError, observedRange, sampleShape } = await api();
  const expected = model.config.inputShape;
  const got = sampleShape(dataset);
  if (got.length !== expected.length || got.some((size, i) => size !== expected[i])) {
    // An array of single-channel images without its channel axis: say how to add it.
    const noChannel =
      expected[0] === 1 &&
      got.length === expected.length - 1 &&
      got.join() === expected.slice(1).join();
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: sample shape: expected [${expected.join(', ')}] (the input of ` +
        `${model.path}), got [${got.join(', ')}]` +
        (noChannel ? `; reshape the array to [count, ${expected.join(', ')}]` : ''),
    );
  }

  for (const kind of DEFINING_STEPS) {
    const want = model.preprocessing.find((step) => step.kind === kind);
    if (!want) continue;
    const have = dataset.preprocessing.find((step) => step.kind === kind);
    const same = (a: Preprocessing, b: Preprocessing) =>
      a.kind === 'columns' && b.kind === 'columns'
        ? a.columns.join('\n') === b.columns.join('\n')
        : JSON.stringify(a) === JSON.stringify(b);
    if (!have || !same(want, have)) {
      throw new AekitError(
        'BAD_INPUT',
        `${dataset.source}: preprocessing: expected the ${kind} step recorded in ` +
          `${model.path} (read data of the same kind as ${model.data.source}), got ` +
          `${have ? 'a different one' : 'none'}`,
      );
    }
  }

  if (model.config.likelihood === 'bernoulli') {
    const [low, high] = observedRange(dataset.data);
    if (low < 0 || high > 1) {
      throw new AekitError(
        'BAD_INPUT',
        `${dataset.source}: values: expected values in [0, 1] for the Bernoulli likelihood ` +
          `of ${model.path}, got values from ${low} to ${high}`,
      );
    }
  }
}
