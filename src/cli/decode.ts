/**
 * `aekit decode`: data from codes (as `aekit encode` writes them, or made by hand): one PNG
 * per code for an image model, or one `.npy` array `[count, ...inputShape]` for any model.
 */
import path from 'node:path';

import { Command } from 'commander';

import { api } from './api.js';
import { readCodes } from './codes.js';
import type { LoadedModel } from '../index.js';
import {
  addEngineOptions,
  applyEngineOptions,
  checkOutput,
  isImageModel,
  openModel,
  toUnitRange,
  type EngineOptions,
} from './model-file.js';
import { integer } from './options.js';
import { formatCount } from './progress.js';

interface DecodeOptions extends EngineOptions {
  model: string;
  output: string;
  batchSize: number;
  scale: number;
}

/** The `decode` command. */
export function decodeCommand(): Command {
  const command = new Command('decode')
    .description('turn codes back into data: PNGs for an image model, else a .npy array')
    .argument('<codes>', 'codes file: .csv, .npy or .json (as aekit encode writes)')
    .requiredOption('--model <file>', 'model file written by aekit train')
    .requiredOption('-o, --output <path>', 'folder for PNGs (image models), or a .npy file')
    .option('--batch-size <n>', 'codes per batch', integer(1), 256)
    .option('--scale <n>', 'PNGs: integer upscaling of each image', integer(1, 64), 1);
  addEngineOptions(command);
  return command.action(async (codesFile: string, options: DecodeOptions) => {
    await applyEngineOptions(options);
    const loaded = await openModel(options.model);
    const toNpy = options.output.toLowerCase().endsWith('.npy');
    await checkTarget(options.output, toNpy, loaded);

    const codes = await readCodes(codesFile, loaded.config.latentDim, loaded.path);
    const values = await decodeAll(loaded, codes.values, codes.count, options.batchSize);
    const shape = [codes.count, ...loaded.config.inputShape];
    const aekit = await api();
    if (toNpy) {
      aekit.saveNpy(options.output, values, shape);
      console.log(
        `wrote ${options.output}: ${formatCount(codes.count)} samples of [${shape.slice(1).join(', ')}]`,
      );
    } else {
      const digits = String(codes.count - 1).length;
      const names = Array.from({ length: codes.count }, (_, i) => String(i).padStart(digits, '0'));
      const pixels = toUnitRange(values, loaded);
      await aekit.savePngs(pixels, shape, options.output, names, { scale: options.scale });
      console.log(`wrote ${formatCount(codes.count)} PNGs to ${options.output}`);
    }
    loaded.model.dispose();
  });
}

/** A .npy file, or a folder of PNGs for an image model. */
async function checkTarget(output: string, toNpy: boolean, loaded: LoadedModel): Promise<void> {
  const { AekitError } = await api();
  if (toNpy) return checkOutput(output);
  if (!isImageModel(loaded)) {
    throw new AekitError(
      'BAD_INPUT',
      `${output}: --output: expected a .npy file for a model of input ` +
        `[${loaded.config.inputShape.join(', ')}] (PNGs need [1 or 3, height, width]), got ` +
        `'${path.extname(output) || 'a folder'}'`,
    );
  }
}

/** Decodes `[count, latentDim]` codes in batches: `[count, ...inputShape]` values. */
async function decodeAll(
  loaded: LoadedModel,
  codes: Float32Array,
  count: number,
  batchSize: number,
): Promise<Float32Array> {
  const { noGrad, tensor, tidy } = await api();
  const model = loaded.model;
  model.eval();
  const latent = loaded.config.latentDim;
  const out = new Float32Array(count * model.sampleSize);
  noGrad(() => {
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const batch = codes.subarray(start * latent, (start + size) * latent);
      const values = tidy(() =>
        model.decode(tensor(batch, { shape: [size, latent] })).toFloat32Array(),
      );
      out.set(values, start * model.sampleSize);
    }
  });
  return out;
}
