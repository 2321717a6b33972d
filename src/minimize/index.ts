// Public API of this area; src/index.ts re-exports it.
export { minimize, type MinimizeResult } from "./minimize";
export type { Method, LineSearch, CGBeta, Status, IterationInfo, FG, MinimizeOptions } from "./options";
export {
  quadratic,
  diagonalQuadratic,
  leastSquares,
  logisticRegression,
  extendedRosenbrock,
  type Objective,
} from "./objectives";
