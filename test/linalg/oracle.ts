import { expect } from "vitest";

/** One product C <- relu?(alpha op(A) op(B) + beta C + bias), as plain arrays (row-major). */
export interface Product {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  relu: boolean;
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  c: ArrayLike<number>;
  bias: ArrayLike<number> | null;
}

/**
 * The product in double precision, and per element the magnitude that bounds its rounding
 * error: |alpha| sum_p |a_ip b_pj| + |beta c_ij| + |bias_j| (Higham, Accuracy and Stability,
 * eq. 3.5: a k-term dot product in precision u is off by at most ~k u times that sum).
 */
export function oracle(p: Product): { value: Float64Array; magnitude: Float64Array } {
  const { m, n, k, a, b, c, bias } = p;
  const value = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let abs = 0;
      if (p.alpha !== 0) {
        for (let q = 0; q < k; q++) {
          const x = p.transA ? a[q * m + i]! : a[i * k + q]!;
          const y = p.transB ? b[j * k + q]! : b[q * n + j]!;
          sum += x * y;
          abs += Math.abs(x * y);
        }
      }
      let v = p.alpha * sum;
      let mag = Math.abs(p.alpha) * abs;
      if (p.beta !== 0) {
        v += p.beta * c[i * n + j]!;
        mag += Math.abs(p.beta * c[i * n + j]!);
      }
      if (bias) {
        v += bias[j]!;
        mag += Math.abs(bias[j]!);
      }
      value[i * n + j] = p.relu ? Math.max(v, 0) : v;
      magnitude[i * n + j] = mag;
    }
  }
  return { value, magnitude };
}

/**
 * Asserts |got - ref| <= max(atol, rtol |ref|) per element, where atol = (k + 4) u times the
 * element's error magnitude (see {@link oracle}) and rtol = 4u; u is the unit roundoff of the
 * dtype. A failure names the element (i, j), both values, the shape and the variant.
 */
export function expectProduct(got: ArrayLike<number>, p: Product, u: number, variant: string): void {
  const { value, magnitude } = oracle(p);
  expect(got.length).toBe(value.length);
  for (let idx = 0; idx < value.length; idx++) {
    const ref = value[idx]!;
    const tol = Math.max((p.k + 4) * u * magnitude[idx]!, 4 * u * Math.abs(ref));
    const g = got[idx]!;
    if (!(Math.abs(g - ref) <= tol)) {
      const i = Math.floor(idx / p.n);
      const j = idx % p.n;
      expect.fail(
        `${variant}: C[${i}, ${j}] = ${g}, expected ${ref} (tolerance ${tol.toExponential(2)}) for ` +
          `m=${p.m} n=${p.n} k=${p.k} transA=${p.transA} transB=${p.transB} alpha=${p.alpha} beta=${p.beta} ` +
          `bias=${p.bias !== null} relu=${p.relu}`,
      );
    }
  }
}

/** Unit roundoff per dtype. */
export const UNIT_ROUNDOFF = { f32: 2 ** -24, f64: 2 ** -53 } as const;
