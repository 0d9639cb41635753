/** Autoencoder families built from JSON-serialisable configs. */
export * from './config.js';
export * from './autoencoder.js';
export * from './dense.js';
export * from './conv.js';
export * from './vae.js';
export * from './sequence.js';
export * from './density.js';
export * from './compressive.js';
export * from './corruption.js';
export * from './build.js';
export * from './file.js';
export * from './map.js';
