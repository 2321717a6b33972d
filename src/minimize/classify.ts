// The classification of minimize()'s final point (option `classify`): the second-derivative test
// of src/diagnostics (Lanczos on central-difference Hessian-vector products, steps = n, exact for
// small n) run on the user's fg at the result's x.
import { classifyCriticalPoint, type CriticalPoint } from "../diagnostics/classify";
import { HessianVectorProduct } from "../diagnostics/hessian-vector";
import type { Runtime } from "../runtime/runtime";
import type { Objective } from "./objectives";
import type { FG } from "./options";

/** Largest n for `classify`: Lanczos with n steps keeps n + 1 vectors and n^2 work per step. */
export const CLASSIFY_MAX_N = 1000;

/**
 * What x is (minimum, maximum, saddle, degenerate, not-critical), with the Hessian's extreme
 * eigenvalues; `gtol` decides "critical" as in the run. Everything allocated is freed.
 */
export function classifyFinalPoint(rt: Runtime, grad: FG | Objective, x: Float64Array, gtol: number): CriticalPoint {
  const hvp = new HessianVectorProduct(rt, grad, x.length);
  try {
    return classifyCriticalPoint(hvp, x, { gtol });
  } finally {
    hvp.dispose();
  }
}
