// Finite-difference gradients for minimize() when fg gives f alone (Nocedal & Wright 2006,
// Sec. 8.1), with scipy's steps (scipy.optimize.approx_derivative, '2-point' and '3-point'):
//   forward  g_i = (f(x + h e_i) - f(x)) / h,            h = sqrt(eps) max(1, |x_i|)   (n + 1 calls of f)
//   central  g_i = (f(x + h e_i) - f(x - h e_i)) / 2h,   h = cbrt(eps) max(1, |x_i|)   (2n + 1 calls)
// sqrt(eps) and cbrt(eps) balance truncation error (O(h), O(h^2)) against rounding (O(eps/h)).
// h takes the sign of x_i (+ for 0), and each quotient divides by the step actually taken,
// (x_i + h) - x_i, which is exact where h alone is not. Within bounds l <= x <= u no point
// leaves the box: a forward step that would is taken backward, and where the central pair does
// not fit the one-sided difference toward the roomier side is used (scipy does the same).

/** How minimize() differentiates an f given alone. */
export type GradientRule = "forward" | "central";

const STEP: Record<GradientRule, number> = { forward: Math.sqrt(Number.EPSILON), central: Math.cbrt(Number.EPSILON) };

/**
 * Writes the finite-difference gradient of f at x into g, from fx = f(x). x is perturbed one
 * component at a time and restored; f is called n (forward) or up to 2n (central) times.
 */
export function finiteDifferenceGradient(
  rule: GradientRule, f: (x: Float64Array) => number, x: Float64Array, fx: number, g: Float64Array,
  bounds?: { lower: Float64Array; upper: Float64Array } | null,
): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const lower = bounds ? bounds.lower[i]! : -Infinity;
    const upper = bounds ? bounds.upper[i]! : Infinity;
    let h = STEP[rule] * (xi < 0 ? -1 : 1) * Math.max(1, Math.abs(xi));
    const fits = (step: number) => xi + step >= lower && xi + step <= upper;
    if (rule === "central" && fits(h) && fits(-h)) {
      x[i] = xi + h;
      const up = x[i]!;
      const fUp = f(x);
      x[i] = xi - h;
      g[i] = (fUp - f(x)) / (up - x[i]!);
    } else {
      // One-sided: forward when it fits, else backward, else as far as the box allows.
      if (!fits(h)) h = fits(-h) ? -h : upper - xi >= xi - lower ? upper - xi : lower - xi;
      if (h === 0) {
        g[i] = 0; // lower = upper: the variable is fixed
        continue;
      }
      x[i] = xi + h;
      g[i] = (f(x) - fx) / (x[i]! - xi);
    }
    x[i] = xi;
  }
}
