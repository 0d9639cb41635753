/**
 * `aekit generate`: new samples from a VAE. From the prior by default; of a chosen kind with
 * `--like FILES...` or `--class LABEL` (encode those examples, fit their code distribution,
 * sample it, decode); a path between two inputs with `--interpolate A B`; a 2-D latent walk
 * with `--grid`. Written as a folder of PNGs, one PNG grid, or a .npy array.
 */
import { Command, Option } from 'commander';

import { api } from './api.js';
import { addDataOptions, readData, type DataOptions } from './data-source.js';
import type { CodeDistribution, Dataset, LoadedModel, VariationalAutoencoder } from '../index.js';
import { outputKind, readInputs, writeOutputs } from './inputs.js';
import {
  addEngineOptions,
  applyEngineOptions,
  openModel,
  type EngineOptions,
} from './model-file.js';
import { MIXTURE_DEFAULT } from '../tasks/mixture-default.js';
import { integer, number } from './options.js';
import { formatCount } from './progress.js';
import { labelText, readTrainingData, requireVae } from './task-options.js';

interface GenerateOptions extends DataOptions, EngineOptions {
  model: string;
  output: string;
  count: number;
  like?: string[];
  class?: string;
  mixture?: number;
  covariance?: 'full' | 'diagonal';
  posterior?: boolean;
  temperature: number;
  interpolate?: string[];
  steps: number;
  grid?: boolean;
  seed: number;
  scale: number;
  perRow?: number;
  batchSize: number;
}

/** The `generate` command. */
export function generateCommand(): Command {
  const command = new Command('generate')
    .description(
      'generate samples with a VAE: from the prior, like given examples (--like, --class), ' +
        'between two inputs (--interpolate) or over a latent grid (--grid)',
    )
    .requiredOption('--model <file>', 'a VAE model file written by aekit train')
    .requiredOption('-o, --output <path>', 'a folder (one PNG per sample), grid.png or samples.npy')
    .option('-n, --count <n>', 'samples to generate', integer(1, 100_000), 64)
    .option('--like <files...>', 'generate like these examples: image files, folders or data files')
    .option('--class <label>', 'generate like the samples of this class of the data (--data)')
    .option(
      '--mixture <k>',
      'fit a mixture of k Gaussians to the codes; 1 is one Gaussian (default: ' +
        `${MIXTURE_DEFAULT.components} for ${MIXTURE_DEFAULT.minExamples} examples or more, ` +
        'else 1)',
      integer(1, 64),
    )
    .addOption(
      new Option('--covariance <kind>', "the mixture's covariances (default: full)").choices([
        'full',
        'diagonal',
      ]),
    )
    .option(
      '--posterior',
      "sample the examples' aggregate posterior: one Gaussian per example, its own q(z|x)",
    )
    .option(
      '--temperature <t>',
      'spread of the sampled codes around their mean (per component for --mixture and ' +
        '--posterior), times t (below 1: more typical samples)',
      number(0, 10),
      1,
    )
    .option(
      '--interpolate <inputs...>',
      'two inputs to walk between: image or data files, or sample indices of --data',
    )
    .option(
      '--steps <n>',
      'interpolation: images along the path, ends included',
      integer(2, 1000),
      10,
    )
    .option(
      '--grid',
      'decode a grid over the first two latent dimensions (count rounded to a square)',
    );
  addDataOptions(command, false);
  command
    .option('--seed <n>', 'seed of the sampled codes', integer(0), 0)
    .option('--scale <n>', 'grid PNG: integer upscaling of each image', integer(1, 64), 2)
    .option('--per-row <n>', 'grid PNG: images per row', integer(1))
    .option('--batch-size <n>', 'samples per batch when encoding examples', integer(1), 256);
  addEngineOptions(command);
  return command.action(async (options: GenerateOptions) => {
    await applyEngineOptions(options);
    await runGenerate(options);
  });
}

