/**
 * `aekit compress`: images (files, folders, IDX or NPY arrays) into one `.aez` file with a
 * codec model from `aekit train --task compress`. Prints bytes per image with the header
 * shared and without it, bits per pixel, and with `--reference` the PSNR and SSIM of the
 * decoded images against the inputs. Warns when the inputs are unlike the codec's training
 * data (their rate or distortion above what training saw).
 */
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
import { readInputs } from './inputs.js';
import {
  addEngineOptions,
  applyEngineOptions,
  checkOutput,
  type EngineOptions,
} from './model-file.js';
import { formatNumber } from './progress.js';

interface CompressOptions extends EngineOptions {
  model: string;
  output: string;
  reference?: boolean;
  json?: boolean;
}

/** The `compress` command. */
export function compressCommand(): Command {
  const command = new Command('compress')
    .description('compress images into one .aez file with a codec model (train --task compress)')
    .argument(
      '<inputs...>',
      'image files, folders of images, or IDX / .npy image arrays ([count, channels, height, ' +
        'width]; IDX [count, height, width])',
    )
    .requiredOption('--model <file>', 'codec model file written by aekit train --task compress')
    .requiredOption('-o, --output <file>', 'the .aez file to write')
    .option('--reference', 'also decode and print PSNR and SSIM against the inputs')
    .option('--json', 'print one JSON object');
  addEngineOptions(command);
  return command.action(async (inputs: string[], options: CompressOptions) => {
    await applyEngineOptions(options);
    await runCompress(inputs, options);
  });
}

async function runCompress(inputs: string[], options: CompressOptions): Promise<void> {
  const aekit = await api();
  await checkOutput(options.output);
  const { loaded, codec, training } = await openCodec(options.model);
  try {
    const { dataset } = await readInputs(inputs, loaded, 'inputs');
    const count = dataset.shape[0];
    const started = performance.now();
    const compressed = codec.compress(dataset.data, dataset.shape);
    const seconds = (performance.now() - started) / 1000;
    aekit.writeFileAtomic(options.output, compressed.bytes);

    // Decoding is needed for the quality figures and for the comparison with training.
    const decoded = codec.synthesize(compressed.symbols, count);
    const mse = perImageMse(dataset.data, decoded, count);
    const r = await rates(compressed.sizes, dataset.shape);
    const q: Quality | null = options.reference
      ? await quality(dataset.data, decoded, dataset.shape, loaded.data.valueRange)
      : null;
    const range = loaded.data.valueRange[1] - loaded.data.valueRange[0] || 1;
    const comparison = aekit.compareWithTraining(
      training,
      compressed.sizes.perRecord,
      mse,
      loaded.data.source,
      range,
    );

    if (options.json) {
      console.log(
        JSON.stringify({
          type: 'compressed',
          path: options.output,
          ...r,
          ...(q ? { psnr: q.psnr, ssim: q.ssim } : {}),
          imagesPerSecond: count / Math.max(seconds, 1e-9),
          unlikeTraining: comparison.unlike,
          warning: comparison.warning,
        }),
      );
    } else {
      console.log(`wrote ${options.output}: ${ratesLine(r)}`);
      if (q) console.log(`decoded against the inputs: ${qualityLine(q)}`);
      console.log(
        `encoded ${formatNumber(count / Math.max(seconds, 1e-9))} images per second ` +
          `(model ${codec.fingerprintHex})`,
      );
    }
    if (comparison.warning) printWarning(comparison.warning);
  } finally {
    loaded.model.dispose();
  }
}
