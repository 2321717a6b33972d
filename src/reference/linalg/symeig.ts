import type { Heap } from "../../runtime/heap";

// Reference twin of assembly/linalg/symeig.ts: cyclic Jacobi (Golub & Van Loan 2013, Alg. 8.5.3)
// with the same rotations, skip threshold and ordering, as plain loops over f64 views.

const NEGLIGIBLE = 2 ** -53;

/** Eigenvalues of the symmetric a (n x n, destroyed) into w (decreasing), eigenvectors as rows of e; sweeps or -1. */
export function f64_symeig(h: Heap, a: number, w: number, e: number, n: number, maxSweeps: number): number {
  const f64 = h.f64;
  const [A, W, E] = [a >>> 3, w >>> 3, e >>> 3];
  for (let i = 0; i < n * n; i++) f64[E + i] = i % (n + 1) === 0 ? 1 : 0;
  let sweeps = -1;
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    if (!sweepOnce(f64, A, E, n)) {
      sweeps = sweep;
      break;
    }
  }
  for (let i = 0; i < n; i++) f64[W + i] = f64[A + i * n + i]!;
  for (let i = 0; i < n - 1; i++) {
    let best = i;
    for (let j = i + 1; j < n; j++) if (f64[W + j]! > f64[W + best]!) best = j;
    if (best === i) continue;
    [f64[W + i], f64[W + best]] = [f64[W + best]!, f64[W + i]!];
    for (let k = 0; k < n; k++) [f64[E + i * n + k], f64[E + best * n + k]] = [f64[E + best * n + k]!, f64[E + i * n + k]!];
  }
  return sweeps;
}

/** out_i = e_i sqrt(w_i + shift), or e_i / sqrt(w_i + shift) when inverse, for the first m rows. */
export function f64_eigvec_scale(h: Heap, out: number, e: number, w: number, m: number, n: number, shift: number, inverse: number): void {
  const f64 = h.f64;
  const [O, E, W] = [out >>> 3, e >>> 3, w >>> 3];
  for (let i = 0; i < m; i++) {
    const root = Math.sqrt(f64[W + i]! + shift);
    const scale = inverse ? 1 / root : root;
    for (let k = 0; k < n; k++) f64[O + i * n + k] = scale * f64[E + i * n + k]!;
  }
}

function sweepOnce(f64: Float64Array, A: number, E: number, n: number): boolean {
  let rotated = false;
  for (let p = 0; p < n - 1; p++) {
    for (let q = p + 1; q < n; q++) {
      const apq = f64[A + p * n + q]!;
      if (apq === 0) continue;
      const app = f64[A + p * n + p]!;
      const aqq = f64[A + q * n + q]!;
      if (Math.abs(apq) <= NEGLIGIBLE * Math.sqrt(Math.abs(app) * Math.abs(aqq))) {
        f64[A + p * n + q] = 0;
        f64[A + q * n + p] = 0;
        continue;
      }
      rotated = true;
      const t = tangent((aqq - app) / (2 * apq));
      const c = 1 / Math.sqrt(1 + t * t);
      const s = t * c;
      rotateRows(f64, A + p * n, A + q * n, n, c, s);
      for (let k = 0; k < n; k++) {
        f64[A + k * n + p] = f64[A + p * n + k]!;
        f64[A + k * n + q] = f64[A + q * n + k]!;
      }
      f64[A + p * n + p] = app - t * apq;
      f64[A + q * n + q] = aqq + t * apq;
      f64[A + p * n + q] = 0;
      f64[A + q * n + p] = 0;
      rotateRows(f64, E + p * n, E + q * n, n, c, s);
    }
  }
  return rotated;
}

/** The smaller root of t^2 + 2 tau t - 1 = 0; 1 / (2 tau) where tau^2 would overflow. */
function tangent(tau: number): number {
  const size = Math.abs(tau);
  if (size > 1e150) return 0.5 / tau;
  const t = 1 / (size + Math.sqrt(1 + tau * tau));
  return tau < 0 ? -t : t;
}

function rotateRows(f64: Float64Array, X: number, Y: number, n: number, c: number, s: number): void {
  for (let i = 0; i < n; i++) {
    const xi = f64[X + i]!;
    const yi = f64[Y + i]!;
    f64[X + i] = c * xi - s * yi;
    f64[Y + i] = s * xi + c * yi;
  }
}