async function runGenerate(options: GenerateOptions): Promise<void> {
  const aekit = await api();
  const modes = [
    options.like && '--like',
    options.class !== undefined && '--class',
    options.interpolate && '--interpolate',
    options.grid && '--grid',
  ].filter(Boolean);
  if (modes.length > 1) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${modes.join(' and ')}: expected one way to generate, got ${modes.length}`,
    );
  }
  if (options.posterior && options.mixture !== undefined) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `--posterior and --mixture ${options.mixture}: expected one code distribution, got both`,
    );
  }
  const fits = [
    options.posterior && '--posterior',
    options.mixture !== undefined && `--mixture ${options.mixture}`,
    options.covariance && `--covariance ${options.covariance}`,
  ].filter(Boolean);
  if (fits.length > 0 && !options.like && options.class === undefined) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${fits[0]}: expected --like or --class, whose examples it samples, got neither`,
    );
  }
  if (options.covariance && options.posterior) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `--covariance ${options.covariance}: expected a mixture, got --posterior`,
    );
  }
  if (options.interpolate && options.interpolate.length !== 2) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `--interpolate: expected two inputs (A B), got ${options.interpolate.length}`,
    );
  }

  const loaded = await openModel(options.model);
  await requireVae(loaded, 'generate');
  const kind = await outputKind(options.output, loaded);
  const model = loaded.model as VariationalAutoencoder;
  model.eval();

  let values: Float32Array;
  let what: string;
  let prefix = 'sample';
  if (options.like || options.class !== undefined) {
    const { examples, description } = options.like
      ? await likeExamples(options.like, loaded)
      : await classExamples(options, loaded);
    const components = options.posterior
      ? 1
      : (options.mixture ?? aekit.mixtureComponentsFor(examples.shape[0]));
    if (options.covariance && components === 1) {
      throw new aekit.AekitError(
        'BAD_INPUT',
        `--covariance ${options.covariance}: expected a mixture (--mixture 2 or more, the ` +
          `default from ${MIXTURE_DEFAULT.minExamples} examples), got one Gaussian for ` +
          `${formatCount(examples.shape[0])} examples`,
      );
    }
    const distribution = aekit.fitExamples(model, examples, {
      distribution: options.posterior ? 'posterior' : components > 1 ? 'mixture' : 'gaussian',
      components,
      ...(components > 1 ? { covariance: options.covariance ?? 'full' } : {}),
      seed: options.seed,
      batchSize: options.batchSize,
    });
    values = aekit.tidy(() =>
      aekit
        .generateFrom(model, distribution, options.count, options.seed, options.temperature)
        .toFloat32Array(),
    );
    what = `${formatCount(options.count)} samples like ${description}; ${fitted(distribution)}`;
    aekit.disposeDistribution(distribution);
  } else if (options.interpolate) {
    const [a, b] = await interpolationEnds(options.interpolate, options, loaded);
    values = aekit.tidy(() => {
      const x = aekit.tensor(a.data, { shape: a.shape });
      const y = aekit.tensor(b.data, { shape: b.shape });
      return aekit
        .interpolate(model, x.select(0, 0), y.select(0, 0), options.steps)
        .toFloat32Array();
    });
    what = `${options.steps} images from ${options.interpolate[0]} to ${options.interpolate[1]}`;
    prefix = 'step';
  } else if (options.grid) {
    const side = Math.max(2, Math.round(Math.sqrt(options.count)));
    values = aekit.tidy(() => aekit.latentGrid(model, side).toFloat32Array());
    what = `a ${side} x ${side} grid over latent dimensions 1 and 2 (the others at 0)`;
    prefix = 'grid';
  } else {
    values = aekit.noGrad(() =>
      aekit.tidy(() => {
        const generator = new aekit.Generator(options.seed);
        // [count, latentDim]
        const z = aekit.randn([options.count, model.config.latentDim], { generator });
        return model.decode(z.mul(options.temperature)).toFloat32Array();
      }),
    );
    const t = options.temperature;
    const spread = t === 1 ? 'I' : `${t}^2 I`;
    what = `${formatCount(options.count)} samples from the prior N(0, ${spread})`;
  }

  const count = values.length / model.sampleSize;
  const width = String(count - 1).length;
  const names = Array.from(
    { length: count },
    (_, i) => `${prefix}-${String(i).padStart(width, '0')}`,
  );
  const columns =
    options.perRow ??
    (options.interpolate ? options.steps : options.grid ? Math.round(Math.sqrt(count)) : undefined);
  const written = await writeOutputs(options.output, kind, values, loaded, names, {
    scale: options.scale,
    ...(columns ? { columns } : {}),
  });
  console.log(`wrote ${written}: ${what}`);
  model.dispose();
}

