/**
 * Layers and models as in `torch.nn`: the {@link Module} base, containers, linear,
 * convolution, normalisation, recurrent, pooling and activation layers, and `init`.
 * Parameter names, state dict keys and default initialisations are PyTorch's.
 */
export {
  Module,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type ParameterOptions,
} from './module.js';
export { type Pair } from './checks.js';
export { Sequential } from './container.js';
export { Linear, type LinearOptions } from './linear.js';
export {
  ConvNd,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  type ConvOptions,
  type ConvTransposeOptions,
  type Conv1dOptions,
  type Conv2dOptions,
  type ConvTranspose1dOptions,
  type ConvTranspose2dOptions,
} from './conv.js';
export {
  BatchNormNd,
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  type BatchNormOptions,
  type LayerNormOptions,
} from './norm.js';
export {
  Dropout,
  Flatten,
  Unflatten,
  PoolNd,
  MaxPool1d,
  MaxPool2d,
  AvgPool1d,
  AvgPool2d,
  Upsample,
  type PoolOptions,
  type Pool1dOptions,
  type Pool2dOptions,
  type UpsampleMode,
  type UpsampleOptions,
} from './layers.js';
export {
  RNNBase,
  LSTM,
  GRU,
  type RNNOptions,
  type LSTMOptions,
  type GRUOptions,
  type LSTMOutput,
  type GRUOutput,
} from './rnn.js';
export {
  Activation,
  ReLU,
  LeakyReLU,
  ELU,
  GELU,
  SiLU,
  Sigmoid,
  Tanh,
  Softplus,
  Identity,
} from './activation.js';
export * as init from './init.js';
