/** The jobs autoencoders are used for, one module each. */
export * from './generate.js';
export * from './batches.js';
export * from './score.js';
export * from './targeted.js';
export * from './mixture-default.js';
export * from './denoise.js';
export * from './embed.js';
export * from './tsne.js';
