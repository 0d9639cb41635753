/**
 * `aekit denoise`: cleans images or arrays with a model trained on corrupted inputs
 * (`aekit train --corrupt ...`). Image inputs become one PNG each in the output folder, data
 * files one .npy each. With `--add-noise`, clean inputs are corrupted first and the PSNR and
 * SSIM of the noisy and the denoised data against them are printed.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { Command } from 'commander';

import { api } from './api.js';
import { readInputs, writeOutputs, type Inputs } from './inputs.js';
import type { Corruption, LoadedModel } from '../index.js';
import {
  addEngineOptions,
  applyEngineOptions,
  isImageModel,
  openModel,
  toUnitRange,
  type EngineOptions,
} from './model-file.js';
import { corruption, integer, type CorruptionSpec } from './options.js';
import { formatCount } from './progress.js';

interface DenoiseOptions extends EngineOptions {
  model: string;
  output: string;
  addNoise?: CorruptionSpec;
  compare?: string;
  anyModel?: boolean;
  seed: number;
  batchSize: number;
  json?: boolean;
}

/** SSIM's Gaussian window is 11 x 11; smaller images get no SSIM. */
const SSIM_MIN_SIDE = 11;
/** Pairs drawn by `--compare` at most. */
const COMPARE_MAX = 64;

/** Quality before and after, when `--add-noise` made the noise. */
export interface DenoiseQuality {
  noise: string;
  samples: number;
  psnr: { noisy: number; denoised: number };
  ssim: { noisy: number; denoised: number } | null;
}

/** The `denoise` command. */
export function denoiseCommand(): Command {
  const command = new Command('denoise')
    .description(
      'clean images or arrays with a model trained on corrupted inputs (aekit train --corrupt)',
    )
    .argument('<inputs...>', 'image files, folders of images, or data files (.npy, .csv, IDX)')
    .requiredOption('--model <file>', 'model file written by aekit train --corrupt ...')
    .requiredOption('-o, --output <folder>', 'folder for the denoised files (created if missing)')
    .option(
      '--add-noise <spec>',
      'corrupt the (clean) inputs first and report PSNR/SSIM: gaussian:SIGMA, salt-pepper:P or ' +
        'mask:P',
      corruption,
    )
    .option('--compare <file>', 'also draw a PNG: noisy inputs above their denoised outputs')
    .option('--any-model', 'denoise with a model trained without corruption too')
    .option('--seed <n>', 'seed of --add-noise', integer(0), 0)
    .option('--batch-size <n>', 'samples per batch', integer(1), 256)
    .option('--json', 'print one JSON object');
  addEngineOptions(command);
  return command.action(async (inputs: string[], options: DenoiseOptions) => {
    await applyEngineOptions(options);
    await runDenoise(inputs, options);
  });
}

