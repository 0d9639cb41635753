/**
 * `aekit train --task compress`: trains a compressive autoencoder (the `compressive` preset
 * unless `--config` names another compressive config), then quantises its prior to the
 * integer coding tables and measures the codec on the training data. Both go into the model
 * file's extras, so that `aekit compress` codes with the stored tables and can tell when new
 * data is unlike what the codec was trained on.
 */
import { Command, Option } from 'commander';

import { api } from './api.js';
import type { Autoencoder, CodecRecord, Dataset } from '../index.js';
import { CONTEXT_KIND, CONTEXT_RULE } from '../codec/context.js';
import { number } from './options.js';
import { formatCount, formatNumber } from './progress.js';

/** The tasks of `--task`. */
export const TASKS = ['reconstruct', 'compress'] as const;

/** The options this file adds to `aekit train`. */
export interface CompressTrainOptions {
  task: (typeof TASKS)[number];
  lambda?: number;
}

/**
 * The `compressive` preset: two stride-2 GDN stages of 64 channels and a 7 x 7 x 32 latent
 * map for 28 x 28 images, its size following the data's; lambda sets the rate.
 */
export const COMPRESSIVE_PRESET: Record<string, unknown> = {
  family: 'compressive',
  channels: [64, 32],
  denseBottleneck: false,
  lambda: 100,
};

/** The latent size of a dense compressive config that names none. */
const DENSE_LATENT = 128;

/** Training images measured for the codec's record of its training data. */
const MEASURED_IMAGES = 2000;

/** Adds `--task` and `--lambda` to `aekit train`. */
export function addCompressOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--task <task>', 'compress: train a codec (the compressive preset)')
        .choices(TASKS)
        .default('reconstruct'),
    )
    .option(
      '--lambda <weight>',
      'compressive: weight of the squared error against the bits (higher: better quality, ' +
        'more bytes; default 100)',
      number(0, Infinity, true),
    );
}

/**
 * The preset that `--task` implies: `compressive` for `--task compress` unless `--model`
 * or `--config` names one. Returns null to keep the chosen one.
 */
export async function presetForTask(
  options: CompressTrainOptions & { model: string; config?: string },
  modelFromCommandLine: boolean,
): Promise<'compressive' | null> {
  const { AekitError } = await api();
  if (options.task !== 'compress') return null;
  if (modelFromCommandLine && options.model !== 'compressive') {
    throw new AekitError(
      'BAD_INPUT',
      `--task compress: expected --model compressive (or none), got --model ${options.model}`,
    );
  }
  return options.config === undefined ? 'compressive' : null;
}

/**
 * Applies `--lambda` to a config (whose inputShape is set), fills in the latent size of a
 * compressive one, and checks that `--task compress` got a compressive config. `where`
 * names the preset or file in errors.
 */
export async function applyCompressOptions(
  options: CompressTrainOptions,
  config: Record<string, unknown>,
  where: string,
): Promise<void> {
  const { AekitError } = await api();
  const compressive = config.family === 'compressive';
  if (options.lambda !== undefined) {
    if (!compressive) {
      throw new AekitError(
        'BAD_INPUT',
        `--lambda: applies to compressive models, not to ${String(config.family)}`,
      );
    }
    config.lambda = options.lambda;
  }
  // A map latent's size follows from the data: the last stage's channels times its sides.
  if (compressive && config.latentDim === undefined) {
    const channels = (config.channels ?? [64, 64]) as number[];
    const shape = config.inputShape as number[];
    const multiple = 2 ** channels.length;
    config.latentDim =
      config.denseBottleneck === false && shape.length === 3
        ? channels[channels.length - 1] *
          Math.ceil(shape[1] / multiple) *
          Math.ceil(shape[2] / multiple)
        : DENSE_LATENT;
  }
  if (options.task === 'compress' && !compressive) {
    throw new AekitError(
      'BAD_INPUT',
      `${where}: family: expected 'compressive' for --task compress, got ` +
        `'${String(config.family)}'`,
    );
  }
}

/**
 * The model file extras of a trained compressive model: its codec record (tables fitted to
 * the training images' latents, and how it did on up to 2,000 training images). Empty for
 * other models.
 */
export async function codecExtras(
  model: Autoencoder,
  dataset: Dataset,
): Promise<{ codec?: CodecRecord }> {
  const aekit = await api();
  if (!(model instanceof aekit.CompressiveAutoencoder)) return {};
  const codec = aekit.createCodec(model, dataset.valueRange, {
    images: dataset.data,
    count: dataset.shape[0],
  });
  const count = Math.min(dataset.shape[0], MEASURED_IMAGES);
  const size = dataset.data.length / dataset.shape[0];
  const record = aekit.codecRecord(codec, {
    images: dataset.data.subarray(0, count * size),
    count,
  });
  return { codec: record };
}

/** One line about the codec of a model file, for the end of training. */
export function codecLine(record: CodecRecord, dataRange: number): string {
  return `codec ${codecSummary(record, dataRange)}`;
}

/** The codec's fingerprint, and its rate and quality on training images where recorded. */
export function codecSummary(record: CodecRecord, dataRange: number): string {
  const training = record.training;
  if (!training) return record.fingerprint;
  const psnr = 10 * Math.log10((dataRange * dataRange) / Math.max(training.mse.mean, 1e-12));
  return (
    `${record.fingerprint}: ${formatNumber(training.bytes.mean)} bytes per image ` +
    `(99% under ${formatNumber(training.bytes.p99)}), PSNR ${psnr.toFixed(2)} dB on ` +
    `${training.images} training images`
  );
}

/** Which tables a codec record codes with, for `aekit info`. */
export function codecTablesLine(record: CodecRecord): string {
  const context = record.tables?.context;
  if (!context)
    return `the prior's tables, one per latent (codec record version ${record.version})`;
  const tables = Buffer.from(context.slots, 'base64').length / 4;
  // info shows a model file's record as stored, so an unknown rule is shown by its name.
  const rule = context.kind === CONTEXT_KIND ? `chosen by ${CONTEXT_RULE}` : context.kind;
  return (
    `element tables fitted to the training latents, and ${formatCount(tables)} context ` +
    `tables (${rule}; codec record version ${record.version})`
  );
}
