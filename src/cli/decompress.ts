/**
 * `aekit decompress`: an `.aez` file back to images with the codec model that wrote it: a
 * folder of PNGs (one per image, numbered in file order), one `.npy` array, or one PNG grid.
 * Prints bytes per image with the header shared and without it, bits per pixel, and with
 * `--reference` the PSNR and SSIM against the original images.
 */
import { readFile, stat } from 'node:fs/promises';

import { Command } from 'commander';

import { api } from './api.js';
import {
  openCodec,
  perImageMse,
  printWarning,
  quality,
  qualityLine,
  rates,
  ratesLine,
  type Quality,
} from './codec-report.js';
import { outputKind, readInputs, writeOutputs } from './inputs.js';
import { addEngineOptions, applyEngineOptions, type EngineOptions } from './model-file.js';
import { formatNumber } from './progress.js';

interface DecompressOptions extends EngineOptions {
  model: string;
  output: string;
  reference?: string;
  json?: boolean;
}

/** The `decompress` command. */
export function decompressCommand(): Command {
  const command = new Command('decompress')
    .description('decode an .aez file back to images with the codec model that wrote it')
    .argument('<file>', 'the .aez file')
    .requiredOption('--model <file>', 'the codec model file that compressed it')
    .requiredOption('-o, --output <path>', 'a folder for PNGs, a .npy file, or a .png grid')
    .option('--reference <source>', 'original images (a file, a folder, IDX or .npy): PSNR, SSIM')
    .option('--json', 'print one JSON object');
  addEngineOptions(command);
  return command.action(async (file: string, options: DecompressOptions) => {
    await applyEngineOptions(options);
    await runDecompress(file, options);
  });
}

async function runDecompress(file: string, options: DecompressOptions): Promise<void> {
  const aekit = await api();
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${file}: file: expected an .aez file, got ${info ? 'a folder' : 'no such file'}`,
    );
  }
  const { loaded, codec, training } = await openCodec(options.model);
  try {
    const kind = await outputKind(options.output, loaded);
    const bytes = new Uint8Array(await readFile(file));
    const started = performance.now();
    const decoded = codec.decompress(bytes, file);
    const seconds = (performance.now() - started) / 1000;
    const count = decoded.shape[0];

    let q: Quality | null = null;
    let mse: Float64Array = new Float64Array(count);
    if (options.reference !== undefined) {
      const { dataset } = await readInputs([options.reference], loaded, '--reference');
      if (dataset.shape[0] !== count) {
        throw new aekit.AekitError(
          'BAD_INPUT',
          `${options.reference}: --reference: expected ${count} images (as many as ${file} ` +
            `holds), got ${dataset.shape[0]}`,
        );
      }
      q = await quality(dataset.data, decoded.images, decoded.shape, loaded.data.valueRange);
      mse = perImageMse(dataset.data, decoded.images, count);
    }

    const digits = String(Math.max(count - 1, 0)).length;
    const names = Array.from({ length: count }, (_, i) => String(i).padStart(digits, '0'));
    const written = await writeOutputs(options.output, kind, decoded.images, loaded, names);
    const r = await rates(decoded.sizes, decoded.shape);
    // Without a reference only the rates can be compared with training.
    const range = loaded.data.valueRange[1] - loaded.data.valueRange[0] || 1;
    const comparison = aekit.compareWithTraining(
      training,
      decoded.sizes.perRecord,
      mse,
      loaded.data.source,
      range,
    );

    if (options.json) {
      console.log(
        JSON.stringify({
          type: 'decompressed',
          path: options.output,
          ...r,
          ...(q ? { psnr: q.psnr, ssim: q.ssim } : {}),
          imagesPerSecond: count / Math.max(seconds, 1e-9),
          unlikeTraining: comparison.unlike,
          warning: comparison.warning,
        }),
      );
    } else {
      console.log(`wrote ${written}: ${ratesLine(r)}`);
      if (q) console.log(`against ${options.reference}: ${qualityLine(q)}`);
      console.log(`decoded ${formatNumber(count / Math.max(seconds, 1e-9))} images per second`);
    }
    if (comparison.warning) printWarning(comparison.warning);
  } finally {
    loaded.model.dispose();
  }
}
