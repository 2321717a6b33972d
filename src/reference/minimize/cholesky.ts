import type { Heap } from "../../runtime/heap";

/** Reference twin: lower L with L L' = H + alpha I; 0, or k + 1 when pivot k is not positive. */
export function f64_cholesky_damped(h: Heap, L: number, H: number, n: number, alpha: number): number {
  const f64 = h.f64;
  const [Lp, Hp] = [L >>> 3, H >>> 3];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = f64[Hp + i * n + j]! + (i === j ? alpha : 0);
      for (let k = 0; k < j; k++) sum -= f64[Lp + i * n + k]! * f64[Lp + j * n + k]!;
      if (i === j) {
        if (!(sum > 0) || !Number.isFinite(sum)) return i + 1;
        f64[Lp + i * n + i] = Math.sqrt(sum);
      } else {
        f64[Lp + i * n + j] = sum / f64[Lp + j * n + j]!;
      }
    }
  }
  return 0;
}

/** Reference twin: x = (L L')^-1 b by forward then back substitution; x may alias b. */
export function f64_cholesky_solve(h: Heap, x: number, L: number, b: number, n: number): void {
  const f64 = h.f64;
  const [X, Lp, B] = [x >>> 3, L >>> 3, b >>> 3];
  for (let i = 0; i < n; i++) {
    let sum = f64[B + i]!;
    for (let k = 0; k < i; k++) sum -= f64[Lp + i * n + k]! * f64[X + k]!;
    f64[X + i] = sum / f64[Lp + i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = f64[X + i]!;
    for (let k = i + 1; k < n; k++) sum -= f64[Lp + k * n + i]! * f64[X + k]!;
    f64[X + i] = sum / f64[Lp + i * n + i]!;
  }
}
