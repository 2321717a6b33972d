import { describe, expect, it } from "vitest";
import { twinRuntimes } from "../helpers/backends";
import { relativeError } from "../helpers/close";
import { uniformArray } from "../helpers/random";
import type { Runtime } from "../../src/runtime/runtime";
import type { KernelName } from "../../src/runtime/kernels";

/**
 * Every kernel of assembly/minimize against its reference twin: identical inputs in a wasm and a
 * js runtime, every output buffer and the return value compared (normwise relative error), at
 * sizes around the 4-element (two v128) tile and larger odd ones.
 */
const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 1001];
const MATRIX_SIZES = [1, 2, 3, 5, 8, 17, 33];

interface Buffer {
  name: string;
  length: number;
  /** Values, or a generator from the buffer's length and seed. */
  fill?: (length: number, seed: number) => ArrayLike<number>;
}

interface TwinCase {
  kernel: KernelName;
  sizes: number[];
  buffers: (n: number) => Buffer[];
  /** Arguments: buffer names become pointers; numbers pass through. */
  args: (n: number) => Array<string | number>;
  rtol?: number;
}

const spdFill = (n: number) => (_len: number, seed: number) => {
  const m = uniformArray(n * n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += m[k * n + i]! * m[k * n + j]!;
    a[i * n + j] = s + (i === j ? 1 : 0);
  }
  return a;
};
/**
 * Box bounds around [-1, 1) data: l in [-2, -1), u in [1, 2), every fifth variable fixed at 0, some
 * sides far away (1e300: the comparison takes no infinities; lbfgsb.test.ts covers them).
 */
const boxBuffers = (n: number): Buffer[] => [
  { name: "l", length: n, fill: (len, seed) => uniformArray(len, seed, -2, -1).map((v, i) => (i % 5 === 4 ? 0 : i % 3 === 0 ? -1e300 : v)) },
  { name: "u", length: n, fill: (len, seed) => uniformArray(len, seed, 1, 2).map((v, i) => (i % 5 === 4 ? 0 : i % 4 === 1 ? 1e300 : v)) },
];
const labels = (len: number, seed: number) => uniformArray(len, seed).map((v) => (v > 0 ? 1 : 0));

