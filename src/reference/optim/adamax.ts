import { decayed, effectiveGrad, pmax, prologue, twins, type Lanes } from "./lanes";

/**
 * Twin of assembly/optim/adamax.ts (Kingma & Ba 2015, Alg. 2):
 * ```text
 * m <- m + (1 - rho1)(x - m);  u <- pmax(|x| + epsIn, rho2 u);  theta <- theta0 - stepSize m / (u + epsOut)
 * ```
 */
function adamax(
  v: Lanes, p: number, g: number, m1: number, u: number, n: number,
  stepSize: number, oneMinusRho1: number, rho2: number, epsIn: number, epsOut: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  const { a: m, r, shift } = v;
  const pre = prologue(v, gradScale, clip, l2, l1, pScale);
  [stepSize, oneMinusRho1, rho2, epsIn, epsOut] = [stepSize, oneMinusRho1, rho2, epsIn, epsOut].map(r) as [
    number, number, number, number, number,
  ];
  const [P, G, M, U] = [p, g, m1, u].map((ptr) => ptr >>> shift) as [number, number, number, number];
  for (let i = 0; i < n; i++) {
    const x = effectiveGrad(v, pre, m[G + i]!, m[P + i]!);
    const theta = decayed(v, pre, m[P + i]!);
    const first = r(m[M + i]! + r(oneMinusRho1 * r(x - m[M + i]!)));
    const inf = pmax(r(Math.abs(x) + epsIn), r(rho2 * m[U + i]!));
    m[M + i] = first;
    m[U + i] = inf;
    m[P + i] = r(theta - r(r(stepSize * first) / r(inf + epsOut)));
  }
}

export const [f32_adamax_step, f64_adamax_step] = twins(adamax);
