/**
 * `aekit info`: what the engine runs with; `aekit info MODEL`: what a model file holds (its
 * config, parameter count, the data it was trained on and how that was preprocessed, and
 * the training summary).
 */
import { stat } from 'node:fs/promises';

import { Command } from 'commander';

import type { DataSourceRecord } from './data-source.js';
import type {
  CodecRecord,
  FitMapSummary,
  LoadedModel,
  Preprocessing,
  TrainSummary,
} from '../index.js';
import { describeModel, openModel } from './model-file.js';
import { formatCount, formatNumber, formatSeconds, plural } from './progress.js';
import { codecSummary, codecTablesLine } from './train-compress.js';

/** The `info` command. */
export function infoCommand(): Command {
  return new Command('info')
    .description('show the engine (libtorch version and build, thread pools), or a model file')
    .argument('[model]', 'a model file written by aekit train')
    .option('--json', 'print one JSON object')
    .action(async (file: string | undefined, options: { json?: boolean }) => {
      if (file === undefined) await engineInfo(options.json ?? false);
      else await modelInfo(file, options.json ?? false);
    });
}

async function engineInfo(json: boolean): Promise<void> {
  const { engineInfo } = await import('../engine/index.js');
  const info = engineInfo();
  if (json) {
    console.log(JSON.stringify(info));
    return;
  }
  console.log(
    `libtorch ${info.torchVersion} (cuda: ${info.cuda ? 'yes' : 'no'}, ` +
      `oneDNN: ${info.mkldnn ? 'yes' : 'no'}, OpenMP: ${info.openmp ? 'yes' : 'no'})`,
  );
  console.log(
    `threads: libtorch ${info.threads}, OpenBLAS ${info.blasThreads ?? 'unknown'}` +
      `${info.blas ? ` (${info.blas} build)` : ''}, ` +
      `OMP_WAIT_POLICY=${info.ompWaitPolicy ?? "unset (OpenMP's own)"}`,
  );
}

async function modelInfo(file: string, json: boolean): Promise<void> {
  const loaded = await openModel(file);
  const parameters = loaded.model.numParameters();
  const bytes = (await stat(file)).size;
  if (json) {
    const { model: _model, ...contents } = loaded;
    void _model;
    console.log(JSON.stringify({ ...contents, parameters, bytes }));
  } else {
    console.log(lines(loaded, parameters, bytes).join('\n'));
  }
  loaded.model.dispose();
}

/** One line per step of preprocessing, in words. */
export function describeStep(step: Preprocessing): string {
  switch (step.kind) {
    case 'scale':
      return `scaled from [${step.from.join(', ')}] to [${step.to.join(', ')}]`;
    case 'image':
      return (
        `images ${step.width}x${step.height}, ${step.channels === 1 ? 'grayscale' : 'RGB'}, ` +
        `fit '${step.fit}', alpha onto gray ${step.alphaBackground}`
      );
    case 'columns':
      return (
        `columns ${step.columns.join(', ')}` +
        (step.labelColumn ? `; labels from column '${step.labelColumn}'` : '')
      );
    case 'impute':
      return `missing values replaced by the column ${step.strategy}`;
    case 'standardize':
      return `standardised per column (mean and std of the training data)`;
    case 'window':
      return `windows of ${step.window} time steps, stride ${step.stride}`;
  }
}

function lines(loaded: LoadedModel, parameters: number, bytes: number): string[] {
  const data = loaded.data;
  const rows: [string, string][] = [
    ['model file', `${loaded.path} (${formatCount(bytes)} bytes)`],
    ['model', `${describeModel(loaded)}; ${formatCount(parameters)} parameters`],
    ['config', JSON.stringify(loaded.config)],
    [
      'data',
      `${data.source}: samples [${data.shape.join(', ')}], values ` +
        `[${data.valueRange.map(formatNumber).join(', ')}]`,
    ],
  ];
  if (data.labelNames) {
    const shown = data.labelNames.slice(0, 10).join(', ');
    const more = data.labelNames.length > 10 ? ', ...' : '';
    rows.push(['labels', `${data.labelNames.length} classes (${shown}${more})`]);
  }
  const source = loaded.extras.cli as DataSourceRecord | undefined;
  if (source) {
    const limit = source.limit === undefined ? '' : ` --limit ${source.limit}`;
    rows.push(['read with', `--data ${source.data}${limit} (${source.reader} reader)`]);
  }
  const steps = loaded.preprocessing.map(describeStep);
  rows.push(['preprocessing', steps.length > 0 ? steps.join('; ') : 'none']);

  const fitted = loaded.summary as { trainer?: unknown } | null;
  const summary = fitted?.trainer === 'fitMap' ? null : (loaded.summary as TrainSummary | null);
  if (fitted?.trainer === 'fitMap') {
    rows.push(['training', mapTraining(fitted as FitMapSummary)]);
  } else if (summary && Array.isArray(summary.history) && summary.history.length > 0) {
    const last = summary.history[summary.history.length - 1];
    const validation = last.validation ? `, validation ${formatNumber(last.validation.loss)}` : '';
    rows.push([
      'training',
      `${plural(summary.epochsRun, 'epoch')} in ${formatSeconds(summary.seconds)}, ` +
        `seed ${summary.seed}; final loss ${formatNumber(last.train.loss)}${validation}`,
    ]);
    if (summary.stoppedEarly) {
      rows.push(['', `stopped early; weights of epoch ${summary.bestEpoch + 1}`]);
    }
    for (const warning of summary.warnings ?? []) rows.push(['warning', warning]);
  } else {
    rows.push(['training', 'none recorded']);
  }
  const codec = loaded.extras.codec as CodecRecord | undefined;
  if (codec && typeof codec === 'object') {
    const [low, high] = data.valueRange;
    rows.push(['codec', codecSummary(codec, high - low || 1)]);
    rows.push(['', codecTablesLine(codec)]);
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => label.padEnd(width) + value);
}

/** The training line of a map fitted by `fitMap`: its loss and last epoch's terms. */
function mapTraining(summary: FitMapSummary): string {
  const last = summary.history[summary.history.length - 1];
  const options = summary.options;
  const layout =
    options.loss === 'cells' ? ` after a t-SNE layout of ${options.tsneIterations} iterations` : '';
  const terms = last
    ? `; final neighbourhood ${formatNumber(last.neighbourhood)}, reconstruction ` +
      formatNumber(last.reconstruction)
    : '';
  return (
    `${plural(summary.epochsRun, 'epoch')} of fitMap (loss ${options.loss}, ` +
    `${options.neighbours} neighbours)${layout} in ${formatSeconds(summary.seconds)}, seed ` +
    `${summary.seed}${terms}`
  );
}
