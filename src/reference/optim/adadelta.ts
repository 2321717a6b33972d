import { decayed, effectiveGrad, prologue, twins, type Lanes } from "./lanes";

/**
 * Twin of assembly/optim/adadelta.ts (Zeiler 2012):
 * ```text
 * eg' = rho eg + (1 - rho) x^2;  dx = sqrt(edx + eps) / sqrt(den + eps) x, den = lagged ? eg : eg'
 * edx <- rho edx + (1 - rho) dx^2;  theta <- theta0 - lr dx
 * ```
 */
function adadelta(
  v: Lanes, p: number, g: number, eg: number, edx: number, n: number,
  lr: number, rho: number, oneMinusRho: number, eps: number, lagged: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  const { a: m, r, shift } = v;
  const pre = prologue(v, gradScale, clip, l2, l1, pScale);
  [lr, rho, oneMinusRho, eps] = [lr, rho, oneMinusRho, eps].map(r) as [number, number, number, number];
  const [P, G, EG, EDX] = [p, g, eg, edx].map((ptr) => ptr >>> shift) as [number, number, number, number];
  for (let i = 0; i < n; i++) {
    const x = effectiveGrad(v, pre, m[G + i]!, m[P + i]!);
    const theta = decayed(v, pre, m[P + i]!);
    const egOld = m[EG + i]!;
    const egNew = r(r(rho * egOld) + r(oneMinusRho * r(x * x)));
    m[EG + i] = egNew;
    const den = lagged ? egOld : egNew;
    const edxOld = m[EDX + i]!;
    const dx = r(r(r(Math.sqrt(r(edxOld + eps))) / r(Math.sqrt(r(den + eps)))) * x);
    m[EDX + i] = r(r(rho * edxOld) + r(oneMinusRho * r(dx * dx)));
    m[P + i] = r(theta - r(lr * dx));
  }
}

export const [f32_adadelta_step, f64_adadelta_step] = twins(adadelta);
