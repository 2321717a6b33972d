import type { Heap } from "../../runtime/heap";

/**
 * Reference twin of assembly/minimize/lbfgs.ts: d = -H g by the two-loop recursion
 * (Nocedal & Wright, Alg. 7.4) over `count` pairs of the ring buffers S, Y (m rows of n),
 * newest in row `newest`, H0 = gamma I, rho_j = 1 / y_j's_j; alpha is m f64 of scratch.
 */
export function f64_lbfgs_direction(
  h: Heap, d: number, g: number, S: number, Y: number, rho: number, alpha: number,
  m: number, count: number, newest: number, n: number, gamma: number,
): void {
  const f64 = h.f64;
  const [D, G, Sp, Yp, R, A] = [d >>> 3, g >>> 3, S >>> 3, Y >>> 3, rho >>> 3, alpha >>> 3];
  const dot = (row: number, base: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += f64[base + row * n + i]! * f64[D + i]!;
    return sum;
  };
  for (let i = 0; i < n; i++) f64[D + i] = -f64[G + i]!;
  const rows = Array.from({ length: count }, (_, k) => (newest - k + m) % m); // newest first
  for (const j of rows) {
    const a = f64[R + j]! * dot(j, Sp);
    f64[A + j] = a;
    for (let i = 0; i < n; i++) f64[D + i] = f64[D + i]! - a * f64[Yp + j * n + i]!;
  }
  for (let i = 0; i < n; i++) f64[D + i] = gamma * f64[D + i]!;
  for (const j of rows.reverse()) {
    const b = f64[R + j]! * dot(j, Yp);
    const c = f64[A + j]! - b;
    for (let i = 0; i < n; i++) f64[D + i] = f64[D + i]! + c * f64[Sp + j * n + i]!;
  }
}
