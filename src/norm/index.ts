// Public API of this area; src/index.ts re-exports it.
export { NormModule, type NormOptions, type ForwardOptions } from "./module";
export { BatchNorm, BATCH_NORM_DEFAULTS, type BatchNormOptions, type BatchNormConvention } from "./batchnorm";
export { RowNorm, LayerNorm, GroupNorm, InstanceNorm } from "./groupnorm";
export { groupNormStatsLength } from "./stats";
export { WeightNorm } from "./weight_norm";
