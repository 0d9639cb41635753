/**
 * The `Dataset` type that every reader produces: plain typed arrays plus the shape, the
 * value range, optional labels and a JSON-serialisable record of the preprocessing that was
 * applied, so that the same preprocessing can be applied to new data at inference.
 */

import { AekitError, checkInteger, checkType } from '../engine/errors.js';

/** A linear map of values from one range to another, e.g. uint8 pixels [0, 255] to [0, 1]. */
export interface ScaleStep {
  kind: 'scale';
  /** The range of the values as read. */
  from: [number, number];
  /** The range the values were mapped to. */
  to: [number, number];
}

/** Images decoded, converted and resized to one size and channel count. */
export interface ImageStep {
  kind: 'image';
  width: number;
  height: number;
  /** 1 for grayscale, 3 for RGB. */
  channels: 1 | 3;
  /** How images of another aspect ratio were fitted (sharp's `fit`). */
  fit: ImageFit;
  /** Gray level 0-255 that transparent pixels were composited onto. */
  alphaBackground: number;
}

/** The columns of a table that became features (and labels), in order. */
export interface ColumnsStep {
  kind: 'columns';
  /** Feature columns, in the order of the feature axis. */
  columns: string[];
  /** Column the labels came from, if any. */
  labelColumn?: string;
  /** Label text of each class index, when labels were read. */
  labelNames?: string[];
}

/** Missing values replaced by a per-column statistic. */
export interface ImputeStep {
  kind: 'impute';
  strategy: 'mean' | 'median';
  columns: string[];
  /** Replacement value per column, computed on the data the step was fitted on. */
  values: number[];
}

/** Per-feature standardisation `(x - mean) / std`. */
export interface StandardizeStep {
  kind: 'standardize';
  columns: string[];
  mean: number[];
  /** Divisor per column; 1 for a constant column, which therefore maps to 0. */
  std: number[];
}

/** Sliding windows cut out of a series. */
export interface WindowStep {
  kind: 'window';
  window: number;
  stride: number;
}

/** How images of another aspect ratio are fitted to the target size. */
export type ImageFit = 'fill' | 'cover' | 'contain';

/** One preprocessing step as recorded in a dataset and, later, in a model file. */
export type Preprocessing =
  ScaleStep | ImageStep | ColumnsStep | ImputeStep | StandardizeStep | WindowStep;

/**
 * Samples as one flat float array in C order, plus what is known about them.
 *
 * @example
 * ```ts
 * const { dataset } = await loadMnist({ limit: 100 });
 * sampleShape(dataset); // [1, 28, 28]
 * ```
 */
export interface Dataset {
  /** All samples, C order, `shape` elements. */
  data: Float32Array;
  /** `[count, ...sampleShape]`. */
  shape: number[];
  /** One class index per sample, into `labelNames` where given. */
  labels?: Int32Array;
  /** Name of each class index. */
  labelNames?: string[];
  /** Range the values lie in: nominal for pixels ([0, 1]), observed otherwise. */
  valueRange: [number, number];
  /** Where the data came from: a path or a package name, used in messages. */
  source: string;
  /** What was applied to the values as read, in order. */
  preprocessing: Preprocessing[];
}

/** What a reader returns: the dataset and a report of what it found and fixed. */
export interface Loaded<R extends LoadReport = LoadReport> {
  dataset: Dataset;
  report: R;
}

/** Fields every reader's report has. Library code prints nothing: callers show these. */
export interface LoadReport {
  /** One line per recoverable oddity that was fixed (conversions, scaling, clamping). */
  notices: string[];
}

/** The shape of one sample: `shape` without its first axis. */
export function sampleShape(dataset: Dataset): number[] {
  return dataset.shape.slice(1);
}

/** Number of samples. */
export function count(dataset: Dataset): number {
  return dataset.shape[0];
}

/** Number of values in one sample. */
export function sampleSize(dataset: Dataset): number {
  return product(dataset.shape.slice(1));
}

/** Product of the sizes in a shape (1 for the empty shape). */
export function product(shape: readonly number[]): number {
  let n = 1;
  for (const size of shape) n *= size;
  return n;
}

/**
 * A new dataset with the samples at `indices`, in that order (repeats allowed). Data and
 * labels are copied; the preprocessing record is shared in meaning and copied as JSON.
 */
