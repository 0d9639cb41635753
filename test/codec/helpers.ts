// A tiny compressive model trained for a few steps on a few hundred digits, shared by the
// codec tests: big enough that its prior is peaked like a real one, small enough to train
// in about a second.
import { Tensor, manualSeed, tensor, tidy } from '../../src/engine/index.js';
import { loadMnist } from '../../src/data/index.js';
import { join } from 'node:path';
import type { CodecRecord } from '../../src/codec/index.js';
import { CODEC_EXTRAS_KEY } from '../../src/codec/index.js';
import {
  CompressiveAutoencoder,
  CompressiveConfig,
  LoadedModel,
  buildModel,
  loadModel,
  saveModel,
} from '../../src/models/index.js';
import { Adam } from '../../src/optim/index.js';

/** The digits the tiny models train on: [count, 1, 28, 28] in [0, 1]. */
export async function digits(limit: number): Promise<{ images: Float32Array; count: number }> {
  const { dataset } = await loadMnist({ limit });
  return { images: dataset.data, count: dataset.shape[0] };
}

/** A compressive model trained `steps` Adam steps on `images`. */
export function tinyModel(
  images: Float32Array,
  count: number,
  options: { seed?: number; steps?: number; config?: Partial<CompressiveConfig> } = {},
): CompressiveAutoencoder {
  manualSeed(options.seed ?? 0);
  const model = buildModel({
    family: 'compressive',
    inputShape: [1, 28, 28],
    channels: [8, 8],
    latentDim: 24,
    lambda: 300,
    ...options.config,
  } as CompressiveConfig) as CompressiveAutoencoder;
  const x: Tensor = tensor(images, { shape: [count, 1, 28, 28] });
  const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
  for (let step = 0; step < (options.steps ?? 40); step++) {
    tidy(() => {
      const { loss } = model.lossTerms(x, x, { epoch: 0, progress: 0 });
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    });
  }
  optimizer.dispose();
  x.dispose();
  model.eval();
  return model;
}

/** Saves `model` with a codec record as `folder/codec.aekit` (digits in [0, 1]), and loads it. */
export function saveAndLoad(
  folder: string,
  model: CompressiveAutoencoder,
  record: CodecRecord,
): LoadedModel {
  const path = join(folder, 'codec.aekit');
  const data = { source: 'mnist', shape: [1, 28, 28], valueRange: [0, 1] as [number, number] };
  saveModel(path, model, {
    preprocessing: [],
    data,
    summary: null,
    extras: { [CODEC_EXTRAS_KEY]: record },
  });
  return loadModel(path);
}
