/** The engine: tensors on libtorch, autograd, scopes, random streams, saving. */
export * from './errors.js';
export * from './dtype.js';
export { native, nativeAvailable } from './native.js';
export { Op, callOp, callInPlace } from './op.js';
export { OPS } from './ops.js';
export * from './tensor.js';
export * from './creation.js';
export * from './random.js';
export * from './scope.js';
export * from './serialize.js';
export * from './threads.js';
export * as F from './functional.js';