async function runDenoise(inputs: string[], options: DenoiseOptions): Promise<void> {
  const aekit = await api();
  const existing = await stat(options.output).catch(() => null);
  if (existing && !existing.isDirectory()) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${options.output}: --output: expected a folder, got a file`,
    );
  }
  if (!(await stat(path.dirname(path.resolve(options.output))).catch(() => null))?.isDirectory()) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${options.output}: --output: expected a folder in an existing folder, got a parent that ` +
        'does not exist',
    );
  }
  if (options.compare !== undefined && !options.compare.toLowerCase().endsWith('.png')) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${options.compare}: --compare: expected a file ending in .png, got another name`,
    );
  }

  const loaded = await openModel(options.model);
  const trained = aekit.trainedCorruption(loaded.summary);
  if (!trained && !options.anyModel) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${loaded.path}: training: expected a model trained with corruption (aekit train ` +
        '--corrupt gaussian:0.3, say), got one trained on clean inputs; pass --any-model to use ' +
        'it anyway',
    );
  }
  if (options.compare !== undefined && !isImageModel(loaded)) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${options.compare}: --compare: expected an image model for a PNG, got a model of input ` +
        `[${loaded.config.inputShape.join(', ')}]`,
    );
  }

  // Image inputs are read together (one PNG each); each data file is read and written alone.
  const imageLike = await Promise.all(
    inputs.map(async (input) => /\.(png|jpe?g|webp)$/i.test(input) || (await isFolder(input))),
  );
  const groups: { inputs: Inputs; stem?: string }[] = [];
  if (imageLike.some(Boolean)) {
    groups.push({ inputs: await readInputs(inputs, loaded, 'inputs') });
  } else {
    for (const input of inputs) {
      const stem = path.basename(input).replace(/\.[^.]*$/, '');
      groups.push({ inputs: await readInputs([input], loaded, 'inputs'), stem });
    }
  }

  await mkdir(options.output, { recursive: true });
  // Salt and pepper take each dataset's own low and high values (corruptDataset).
  const noise: Corruption | null = options.addNoise ?? null;
  const written: string[] = [];
  const before: Float32Array[] = [];
  const after: Float32Array[] = [];
  const clean: Float32Array[] = [];
  for (const group of groups) {
    let dataset = group.inputs.dataset;
    if (noise) {
      clean.push(dataset.data);
      dataset = aekit.corruptDataset(dataset, noise, options.seed);
    }
    const denoised = aekit.denoise(loaded.model, dataset, { batchSize: options.batchSize });
    before.push(dataset.data);
    after.push(denoised);
    if (group.stem === undefined) {
      written.push(
        await writeOutputs(options.output, 'folder', denoised, loaded, group.inputs.names),
      );
    } else {
      const file = path.join(options.output, `${group.stem}.npy`);
      aekit.saveNpy(file, denoised, dataset.shape);
      written.push(file);
    }
  }

  const noisyAll = joinArrays(before);
  const denoisedAll = joinArrays(after);
  const count = groups.reduce((n, group) => n + group.inputs.dataset.shape[0], 0);
  if (options.compare !== undefined) {
    const shown = Math.min(count, COMPARE_MAX);
    const size = loaded.model.sampleSize;
    const png = await aekit.comparisonGrid(
      toUnitRange(noisyAll.subarray(0, shown * size), loaded),
      toUnitRange(denoisedAll.subarray(0, shown * size), loaded),
      [shown, ...loaded.config.inputShape],
      { scale: 2 },
    );
    await aekit.writeFileAtomic(options.compare, png);
    written.push(`${options.compare} (${shown} noisy inputs above their denoised outputs)`);
  }

  const quality = noise
    ? await measure(joinArrays(clean), noisyAll, denoisedAll, count, loaded, noise)
    : null;
  if (options.json) {
    console.log(JSON.stringify({ model: loaded.path, samples: count, written, quality }));
  } else {
    const kind = trained
      ? `trained on ${aekit.describeCorruption(trained)}`
      : 'trained on clean data';
    console.log(`denoised ${formatCount(count)} samples with ${loaded.path} (${kind})`);
    if (quality) {
      const ssim = quality.ssim
        ? `; SSIM ${quality.ssim.noisy.toFixed(4)} -> ${quality.ssim.denoised.toFixed(4)}`
        : '';
      console.log(
        `${quality.noise}: PSNR ${quality.psnr.noisy.toFixed(2)} dB -> ` +
          `${quality.psnr.denoised.toFixed(2)} dB${ssim}`,
      );
    }
    console.log(`wrote ${written.join(', ')}`);
  }
  loaded.model.dispose();
}

async function isFolder(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isDirectory() ?? false;
}

function joinArrays(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** PSNR (and SSIM for images of 11 pixels a side or more) of noisy and denoised vs clean. */
async function measure(
  clean: Float32Array,
  noisy: Float32Array,
  denoised: Float32Array,
  count: number,
  loaded: LoadedModel,
  noise: Corruption,
): Promise<DenoiseQuality> {
  const aekit = await api();
  const input = loaded.config.inputShape;
  const [low, high] = loaded.data.valueRange;
  const dataRange = high > low ? high - low : 1;
  // Non-image samples are measured as one row of values each.
  const shape =
    input.length === 3 ? [count, ...input] : [count, 1, input.reduce((a, b) => a * b, 1)];
  const options = { shape, dataRange };
  const image = input.length === 3 && input[1] >= SSIM_MIN_SIDE && input[2] >= SSIM_MIN_SIDE;
  return {
    noise: aekit.describeCorruption(noise),
    samples: count,
    psnr: {
      noisy: aekit.psnr(clean, noisy, options).mean,
      denoised: aekit.psnr(clean, denoised, options).mean,
    },
    ssim: image
      ? {
          noisy: aekit.ssim(clean, noisy, options).mean,
          denoised: aekit.ssim(clean, denoised, options).mean,
        }
      : null,
  };
}
