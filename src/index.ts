/**
 * aekit's public API. The CLI uses nothing that is not exported here.
 */
export * from './engine/index.js';
