/**
 * `aekit embed`: the map a model makes of some data (each sample's code), written as CSV,
 * JSON or NPY, optionally drawn as a scatter plot coloured by label, and always with the
 * numbers that say how faithful the map is: the 5-nearest-neighbour accuracy of held-out
 * points (the classifier fitted on the training points' codes) and the trustworthiness of
 * the held-out points' neighbourhoods (Venna and Kaski 2001), k = 5.
 */
import { Command } from 'commander';

import { api, printNotices } from './api.js';
import { codeFormat, writeCodes } from './codes.js';
import {
  addDataOptions,
  readData,
  type DataOptions,
  type DataSourceRecord,
} from './data-source.js';
import type { Dataset, LoadedModel } from '../index.js';
import {
  addEngineOptions,
  applyEngineOptions,
  checkOutput,
  describeModel,
  openModel,
  type EngineOptions,
} from './model-file.js';
import { integer } from './options.js';
import { formatCount, formatSeconds } from './progress.js';
import { dataSource, readTrainingData, recordedLimit } from './task-options.js';

interface EmbedOptions extends DataOptions, EngineOptions {
  model: string;
  output: string;
  plot?: string;
  title?: string;
  trainData?: string;
  trainLabels?: string;
  trainLimit?: number;
  trustPoints: number;
  k: number;
  batchSize: number;
  json?: boolean;
}

/** The faithfulness numbers of a map; null where they could not be computed, and why. */
export interface MapFaithfulness {
  /** k-NN accuracy of the held-out points, fitted on the training points' codes. */
  knnAccuracy: number | null;
  /** Why there is no k-NN accuracy. */
  knnMissing?: string;
  /** Training points the classifier was fitted on. */
  trainPoints: number;
  trustworthiness: number;
  /** Held-out points trustworthiness was computed on (a seeded subsample above the cap). */
  trustPoints: number;
  k: number;
}

/** The `embed` command. */
export function embedCommand(): Command {
  const command = new Command('embed')
    .description(
      'map data to its codes (CSV, JSON or NPY) and plot them; prints the 5-NN accuracy and ' +
        'trustworthiness of the map',
    )
    .argument('[data]', 'held-out data to map (the same sources as --data)')
    .requiredOption('--model <file>', 'model file written by aekit train or aekit fit-map')
    .requiredOption('-o, --output <file>', 'coordinates: coords.csv, coords.json or coords.npy');
  addDataOptions(command, false);
  command
    .option('--plot <file>', 'draw the map: map.svg or map.png (a 2-D code only)')
    .option(
      '--title <text>',
      'title of the plot (default: the model and the data; the numbers go under it)',
    )
    .option(
      '--train-data <source>',
      'training data for the k-NN classifier (default: the source recorded by aekit train)',
    )
    .option('--train-labels <file>', 'labels of an IDX or .npy training data file')
    .option(
      '--train-limit <n>',
      'training points the k-NN classifier is fitted on, at most (default: the --limit the ' +
        'model was trained with, else 60000)',
      integer(1),
    )
    .option(
      '--trust-points <n>',
      'held-out points trustworthiness is computed on, at most (a seeded subsample above)',
      integer(11),
      5_000,
    )
    .option('--k <n>', 'neighbours of both numbers', integer(1), 5)
    .option('--batch-size <n>', 'samples per batch', integer(1), 256)
    .option('--json', 'print one JSON object');
  addEngineOptions(command);
  return command.action(async (data: string | undefined, options: EmbedOptions) => {
    await applyEngineOptions(options);
    await runEmbed(await dataSource(data, options), options);
  });
}

async function runEmbed(dataOptions: DataOptions, options: EmbedOptions): Promise<void> {
  const aekit = await api();
  await checkOutput(options.output);
  if (codeFormat(options.output) === undefined) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${options.output}: --output: expected a file ending in .csv, .json or .npy, got another ` +
        'name',
    );
  }
  const plotFormat = options.plot === undefined ? undefined : plotKind(options.plot);
  if (options.plot !== undefined) {
    await checkOutput(options.plot, '--plot');
    if (!plotFormat) {
      throw new aekit.AekitError(
        'BAD_INPUT',
        `${options.plot}: --plot: expected a file ending in .svg or .png, got another name`,
      );
    }
  }

  const loaded = await openModel(options.model);
  const dim = loaded.config.latentDim;
  if (plotFormat && dim !== 2) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${loaded.path}: latent size: expected a 2-D code for --plot, got ${dim} dimensions`,
    );
  }
  const { dataset, spec } = await readData(dataOptions, loaded);
  const started = Date.now();
  const codes = aekit.embed(loaded.model, dataset, options.batchSize);
  const seconds = (Date.now() - started) / 1000;

  const faithfulness = await measure(codes, dataset, spec, loaded, options);
  const written = await writeCodes(options.output, {
    values: codes,
    count: dataset.shape[0],
    latentDim: dim,
    labels: dataset.labels,
    labelNames: dataset.labelNames,
  });

  const numbers = describeFaithfulness(faithfulness);
  if (options.plot && plotFormat) {
    const name = loaded.path.replace(/^.*[\\/]/, '');
    const svg = await aekit.scatterPlot(codes, dataset.labels, {
      title: options.title ?? `${name} on ${spec}`,
      subtitle: plotNumbers(faithfulness),
      ...(dataset.labelNames ? { labelNames: dataset.labelNames } : {}),
    });
    await aekit.writeFileAtomic(
      options.plot,
      plotFormat === 'svg' ? Buffer.from(svg) : await aekit.svgToPng(svg, { scale: 2 }),
    );
    written.push(options.plot);
  }

  if (options.json) {
    console.log(
      JSON.stringify({
        model: loaded.path,
        data: spec,
        samples: dataset.shape[0],
        latentDim: dim,
        seconds,
        ...faithfulness,
        written,
      }),
    );
  } else {
    console.log(
      `mapped ${formatCount(dataset.shape[0])} samples of ${spec} with ${describeModel(loaded)} ` +
        `in ${formatSeconds(seconds)}`,
    );
    console.log(numbers);
    console.log(`wrote ${written.join(' and ')}`);
  }
  loaded.model.dispose();
}

