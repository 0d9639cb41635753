/**
 * `aekit train`: reads a data source, builds a model from a preset or a JSON config, trains
 * it with progress and a checkpoint each epoch, and writes one model file holding the
 * config, the preprocessing, a record of the data, the training summary and the weights.
 */
import { readFile, stat } from 'node:fs/promises';

import { Command, Option } from 'commander';

import { api, printNotices } from './api.js';
import { addDataOptions, readData, type DataOptions, sourceRecord } from './data-source.js';
import type { Corruption, Dataset, ModelConfig, Schedule, TrainOptions } from '../index.js';
import {
  addEngineOptions,
  applyEngineOptions,
  checkOutput,
  type EngineOptions,
} from './model-file.js';
import {
  corruption,
  integer,
  number,
  schedule,
  sizes,
  sparsity,
  type CorruptionSpec,
  type ScheduleSpec,
  type SparsitySpec,
} from './options.js';
import { TrainingProgress, formatCount, formatNumber } from './progress.js';
import {
  COMPRESSIVE_PRESET,
  addCompressOptions,
  applyCompressOptions,
  codecExtras,
  codecLine,
  presetForTask,
  type CompressTrainOptions,
} from './train-compress.js';

/** The model presets of `--model`. */
export const PRESETS = [
  'dense',
  'sparse',
  'conv',
  'vae',
  'conv-vae',
  'lstm',
  'conv1d',
  'compressive',
] as const;
type Preset = (typeof PRESETS)[number];

/** Each preset's config, without the input shape (which comes from the data). */
const PRESET_CONFIGS: Record<Preset, Record<string, unknown>> = {
  dense: { family: 'dense', hidden: [512, 128], latentDim: 32 },
  // An overcomplete code kept sparse by a KL penalty towards 5% mean activation.
  sparse: {
    family: 'dense',
    hidden: [512],
    latentDim: 128,
    sparsity: { kind: 'kl', target: 0.05, weight: 1 },
  },
  conv: { family: 'conv', channels: [32, 64], latentDim: 32 },
  vae: { family: 'vae', body: 'dense', hidden: [512, 256], latentDim: 16 },
  'conv-vae': { family: 'vae', body: 'conv', channels: [32, 64], latentDim: 16 },
  lstm: { family: 'sequence', kind: 'lstm', hidden: 64, latentDim: 16 },
  conv1d: { family: 'sequence', kind: 'conv1d', channels: [32, 64], latentDim: 16 },
  compressive: COMPRESSIVE_PRESET,
};

const ACTIVATIONS = ['relu', 'leaky_relu', 'elu', 'gelu', 'silu', 'tanh', 'sigmoid'];

interface TrainCommandOptions extends DataOptions, EngineOptions, CompressTrainOptions {
  model: Preset;
  config?: string;
  latent?: number;
  hidden?: number[];
  channels?: number[];
  activation?: string;
  likelihood?: 'bernoulli' | 'gaussian';
  sparsity?: SparsitySpec;
  beta?: number;
  klWarmup?: number;
  freeBits?: number;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: 'adam' | 'adamw' | 'sgd';
  weightDecay?: number;
  schedule?: ScheduleSpec;
  clipGrad?: number;
  validation?: number;
  earlyStop?: number;
  corrupt?: CorruptionSpec;
  seed: number;
  output: string;
  checkpoint?: string;
  resume?: boolean;
  json?: boolean;
}

