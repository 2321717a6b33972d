import { decayed, effectiveGrad, pmax, prologue, twins, type Lanes } from "./lanes";

/**
 * Twin of assembly/optim/adam.ts (book Alg. 8.7, AMSGrad, NAdam), moments in lerp form:
 * ```text
 * s <- s + (1 - rho1)(x - s);  r <- r + (1 - rho2)(x^2 - r)
 * AMSGrad fed back: r <- r + (1 - rho2) pmax(x^2 - r, 0)
 * AMSGrad: rmax <- pmax(maxScale r, rmax), used in place of r below
 * theta <- theta0 - (stepSize s [+ gCoef x]) / (sqrt(r + epsIn) invSqrtBc2 + epsOut)
 * ```
 */
function adamRule(
  v: Lanes, amsgrad: boolean, nesterov: boolean, fedBack: boolean,
  p: number, g: number, s: number, r2: number, rmax: number, n: number,
  stepSize: number, gCoef: number, oneMinusRho1: number, oneMinusRho2: number, epsIn: number, epsOut: number,
  invSqrtBc2: number, maxScale: number, gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  const { a: m, r, shift } = v;
  const pre = prologue(v, gradScale, clip, l2, l1, pScale);
  [stepSize, gCoef, oneMinusRho1, oneMinusRho2, epsIn, epsOut, invSqrtBc2, maxScale] = [
    stepSize, gCoef, oneMinusRho1, oneMinusRho2, epsIn, epsOut, invSqrtBc2, maxScale,
  ].map(r) as [number, number, number, number, number, number, number, number];
  const [P, G, S, R, M] = [p, g, s, r2, rmax].map((ptr) => ptr >>> shift) as [number, number, number, number, number];
  for (let i = 0; i < n; i++) {
    const x = effectiveGrad(v, pre, m[G + i]!, m[P + i]!);
    const theta = decayed(v, pre, m[P + i]!);
    const first = r(m[S + i]! + r(oneMinusRho1 * r(x - m[S + i]!)));
    let innovation = r(r(x * x) - m[R + i]!);
    if (fedBack) innovation = pmax(innovation, 0);
    const second = r(m[R + i]! + r(oneMinusRho2 * innovation));
    m[S + i] = first;
    m[R + i] = second;
    let rd = second;
    if (amsgrad) {
      rd = pmax(r(maxScale * second), m[M + i]!);
      m[M + i] = rd;
    }
    const denom = r(r(r(Math.sqrt(r(rd + epsIn))) * invSqrtBc2) + epsOut);
    let num = r(stepSize * first);
    if (nesterov) num = r(num + r(gCoef * x));
    m[P + i] = r(theta - r(num / denom));
  }
}

function adam(
  v: Lanes, p: number, g: number, s: number, r: number, n: number,
  stepSize: number, oneMinusRho1: number, oneMinusRho2: number, epsIn: number, epsOut: number, invSqrtBc2: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  adamRule(v, false, false, false, p, g, s, r, 0, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsIn, epsOut, invSqrtBc2, 1,
    gradScale, clip, l2, l1, pScale);
}

function amsgrad(
  v: Lanes, p: number, g: number, s: number, r: number, rmax: number, n: number,
  stepSize: number, oneMinusRho1: number, oneMinusRho2: number, epsIn: number, epsOut: number, invSqrtBc2: number,
  maxScale: number, gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  adamRule(v, true, false, false, p, g, s, r, rmax, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsIn, epsOut, invSqrtBc2,
    maxScale, gradScale, clip, l2, l1, pScale);
}

function amsgradFedBack(
  v: Lanes, p: number, g: number, s: number, r: number, n: number,
  stepSize: number, oneMinusRho1: number, oneMinusRho2: number, epsIn: number, epsOut: number, invSqrtBc2: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  adamRule(v, false, false, true, p, g, s, r, 0, n, stepSize, 0, oneMinusRho1, oneMinusRho2, epsIn, epsOut, invSqrtBc2, 1,
    gradScale, clip, l2, l1, pScale);
}

function nadam(
  v: Lanes, p: number, g: number, s: number, r: number, n: number,
  stepSize: number, gCoef: number, oneMinusRho1: number, oneMinusRho2: number, delta: number, invSqrtBc2: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  adamRule(v, false, true, false, p, g, s, r, 0, n, stepSize, gCoef, oneMinusRho1, oneMinusRho2, 0, delta, invSqrtBc2, 1,
    gradScale, clip, l2, l1, pScale);
}

export const [f32_adam_step, f64_adam_step] = twins(adam);
export const [f32_adam_step_amsgrad, f64_adam_step_amsgrad] = twins(amsgrad);
export const [f32_adam_step_amsgrad_fed_back, f64_adam_step_amsgrad_fed_back] = twins(amsgradFedBack);
export const [f32_nadam_step, f64_nadam_step] = twins(nadam);
