/** Builds a model from its config. */
import { Autoencoder } from './autoencoder.js';
import {
  CompressiveConfig,
  ConvConfig,
  DenseConfig,
  ModelConfig,
  SequenceConfig,
  VaeConfig,
  resolveConfig,
} from './config.js';
import { CompressiveAutoencoder } from './compressive.js';
import { ConvAutoencoder } from './conv.js';
import { DenseAutoencoder } from './dense.js';
import { type MapConfig, ParametricMap } from './map.js';
import { SequenceAutoencoder } from './sequence.js';
import { VariationalAutoencoder } from './vae.js';

/**
 * A new model with freshly initialised weights (seed with `manualSeed` first for a
 * repeatable start).
 *
 * @example
 * const model = buildModel({
 *   family: 'dense',
 *   inputShape: [1, 28, 28],
 *   hidden: [128],
 *   latentDim: 32,
 * });
 */
export function buildModel(config: ModelConfig): Autoencoder {
  const resolved = resolveConfig(config);
  switch (resolved.family) {
    case 'dense':
      return new DenseAutoencoder(resolved as Required<DenseConfig>);
    case 'conv':
      return new ConvAutoencoder(resolved as Required<ConvConfig>);
    case 'vae':
      return new VariationalAutoencoder(resolved as Required<VaeConfig>);
    case 'sequence':
      return new SequenceAutoencoder(resolved as Required<SequenceConfig>);
    case 'compressive':
      return new CompressiveAutoencoder(resolved as Required<CompressiveConfig>);
    case 'map':
      return new ParametricMap(resolved as Required<MapConfig>);
  }
}

/** Whether a model is a VAE (for commands that need one). */
export function isVae(model: Autoencoder): model is VariationalAutoencoder {
  return model instanceof VariationalAutoencoder;
}
