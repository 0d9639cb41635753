/**
 * `aekit reconstruct`: the first samples of some data next to the model's reconstructions
 * of them, as a PNG grid (originals in one row, reconstructions under them) for an image
 * model, or as a `.npy` array of the reconstructions for any model.
 */
import { Command } from 'commander';

import { api } from './api.js';
import { addDataOptions, readData, type DataOptions } from './data-source.js';
import {
  addEngineOptions,
  applyEngineOptions,
  checkOutput,
  isImageModel,
  mapBatches,
  openModel,
  toUnitRange,
  type EngineOptions,
} from './model-file.js';
import { integer } from './options.js';
import { formatCount } from './progress.js';

interface ReconstructOptions extends DataOptions, EngineOptions {
  model: string;
  output: string;
  count: number;
  perRow?: number;
  scale: number;
  batchSize: number;
}

/** The `reconstruct` command. */
export function reconstructCommand(): Command {
  const command = new Command('reconstruct')
    .description('draw samples beside their reconstructions (PNG grid), or save them as .npy')
    .requiredOption('--model <file>', 'model file written by aekit train')
    .option(
      '-o, --output <file>',
      'a .png grid (image models) or a .npy file',
      'reconstructions.png',
    )
    .option('--count <n>', 'samples to reconstruct, from the start of the data', integer(1), 32);
  addDataOptions(command, false);
  command
    .option(
      '--per-row <n>',
      'PNG: pairs per row (default: about the square root of count)',
      integer(1),
    )
    .option('--scale <n>', 'PNG: integer upscaling of each image', integer(1, 64), 2)
    .option('--batch-size <n>', 'samples per batch', integer(1), 256);
  addEngineOptions(command);
  return command.action(async (options: ReconstructOptions) => {
    const aekit = await api();
    await applyEngineOptions(options);
    await checkOutput(options.output);
    const lower = options.output.toLowerCase();
    const format = lower.endsWith('.png') ? 'png' : lower.endsWith('.npy') ? 'npy' : undefined;
    if (!format) {
      throw new aekit.AekitError(
        'BAD_INPUT',
        `${options.output}: --output: expected a file ending in .png or .npy, got another name`,
      );
    }

    const loaded = await openModel(options.model);
    if (format === 'png' && !isImageModel(loaded)) {
      throw new aekit.AekitError(
        'BAD_INPUT',
        `${options.output}: --output: expected a .npy file for a model of input ` +
          `[${loaded.config.inputShape.join(', ')}] (a PNG grid needs [1 or 3, height, width]), ` +
          'got .png',
      );
    }
    // Read no more samples than are drawn.
    const limit = Math.min(options.limit ?? options.count, options.count);
    const { dataset } = await readData({ ...options, limit }, loaded);
    const model = loaded.model;
    const reconstructions = await mapBatches(model, dataset, options.batchSize, (x) =>
      model.reconstruct(x),
    );

    const n = dataset.shape[0];
    if (format === 'npy') {
      aekit.saveNpy(options.output, reconstructions, dataset.shape);
      console.log(`wrote ${options.output}: reconstructions of ${formatCount(n)} samples`);
    } else {
      const png = await aekit.comparisonGrid(
        toUnitRange(dataset.data, loaded),
        toUnitRange(reconstructions, loaded),
        dataset.shape,
        { scale: options.scale, ...(options.perRow ? { columns: options.perRow } : {}) },
      );
      aekit.writeFileAtomic(options.output, png);
      console.log(`wrote ${options.output}: ${formatCount(n)} samples above their reconstructions`);
    }
    model.dispose();
  });
}
