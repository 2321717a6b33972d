import type { FG } from "../../src/index";

/** Rosenbrock's function f = 100 (y - x^2)^2 + (1 - x)^2 and its gradient. */
export const rosen: FG = (x, g) => {
  const t = x[1]! - x[0]! * x[0]!;
  g[0] = -400 * t * x[0]! - 2 * (1 - x[0]!);
  g[1] = 200 * t;
  return 100 * t * t + (1 - x[0]!) ** 2;
};

/** Rosenbrock's exact Hessian [[1200 x^2 - 400 y + 2, -400 x], [-400 x, 200]], row-major. */
export function rosenHessian(x: number, y: number): number[] {
  return [1200 * x * x - 400 * y + 2, -400 * x, -400 * x, 200];
}

/** The gradient of f = 1/2 x'Ax for a symmetric row-major A (n x n). */
export function quadraticGradient(A: ArrayLike<number>, n: number): FG {
  return (x, g) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
      g[i] = s;
      f += 0.5 * s * x[i]!;
    }
    return f;
  };
}

/** y = A v for a row-major n x n A. */
export function matvec(A: ArrayLike<number>, v: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j]! * v[j]!;
    return s;
  });
}

/** A random symmetric n x n matrix Q diag(spectrum) Q' with Q orthogonal (Householder reflector). */
export function symmetricWithSpectrum(spectrum: readonly number[], random: () => number): number[] {
  const n = spectrum.length;
  const u = Array.from({ length: n }, () => random() - 0.5);
  const uu = u.reduce((s, ui) => s + ui * ui, 0);
  // Q = I - 2 u u' / u'u.
  const Q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i]! * u[j]!) / uu;
  const A = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) A[i * n + j]! += Q(i, k) * spectrum[k]! * Q(j, k);
  return A;
}

export const norm2 = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, vi) => s + vi * vi, 0));