const CASES: TwinCase[] = [
  { kernel: "f64_dot", sizes: SIZES, buffers: (n) => [{ name: "x", length: n }, { name: "y", length: n }], args: (n) => ["x", "y", n] },
  {
    kernel: "f64_axpby", sizes: SIZES,
    buffers: (n) => [{ name: "o", length: n }, { name: "x", length: n }, { name: "y", length: n }],
    args: (n) => ["o", 0.7, "x", -1.3, "y", n],
  },
  { kernel: "f64_norm_inf", sizes: SIZES, buffers: (n) => [{ name: "x", length: n }], args: (n) => ["x", n] },
  { kernel: "f64_nrm2", sizes: SIZES, buffers: (n) => [{ name: "x", length: n }], args: (n) => ["x", n] },
  {
    kernel: "f64_gemv", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "y", length: n + 2 }, { name: "A", length: (n + 2) * n }, { name: "x", length: n }],
    args: (n) => ["y", "A", "x", n + 2, n, -0.5],
  },
  {
    kernel: "f64_lbfgs_direction", sizes: [1, 3, 4, 7, 33, 1001],
    buffers: (n) => [
      { name: "d", length: n }, { name: "g", length: n },
      { name: "S", length: 5 * n }, { name: "Y", length: 5 * n, fill: (len, seed) => uniformArray(len, seed, 0.5, 1) },
      { name: "rho", length: 5, fill: () => [0.3, 0.2, 0.5, 0.1, 0.4] }, { name: "alpha", length: 5 },
    ],
    // 4 pairs in a ring of 5, newest in row 1: rows 1, 0, 4, 3.
    args: (n) => ["d", "g", "S", "Y", "rho", "alpha", 5, 4, 1, n, 0.8],
  },
  {
    kernel: "f64_box_project", sizes: SIZES,
    buffers: (n) => [{ name: "x", length: n, fill: (len, seed) => uniformArray(len, seed, -2, 2) }, ...boxBuffers(n)],
    args: (n) => ["x", "l", "u", n],
  },
  {
    kernel: "f64_projected_gradient_inf", sizes: SIZES,
    buffers: (n) => [{ name: "x", length: n }, { name: "g", length: n }, ...boxBuffers(n)],
    args: (n) => ["x", "g", "l", "u", n, 0.75],
  },
  {
    kernel: "f64_box_max_step", sizes: SIZES.filter((n) => n > 0), // n = 0: Infinity on both
    buffers: (n) => [{ name: "x", length: n }, { name: "d", length: n }, ...boxBuffers(n)],
    args: (n) => ["x", "d", "l", "u", n],
  },
  {
    // 3 pairs in a ring of 4 from row 2: rows 2, 3, 0.
    kernel: "f64_lbfgsb_middle", sizes: [1],
    buffers: () => [{ name: "A", length: 36 }, { name: "SS", length: 16 }, { name: "SY", length: 16 }],
    args: () => ["A", "SS", "SY", 4, 3, 2, 1.7],
  },
  {
    kernel: "f64_gauss_solve", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "A", length: n * n, fill: spdFill(n) }, { name: "B", length: 3 * n }],
    args: (n) => ["A", "B", n, 3],
    rtol: 1e-10,
  },
  {
    kernel: "f64_bfgs_update", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "H", length: n * n, fill: spdFill(n) }, { name: "s", length: n }, { name: "y", length: n }, { name: "u", length: n }],
    args: (n) => ["H", "s", "y", "u", n, 0.7],
  },
  { kernel: "f64_scaled_identity", sizes: MATRIX_SIZES, buffers: (n) => [{ name: "A", length: n * n }], args: (n) => ["A", n, 2.5] },
  {
    kernel: "f64_cholesky_damped", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "L", length: n * n, fill: (len) => new Float64Array(len) }, { name: "H", length: n * n, fill: spdFill(n) }],
    args: (n) => ["L", "H", n, 0.25],
  },
  {
    kernel: "f64_cholesky_solve", sizes: MATRIX_SIZES,
    buffers: (n) => [
      { name: "x", length: n },
      // A well-conditioned lower triangle: unit-ish diagonal.
      { name: "L", length: n * n, fill: (len, seed) => uniformArray(len, seed).map((v, k) => (k % (n + 1) === 0 ? 2 + v : 0.3 * v)) },
      { name: "b", length: n },
    ],
    args: (n) => ["x", "L", "b", n],
    rtol: 1e-11,
  },
  {
    kernel: "f64_quadratic_fg", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "x", length: n }, { name: "g", length: n }, { name: "A", length: n * n, fill: spdFill(n) }, { name: "b", length: n }],
    args: (n) => ["x", "g", "A", "b", n],
  },
  {
    kernel: "f64_diag_quadratic_fg", sizes: SIZES,
    buffers: (n) => [{ name: "x", length: n }, { name: "g", length: n }, { name: "a", length: n }, { name: "b", length: n }],
    args: (n) => ["x", "g", "a", "b", n],
  },
  {
    kernel: "f64_least_squares_fg", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "x", length: n }, { name: "g", length: n }, { name: "A", length: (n + 3) * n }, { name: "b", length: n + 3 }, { name: "r", length: n + 3 }],
    args: (n) => ["x", "g", "A", "b", "r", n + 3, n],
  },
  {
    kernel: "f64_logistic_fg", sizes: MATRIX_SIZES,
    buffers: (n) => [
      { name: "x", length: n, fill: (len, seed) => uniformArray(len, seed, -3, 3) }, { name: "g", length: n },
      { name: "A", length: (n + 4) * n }, { name: "y", length: n + 4, fill: labels }, { name: "z", length: n + 4 },
    ],
    args: (n) => ["x", "g", "A", "y", "z", n + 4, n, 0.1],
  },
  {
    kernel: "f64_rosenbrock_fg", sizes: [0, 2, 4, 6, 8, 10, 34, 1002],
    buffers: (n) => [{ name: "x", length: n, fill: (len, seed) => uniformArray(len, seed, -2, 2) }, { name: "g", length: n }],
    args: (n) => ["x", "g", n],
  },
  {
    kernel: "f64_diag_dot", sizes: SIZES,
    buffers: (n) => [{ name: "a", length: n }, { name: "x", length: n }, { name: "y", length: n }],
    args: (n) => ["a", "x", "y", n],
  },
  {
    kernel: "f64_weighted_gram", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "H", length: n * n }, { name: "A", length: (n + 3) * n }, { name: "w", length: n + 3 }],
    args: (n) => ["H", "A", "w", n + 3, n, 0.3],
  },
  {
    kernel: "f64_logistic_weights", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "w", length: n + 3 }, { name: "A", length: (n + 3) * n }, { name: "x", length: n, fill: (len, seed) => uniformArray(len, seed, -3, 3) }],
    args: (n) => ["w", "A", "x", n + 3, n],
  },
  {
    kernel: "f64_quadratic_coordinate_sweep", sizes: MATRIX_SIZES,
    buffers: (n) => [{ name: "x", length: n }, { name: "g", length: n }, { name: "A", length: n * n, fill: spdFill(n) }],
    args: (n) => ["x", "g", "A", n],
  },
];

