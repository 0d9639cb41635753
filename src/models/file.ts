/**
 * The model file: one file holding the config, the preprocessing that training applied,
 * what the training data looked like, the training summary and the weights. It is written
 * in PyTorch's own format, so Python opens it directly:
 *
 * ```python
 * import torch
 * saved = torch.load("model.aekit")
 * saved["config"]          # the model config, a dict
 * saved["state_dict"]      # the weights: a dict of tensors with PyTorch's key names
 * ```
 */
import {
  AekitError,
  SavedObject,
  SavedValue,
  Tensor,
  loadFile,
  saveFile,
} from '../engine/index.js';
import type { Dataset, Preprocessing } from '../data/index.js';
import { Autoencoder } from './autoencoder.js';
import { buildModel } from './build.js';
import { ModelConfig, resolveConfig } from './config.js';

export const MODEL_FORMAT = 'aekit-model';
/** The format version this aekit writes and the newest it reads. */
export const MODEL_VERSION = 1;

/** What the training data looked like, so later data can be checked against it. */
export interface DataRecord {
  source: string;
  shape: number[];
  valueRange: [number, number];
  labelNames?: string[];
}

/** Everything a model file holds besides the weights. */
export interface ModelFileContents {
  config: Required<ModelConfig>;
  preprocessing: Preprocessing[];
  data: DataRecord;
  /** The training summary (JSON-shaped), or null for an untrained model. */
  summary: unknown;
  /** Free-form records of later layers (a codec's statistics, say). */
  extras: Record<string, unknown>;
}

/** A loaded model with its file's contents. */
export interface LoadedModel extends ModelFileContents {
  model: Autoencoder;
  path: string;
}

/** The data record of a dataset. */
export function dataRecord(dataset: Dataset): DataRecord {
  return {
    source: dataset.source,
    shape: dataset.shape.slice(1),
    valueRange: dataset.valueRange,
    ...(dataset.labelNames ? { labelNames: dataset.labelNames } : {}),
  };
}

/** Writes the model file atomically (a temporary file, then a rename). */
export function saveModel(
  path: string,
  model: Autoencoder,
  contents: Omit<ModelFileContents, 'config'>,
): void {
  const value: SavedObject = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    // JSON text keeps the exact structure (key order, integers vs floats, nulls) for
    // aekit; the same as dicts for Python users.
    config_json: JSON.stringify(model.config),
    preprocessing_json: JSON.stringify(contents.preprocessing),
    data_json: JSON.stringify(contents.data),
    summary_json: JSON.stringify(contents.summary ?? null),
    extras_json: JSON.stringify(contents.extras ?? {}),
    config: JSON.parse(JSON.stringify(model.config)) as SavedValue,
    state_dict: model.stateDict(),
  };
  saveFile(path, value);
}

function field(saved: SavedObject, name: string, path: string): unknown {
  const text = saved[name];
  if (typeof text !== 'string') {
    throw new AekitError('BAD_FILE', `${path}: ${name}: expected JSON text, got ${typeof text}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AekitError('BAD_FILE', `${path}: ${name}: not valid JSON`);
  }
}

/** Reads a model file and rebuilds the model with its weights. */
export function loadModel(path: string): LoadedModel {
  const saved = loadFile(path);
  if (
    saved === null ||
    typeof saved !== 'object' ||
    Array.isArray(saved) ||
    saved instanceof Tensor
  ) {
    throw new AekitError('BAD_FILE', `${path}: not an aekit model file (no format field)`);
  }
  const object = saved as SavedObject;
  if (object.format !== MODEL_FORMAT) {
    const what =
      object.format === 'aekit-checkpoint' ? 'a training checkpoint' : 'another kind of file';
    throw new AekitError('BAD_FILE', `${path}: format: expected '${MODEL_FORMAT}', got ${what}`);
  }
  const version = object.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new AekitError(
      'BAD_FILE',
      `${path}: version: expected a positive integer, got ${String(version)}`,
    );
  }
  if (version > MODEL_VERSION) {
    throw new AekitError(
      'BAD_FILE',
      `${path}: version: the file is format version ${version}, newer than this aekit reads ` +
        `(${MODEL_VERSION}); upgrade aekit`,
    );
  }
  let config: Required<ModelConfig>;
  try {
    config = resolveConfig(field(object, 'config_json', path));
  } catch (error) {
    if (error instanceof AekitError && error.code === 'BAD_FILE') throw error;
    throw new AekitError('BAD_FILE', `${path}: config: ${(error as Error).message}`);
  }
  const state = object.state_dict;
  if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof Map) {
    throw new AekitError('BAD_FILE', `${path}: state_dict: expected a dict of tensors`);
  }
  const model = buildModel(config);
  try {
    model.loadStateDict(state as Record<string, Tensor>);
  } catch (error) {
    model.dispose();
    throw new AekitError('BAD_FILE', `${path}: state_dict: ${(error as Error).message}`);
  } finally {
    for (const value of Object.values(state)) if (value instanceof Tensor) value.dispose();
  }
  return {
    model,
    path,
    config,
    preprocessing: field(object, 'preprocessing_json', path) as Preprocessing[],
    data: field(object, 'data_json', path) as DataRecord,
    summary: field(object, 'summary_json', path),
    extras: (field(object, 'extras_json', path) ?? {}) as Record<string, unknown>,
  };
}