/** The `train` command. */
export function trainCommand(): Command {
  const command = new Command('train').description(
    'train an autoencoder on a data source and write a model file',
  );
  addDataOptions(command, true);
  command
    .addOption(new Option('--model <preset>', 'model preset').choices(PRESETS).default('dense'))
    .option('--config <file>', 'a JSON model config, used instead of a preset')
    .option(
      '--latent <size>',
      'size of the code (compressive: a dense code of this size instead of the latent map)',
      integer(1),
    )
    .option('--hidden <sizes>', 'hidden sizes (dense, sparse, vae), or the LSTM size', sizes)
    .option('--channels <sizes>', 'channels per stage (conv, conv-vae, conv1d), e.g. 32,64', sizes)
    .addOption(new Option('--activation <name>', 'hidden nonlinearity').choices(ACTIVATIONS))
    .addOption(
      new Option('--likelihood <name>', 'how reconstructions are scored').choices([
        'bernoulli',
        'gaussian',
      ]),
    )
    .option('--sparsity <spec>', 'dense code penalty: l1:WEIGHT or kl:TARGET:WEIGHT', sparsity)
    .option('--beta <weight>', 'VAE: weight of the KL term (default 1)', number(0))
    .option('--kl-warmup <epochs>', 'VAE: epochs over which the KL weight rises', integer(0))
    .option('--free-bits <nats>', 'VAE: KL allowance per latent dimension', number(0))
    .option('--epochs <n>', 'passes over the data', integer(1), 10)
    .option('--batch-size <n>', 'samples per batch', integer(1), 128)
    .option('--lr <rate>', 'learning rate', number(0, Infinity, true), 1e-3)
    .addOption(
      new Option('--optimizer <name>', 'optimizer')
        .choices(['adam', 'adamw', 'sgd'])
        .default('adam'),
    )
    .option('--weight-decay <w>', 'weight decay (default 0; 0.01 for adamw)', number(0))
    .option(
      '--schedule <spec>',
      'learning rate: step[:N[:G]], cosine[:MIN], plateau[:P[:F]]',
      schedule,
    )
    .option('--clip-grad <norm>', 'clip the gradient norm to this', number(0, Infinity, true))
    .option('--validation <fraction>', 'hold out this share for validation', number(0, 1, true))
    .option('--early-stop <epochs>', 'stop after this many epochs without improvement', integer(1))
    .option('--corrupt <spec>', 'denoising: gaussian:SIGMA, salt-pepper:P or mask:P', corruption)
    .option('--seed <n>', 'seed of every random draw', integer(0), 0)
    .option('-o, --output <file>', 'model file to write', 'model.aekit')
    .option('--checkpoint <file>', 'checkpoint written each epoch (default: <output>.ckpt)')
    .option('--resume', 'continue from the checkpoint when it exists')
    .option('--json', 'print the trainer events as JSON lines on stdout');
  addEngineOptions(command);
  addCompressOptions(command);
  return command.action((options: TrainCommandOptions, self: Command) => runTrain(options, self));
}

async function runTrain(options: TrainCommandOptions, command: Command): Promise<void> {
  const aekit = await api();
  await applyEngineOptions(options);
  if (options.config !== undefined && command.getOptionValueSource('model') === 'cli') {
    throw new aekit.AekitError('BAD_INPUT', '--model and --config: expected one of them, got both');
  }
  const taskPreset = await presetForTask(options, command.getOptionValueSource('model') === 'cli');
  if (taskPreset) options.model = taskPreset;
  await checkOutput(options.output);

  const { dataset, spec, reader } = await readData(options);
  const config = await modelConfig(options, dataset);
  const trainOptions = await trainingOptions(options, dataset);

  aekit.manualSeed(options.seed);
  const model = aekit.buildModel(config);
  const progress = new TrainingProgress(
    TrainingProgress.modeFor(options.json ?? false, process.stderr),
    process.stdout,
    process.stderr,
  );
  let summary;
  try {
    summary = aekit.train(model, trainOptions.train, {
      ...trainOptions.options,
      eventEvery: progress.mode === 'bar' ? 1 : 10,
      onEvent: (event) => progress.onEvent(event),
    });
  } finally {
    progress.clear();
  }
  if (summary.stoppedEarly) {
    progress.line(
      `stopped early after epoch ${summary.history.length}: no improvement for ` +
        `${options.earlyStop} epochs; keeping the weights of epoch ${summary.bestEpoch + 1}`,
    );
  }

  const source = sourceRecord(spec, reader, options.limit);
  const codec = await codecExtras(model, trainOptions.train);
  aekit.saveModel(options.output, model, {
    preprocessing: dataset.preprocessing,
    data: aekit.dataRecord(dataset),
    summary,
    extras: { cli: source, ...codec },
  });
  const parameters = model.numParameters();
  const last = summary.history[summary.history.length - 1];
  if (options.json) {
    const saved = { type: 'saved', path: options.output, parameters, epochs: summary.epochsRun };
    console.log(
      JSON.stringify({ ...saved, ...(codec.codec ? { codec: codec.codec.training } : {}) }),
    );
  } else {
    console.log(
      `wrote ${options.output}: ${model.config.family} model, ${formatCount(parameters)} ` +
        `parameters, training loss ${formatNumber(last.train.loss)}` +
        (last.validation ? `, validation loss ${formatNumber(last.validation.loss)}` : ''),
    );
    const [low, high] = dataset.valueRange;
    if (codec.codec) console.log(codecLine(codec.codec, high - low || 1));
  }
  model.dispose();
}