function run(rt: Runtime, c: TwinCase, n: number): { out: number; buffers: number[][] } {
  return rt.scope(() => {
    const specs = c.buffers(n);
    const tensors = new Map(
      specs.map((b, k) => [
        b.name,
        rt.fromArray(b.fill ? b.fill(b.length, 31 * k + n) : uniformArray(b.length, 31 * k + n), [b.length], { dtype: "f64" }),
      ]),
    );
    const call = rt.kernels[c.kernel] as unknown as (...args: number[]) => number | undefined;
    const out = call(...c.args(n).map((a) => (typeof a === "string" ? tensors.get(a)!.ptr : a)));
    return { out: out ?? 0, buffers: specs.map((b) => tensors.get(b.name)!.toArray()) };
  });
}

describe.each(CASES)("$kernel: wasm vs reference", (c) => {
  const { wasm, js } = twinRuntimes();
  it.each(c.sizes)("n = %i", (n) => {
    const got = run(wasm, c, n);
    const want = run(js, c, n);
    const rtol = c.rtol ?? 1e-12;
    expect(relativeError([got.out], [want.out]), `${c.kernel} return value`).toBeLessThanOrEqual(rtol);
    c.buffers(n).forEach((b, k) => {
      expect(relativeError(got.buffers[k]!, want.buffers[k]!), `${c.kernel} ${b.name} n=${n}`).toBeLessThanOrEqual(rtol);
    });
  });
});

describe("kernels against their formulas", () => {
  const { wasm } = twinRuntimes();

  it("cholesky_damped: L L' = H + alpha I, and a non-SPD matrix reports the failing pivot", () => {
    wasm.scope(() => {
      const n = 9;
      const H = wasm.fromArray(spdFill(n)(n * n, 3), [n * n], { dtype: "f64" });
      const L = wasm.tensor([n * n], { dtype: "f64" });
      expect(wasm.kernels.f64_cholesky_damped(L.ptr, H.ptr, n, 0.5)).toBe(0);
      const l = L.data;
      const h = H.data;
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += l[i * n + k]! * l[j * n + k]!;
        expect(s).toBeCloseTo(h[i * n + j]! + (i === j ? 0.5 : 0), 10);
      }
      const indefinite = wasm.fromArray([1, 2, 2, 1], [4], { dtype: "f64" });
      expect(wasm.kernels.f64_cholesky_damped(L.ptr, indefinite.ptr, 2, 0)).toBe(2);
      expect(wasm.kernels.f64_cholesky_damped(L.ptr, indefinite.ptr, 2, 1.5)).toBe(0); // eigenvalues -1, 3
    });
  });

  it("lbfgs_direction with one pair satisfies the secant equation H y = s", () => {
    wasm.scope(() => {
      const n = 11;
      const s = uniformArray(n, 1);
      const y = uniformArray(n, 2).map((v, i) => v + 2 * s[i]!);
      const sy = s.reduce((acc, v, i) => acc + v * y[i]!, 0);
      const yy = y.reduce((acc, v) => acc + v * v, 0);
      const t = (v: ArrayLike<number>) => wasm.fromArray(v, [v.length], { dtype: "f64" });
      const [S, Y, rho, alpha, d, g] = [t(s), t(y), t([1 / sy]), t([0]), t(new Float64Array(n)), t(y.map((v) => -v))];
      // d = -H g with g = -y gives H y.
      wasm.kernels.f64_lbfgs_direction(d.ptr, g.ptr, S.ptr, Y.ptr, rho.ptr, alpha.ptr, 1, 1, 0, n, sy / yy);
      d.data.forEach((v, i) => expect(v).toBeCloseTo(s[i]!, 12));
    });
  });

  it("the objectives' gradients match central differences", () => {
    const { js } = twinRuntimes();
    for (const rt of [wasm, js]) {
      rt.scope(() => {
        const n = 5;
        const m = 8;
        const t = (v: ArrayLike<number>) => rt.fromArray(v, [v.length], { dtype: "f64" });
        const A = t(uniformArray(m * n, 4));
        const yv = t(labels(m, 5));
        const z = t(new Float64Array(m));
        const x = t(uniformArray(n, 6));
        const g = t(new Float64Array(n));
        const gd = t(new Float64Array(n));
        const f = (p: number) => rt.kernels.f64_logistic_fg(p, gd.ptr, A.ptr, yv.ptr, z.ptr, m, n, 0.3);
        f(x.ptr);
        g.set(gd.data);
        for (let i = 0; i < n; i++) {
          const h = 1e-6;
          const xp = t(x.data);
          xp.data[i] = xp.data[i]! + h;
          const fp = f(xp.ptr);
          xp.data[i] = xp.data[i]! - 2 * h;
          const fm = f(xp.ptr);
          expect((fp - fm) / (2 * h)).toBeCloseTo(g.data[i]!, 6);
        }
      });
    }
  });
});
