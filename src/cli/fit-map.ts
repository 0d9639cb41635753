/**
 * `aekit fit-map`: trains a parametric map (the 'map' family) on a data source with the
 * neighbour-graph trainer (`fitMap`): the exact k-nearest-neighbour graph of the data, then
 * epochs of neighbour pairs under the InfoNC-t-SNE loss (`--loss pairs`), of batches under
 * parametric t-SNE's KL divergence (`--loss tsne`), or, with `--cells N`, a t-SNE layout cut
 * into N cells that the encoder learns to choose among (`--loss cells`); with a decoder.
 * Writes a model file that `aekit embed` maps new data with.
 */
import { Command, Option } from 'commander';

import { api, printNotices } from './api.js';
import { addDataOptions, readData, type DataOptions, sourceRecord } from './data-source.js';
import {
  addEngineOptions,
  applyEngineOptions,
  checkOutput,
  type EngineOptions,
} from './model-file.js';
import { integer, number, sizes } from './options.js';
import { formatCount, formatNumber, formatSeconds, plural } from './progress.js';
import { dataSource } from './task-options.js';

interface FitMapCommandOptions extends DataOptions, EngineOptions {
  output: string;
  latent: number;
  hidden: number[];
  likelihood?: 'bernoulli' | 'gaussian';
  neighbours?: number;
  loss?: 'pairs' | 'tsne' | 'cells';
  cells: number;
  cellTemperature: number;
  cellOffsets: boolean;
  tsneIterations: number;
  perplexity: number;
  exaggeration: number;
  dof: number;
  reconstructionWeight: number;
  epochs: number;
  batchSize?: number;
  lr: number;
  seed: number;
}

/** The `fit-map` command. */
export function fitMapCommand(): Command {
  const command = new Command('fit-map')
    .description(
      'train a parametric map (an autoencoder with a 2-D code shaped by t-SNE neighbourhoods) ' +
        'for aekit embed',
    )
    .argument('[data]', 'training data (the same sources as --data)');
  addDataOptions(command, true);
  command
    .option('-o, --output <file>', 'model file to write', 'map.aekit')
    .option('--latent <size>', 'dimensions of the map', integer(1, 3), 2)
    .option(
      '--hidden <sizes>',
      'hidden sizes of the encoder (the decoder mirrors them)',
      sizes,
      [500, 500, 2000],
    )
    .addOption(
      new Option(
        '--likelihood <name>',
        'reconstruction term (default: bernoulli for [0, 1] data)',
      ).choices(['bernoulli', 'gaussian']),
    )
    .addOption(
      new Option(
        '--loss <name>',
        "the map's loss: pairs (InfoNC-t-SNE on neighbour pairs), tsne (parametric t-SNE), " +
          'or cells (with --cells; the default there)',
      ).choices(['pairs', 'tsne', 'cells']),
    )
    .option(
      '--cells <n>',
      'cells of a t-SNE layout the encoder chooses among (0: none; about samples / 20)',
      integer(0),
      0,
    )
    .option('--cell-temperature <t>', 'softmax temperature over cells', number(0.001), 0.05)
    .option(
      '--no-cell-offsets',
      "cells: put every sample on its cell's centre (default: also learn its place in the cell)",
    )
    .option('--tsne-iterations <n>', 'iterations of the t-SNE layout (cells)', integer(1), 1000)
    .option(
      '--neighbours <k>',
      'neighbours per sample in the graph (default: 15 for pairs, 3 x perplexity otherwise)',
      integer(1),
    )
    .option('--perplexity <p>', 'effective neighbours per sample (tsne, cells)', number(1), 30)
    .option(
      '--exaggeration <a>',
      'attraction multiplier over the first quarter of the epochs',
      number(0),
      1,
    )
    .option('--dof <v>', "degrees of freedom of the map's Student-t kernel", number(0.01, 100), 1)
    .option('--reconstruction-weight <w>', 'weight of the reconstruction term', number(0), 0.001)
    .option('--epochs <n>', 'passes over the data as anchors', integer(1), 20)
    .option(
      '--batch-size <n>',
      'anchors per step for pairs (default 512), points per step for tsne (512) and cells (64)',
      integer(2),
    )
    .option('--lr <rate>', 'learning rate', number(0, Infinity, true), 1e-3)
    .option('--seed <n>', 'seed of the weights and the pairs', integer(0), 0);
  addEngineOptions(command);
  return command.action(async (data: string | undefined, options: FitMapCommandOptions) => {
    await applyEngineOptions(options);
    await checkCellOptions(command, options);
    await runFitMap(await dataSource(data, options), options);
  });
}