/** Reads `--config` as a JSON object, naming the file in errors. */
async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const { AekitError } = await api();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AekitError('BAD_INPUT', `${file}: --config: expected a readable file, got ${reason}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AekitError('BAD_INPUT', `${file}: JSON: ${reason.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AekitError(
      'BAD_INPUT',
      `${file}: config: expected a JSON object, got ${typeof parsed}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** The model config: the preset or `--config`, the flags that override it, the data's shape. */
async function modelConfig(options: TrainCommandOptions, dataset: Dataset): Promise<ModelConfig> {
  const { AekitError, resolveConfig, sampleShape } = await api();
  const fromFile = options.config !== undefined;
  const config = fromFile
    ? await readConfigFile(options.config as string)
    : structuredClone(PRESET_CONFIGS[options.model]);
  const where = fromFile ? (options.config as string) : `--model ${options.model}`;
  const family = config.family;
  const body = family === 'vae' ? (config.body ?? 'dense') : undefined;
  const kind = family === 'sequence' ? (config.kind ?? 'lstm') : undefined;
  const refuse = (flag: string, applies: string) => {
    const model = `${family}${body ? ` (${body} body)` : ''}${kind ? ` (${kind})` : ''}`;
    return new AekitError('BAD_INPUT', `${flag}: applies to ${applies} models, not to ${model}`);
  };

  if (options.latent !== undefined) {
    config.latentDim = options.latent;
    // A map latent's size follows from the data; a chosen size means a dense code, which
    // holds the lowest rates (a few bytes per image) far better than a map.
    if (family === 'compressive' && !fromFile) config.denseBottleneck = true;
  }
  if (options.hidden !== undefined) {
    if (family === 'dense' || (family === 'vae' && body === 'dense')) {
      config.hidden = options.hidden;
    } else if (family === 'sequence' && kind === 'lstm') {
      if (options.hidden.length !== 1) {
        throw new AekitError(
          'BAD_INPUT',
          `--hidden: expected one LSTM size for an lstm model, got ${options.hidden.join(',')}`,
        );
      }
      config.hidden = options.hidden[0];
    } else {
      throw refuse('--hidden', 'dense, sparse, vae and lstm');
    }
  }
  if (options.channels !== undefined) {
    const conv = family === 'conv' || body === 'conv' || kind === 'conv1d';
    if (!conv && family !== 'compressive') {
      throw refuse('--channels', 'conv, conv-vae, conv1d and compressive');
    }
    config.channels = options.channels;
  }
  if (options.activation !== undefined) config.activation = options.activation;
  if (options.likelihood !== undefined) config.likelihood = options.likelihood;
  if (options.sparsity !== undefined) {
    if (family !== 'dense') throw refuse('--sparsity', 'dense and sparse');
    config.sparsity = options.sparsity;
  }
  const vaeFlags: [string, number | undefined, string][] = [
    ['--beta', options.beta, 'beta'],
    ['--kl-warmup', options.klWarmup, 'klWarmupEpochs'],
    ['--free-bits', options.freeBits, 'freeBits'],
  ];
  for (const [flag, value, key] of vaeFlags) {
    if (value === undefined) continue;
    if (family !== 'vae') throw refuse(flag, 'vae and conv-vae');
    config[key] = value;
  }

  // The input shape comes from the data; a config that names one must agree.
  const shape = sampleShape(dataset);
  if (
    config.inputShape !== undefined &&
    JSON.stringify(config.inputShape) !== JSON.stringify(shape)
  ) {
    throw new AekitError(
      'BAD_INPUT',
      `${where}: inputShape: expected the data's sample shape [${shape.join(', ')}] (or none), ` +
        `got ${JSON.stringify(config.inputShape)}`,
    );
  }
  config.inputShape = shape;

  // Images are in [0, 1] and suit a Bernoulli likelihood; other data gets a Gaussian one.
  const [low, high] = dataset.valueRange;
  if (config.likelihood === undefined && family !== 'sequence' && (low < 0 || high > 1)) {
    config.likelihood = 'gaussian';
    printNotices([
      `${dataset.source}: values span [${formatNumber(low)}, ${formatNumber(high)}], outside ` +
        "[0, 1]: using likelihood 'gaussian' (squared error)",
    ]);
  }

  await applyCompressOptions(options, config, where);

  // Check now, so that a bad config is reported against its file or flags.
  try {
    return resolveConfig(config);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AekitError('BAD_INPUT', `${where}: ${reason}`);
  }
}

