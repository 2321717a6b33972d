import { decayed, effectiveGrad, prologue, twins, type Lanes } from "./lanes";

/**
 * Twin of assembly/optim/sgd.ts. SGD: theta <- theta0 + c x. Momentum:
 * b <- mu b + k x; theta <- theta0 + a b + c x (x, theta0: the prologue of lanes.ts).
 */
function sgdRule(
  v: Lanes, withBuffer: boolean, p: number, g: number, b: number, n: number, mu: number, k: number, a: number, c: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  const { a: m, r, shift } = v;
  const pre = prologue(v, gradScale, clip, l2, l1, pScale);
  [mu, k, a, c] = [mu, k, a, c].map(r) as [number, number, number, number];
  const [P, G, B] = [p >>> shift, g >>> shift, b >>> shift];
  for (let i = 0; i < n; i++) {
    const x = effectiveGrad(v, pre, m[G + i]!, m[P + i]!);
    let theta = decayed(v, pre, m[P + i]!);
    if (withBuffer) {
      const buf = r(r(mu * m[B + i]!) + r(k * x));
      m[B + i] = buf;
      theta = r(theta + r(a * buf));
    }
    m[P + i] = r(theta + r(c * x));
  }
}

function sgd(
  v: Lanes, p: number, g: number, n: number, c: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  sgdRule(v, false, p, g, 0, n, 0, 0, 0, c, gradScale, clip, l2, l1, pScale);
}

function momentum(
  v: Lanes, p: number, g: number, b: number, n: number, mu: number, k: number, a: number, c: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  sgdRule(v, true, p, g, b, n, mu, k, a, c, gradScale, clip, l2, l1, pScale);
}

export const [f32_sgd_step, f64_sgd_step] = twins(sgd);
export const [f32_momentum_step, f64_momentum_step] = twins(momentum);
