/**
 * Warnings about a VAE's code: a KL term that has collapsed to almost nothing (the decoder
 * ignores the code, "posterior collapse") and few active latent units. A unit is active
 * when the variance over the data of its posterior mean exceeds 0.01 (Burda et al.,
 * "Importance Weighted Autoencoders", 2016, section 5.2).
 */
import { Tensor, noGrad, tidy } from '../engine/index.js';
import { VariationalAutoencoder } from '../models/index.js';
import type { EpochRecord } from './trainer.js';

/** Samples used to count active units. */
const ACTIVITY_SAMPLES = 2000;

/** Number of latent units whose posterior mean varies over `inputs` by more than 0.01. */
export function activeUnits(model: VariationalAutoencoder, inputs: Tensor): number {
  return noGrad(() =>
    tidy(() => {
      const n = Math.min(inputs.shape[0], ACTIVITY_SAMPLES);
      const mu = model.posterior(inputs.narrow(0, 0, n)).mu; // [n, latentDim]
      return mu.var(0).gt(0.01).sum().item();
    }),
  );
}

/** Warnings for the latest epoch, each once: [code, message]. */
export function collapseWarnings(
  model: VariationalAutoencoder,
  history: EpochRecord[],
  inputs: Tensor,
): [string, string][] {
  const found: [string, string][] = [];
  const latest = history[history.length - 1];
  const kl = (latest.validation ?? latest.train).terms.kl;
  const warmingUp = latest.epoch + 1 < model.config.klWarmupEpochs;
  if (kl !== undefined && kl < 0.1 && !warmingUp && history.length === 2) {
    found.push([
      'KL_COLLAPSE',
      `the KL term is ${kl.toFixed(4)} nats per sample: the decoder is ignoring the code ` +
        '(posterior collapse); try klWarmupEpochs, freeBits, or a lower beta',
    ]);
  }
  // Counted once, after the second epoch and at the last one.
  if (history.length === 2) {
    const active = activeUnits(model, inputs);
    const total = model.config.latentDim;
    if (active < total / 2) {
      found.push([
        'FEW_ACTIVE_UNITS',
        `only ${active} of ${total} latent units are active (posterior-mean variance > 0.01): ` +
          'try a smaller latentDim, a lower beta, or KL warm-up',
      ]);
    }
  }
  return found;
}
