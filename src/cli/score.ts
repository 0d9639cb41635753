/**
 * `aekit score`: anomaly scores of each sample (row, image or window) by reconstruction
 * error, and for a VAE by the negative ELBO, written as CSV or JSON. A threshold flags
 * samples only when the user picks how it is chosen; with labels, ROC-AUC and PR-AUC.
 */
import { Command, InvalidArgumentError, Option } from 'commander';

import { api, printNotices } from './api.js';
import { addDataOptions, readData, type DataOptions } from './data-source.js';
import type { AnomalyScores, Dataset, LoadedModel, ScoreKind, Threshold } from '../index.js';
import {
  addEngineOptions,
  applyEngineOptions,
  checkOutput,
  describeModel,
  openModel,
  type EngineOptions,
} from './model-file.js';
import { integer, names } from './options.js';
import { formatCount, formatNumber } from './progress.js';
import {
  csvNumber,
  csvText,
  dataSource,
  labelText,
  readTrainingData,
  requireVae,
} from './task-options.js';

/** How `--threshold` is chosen. */
export type ThresholdSpec =
  | { kind: 'percentile'; p: number }
  | { kind: 'contamination'; fraction: number }
  | { kind: 'auto'; method: 'mad' | 'otsu' }
  | { kind: 'value'; value: number };

const THRESHOLD_USAGE =
  'percentile:P (of the training scores, P in [0, 100]), contamination:F (F in (0, 1)), ' +
  'auto, auto:otsu or value:X';

/**
 * Parses `--threshold`: `percentile:99`, `contamination:0.05`, `auto`, `auto:otsu` or
 * `value:3.5`.
 */
export function thresholdSpec(text: string): ThresholdSpec {
  const [kind, argument, ...rest] = text.trim().split(':');
  const value = Number(argument);
  const numeric = argument !== undefined && argument.trim() !== '' && Number.isFinite(value);
  if (rest.length === 0) {
    if (kind === 'percentile' && numeric && value >= 0 && value <= 100) {
      return { kind, p: value };
    }
    if (kind === 'contamination' && numeric && value > 0 && value < 1) {
      return { kind, fraction: value };
    }
    if (kind === 'auto' && (argument === undefined || argument === 'mad')) {
      return { kind, method: 'mad' };
    }
    if (kind === 'auto' && argument === 'otsu') return { kind, method: 'otsu' };
    if (kind === 'value' && numeric) return { kind, value };
  }
  throw new InvalidArgumentError(`expected ${THRESHOLD_USAGE}`);
}

interface ScoreOptions extends DataOptions, EngineOptions {
  model: string;
  output: string;
  score?: 'reconstruction' | 'elbo';
  threshold?: ThresholdSpec;
  trainData?: string;
  normalClass?: string[];
  elboSamples: number;
  batchSize: number;
  seed: number;
  json?: boolean;
}

/** A threshold and the rule that chose it (one of the metrics layer's, or a given value). */
export interface ChosenThreshold {
  threshold: number;
  method: Threshold['method'] | 'value';
  /** One line: the rule and its numbers. */
  description: string;
}

/** What `aekit score --json` prints. */
export interface ScoreResult {
  model: string;
  data: string;
  samples: number;
  /** The score that thresholds and AUCs use. */
  score: ScoreKind;
  median: number;
  threshold: (ChosenThreshold & { flagged: number }) | null;
  /** With anomaly labels: ROC-AUC and PR-AUC (average precision), anomalies positive. */
  labels: { anomalies: number; normal: number; rocAuc: number; prAuc: number } | null;
  output: string;
}

/** The `score` command. */
export function scoreCommand(): Command {
  const command = new Command('score')
    .description(
      'anomaly scores per sample (reconstruction error; -ELBO for a VAE) as CSV or JSON, ' +
        'with a threshold and ROC-AUC/PR-AUC when asked',
    )
    .argument('[data]', 'the data to score (the same sources as --data)')
    .requiredOption('--model <file>', 'model file written by aekit train')
    .requiredOption('-o, --output <file>', 'scores file: scores.csv or scores.json');
  addDataOptions(command, false);
  command
    .addOption(
      new Option(
        '--score <kind>',
        'score that thresholds and AUCs use (default: elbo for a VAE, else reconstruction)',
      ).choices(['reconstruction', 'elbo']),
    )
    .option(
      '--threshold <spec>',
      `flag anomalies: ${THRESHOLD_USAGE} (default: none, nothing flagged)`,
      thresholdSpec,
    )
    .option(
      '--train-data <source>',
      'training data for percentile thresholds (default: the source recorded by aekit train)',
    )
    .option(
      '--normal-class <labels>',
      'labels of normal samples, comma-separated; the rest are anomalies (for ROC-AUC/PR-AUC)',
      names,
    )
    .option('--elbo-samples <n>', 'VAE: posterior draws averaged per -ELBO', integer(1), 4)
    .option('--batch-size <n>', 'samples per batch', integer(1), 256)
    .option('--seed <n>', 'seed of the VAE posterior draws', integer(0), 0)
    .option('--json', 'print one JSON object');
  addEngineOptions(command);
  return command.action(async (data: string | undefined, options: ScoreOptions) => {
    await applyEngineOptions(options);
    const result = await runScore(await dataSource(data, options), options);
    if (options.json) console.log(JSON.stringify(result));
  });
}

