/** The jobs autoencoders are used for, one module each. */
export * from './generate.js';