/** How a fitted distribution reads in the summary line. */
function fitted(distribution: CodeDistribution): string {
  if (distribution.kind === 'gaussian') {
    return `a Gaussian fitted to ${formatCount(distribution.gaussian.count)} codes`;
  }
  if (distribution.kind === 'posterior') {
    const count = examplesText(distribution.posterior.count);
    return `their aggregate posterior (one Gaussian per example, ${count})`;
  }
  const { weights, count, covariance } = distribution.mixture;
  const k = weights.length;
  const codes = formatCount(count);
  return `a mixture of ${k} Gaussians (${covariance} covariances) fitted to ${codes} codes`;
}

/** "1 example", "2 examples", "1,000 examples". */
function examplesText(count: number): string {
  return `${formatCount(count)} example${count === 1 ? '' : 's'}`;
}

async function likeExamples(
  files: string[],
  loaded: LoadedModel,
): Promise<{ examples: Dataset; description: string }> {
  const { dataset } = await readInputs(files, loaded, '--like');
  return { examples: dataset, description: examplesText(dataset.shape[0]) };
}

async function classExamples(
  options: GenerateOptions,
  loaded: LoadedModel,
): Promise<{ examples: Dataset; description: string }> {
  const aekit = await api();
  const { dataset } =
    options.data === undefined
      ? await readTrainingData(
          loaded,
          undefined,
          '--data',
          '--class picks examples from it',
          options,
        )
      : await readData(options, loaded);
  const wanted = options.class as string;
  if (!dataset.labels) {
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${dataset.source}: labels: expected labelled data for --class, got none ` +
        '(give --labels, --label-column or --subfolder-labels)',
    );
  }
  const present = [...new Set(dataset.labels)].sort((x, y) => x - y);
  const label = present.find((l) => labelText(l, dataset.labelNames) === wanted);
  if (label === undefined) {
    const names = present.map((l) => labelText(l, dataset.labelNames));
    throw new aekit.AekitError(
      'BAD_INPUT',
      `${dataset.source}: --class: expected one of the data's labels ` +
        `(${names.slice(0, 12).join(', ')}` +
        `${names.length > 12 ? ', ...' : ''}), got '${wanted}'`,
    );
  }
  const examples = aekit.samplesOfClass(dataset, label);
  return {
    examples,
    description:
      `class ${wanted} (${formatCount(examples.shape[0])} examples of ` + `${dataset.source})`,
  };
}

/** The two ends of an interpolation: input files, or two sample indices of the data. */
async function interpolationEnds(
  inputs: string[],
  options: GenerateOptions,
  loaded: LoadedModel,
): Promise<[Dataset, Dataset]> {
  const aekit = await api();
  if (inputs.every((input) => /^\d+$/.test(input))) {
    const { dataset } =
      options.data === undefined
        ? await readTrainingData(
            loaded,
            undefined,
            '--data',
            'sample indices name its samples',
            options,
          )
        : await readData(options, loaded);
    const n = dataset.shape[0];
    for (const input of inputs) {
      if (Number(input) >= n) {
        throw new aekit.AekitError(
          'BAD_INPUT',
          `${dataset.source}: --interpolate: expected a sample index from 0 to ${n - 1}, ` +
            `got ${input}`,
        );
      }
    }
    return [aekit.take(dataset, [Number(inputs[0])]), aekit.take(dataset, [Number(inputs[1])])];
  }
  const ends: Dataset[] = [];
  for (const input of inputs) {
    const { dataset } = await readInputs([input], loaded, '--interpolate');
    if (dataset.shape[0] !== 1) {
      throw new aekit.AekitError(
        'BAD_INPUT',
        `${input}: --interpolate: expected one sample, got ${dataset.shape[0]}`,
      );
    }
    ends.push(dataset);
  }
  return [ends[0], ends[1]];
}
