/**
 * The data layer: readers that turn files into a {@link Dataset} of plain typed arrays
 * (MNIST, IDX, image folders, CSV, time series, NumPy), value checks, seeded shuffles,
 * splits and batches. Nothing here depends on tensors.
 */

export * from './dataset.js';
export * from './random.js';
export * from './split.js';
export * from './batches.js';
export * from './checks.js';
export * from './mnist.js';
export * from './idx.js';
export * from './npy.js';
export * from './npy-write.js';
export * from './csv.js';
export * from './timeseries.js';
export * from './images.js';
export { fileError } from './messages.js';
