import { decayed, effectiveGrad, pmax, prologue, twins, type Lanes } from "./lanes";

/**
 * Twin of assembly/optim/rmsprop.ts (book Alg. 8.5/8.6, centered, momentum):
 * ```text
 * r <- rho r + (1 - rho) x^2;  centered: ga <- rho ga + (1 - rho) x, v = max(r - ga^2, 0)
 * d = sqrt(v + epsIn) + epsOut;  u = x / d, or 0 where d = 0 (eps = 0 and r = 0)
 * momentum: b <- mu b + k u; theta <- theta0 + a b + c u.  Otherwise theta <- theta0 + c u.
 * ```
 */
function rmspropRule(
  v: Lanes, centered: boolean, withMomentum: boolean,
  p: number, g: number, r2: number, ga: number, b: number, n: number,
  rho: number, oneMinusRho: number, epsIn: number, epsOut: number, mu: number, k: number, a: number, c: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  const { a: m, r, shift } = v;
  const pre = prologue(v, gradScale, clip, l2, l1, pScale);
  [rho, oneMinusRho, epsIn, epsOut, mu, k, a, c] = [rho, oneMinusRho, epsIn, epsOut, mu, k, a, c].map(r) as number[] as [
    number, number, number, number, number, number, number, number,
  ];
  const [P, G, R, GA, B] = [p, g, r2, ga, b].map((ptr) => ptr >>> shift) as [number, number, number, number, number];
  for (let i = 0; i < n; i++) {
    const x = effectiveGrad(v, pre, m[G + i]!, m[P + i]!);
    let theta = decayed(v, pre, m[P + i]!);
    const ms = r(r(rho * m[R + i]!) + r(oneMinusRho * r(x * x)));
    m[R + i] = ms;
    let variance = ms;
    if (centered) {
      const mg = r(r(rho * m[GA + i]!) + r(oneMinusRho * x));
      m[GA + i] = mg;
      variance = pmax(r(ms - r(mg * mg)), 0);
    }
    const d = r(r(Math.sqrt(r(variance + epsIn))) + epsOut);
    const u = d !== 0 ? r(x / d) : 0;
    if (withMomentum) {
      const buf = r(r(mu * m[B + i]!) + r(k * u));
      m[B + i] = buf;
      theta = r(theta + r(a * buf));
    }
    m[P + i] = r(theta + r(c * u));
  }
}

type RmspropArgs = [
  p: number, g: number, r: number, ga: number, b: number, n: number,
  rho: number, oneMinusRho: number, epsIn: number, epsOut: number, mu: number, k: number, a: number, c: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
];

const variant = (centered: boolean, withMomentum: boolean) => (v: Lanes, ...args: RmspropArgs) =>
  rmspropRule(v, centered, withMomentum, ...args);

export const [f32_rmsprop_step, f64_rmsprop_step] = twins(variant(false, false));
export const [f32_rmsprop_step_centered, f64_rmsprop_step_centered] = twins(variant(true, false));
export const [f32_rmsprop_step_momentum, f64_rmsprop_step_momentum] = twins(variant(false, true));
export const [f32_rmsprop_step_centered_momentum, f64_rmsprop_step_centered_momentum] = twins(variant(true, true));
