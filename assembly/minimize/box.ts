// Kernels for box constraints l <= x <= u (L-BFGS-B; Byrd, Lu, Nocedal & Zhu 1995):
//   f64_box_project(x, l, u, n):                x_i = min(max(x_i, l_i), u_i)
//   f64_projected_gradient_inf(x, g, l, u, n, s) = max_i |P(x - s g)_i - x_i|, P the projection
//       onto the box: L-BFGS-B's optimality measure (0 exactly at a KKT point), g scaled by s
//   f64_box_max_step(x, d, l, u, n)             = the largest t >= 0 with l <= x + t d <= u
//       (Infinity when d meets no finite bound; 0 when x is on a bound d points out of)
// Memory contract: l and u hold n f64 each (-Infinity / Infinity where a side is unbounded),
// l_i <= u_i; x is inside the box for the last two.

import { F64, blockedLength } from "../simd";

/** x_i = min(max(x_i, l_i), u_i) over n f64. */
export function f64_box_project(x: usize, l: usize, u: usize, n: i32): void {
  const blocked = blockedLength(n, 2);
  for (let i = 0; i < blocked; i += 2) {
    const at = <usize>i * F64;
    v128.store(x + at, f64x2.min(f64x2.max(v128.load(x + at), v128.load(l + at)), v128.load(u + at)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    store<f64>(x + at, min<f64>(max<f64>(load<f64>(x + at), load<f64>(l + at)), load<f64>(u + at)));
  }
}

/** max_i |min(max(x_i - s g_i, l_i), u_i) - x_i|; NaN when a g_i is NaN. */
export function f64_projected_gradient_inf(x: usize, g: usize, l: usize, u: usize, n: i32, s: f64): f64 {
  const sv = f64x2.splat(s);
  let best = f64x2.splat(0);
  const blocked = blockedLength(n, 2);
  for (let i = 0; i < blocked; i += 2) {
    const at = <usize>i * F64;
    const xi = v128.load(x + at);
    const step = f64x2.sub(xi, f64x2.mul(sv, v128.load(g + at)));
    const projected = f64x2.min(f64x2.max(step, v128.load(l + at)), v128.load(u + at));
    best = f64x2.max(best, f64x2.abs(f64x2.sub(projected, xi)));
  }
  let result = max<f64>(f64x2.extract_lane(best, 0), f64x2.extract_lane(best, 1));
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F64;
    const xi = load<f64>(x + at);
    const projected = min<f64>(max<f64>(xi - s * load<f64>(g + at), load<f64>(l + at)), load<f64>(u + at));
    result = max<f64>(result, Math.abs(projected - xi));
  }
  return result;
}

/** The largest t >= 0 keeping x + t d in the box: min over d_i != 0 of the distance to the bound ahead over |d_i|. */
export function f64_box_max_step(x: usize, d: usize, l: usize, u: usize, n: i32): f64 {
  let t: f64 = Infinity;
  for (let i = 0; i < n; i++) {
    const at = <usize>i * F64;
    const di = load<f64>(d + at);
    if (di < 0) t = min<f64>(t, max<f64>(0, (load<f64>(l + at) - load<f64>(x + at)) / di));
    else if (di > 0) t = min<f64>(t, max<f64>(0, (load<f64>(u + at) - load<f64>(x + at)) / di));
  }
  return t;
}
