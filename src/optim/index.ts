export { Optimizer, type BaseHyper, type ParamGroup, type ParamGroupInput } from "./optimizer";
export { SGD, SGD_DEFAULTS, type SGDOptions } from "./sgd";
export { Adam, ADAM_DEFAULTS, type AdamOptions, type AdamState } from "./adam";
