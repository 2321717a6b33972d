// Public API of this area; src/index.ts re-exports it.
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
export { Whitening, type WhiteningMethod, type WhiteningOptions } from "./whitening";