/** Refuses the options of a map with cells on a map without them, rather than ignoring them. */
async function checkCellOptions(command: Command, options: FitMapCommandOptions): Promise<void> {
  if (options.cells > 0) return;
  const cellOnly: [string, string][] = [
    ['--cell-temperature', 'cellTemperature'],
    ['--no-cell-offsets', 'cellOffsets'],
    ['--tsne-iterations', 'tsneIterations'],
  ];
  for (const [flag, key] of cellOnly) {
    if (command.getOptionValueSource(key) === 'cli') {
      const { AekitError } = await api();
      throw new AekitError('BAD_INPUT', `${flag}: applies to a map with --cells N, got no --cells`);
    }
  }
}

async function runFitMap(dataOptions: DataOptions, options: FitMapCommandOptions): Promise<void> {
  const aekit = await api();
  await checkOutput(options.output);
  const { dataset, spec, reader } = await readData(dataOptions);
  const [low, high] = dataset.valueRange;
  const unit = low >= 0 && high <= 1;
  if (options.likelihood === 'bernoulli' && !unit) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${dataset.source}: values: expected values in [0, 1] for --likelihood bernoulli, got ` +
        `[${formatNumber(low)}, ${formatNumber(high)}]`,
    );
  }
  const likelihood = options.likelihood ?? (unit ? 'bernoulli' : 'gaussian');
  const n = dataset.shape[0];
  const loss = options.loss ?? (options.cells > 0 ? 'cells' : 'pairs');
  const neighbours =
    options.neighbours ?? (loss === 'pairs' ? 15 : Math.ceil(3 * options.perplexity));
  if ((loss === 'cells') !== options.cells > 0) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      options.cells > 0
        ? `--loss ${loss}: a map with --cells is fitted with --loss cells`
        : '--loss cells: needs --cells N (N > 0)',
    );
  }
  if (options.cells > 0 && options.latent !== 2) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `--cells: cells need a 2-D map, got --latent ${options.latent}`,
    );
  }
  if (options.cells > n) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${dataset.source}: samples: expected at least --cells ${options.cells}, got ${n}`,
    );
  }
  if (n <= neighbours) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${dataset.source}: samples: expected more than --neighbours ${neighbours}, got ${n}`,
    );
  }

  aekit.manualSeed(options.seed);
  const model = aekit.buildModel({
    family: 'map',
    inputShape: aekit.sampleShape(dataset),
    latentDim: options.latent,
    likelihood,
    hidden: options.hidden,
    degreesOfFreedom: options.dof,
    perplexity: options.perplexity,
    reconstructionWeight: options.reconstructionWeight,
    cells: options.cells,
    cellTemperature: options.cellTemperature,
    cellOffsets: options.cells > 0 && options.cellOffsets,
  }) as InstanceType<typeof aekit.ParametricMap>;

  const graphStart = Date.now();
  const graph = aekit.neighbourGraph(dataset, neighbours);
  printNotices([
    `${formatCount(n)} samples, ${neighbours}-nearest-neighbour graph in ` +
      formatSeconds((Date.now() - graphStart) / 1000),
  ]);
  const layoutStart = Date.now();
  const summary = aekit.fitMap(model, dataset, {
    epochs: options.epochs,
    loss,
    batchSize: options.batchSize,
    tsneIterations: options.tsneIterations,
    onLayout: (iteration, divergence) => {
      if (iteration % 250 !== 0 && iteration !== options.tsneIterations) return;
      process.stderr.write(
        `t-SNE layout ${iteration}/${options.tsneIterations}  KL ${formatNumber(divergence)}  ` +
          `${formatSeconds((Date.now() - layoutStart) / 1000)}\n`,
      );
    },
    learningRate: options.lr,
    exaggeration: options.exaggeration,
    seed: options.seed,
    graph,
    onEpoch: (record) =>
      process.stderr.write(
        `epoch ${record.epoch + 1}/${options.epochs}  neighbourhood ` +
          `${formatNumber(record.neighbourhood)}  reconstruction ` +
          `${formatNumber(record.reconstruction)}  ${formatSeconds(record.seconds)}\n`,
      ),
  });

  const source = sourceRecord(spec, reader, options.limit);
  aekit.saveModel(options.output, model, {
    preprocessing: dataset.preprocessing,
    data: aekit.dataRecord(dataset),
    summary: JSON.parse(JSON.stringify(summary)) as unknown,
    extras: { cli: source },
  });
  console.log(
    `wrote ${options.output}: map model (${options.latent}-D), ` +
      `${formatCount(model.numParameters())} parameters, ` +
      `${plural(summary.epochsRun, 'epoch')} in ${formatSeconds(summary.seconds)}`,
  );
  model.dispose();
}
