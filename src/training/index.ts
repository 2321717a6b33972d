// Public API of this area; src/index.ts re-exports it.
export { EarlyStopping, type EarlyStoppable, type EarlyStoppingOptions, type EarlyStoppingState } from "./early-stopping";
export { lrRangeTest, lrRangeChart, type LrRangeOptions, type LrRangeResult, type LrSuggestionRule, type RangeTestable } from "./lr-range";
export { SwitchingOptimizer, type Switchable, type SwitchingOptions, type SwitchingState } from "./switching";
export { freeze, unfreeze, type Freezable } from "./freeze";
