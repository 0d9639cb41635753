/** Opening the model file that a command names, and facts about a model shared by commands. */
import { stat } from 'node:fs/promises';
import path from 'node:path';

import { Command } from 'commander';

import { api } from './api.js';
import type { Autoencoder, Dataset, LoadedModel, Tensor } from '../index.js';
import { integer } from './options.js';

/** Options every command that runs a model takes. */
export interface EngineOptions {
  threads?: number;
}

/** Adds `--threads`. */
export function addEngineOptions(command: Command): Command {
  return command.option(
    '--threads <n>',
    "threads of libtorch's pool (default: AEKIT_NUM_THREADS, else every core)",
    integer(1, 1024),
  );
}

/** Applies the engine options; call before any tensor work. */
export async function applyEngineOptions(options: EngineOptions): Promise<void> {
  if (options.threads !== undefined) (await api()).setNumThreads(options.threads);
}

/** Fails before any work when an output file cannot be written where asked. */
export async function checkOutput(output: string, flag = '--output'): Promise<void> {
  const { AekitError } = await api();
  const folder = path.dirname(path.resolve(output));
  const isFolder = await stat(folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder) {
    throw new AekitError(
      'BAD_INPUT',
      `${output}: ${flag}: expected a file in an existing folder, got a folder that does not ` +
        'exist',
    );
  }
  const existing = await stat(output).catch(() => null);
  if (existing?.isDirectory()) {
    throw new AekitError('BAD_INPUT', `${output}: ${flag}: expected a file name, got a folder`);
  }
}

/**
 * Reads a model file. A missing file, a folder, or a file that is not an aekit model
 * (a PNG, a checkpoint, random bytes) is an error naming the file.
 */
export async function openModel(file: string): Promise<LoadedModel> {
  const { AekitError, loadModel } = await api();
  let isFile = false;
  try {
    isFile = (await stat(file)).isFile();
  } catch {
    throw new AekitError(
      'BAD_INPUT',
      `${file}: model file: expected an aekit model file (from aekit train), got no such file`,
    );
  }
  if (!isFile) {
    throw new AekitError(
      'BAD_INPUT',
      `${file}: model file: expected an aekit model file (from aekit train), got a folder`,
    );
  }
  return loadModel(file);
}

/**
 * Runs `fn` on the samples of `dataset`, `batchSize` at a time, in evaluation mode and
 * without gradients, and returns its outputs (each `[batch, ...]`) joined as float32.
 */
export async function mapBatches(
  model: Autoencoder,
  dataset: Dataset,
  batchSize: number,
  fn: (x: Tensor) => Tensor,
): Promise<Float32Array> {
  const { noGrad, tensor, tidy } = await api();
  model.eval();
  const inputs = tensor(dataset.data, { shape: dataset.shape });
  const parts: Float32Array[] = [];
  try {
    noGrad(() => {
      for (let start = 0; start < dataset.shape[0]; start += batchSize) {
        const size = Math.min(batchSize, dataset.shape[0] - start);
        parts.push(tidy(() => fn(inputs.narrow(0, start, size)).toFloat32Array()));
      }
    });
  } finally {
    inputs.dispose();
  }
  const result = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/** Whether a model's samples are images that can be drawn: [1 or 3, height, width]. */
export function isImageModel(model: LoadedModel): boolean {
  const shape = model.config.inputShape;
  return shape.length === 3 && (shape[0] === 1 || shape[0] === 3);
}

/** A short description of a model: family, body or kind, and code size. */
export function describeModel(model: LoadedModel): string {
  const config = model.config;
  const variant =
    config.family === 'vae'
      ? `vae (${config.body} body)`
      : config.family === 'sequence'
        ? `sequence (${config.kind})`
        : config.family === 'dense' && config.sparsity
          ? 'dense (sparse)'
          : config.family === 'map' && config.cells > 0
            ? `map (${config.cells} cells${config.cellOffsets ? ', with offsets' : ''})`
            : config.family;
  return `${variant}, input [${config.inputShape.join(', ')}], latent ${config.latentDim}`;
}

/**
 * Values mapped from the training data's range to [0, 1] for drawing; data already in
 * [0, 1] (pixels) is unchanged. Values outside are clipped when drawn.
 */
export function toUnitRange(values: Float32Array, loaded: LoadedModel): Float32Array {
  const [low, high] = loaded.data.valueRange;
  if ((low === 0 && high === 1) || !(high > low)) return values;
  return values.map((value) => (value - low) / (high - low));
}
