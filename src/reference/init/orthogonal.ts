import type { Heap } from "../../runtime/heap";

// Reference twin of assembly/init/orthogonal.ts: Householder QR of a column-major Gaussian
// A (m x n, m >= n), the thin Q by back-accumulation, signs fixed so that diag(R) > 0. Dot
// products keep the wasm kernel's four partial sums and their order, so the bits agree.

/** x'y summed as the wasm kernel does: four partial sums, then ((s0 + s2) + (s1 + s3)). */
function dot(f64: Float64Array, x: number, y: number, len: number): number {
  let [s0, s1, s2, s3] = [0, 0, 0, 0];
  let t = 0;
  for (; t + 4 <= len; t += 4) {
    s0 = s0 + f64[x + t]! * f64[y + t]!;
    s1 = s1 + f64[x + t + 1]! * f64[y + t + 1]!;
    s2 = s2 + f64[x + t + 2]! * f64[y + t + 2]!;
    s3 = s3 + f64[x + t + 3]! * f64[y + t + 3]!;
  }
  if (t + 2 <= len) {
    s0 = s0 + f64[x + t]! * f64[y + t]!;
    s1 = s1 + f64[x + t + 1]! * f64[y + t + 1]!;
    t += 2;
  }
  let sum = (s0 + s2) + (s1 + s3);
  if (t < len) sum += f64[x + t]! * f64[y + t]!;
  return sum;
}

function axpy(f64: Float64Array, y: number, x: number, len: number, alpha: number): void {
  for (let t = 0; t < len; t++) f64[y + t] = f64[y + t]! + alpha * f64[x + t]!;
}

/** Indices (in f64 elements) of Q, the betas and the alphas after the factorization. */
function householderQ(h: Heap, a: number, work: number, m: number, n: number): { q: number; alphas: number } {
  const f64 = h.f64;
  const A = a >>> 3;
  const Q = work >>> 3;
  const betas = Q + m * n;
  const alphas = betas + n;
  for (let k = 0; k < n; k++) {
    const x = A + k * m + k;
    const len = m - k;
    const norm = Math.sqrt(dot(f64, x, x, len));
    const x0 = f64[x]!;
    const alpha = x0 >= 0 ? -norm : norm;
    f64[x] = x0 - alpha;
    const vv = dot(f64, x, x, len);
    const beta = vv > 0 ? 2.0 / vv : 0.0;
    f64[alphas + k] = alpha;
    f64[betas + k] = beta;
    for (let j = k + 1; j < n; j++) {
      const y = A + j * m + k;
      axpy(f64, y, x, len, -(beta * dot(f64, x, y, len)));
    }
  }
  f64.fill(0, Q, Q + m * n);
  for (let j = 0; j < n; j++) f64[Q + j * m + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = A + k * m + k;
    const beta = f64[betas + k]!;
    for (let j = k; j < n; j++) {
      const y = Q + j * m + k;
      axpy(f64, y, v, m - k, -(beta * dot(f64, v, y, m - k)));
    }
  }
  return { q: Q, alphas };
}

function orthogonal(h: Heap, out: Float32Array | Float64Array, o: number, a: number, work: number, m: number, n: number, transposed: number, gain: number): void {
  const { q, alphas } = householderQ(h, a, work, m, n);
  const f64 = h.f64;
  for (let j = 0; j < n; j++) {
    const scale = f64[alphas + j]! < 0 ? -gain : gain;
    for (let i = 0; i < m; i++) out[o + (transposed ? j * m + i : i * n + j)] = scale * f64[q + j * m + i]!;
  }
}

/** Orthogonal f32 weights from the Gaussian `a` (m x n column-major f64, m >= n). */
export function f32_orthogonal(h: Heap, out: number, a: number, work: number, m: number, n: number, transposed: number, gain: number): void {
  orthogonal(h, h.f32, out >>> 2, a, work, m, n, transposed, gain);
}

/** Orthogonal f64 weights: f32_orthogonal without the final rounding. */
export function f64_orthogonal(h: Heap, out: number, a: number, work: number, m: number, n: number, transposed: number, gain: number): void {
  orthogonal(h, h.f64, out >>> 3, a, work, m, n, transposed, gain);
}
