import type { Heap } from "../../runtime/heap";

// Reference twins of assembly/minimize/box.ts: box constraints l <= x <= u.

/** x_i = min(max(x_i, l_i), u_i). */
export function f64_box_project(h: Heap, x: number, l: number, u: number, n: number): void {
  const f64 = h.f64;
  const [X, L, U] = [x >>> 3, l >>> 3, u >>> 3];
  for (let i = 0; i < n; i++) f64[X + i] = Math.min(Math.max(f64[X + i]!, f64[L + i]!), f64[U + i]!);
}

/** max_i |P(x - s g)_i - x_i|, P the projection onto the box. */
export function f64_projected_gradient_inf(h: Heap, x: number, g: number, l: number, u: number, n: number, s: number): number {
  const f64 = h.f64;
  const [X, G, L, U] = [x >>> 3, g >>> 3, l >>> 3, u >>> 3];
  let best = 0;
  for (let i = 0; i < n; i++) {
    const xi = f64[X + i]!;
    const projected = Math.min(Math.max(xi - s * f64[G + i]!, f64[L + i]!), f64[U + i]!);
    best = Math.max(best, Math.abs(projected - xi));
  }
  return best;
}

/** The largest t >= 0 with l <= x + t d <= u (Infinity when d meets no finite bound). */
export function f64_box_max_step(h: Heap, x: number, d: number, l: number, u: number, n: number): number {
  const f64 = h.f64;
  const [X, D, L, U] = [x >>> 3, d >>> 3, l >>> 3, u >>> 3];
  let t = Infinity;
  for (let i = 0; i < n; i++) {
    const di = f64[D + i]!;
    if (di < 0) t = Math.min(t, Math.max(0, (f64[L + i]! - f64[X + i]!) / di));
    else if (di > 0) t = Math.min(t, Math.max(0, (f64[U + i]! - f64[X + i]!) / di));
  }
  return t;
}
