/**
 * aekit's public API, layer by layer. The CLI uses nothing that is not exported here.
 */
export * from './engine/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './data/index.js';
export * from './models/index.js';
export * from './train/index.js';
export * from './codec/index.js';
export * from './tasks/index.js';
export * from './metrics/index.js';
export * from './report/index.js';
