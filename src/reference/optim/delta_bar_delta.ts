import { decayed, effectiveGrad, prologue, twins, type Lanes } from "./lanes";

/**
 * Twin of assembly/optim/delta_bar_delta.ts (Jacobs 1988):
 * ```text
 * eta <- eta + kappa if bar x > 0;  eta <- (1 - phi) eta if bar x < 0
 * theta <- theta0 - eta x;  bar <- (1 - avg) x + avg bar
 * ```
 */
function deltaBarDelta(
  v: Lanes, p: number, g: number, eta: number, bar: number, n: number,
  kappa: number, oneMinusPhi: number, avg: number, oneMinusAvg: number,
  gradScale: number, clip: number, l2: number, l1: number, pScale: number,
): void {
  const { a: m, r, shift } = v;
  const pre = prologue(v, gradScale, clip, l2, l1, pScale);
  [kappa, oneMinusPhi, avg, oneMinusAvg] = [kappa, oneMinusPhi, avg, oneMinusAvg].map(r) as [number, number, number, number];
  const [P, G, E, B] = [p, g, eta, bar].map((ptr) => ptr >>> shift) as [number, number, number, number];
  for (let i = 0; i < n; i++) {
    const x = effectiveGrad(v, pre, m[G + i]!, m[P + i]!);
    const theta = decayed(v, pre, m[P + i]!);
    const previous = m[B + i]!;
    const agree = r(previous * x);
    let rate = m[E + i]!;
    if (agree > 0) rate = r(rate + kappa);
    else if (agree < 0) rate = r(oneMinusPhi * rate);
    m[E + i] = rate;
    m[P + i] = r(theta - r(rate * x));
    m[B + i] = r(r(oneMinusAvg * x) + r(avg * previous));
  }
}

export const [f32_delta_bar_delta_step, f64_delta_bar_delta_step] = twins(deltaBarDelta);
