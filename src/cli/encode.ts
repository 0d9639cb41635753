/**
 * `aekit encode`: the code of each sample, from data read with the model's preprocessing,
 * written as CSV, NPY or JSON with the samples' labels when the data has them. A VAE's
 * code is its posterior mean.
 */
import { Command } from 'commander';

import { api } from './api.js';
import { codeFormat, writeCodes } from './codes.js';
import { addDataOptions, readData, type DataOptions } from './data-source.js';
import {
  addEngineOptions,
  applyEngineOptions,
  checkOutput,
  mapBatches,
  openModel,
  type EngineOptions,
} from './model-file.js';
import { integer } from './options.js';
import { formatCount } from './progress.js';

interface EncodeOptions extends DataOptions, EngineOptions {
  model: string;
  output: string;
  batchSize: number;
}

/** The `encode` command. */
export function encodeCommand(): Command {
  const command = new Command('encode')
    .description('write the code of each sample (CSV, NPY or JSON, by the output name)')
    .requiredOption('--model <file>', 'model file written by aekit train')
    .requiredOption('-o, --output <file>', 'codes file: codes.csv, codes.npy or codes.json');
  addDataOptions(command, false);
  command.option('--batch-size <n>', 'samples per batch', integer(1), 256);
  addEngineOptions(command);
  return command.action(async (options: EncodeOptions) => {
    await applyEngineOptions(options);
    // Check the output before any work.
    await checkOutput(options.output);
    if (codeFormat(options.output) === undefined) {
      const { AekitError } = await api();
      throw new AekitError(
        'BAD_INPUT',
        `${options.output}: --output: expected a file ending in .csv, .npy or .json, got ` +
          'another name',
      );
    }
    const loaded = await openModel(options.model);
    const { dataset } = await readData(options, loaded);
    const model = loaded.model;
    const values = await mapBatches(model, dataset, options.batchSize, (x) => model.encode(x));
    const written = await writeCodes(options.output, {
      values,
      count: dataset.shape[0],
      latentDim: model.config.latentDim,
      labels: dataset.labels,
      labelNames: dataset.labelNames,
    });
    const labelled = dataset.labels ? ' with labels' : '';
    console.log(
      `wrote ${written.join(' and ')}: ${formatCount(dataset.shape[0])} codes of ` +
        `${model.config.latentDim} values${labelled}`,
    );
    model.dispose();
  });
}
