export {
  Optimizer, BASE_DEFAULTS, clipCoefficient,
  type BaseHyper, type Conventions, type NonFinitePolicy, type OptimizerOptions, type OptionsOf,
  type ParamGroup, type ParamGroupInput, type ParamState, type StepResult, type Stateful, type WeightDecayMode,
} from "./optimizer";
export { gradNorm } from "./clip";
export { STATE_FORMAT, STATE_VERSION, type StateDict } from "./state";
export { SGD, SGD_DEFAULTS, SGD_CONVENTIONS, type SGDOptions, type SGDConvention, type MomentumForm } from "./sgd";
export {
  Adam, AdamW, ADAM_DEFAULTS, ADAM_CONVENTIONS, ADAMW_CONVENTIONS,
  type AdamOptions, type AdamConvention, type AdamWConvention,
} from "./adam";
export { NAdam, NADAM_CONVENTIONS, type NAdamOptions, type NAdamConvention } from "./nadam";
export { Adamax, ADAMAX_CONVENTIONS, type AdamaxOptions, type AdamaxConvention } from "./adamax";
export { AdaGrad, ADAGRAD_CONVENTIONS, type AdaGradOptions, type AdaGradConvention, type EpsPlacement } from "./adagrad";
export { RMSProp, RMSPROP_CONVENTIONS, type RMSPropOptions, type RMSPropConvention } from "./rmsprop";
export { AdaDelta, ADADELTA_CONVENTIONS, type AdaDeltaOptions, type AdaDeltaConvention } from "./adadelta";
export { DeltaBarDelta, DELTA_BAR_DELTA_CONVENTIONS, type DeltaBarDeltaOptions } from "./delta_bar_delta";
