/**
 * Encoder-side search: per image, latents that cost less than the analysis transform's own.
 *
 * The analysis transform is trained to give good latents for all images at once, and for any
 * one image it misses what is best for that image (the "amortisation gap"; Campos, Meierhans,
 * Djelouah and Schroers, "Content adaptive optimization for neural image compression", CVPR
 * Workshops 2019). Here each image's latents start at the transform's output and take Adam
 * steps on the model's own objective, lambda * squared error + bits, with the rounding's
 * gradient passed straight through. The decoder, the prior and the file format are unchanged:
 * a file written this way decodes with the same model like any other, and only encoding is
 * slower.
 *
 * Every step's rounded latents are candidates, the transform's own among them (step 0), and
 * each image keeps the candidate of lowest cost, so the search never ends above where it
 * started on the model's measure (bits as the prior predicts them, which the integer tables
 * follow to within a few hundredths of a bit per latent).
 */
import { AekitError, Tensor, noGrad, tensor, tidy } from '../engine/index.js';
import type { CompressiveAutoencoder } from '../models/index.js';
import { Adam } from '../optim/index.js';

/** The search's default learning rate, in latent units. */
export const DEFAULT_REFINE_LEARNING_RATE = 0.02;

/** Options of {@link refineLatents}. */
export interface RefineOptions {
  /** Adam steps per batch of images. */
  steps: number;
  /** Adam's learning rate, in latent units. Default: 0.02. */
  learningRate?: number;
  /** Latents are clamped to [-limit, limit] after rounding. */
  limit: number;
}

/** What {@link refineLatents} returns. */
export interface Refined {
  /** The chosen integer latents, [n, latentDim], row after row. */
  symbols: Int32Array;
  /** Each image's cost (lambda * squared error + bits) with the transform's own latents. */
  startCost: Float64Array;
  /** Each image's cost with the chosen latents: never above `startCost`. */
  cost: Float64Array;
}

/**
 * Searches the integer latents of one batch of images `x` ([n, ...inputShape]) that lower
 * `lambda * squared error + bits` under `model` (in evaluation mode). The model's weights are
 * left as they were.
 */
export function refineLatents(
  model: CompressiveAutoencoder,
  x: Tensor,
  options: RefineOptions,
): Refined {
  const { steps, limit } = options;
  const learningRate = options.learningRate ?? DEFAULT_REFINE_LEARNING_RATE;
  if (!(Number.isInteger(steps) && steps >= 0)) {
    throw new AekitError('BAD_INPUT', `refine: steps: expected an integer >= 0, got ${steps}`);
  }
  if (!(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new AekitError(
      'BAD_INPUT',
      `refine: learningRate: expected a positive number, got ${learningRate}`,
    );
  }
  const n = x.shape[0];
  const dim = model.config.latentDim;
  const lambda = model.config.lambda;
  const symbols = new Int32Array(n * dim);
  const startCost = new Float64Array(n);
  const cost = new Float64Array(n).fill(Infinity);

  const parameters = model.parameters();
  const wanted = parameters.map((p) => p.requiresGrad);
  for (const p of parameters) p.requiresGrad = false;
  const y = noGrad(() => tidy(() => model.analyze(x).detach()));
  y.requiresGrad = true;
  const optimizer = new Adam([y], { lr: learningRate });
  try {
    for (let step = 0; step <= steps; step++) {
      tidy(() => {
        // Forward with the rounded latents, backward as if rounding were the identity.
        const rounded = y.detach().round();
        const quantized = y.add(rounded.sub(y.detach()));
        const error = model.decodeRaw(quantized).sub(x).square().flatten(1).sum(1);
        const total = error.mul(lambda).add(model.rate(quantized)); // [n]
        const costs = total.toFloat32Array();
        const values = rounded.clamp(-limit, limit).toFloat32Array();
        for (let i = 0; i < n; i++) {
          if (step === 0) startCost[i] = costs[i];
          if (costs[i] < cost[i]) {
            cost[i] = costs[i];
            for (let j = 0; j < dim; j++) symbols[i * dim + j] = values[i * dim + j];
          }
        }
        if (step === steps) return;
        optimizer.zeroGrad();
        total.sum().backward();
        optimizer.step();
      });
    }
  } finally {
    optimizer.dispose();
    y.dispose();
    parameters.forEach((p, i) => (p.requiresGrad = wanted[i]));
  }
  return { symbols, startCost, cost };
}

/** {@link refineLatents} over `count` images ([count, ...shape], C order), in batches. */
export function refineImages(
  model: CompressiveAutoencoder,
  images: Float32Array,
  count: number,
  batchSize: number,
  options: RefineOptions,
): Refined {
  const shape = model.config.inputShape;
  const size = shape.reduce((a, b) => a * b, 1);
  const dim = model.config.latentDim;
  const out: Refined = {
    symbols: new Int32Array(count * dim),
    startCost: new Float64Array(count),
    cost: new Float64Array(count),
  };
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const x = tensor(images.subarray(start * size, (start + n) * size), { shape: [n, ...shape] });
    try {
      const part = refineLatents(model, x, options);
      out.symbols.set(part.symbols, start * dim);
      out.startCost.set(part.startCost, start);
      out.cost.set(part.cost, start);
    } finally {
      x.dispose();
    }
  }
  return out;
}
