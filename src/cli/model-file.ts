/** Opening the model file that a command names, and facts about a model shared by commands. */
import { stat } from 'node:fs/promises';

import { Command } from 'commander';

import { api } from './api.js';
import type { Autoencoder, LoadedModel } from '../index.js';
import { integer } from './options.js';

/** Options every command that runs a model takes. */
export interface EngineOptions {
  threads?: number;
}

/** Adds `--threads`. */
export function addEngineOptions(command: Command): Command {
  return command.option(
    '--threads <n>',
    "threads of libtorch's pool (default: libtorch's own choice)",
    integer(1, 1024),
  );
}

/** Applies the engine options; call before any tensor work. */
export async function applyEngineOptions(options: EngineOptions): Promise<void> {
  if (options.threads !== undefined) (await api()).setNumThreads(options.threads);
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

/** Number of values in the model's parameters. */
export function parameterCount(model: Autoencoder): number {
  return model.parameters().reduce((total, parameter) => total + parameter.numel, 0);
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
          : config.family;
  return `${variant}, input [${config.inputShape.join(', ')}], latent ${config.latentDim}`;
}
