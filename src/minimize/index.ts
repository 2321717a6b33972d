// Public API of this area; src/index.ts re-exports it.
export { minimize, type MinimizeResult, type MinimizeFields } from "./minimize";
export { LBFGSB_FTOL, type Bounds, type Method, type LineSearch, type CGBeta, type Status, type IterationInfo, type FG, type MinimizeOptions } from "./options";
export type { GradientRule } from "./finite-differences";
export {
  quadratic,
  diagonalQuadratic,
  leastSquares,
  logisticRegression,
  extendedRosenbrock,
  type Objective,
} from "./objectives";
