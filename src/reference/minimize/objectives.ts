import type { Heap } from "../../runtime/heap";

// Reference twins of assembly/minimize/objectives.ts, written straight from the formulas.

/** 1/2 x'Ax - b'x, g = Ax - b. */
export function f64_quadratic_fg(h: Heap, x: number, g: number, A: number, b: number, n: number): number {
  const f64 = h.f64;
  const [X, G, Ap, B] = [x >>> 3, g >>> 3, A >>> 3, b >>> 3];
  let f = 0;
  for (let i = 0; i < n; i++) {
    let ax = 0;
    for (let j = 0; j < n; j++) ax += f64[Ap + i * n + j]! * f64[X + j]!;
    f64[G + i] = ax - f64[B + i]!;
    f += f64[X + i]! * (0.5 * ax - f64[B + i]!);
  }
  return f;
}

/** 1/2 sum a_i x_i^2 - b'x, g = a * x - b. */
export function f64_diag_quadratic_fg(h: Heap, x: number, g: number, a: number, b: number, n: number): number {
  const f64 = h.f64;
  const [X, G, Ap, B] = [x >>> 3, g >>> 3, a >>> 3, b >>> 3];
  let f = 0;
  for (let i = 0; i < n; i++) {
    const ax = f64[Ap + i]! * f64[X + i]!;
    f64[G + i] = ax - f64[B + i]!;
    f += f64[X + i]! * (0.5 * ax - f64[B + i]!);
  }
  return f;
}

/** 1/2 |Ax - b|^2, g = A'(Ax - b); r receives the residual. */
export function f64_least_squares_fg(h: Heap, x: number, g: number, A: number, b: number, r: number, m: number, n: number): number {
  const f64 = h.f64;
  const [X, G, Ap, B, R] = [x >>> 3, g >>> 3, A >>> 3, b >>> 3, r >>> 3];
  let f = 0;
  for (let i = 0; i < m; i++) {
    let ax = 0;
    for (let j = 0; j < n; j++) ax += f64[Ap + i * n + j]! * f64[X + j]!;
    f64[R + i] = ax - f64[B + i]!;
    f += 0.5 * f64[R + i]! * f64[R + i]!;
  }
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += f64[Ap + i * n + j]! * f64[R + i]!;
    f64[G + j] = sum;
  }
  return f;
}

/** L2-regularized logistic loss: sum log(1 + e^z_i) - y_i z_i + lambda/2 |x|^2, z = Ax. */
export function f64_logistic_fg(
  h: Heap, x: number, g: number, A: number, y: number, z: number, m: number, n: number, lambda: number,
): number {
  const f64 = h.f64;
  const [X, G, Ap, Yp, Z] = [x >>> 3, g >>> 3, A >>> 3, y >>> 3, z >>> 3];
  let f = 0;
  for (let i = 0; i < m; i++) {
    let zi = 0;
    for (let j = 0; j < n; j++) zi += f64[Ap + i * n + j]! * f64[X + j]!;
    const yi = f64[Yp + i]!;
    f += Math.max(zi, 0) + Math.log1p(Math.exp(-Math.abs(zi))) - yi * zi;
    f64[Z + i] = 1 / (1 + Math.exp(-zi)) - yi;
  }
  let xx = 0;
  for (let j = 0; j < n; j++) {
    let sum = lambda * f64[X + j]!;
    for (let i = 0; i < m; i++) sum += f64[Ap + i * n + j]! * f64[Z + i]!;
    f64[G + j] = sum;
    xx += f64[X + j]! * f64[X + j]!;
  }
  return f + 0.5 * lambda * xx;
}

/** Extended Rosenbrock (MGH 21): sum over pairs of 100 (x_2k+1 - x_2k^2)^2 + (1 - x_2k)^2. */
export function f64_rosenbrock_fg(h: Heap, x: number, g: number, n: number): number {
  const f64 = h.f64;
  const [X, G] = [x >>> 3, g >>> 3];
  let f = 0;
  for (let i = 0; i + 1 < n; i += 2) {
    const a = f64[X + i]!;
    const t = f64[X + i + 1]! - a * a;
    const u = 1 - a;
    f += 100 * t * t + u * u;
    f64[G + i] = -400 * t * a - 2 * u;
    f64[G + i + 1] = 200 * t;
  }
  return f;
}

/** sum_i a_i x_i y_i. */
export function f64_diag_dot(h: Heap, a: number, x: number, y: number, n: number): number {
  const f64 = h.f64;
  const [Ap, X, Yp] = [a >>> 3, x >>> 3, y >>> 3];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f64[Ap + i]! * f64[X + i]! * f64[Yp + i]!;
  return sum;
}

/** One Gauss-Seidel sweep of exact coordinate minimization; returns the largest |step|. */
export function f64_quadratic_coordinate_sweep(h: Heap, x: number, g: number, A: number, n: number): number {
  const f64 = h.f64;
  const [X, G, Ap] = [x >>> 3, g >>> 3, A >>> 3];
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const t = -f64[G + i]! / f64[Ap + i * n + i]!;
    f64[X + i] = f64[X + i]! + t;
    for (let j = 0; j < n; j++) f64[G + j] = f64[G + j]! + t * f64[Ap + i * n + j]!;
    largest = Math.max(largest, Math.abs(t));
  }
  return largest;
}

/**
 * H = sum_i w_i A_i A_i' + lambda I, accumulated row by row in the kernel's order. A row with
 * w_i = 0 is left out, as the kernel does: zero weight excludes the row, so its values (even
 * Inf or NaN, where 0 * Inf would give NaN) do not reach H.
 */
export function f64_weighted_gram(h: Heap, H: number, A: number, w: number, m: number, n: number, lambda: number): void {
  const f64 = h.f64;
  const [Hp, Ap, W] = [H >>> 3, A >>> 3, w >>> 3];
  f64.fill(0, Hp, Hp + n * n);
  for (let j = 0; j < n; j++) f64[Hp + j * n + j] = lambda;
  for (let i = 0; i < m; i++) {
    const wi = f64[W + i]!;
    if (wi === 0) continue;
    const row = Ap + i * n;
    for (let r = 0; r < n; r++) {
      const scale = wi * f64[row + r]!;
      for (let c = 0; c < n; c++) f64[Hp + r * n + c] = f64[Hp + r * n + c]! + scale * f64[row + c]!;
    }
  }
}

/** w_i = p_i (1 - p_i) with p_i = sigmoid(z_i), z = Ax, in the kernel's form (no cancellation to 0 for large |z|). */
export function f64_logistic_weights(h: Heap, w: number, A: number, x: number, m: number, n: number): void {
  const f64 = h.f64;
  const [W, Ap, X] = [w >>> 3, A >>> 3, x >>> 3];
  for (let i = 0; i < m; i++) {
    let z = 0;
    for (let j = 0; j < n; j++) z += f64[Ap + i * n + j]! * f64[X + j]!;
    const e = Math.exp(-Math.abs(z));
    f64[W + i] = e / ((1 + e) * (1 + e));
  }
}
