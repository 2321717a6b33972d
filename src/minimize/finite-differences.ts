// Finite-difference gradients for minimize() when fg gives f alone (Nocedal & Wright 2006,
// Sec. 8.1), with scipy's steps (scipy.optimize.approx_derivative, '2-point' and '3-point'):
//   forward  g_i = (f(x + h e_i) - f(x)) / h,            h = sqrt(eps) max(1, |x_i|)   (n + 1 calls of f)
//   central  g_i = (f(x + h e_i) - f(x - h e_i)) / 2h,   h = cbrt(eps) max(1, |x_i|)   (2n + 1 calls)
// sqrt(eps) and cbrt(eps) balance truncation error (O(h), O(h^2)) against rounding (O(eps/h)).
// h takes the sign of x_i (+ for 0), and each quotient divides by the step actually taken,
// (x_i + h) - x_i, which is exact where h alone is not.

/** How minimize() differentiates an f given alone. */
export type GradientRule = "forward" | "central";

const STEP: Record<GradientRule, number> = { forward: Math.sqrt(Number.EPSILON), central: Math.cbrt(Number.EPSILON) };

/**
 * Writes the finite-difference gradient of f at x into g, from fx = f(x). x is perturbed one
 * component at a time and restored; f is called n (forward) or 2n (central) times.
 */
export function finiteDifferenceGradient(
  rule: GradientRule, f: (x: Float64Array) => number, x: Float64Array, fx: number, g: Float64Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const h = STEP[rule] * (xi < 0 ? -1 : 1) * Math.max(1, Math.abs(xi));
    x[i] = xi + h;
    const up = x[i]!;
    const fUp = f(x);
    if (rule === "forward") {
      g[i] = (fUp - fx) / (up - xi);
    } else {
      x[i] = xi - h;
      g[i] = (fUp - f(x)) / (up - x[i]!);
    }
    x[i] = xi;
  }
}