function plotKind(file: string): 'svg' | 'png' | undefined {
  const lower = file.toLowerCase();
  return lower.endsWith('.svg') ? 'svg' : lower.endsWith('.png') ? 'png' : undefined;
}

/** The two numbers in one line, with what they were computed on. */
function describeFaithfulness(f: MapFaithfulness): string {
  const knn =
    f.knnAccuracy === null
      ? `${f.k}-NN accuracy: none (${f.knnMissing})`
      : `${f.k}-NN accuracy ${f.knnAccuracy.toFixed(4)} (fitted on ${formatCount(f.trainPoints)} ` +
        'training points)';
  return (
    `${knn}; trustworthiness ${f.trustworthiness.toFixed(4)} (k = ${f.k}, ` +
    `${formatCount(f.trustPoints)} points)`
  );
}

/** The first three names, and how many more. */
function shortList(names: string[]): string {
  const more = names.length > 3 ? `, ... ${names.length} in all` : '';
  return names.slice(0, 3).join(', ') + more;
}

/** The faithfulness numbers in short, for a plot's subtitle. */
function plotNumbers(f: MapFaithfulness): string {
  const knn = f.knnAccuracy === null ? 'none' : f.knnAccuracy.toFixed(3);
  return `${f.k}-NN accuracy ${knn}, trustworthiness ${f.trustworthiness.toFixed(3)} (k = ${f.k})`;
}

/** k-NN accuracy (when both sides are labelled and the data is held out) and trustworthiness. */
async function measure(
  codes: Float32Array,
  dataset: Dataset,
  spec: string,
  loaded: LoadedModel,
  options: EmbedOptions,
): Promise<MapFaithfulness> {
  const aekit = await api();
  const n = dataset.shape[0];
  const dim = loaded.config.latentDim;
  const k = options.k;
  if (n <= 2 * k) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${dataset.source}: samples: expected more than ${2 * k} to measure the map (k = ${k}), ` +
        `got ${n}`,
    );
  }
  const trust = aekit.trustworthiness(dataset.data, codes, {
    n,
    dimHigh: dataset.data.length / n,
    dimLow: dim,
    k,
    maxPoints: options.trustPoints,
  });
  const result: MapFaithfulness = {
    knnAccuracy: null,
    trainPoints: 0,
    trustworthiness: trust.trustworthiness,
    trustPoints: trust.points,
    k,
  };

  const recorded = (loaded.extras.cli as DataSourceRecord | undefined)?.data;
  const trainSource = options.trainData ?? recorded;
  let missing: string | undefined;
  if (!dataset.labels) missing = `${spec} has no labels`;
  else if (trainSource === undefined) missing = 'no training data: pass --train-data';
  else if (trainSource === spec) missing = `${spec} is the training data, not held out`;
  if (missing) {
    printNotices([`${options.k}-NN accuracy needs labelled held-out data: ${missing}`]);
    return { ...result, knnMissing: missing };
  }

  const limit = options.trainLimit ?? recordedLimit(loaded, options.trainData) ?? 60_000;
  const { dataset: training } = await readTrainingData(
    loaded,
    trainSource,
    '--train-data',
    'the k-NN classifier is fitted on it',
    { labels: options.trainLabels, limit },
  );
  if (!training.labels) {
    const why = `${training.source} has no labels (give --train-labels)`;
    printNotices([`${options.k}-NN accuracy needs labelled training data: ${why}`]);
    return { ...result, knnMissing: why };
  }
  const [heldNames, trainNames] = [dataset.labelNames, training.labelNames];
  if (heldNames && trainNames && heldNames.join('\n') !== trainNames.join('\n')) {
    const why =
      `${spec}'s classes (${shortList(heldNames)}) are not those of ${training.source} ` +
      `(${shortList(trainNames)})`;
    printNotices([`${options.k}-NN accuracy needs held-out data of the training classes: ${why}`]);
    return { ...result, knnMissing: why };
  }
  const trainCodes = aekit.embed(loaded.model, training, options.batchSize);
  const knn = aekit.knnAccuracy(trainCodes, training.labels, codes, dataset.labels as Int32Array, {
    dim,
    k,
  });
  return { ...result, knnAccuracy: knn.accuracy, trainPoints: training.shape[0] };
}
