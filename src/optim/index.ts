/** Optimizers, learning-rate schedules and gradient clipping. */
export {
  Optimizer,
  type HyperParameter,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamsInput,
  type StateDictParamGroup,
  type StateValue,
} from './optimizer.js';
export * from './sgd.js';
export * from './adam.js';
export * from './schedules.js';
export * from './clip.js';
