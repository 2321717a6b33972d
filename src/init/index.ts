// Public API of this area; src/index.ts re-exports it.
export { Philox, type PhiloxState, type UniformOptions, type NormalOptions } from "./philox";
export {
  computeFans,
  calculateGain,
  varianceScaling,
  uniformFanIn,
  glorotUniform,
  glorotNormal,
  heUniform,
  heNormal,
  lecunUniform,
  lecunNormal,
  orthogonal,
  sparse,
  constant,
  zeros,
  ones,
  reluBias,
  lstmForgetBias,
  marginalBias,
  type Initializer,
  type Fans,
  type FanMode,
  type Nonlinearity,
  type VarianceScalingOptions,
  type GainOptions,
  type HeOptions,
} from "./initializers";
export {
  Minibatches,
  growingBatchSize,
  sampleWithoutReplacement,
  type Batch,
  type BatchSize,
  type MinibatchOptions,
  type ShuffleMode,
} from "./minibatch";
export { CurriculumSampler, linearHardFraction, type CurriculumOptions, type HardFraction } from "./curriculum";
export { GaussianBlur, blurSchedule, type ContinuationObjective, type BlurGradient, type GaussianBlurOptions } from "./continuation";