async function runScore(dataOptions: DataOptions, options: ScoreOptions): Promise<ScoreResult> {
  const aekit = await api();
  await checkOutput(options.output);
  const format = options.output.toLowerCase().endsWith('.json')
    ? 'json'
    : options.output.toLowerCase().endsWith('.csv')
      ? 'csv'
      : undefined;
  if (!format) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${options.output}: --output: expected a file ending in .csv or .json, got another name`,
    );
  }

  const loaded = await openModel(options.model);
  const vae = loaded.config.family === 'vae';
  if (options.score === 'elbo') await requireVae(loaded, 'score --score elbo');
  const kind: ScoreKind =
    (options.score ?? (vae ? 'elbo' : 'reconstruction')) === 'elbo'
      ? 'negative-elbo'
      : 'reconstruction';
  const { dataset, spec } = await readData(dataOptions, loaded);
  const anomalyLabels = await anomalyLabelsOf(dataset, options.normalClass);

  const scoreOptions = {
    batchSize: options.batchSize,
    elboSamples: options.elboSamples,
    seed: options.seed,
  };
  const scores = aekit.anomalyScores(loaded.model, dataset, scoreOptions);
  const chosen = aekit.pickScore(scores, kind, loaded.path);

  let threshold: ChosenThreshold | null = null;
  if (options.threshold) {
    const spec = options.threshold;
    threshold = await chooseThreshold(spec, kind, chosen, loaded, options, scoreOptions);
  } else if (!options.json) {
    printNotices([
      'no --threshold given: scores only, nothing flagged (pick percentile:P, ' +
        'contamination:F or auto)',
    ]);
  }
  const cut = threshold?.threshold;
  const flags = cut === undefined ? null : Uint8Array.from(chosen, (s) => (s > cut ? 1 : 0));

  await writeScores(options.output, format, dataset, scores, flags);

  let labels: ScoreResult['labels'] = null;
  if (anomalyLabels) {
    const anomalies = anomalyLabels.reduce((total, label) => total + label, 0);
    labels = {
      anomalies,
      normal: anomalyLabels.length - anomalies,
      rocAuc: aekit.rocAuc(chosen, anomalyLabels),
      prAuc: aekit.prAuc(chosen, anomalyLabels),
    };
  }
  const flagged = flags ? flags.reduce((total, flag) => total + flag, 0) : 0;
  const result: ScoreResult = {
    model: loaded.path,
    data: spec,
    samples: dataset.shape[0],
    score: kind,
    median: median(chosen),
    threshold: threshold ? { ...threshold, flagged } : null,
    labels,
    output: options.output,
  };
  if (!options.json) printSummary(result, loaded);
  loaded.model.dispose();
  return result;
}

/**
 * 0/1 anomaly labels from the data's labels: with `--normal-class`, every other class is an
 * anomaly; without it, labels named 0/1 (or false/true, normal/anomaly) are used as they
 * are. Class labels without `--normal-class` give no AUCs (a notice says how to get them).
 */
async function anomalyLabelsOf(
  dataset: Dataset,
  normalClass: string[] | undefined,
): Promise<Int32Array | null> {
  const { AekitError } = await api();
  const labels = dataset.labels;
  if (!labels) {
    if (normalClass) {
      throw new AekitError(
        'BAD_INPUT',
        `${dataset.source}: labels: expected labelled data for --normal-class, got none ` +
          '(give --labels, --label-column or --subfolder-labels)',
      );
    }
    return null;
  }
  // The names of the classes present, and of every class the data's labels can name.
  const present = [...new Set(labels)].sort((a, b) => a - b);
  const presentNames = present.map((label) => labelText(label, dataset.labelNames));
  const allNames = dataset.labelNames ?? presentNames;

  let anomalous: (label: number) => boolean;
  if (normalClass) {
    for (const name of normalClass) {
      if (!presentNames.includes(name)) {
        throw new AekitError(
          'BAD_INPUT',
          `${dataset.source}: --normal-class: expected labels of the data ` +
            `(${presentNames.slice(0, 12).join(', ')}), got '${name}'`,
        );
      }
    }
    anomalous = (label) => !normalClass.includes(labelText(label, dataset.labelNames));
  } else {
    const binary = [
      ['0', '1'],
      ['false', 'true'],
      ['normal', 'anomaly'],
    ].find((pair) => allNames.length <= 2 && allNames.every((name) => pair.includes(name)));
    if (!binary) {
      printNotices([
        `${dataset.source}: labels are ${presentNames.length} classes, not 0/1 anomaly labels: ` +
          'pass --normal-class to get ROC-AUC and PR-AUC',
      ]);
      return null;
    }
    anomalous = (label) => labelText(label, dataset.labelNames) === binary[1];
  }

  const result = Int32Array.from(labels, (label) => (anomalous(label) ? 1 : 0));
  const anomalies = result.reduce((total, label) => total + label, 0);
  if (anomalies === 0 || anomalies === result.length) {
    throw new AekitError(
      'BAD_INPUT',
      `${dataset.source}: labels: expected both normal and anomalous samples for ROC-AUC, got ` +
        `${anomalies === 0 ? 'only normal ones' : 'only anomalies'}`,
    );
  }
  return result;
}

/** The threshold that `spec` asks for, on scores of `kind`. */
async function chooseThreshold(
  spec: ThresholdSpec,
  kind: ScoreKind,
  scores: Float64Array,
  loaded: LoadedModel,
  options: ScoreOptions,
  scoreOptions: { batchSize: number; elboSamples: number; seed: number },
): Promise<ChosenThreshold> {
  const aekit = await api();
  switch (spec.kind) {
    case 'percentile': {
      // The percentile of the scores of the normal data the model was trained on.
      const { dataset } = await readTrainingData(
        loaded,
        options.trainData,
        '--train-data',
        'percentile thresholds need the training scores',
      );
      const training = aekit.anomalyScores(loaded.model, dataset, scoreOptions);
      const trainScores = aekit.pickScore(training, kind, loaded.path);
      return aekit.percentileThreshold(trainScores, spec.p);
    }
    case 'contamination':
      return aekit.contaminationThreshold(scores, spec.fraction);
    case 'auto':
      return aekit.autoThreshold(scores, { method: spec.method });
    case 'value':
      return { threshold: spec.value, method: 'value', description: `given value ${spec.value}` };
  }
}

async function writeScores(
  file: string,
  format: 'csv' | 'json',
  dataset: Dataset,
  scores: AnomalyScores,
  flags: Uint8Array | Float64Array | null,
): Promise<void> {
  const { writeFileAtomic } = await api();
  const n = dataset.shape[0];
  const window = dataset.preprocessing.find((step) => step.kind === 'window');
  const columns: [string, (i: number) => string | number][] = [['index', (i) => i]];
  // A window's first time step, counted in rows of the series.
  if (window) columns.push(['start', (i) => i * window.stride]);
  if (dataset.labels) {
    const labels = dataset.labels;
    columns.push(['label', (i) => labelText(labels[i], dataset.labelNames)]);
  }
  columns.push(['reconstruction_error', (i) => scores.reconstruction[i]]);
  if (scores.negativeElbo) {
    const elbo = scores.negativeElbo;
    columns.push(['negative_elbo', (i) => elbo[i]]);
  }
  if (flags) columns.push(['anomaly', (i) => flags[i]]);

  let text: string;
  if (format === 'csv') {
    const rows = Array.from({ length: n }, (_, i) =>
      columns.map(([, value]) => {
        const v = value(i);
        return typeof v === 'number' ? csvNumber(v) : v;
      }),
    );
    text = csvText(
      columns.map(([name]) => name),
      rows,
    );
  } else {
    const rows = Array.from({ length: n }, (_, i) =>
      Object.fromEntries(columns.map(([name, value]) => [name, value(i)])),
    );
    text = JSON.stringify({ samples: n, scores: rows }) + '\n';
  }
  await writeFileAtomic(file, Buffer.from(text));
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function printSummary(result: ScoreResult, loaded: LoadedModel): void {
  const unit =
    result.score === 'negative-elbo'
      ? 'negative ELBO (nats)'
      : loaded.config.likelihood === 'bernoulli'
        ? 'reconstruction error (binary cross-entropy, nats)'
        : 'reconstruction error (squared error)';
  console.log(
    `scored ${formatCount(result.samples)} samples of ${result.data} with ` +
      `${describeModel(loaded)}` +
      ` by ${unit}: median ${formatNumber(result.median)}`,
  );
  if (result.threshold) {
    const share = (100 * result.threshold.flagged) / result.samples;
    console.log(
      `threshold: ${result.threshold.description}: ${formatCount(result.threshold.flagged)} ` +
        `flagged (${formatNumber(share)}%)`,
    );
  }
  if (result.labels) {
    console.log(
      `ROC-AUC ${result.labels.rocAuc.toFixed(4)}, PR-AUC ${result.labels.prAuc.toFixed(4)} ` +
        `(${formatCount(result.labels.anomalies)} anomalies, ` +
        `${formatCount(result.labels.normal)} ` +
        'normal)',
    );
  }
  console.log(`wrote ${result.output}`);
}
