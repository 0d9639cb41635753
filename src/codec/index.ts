/** The codec: entropy coding with integer tables, and the compressed file format. */
export * from './range-coder.js';
export * from './tables.js';
export * from './context.js';
export * from './format.js';
export * from './codec.js';
export * from './record.js';