/** The trainer's options from the flags, and the training part of the data. */
async function trainingOptions(
  options: TrainCommandOptions,
  dataset: Dataset,
): Promise<{ train: Dataset; options: TrainOptions }> {
  const aekit = await api();
  const checkpoint = options.checkpoint ?? `${options.output}.ckpt`;
  const result: TrainOptions = {
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.lr,
    optimizer: options.optimizer,
    seed: options.seed,
    checkpoint,
    resume: options.resume ?? false,
  };
  if (options.weightDecay !== undefined) result.weightDecay = options.weightDecay;
  if (options.clipGrad !== undefined) result.clipGradNorm = options.clipGrad;
  if (options.earlyStop !== undefined) result.earlyStopping = { patience: options.earlyStop };
  if (options.schedule !== undefined)
    result.schedule = scheduleFor(options.schedule, options.epochs);
  if (options.corrupt !== undefined) result.corruption = corruptionFor(options.corrupt, dataset);
  if (options.resume && !(await stat(checkpoint).catch(() => null))) {
    printNotices([`${checkpoint}: no checkpoint yet: starting from the first epoch`]);
  }

  let train = dataset;
  if (options.validation !== undefined) {
    const split = aekit.trainValidationSplit(dataset, {
      validationFraction: options.validation,
      seed: options.seed,
    });
    train = split.train;
    result.validation = split.validation;
  }
  return { train, options: result };
}

function scheduleFor(spec: ScheduleSpec, epochs: number): Schedule {
  switch (spec.kind) {
    case 'step':
      // By default the rate drops every quarter of the run.
      return {
        kind: 'step',
        stepSize: spec.stepSize ?? Math.max(1, Math.floor(epochs / 4)),
        ...(spec.gamma === undefined ? {} : { gamma: spec.gamma }),
      };
    case 'cosine':
      return { kind: 'cosine', ...(spec.minLr === undefined ? {} : { minLr: spec.minLr }) };
    case 'plateau':
      return {
        kind: 'plateau',
        ...(spec.patience === undefined ? {} : { patience: spec.patience }),
        ...(spec.factor === undefined ? {} : { factor: spec.factor }),
      };
  }
}

/** Salt and pepper take the data's own low and high values. */
function corruptionFor(spec: CorruptionSpec, dataset: Dataset): Corruption {
  if (spec.kind !== 'salt_pepper') return spec;
  const [low, high] = dataset.valueRange;
  return { kind: 'salt_pepper', amount: spec.amount, low, high };
}
