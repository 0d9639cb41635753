/**
 * The metrics layer: image quality (PSNR, SSIM), codec rates, VAE log-likelihood bounds,
 * the faithfulness of low-dimensional maps (kNN accuracy, trustworthiness, continuity),
 * and anomaly-detection scores and thresholds. Plain TypeScript on typed arrays: nothing
 * here depends on tensors or the native addon.
 */

export type { Values } from './checks.js';
export * from './image.js';
export * from './rates.js';
export * from './likelihood.js';
export * from './maps.js';
export * from './anomaly.js';
