/** The codec: entropy coding with integer tables, and the compressed file format. */
export * from './range-coder.js';
