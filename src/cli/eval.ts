/**
 * `aekit eval`: how well a trained model reconstructs data read with the model's own
 * preprocessing: the reconstruction loss per sample and per value, the mean squared error,
 * PSNR and SSIM for images, and for a VAE the ELBO and the importance-weighted bound on the
 * log-likelihood (Burda et al., "Importance Weighted Autoencoders", 2016).
 */
import { Command } from 'commander';

import { api } from './api.js';
import { addDataOptions, readData, type DataOptions } from './data-source.js';
import type { LoadedModel, VariationalAutoencoder } from '../index.js';
import {
  addEngineOptions,
  applyEngineOptions,
  describeModel,
  isImageModel,
  mapBatches,
  openModel,
  type EngineOptions,
} from './model-file.js';
import { integer } from './options.js';
import { formatCount, formatNumber } from './progress.js';

interface EvalOptions extends DataOptions, EngineOptions {
  model: string;
  iwSamples: number;
  batchSize: number;
  seed: number;
  json?: boolean;
}

/** Posterior draws per importance-weighted batch, summed over its samples; bounds memory. */
const DRAWS_PER_BATCH = 4096;
/** SSIM's Gaussian window is 11 x 11; smaller images get no SSIM. */
const SSIM_MIN_SIDE = 11;

/** What `aekit eval --json` prints. Figures that do not apply are null. */
export interface EvalResult {
  model: string;
  data: string;
  samples: number;
  likelihood: 'bernoulli' | 'gaussian';
  /** The model's reconstruction term: binary cross-entropy in nats, or squared error. */
  reconstruction: { perSample: number; perValue: number };
  /** Mean squared error between values and reconstructions. */
  mse: number;
  /** Mean PSNR in dB over images that differ from their reconstruction. */
  psnr: number | null;
  ssim: number | null;
  /** Mean ELBO per sample in nats (VAE only). */
  elbo: number | null;
  /** The importance-weighted lower bound on log p(x) (VAE only, `--iw-samples` > 0). */
  logLikelihoodBound: { nats: number; k: number; bitsPerDimension: number | null } | null;
}

/** The `eval` command. */
export function evalCommand(): Command {
  const command = new Command('eval')
    .description('score a model on data: reconstruction loss, PSNR and SSIM, VAE likelihood')
    .requiredOption('--model <file>', 'model file written by aekit train');
  addDataOptions(command, false);
  command
    .option(
      '--iw-samples <k>',
      'VAE: posterior draws per sample of the IWAE bound',
      integer(0),
      100,
    )
    .option('--batch-size <n>', 'samples per batch', integer(1), 256)
    .option('--seed <n>', 'seed of the posterior draws', integer(0), 0)
    .option('--json', 'print one JSON object');
  addEngineOptions(command);
  return command.action(async (options: EvalOptions) => {
    await applyEngineOptions(options);
    const loaded = await openModel(options.model);
    const result = await evaluate(loaded, options);
    if (options.json) console.log(JSON.stringify(result));
    else console.log(table(result, loaded));
    loaded.model.dispose();
  });
}

async function evaluate(loaded: LoadedModel, options: EvalOptions): Promise<EvalResult> {
  const aekit = await api();
  const { dataset } = await readData(options, loaded);
  const model = loaded.model;
  const n = dataset.shape[0];
  const size = model.sampleSize;
  const batch = options.batchSize;

  const errors = await mapBatches(model, dataset, batch, (x) => model.reconstructionError(x));
  const perSample = mean(errors);
  const reconstructions = await mapBatches(model, dataset, batch, (x) => model.reconstruct(x));
  let squared = 0;
  for (let i = 0; i < reconstructions.length; i++) {
    squared += (reconstructions[i] - dataset.data[i]) ** 2;
  }

  let psnr: number | null = null;
  let ssim: number | null = null;
  if (isImageModel(loaded)) {
    const [low, high] = loaded.data.valueRange;
    const options = { shape: dataset.shape, dataRange: high > low ? high - low : 1 };
    const scores = aekit.psnr(dataset.data, reconstructions, options);
    psnr = Number.isFinite(scores.mean) ? scores.mean : null;
    const [, height, width] = loaded.config.inputShape;
    if (height >= SSIM_MIN_SIDE && width >= SSIM_MIN_SIDE) {
      ssim = aekit.ssim(dataset.data, reconstructions, options).mean;
    }
  }

  let elbo: number | null = null;
  let bound: EvalResult['logLikelihoodBound'] = null;
  if (aekit.isVae(model)) {
    const vae: VariationalAutoencoder = model;
    const generator = new aekit.Generator(options.seed);
    const k = options.iwSamples;
    if (k === 0) {
      const negative = await mapBatches(vae, dataset, batch, (x) => vae.negativeElbo(x, generator));
      elbo = -mean(negative);
    } else {
      const perBatch = Math.max(1, Math.floor(DRAWS_PER_BATCH / k));
      const weights = await mapBatches(vae, dataset, perBatch, (x) =>
        vae.logImportanceWeights(x, k, generator),
      ); // [n, k]
      const result = aekit.importanceWeightedBound(Float64Array.from(weights), { shape: [n, k] });
      elbo = result.elbo;
      bound = {
        nats: result.mean,
        k,
        // Bits per dimension are a code length only for discrete (Bernoulli) data.
        bitsPerDimension:
          loaded.config.likelihood === 'bernoulli'
            ? aekit.bitsPerDimension(result.mean, size)
            : null,
      };
    }
  }

  return {
    model: loaded.path,
    data: dataset.source,
    samples: n,
    likelihood: loaded.config.likelihood,
    reconstruction: { perSample, perValue: perSample / size },
    mse: squared / (n * size),
    psnr,
    ssim,
    elbo,
    logLikelihoodBound: bound,
  };
}

function mean(values: Float32Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

/** The result as a two-column table. */
function table(result: EvalResult, loaded: LoadedModel): string {
  const loss = result.likelihood === 'bernoulli' ? 'binary cross-entropy, nats' : 'squared error';
  const rows: [string, string][] = [
    ['model', `${result.model}: ${describeModel(loaded)}`],
    ['data', `${result.data}: ${formatCount(result.samples)} samples`],
    [
      'reconstruction loss',
      `${formatNumber(result.reconstruction.perSample)} per sample, ` +
        `${formatNumber(result.reconstruction.perValue)} per value (${loss})`,
    ],
    ['mean squared error', `${formatNumber(result.mse)} per value`],
  ];
  if (result.psnr !== null) rows.push(['PSNR', `${formatNumber(result.psnr)} dB`]);
  if (result.ssim !== null) rows.push(['SSIM', formatNumber(result.ssim)]);
  if (result.elbo !== null) rows.push(['ELBO', `${formatNumber(result.elbo)} nats per sample`]);
  const bound = result.logLikelihoodBound;
  if (bound) {
    const bits =
      bound.bitsPerDimension === null
        ? ''
        : `, ${formatNumber(bound.bitsPerDimension)} bits per dimension`;
    rows.push([
      'log-likelihood >=',
      `${formatNumber(bound.nats)} nats per sample (IWAE, k = ${bound.k})${bits}`,
    ]);
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => label.padEnd(width) + value).join('\n');
}
