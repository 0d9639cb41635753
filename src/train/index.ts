/** Training: the loop, checkpoints and resume, progress events, warnings. */
export * from './trainer.js';
export * from './warnings.js';