export function take(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const n = count(dataset);
  const size = sampleSize(dataset);
  const data = new Float32Array(indices.length * size);
  const labels = dataset.labels ? new Int32Array(indices.length) : undefined;

  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new RangeError(
        `take: indices[${i}]: expected an integer from 0 to ${n - 1}, got ${String(index)}`,
      );
    }
    data.set(dataset.data.subarray(index * size, (index + 1) * size), i * size);
    if (labels && dataset.labels) labels[i] = dataset.labels[index];
  }

  const result: Dataset = {
    data,
    shape: [indices.length, ...sampleShape(dataset)],
    valueRange: [dataset.valueRange[0], dataset.valueRange[1]],
    source: dataset.source,
    preprocessing: structuredClone(dataset.preprocessing),
  };
  if (labels) result.labels = labels;
  if (dataset.labelNames) result.labelNames = [...dataset.labelNames];
  return result;
}

/** Options of {@link createDataset}. */
export interface CreateDatasetOptions {
  labels?: Int32Array;
  labelNames?: string[];
  /** Default: the observed [min, max] of `data`. */
  valueRange?: [number, number];
  /** Default: `'memory'`. */
  source?: string;
  /** Default: none. */
  preprocessing?: Preprocessing[];
}

/**
 * Builds a dataset from arrays already in memory, after checking it with
 * {@link checkDataset}.
 */
export function createDataset(
  data: Float32Array,
  shape: number[],
  options: CreateDatasetOptions = {},
): Dataset {
  checkType(data instanceof Float32Array, 'createDataset: data', 'a Float32Array', data);
  const dataset: Dataset = {
    data,
    shape: [...shape],
    valueRange: options.valueRange ?? observedRange(data),
    source: options.source ?? 'memory',
    preprocessing: options.preprocessing ?? [],
  };
  if (options.labels) dataset.labels = options.labels;
  if (options.labelNames) dataset.labelNames = options.labelNames;
  checkDataset(dataset);
  return dataset;
}

/**
 * Checks a dataset's invariants and throws a one-line error naming the source and field:
 * a shape with at least one sample axis and positive sizes, a data length that matches it,
 * finite values, and one label per sample within `labelNames`.
 */
export function checkDataset(dataset: Dataset): void {
  const source = dataset.source;
  const shape = dataset.shape;
  checkType(Array.isArray(shape), `${source}: shape`, 'an array of sizes', shape);
  if (shape.length < 2) {
    throw new AekitError(
      'SHAPE',
      `${source}: shape: expected [count, ...sampleShape] with at least 2 axes, ` +
        `got [${shape.join(', ')}]`,
    );
  }
  shape.forEach((size, axis) => checkInteger(size, `${source}: shape[${axis}]`, 0));
  if (shape[0] === 0) {
    throw new AekitError('BAD_INPUT', `${source}: samples: expected at least 1, got 0`);
  }
  if (shape.slice(1).some((size) => size === 0)) {
    throw new AekitError(
      'SHAPE',
      `${source}: shape: expected positive sample sizes, got [${shape.join(', ')}]`,
    );
  }
  if (dataset.data.length !== product(shape)) {
    throw new AekitError(
      'SHAPE',
      `${source}: data: expected ${product(shape)} values for shape [${shape.join(', ')}], ` +
        `got ${dataset.data.length}`,
    );
  }
  checkFinite(dataset.data, source, 'data', sampleSize(dataset));

  if (dataset.labels) {
    const labels = dataset.labels;
    if (labels.length !== shape[0]) {
      throw new AekitError(
        'SHAPE',
        `${source}: labels: expected ${shape[0]} (one per sample), got ${labels.length}`,
      );
    }
    const classes = dataset.labelNames?.length ?? Infinity;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new RangeError(
          `${source}: labels[${i}]: expected a class index from 0 to ${classes - 1}, ` +
            `got ${labels[i]}`,
        );
      }
    }
  }
}

/**
 * Throws `NOT_FINITE` at the first NaN or infinity, naming the source, the field, the
 * sample (when `sampleSize` is given) and the element.
 */
export function checkFinite(
  values: ArrayLike<number>,
  source: string,
  field: string,
  sampleSize?: number,
): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      const where =
        sampleSize && sampleSize > 0
          ? `sample ${Math.floor(i / sampleSize)}, element ${i % sampleSize}`
          : `element ${i}`;
      throw new AekitError(
        'NOT_FINITE',
        `${source}: ${field}: expected finite numbers, got ${String(v)} at ${where}`,
      );
    }
  }
}

/** The observed [min, max] of `values`; [0, 0] when empty. */
export function observedRange(values: ArrayLike<number>): [number, number] {
  if (values.length === 0) return [0, 0];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}
