// Small clustered data sets and a small map config for the map tests.
import { Dataset, Xoshiro128, createDataset, take } from '../../src/data/index.js';

/** `perCluster` points around each of `clusters` corners of a 20-D cube, labelled. */
export function clusters(count: number, perCluster: number, seed: number): Dataset {
  const random = new Xoshiro128(seed);
  const dim = 20;
  const data = new Float32Array(count * perCluster * dim);
  const labels = new Int32Array(count * perCluster);
  for (let i = 0; i < count * perCluster; i++) {
    const c = i % count;
    labels[i] = c;
    for (let d = 0; d < dim; d++) data[i * dim + d] = (d % count === c ? 2 : 0) + random.next();
  }
  return createDataset(data, [count * perCluster, dim], { labels });
}

/** 400 clustered points (5 clusters): the first 300 to fit on, the last 100 held out. */
export function heldOutSplit(seed: number): { all: Dataset; trainSet: Dataset; heldOut: Dataset } {
  const all = clusters(5, 80, seed);
  const order = Array.from({ length: 400 }, (_, i) => i);
  return { all, trainSet: take(all, order.slice(0, 300)), heldOut: take(all, order.slice(300)) };
}

/** A small map for the 20-D clusters. */
export const SMALL_MAP = {
  family: 'map' as const,
  inputShape: [20],
  latentDim: 2,
  likelihood: 'gaussian' as const,
  hidden: [32],
};
