// Public API of this area; src/index.ts re-exports it.
export { GaussianBlur, blurSchedule, type ContinuationObjective, type BlurGradient, type GaussianBlurOptions } from "./gaussian-blur";
