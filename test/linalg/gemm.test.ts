import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { describeVariants } from "./variants";
import { uniformArray } from "../helpers/random";
import { gemm, matmul, type GemmOptions } from "../../src/linalg/index";
import type { Runtime } from "../../src/runtime/runtime";
import type { FloatDType, Tensor } from "../../src/runtime/tensor";
import { DisposedError, ShapeError, ValueError } from "../../src/runtime/errors";
import { expectProduct, UNIT_ROUNDOFF, type Product } from "./oracle";

/** The dimensions issue 5 names: tile edges (4, 8), their neighbours, and odd/prime sizes. */
const DIMS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 127, 129];
const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

/** Every dim appears as m, as n and as k, against partners rotated through the list (non-square). */
function shapes(): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  DIMS.forEach((d, i) => {
    const x = DIMS[(i + 5) % DIMS.length]!;
    const y = DIMS[(i + 11) % DIMS.length]!;
    out.push([d, x, y], [y, d, x], [x, y, d]);
  });
  return out;
}

interface Setup extends Partial<Omit<Product, "a" | "b" | "c" | "bias">> {
  m: number;
  n: number;
  k: number;
  dtype?: FloatDType;
  bias?: boolean;
  /** Value C holds before the call (default: random). */
  cFill?: number;
  seed?: number;
}

/** Runs one product on `rt` through the public gemm() and checks it against the f64 oracle. */
function check(rt: Runtime, s: Setup, variant: string): void {
  rt.scope(() => {
    const { m, n, k, dtype = "f32", transA = false, transB = false, alpha = 1, beta = 0, relu = false, seed = 1 } = s;
    const A = rt.fromArray(uniformArray(m * k, seed), transA ? [k, m] : [m, k], { dtype });
    const B = rt.fromArray(uniformArray(k * n, seed + 1), transB ? [n, k] : [k, n], { dtype });
    const C = rt.fromArray(s.cFill === undefined ? uniformArray(m * n, seed + 2) : new Array(m * n).fill(s.cFill), [m, n], { dtype });
    const bias = s.bias ? rt.fromArray(uniformArray(n, seed + 3), [n], { dtype }) : null;
    const before = C.toArray();
    const options: GemmOptions = { transA, transB, alpha, beta, relu, bias };
    expect(gemm(A, B, C, options)).toBe(C);
    const p: Product = { m, n, k, transA, transB, alpha, beta, relu, a: A.toArray(), b: B.toArray(), c: before, bias: bias?.toArray() ?? null };
    expectProduct(C.data, p, UNIT_ROUNDOFF[dtype], variant);
  });
}

describeVariants("gemm", (rt, backend) => {
  for (const [transA, transB] of TRANSPOSES) {
    const tag = `${transA ? "T" : "N"}${transB ? "T" : "N"}`;
    it(`f32 ${tag}: every issue dim as m, n and k`, () => {
      for (const [m, n, k] of shapes()) check(rt, { m, n, k, transA, transB, seed: m * 7 + n * 3 + k }, `${backend} f32 ${tag}`);
    });
  }

  it("f32 alpha/beta combinations, with C read exactly when beta != 0", () => {
    for (const [alpha, beta] of [[1, 1], [2.5, -0.5], [-1, 0], [0.5, 2]] as const) {
      for (const [transA, transB] of TRANSPOSES) {
        check(rt, { m: 17, n: 33, k: 9, alpha, beta, transA, transB }, `${backend} alpha=${alpha} beta=${beta}`);
      }
    }
  });

  it("beta = 0 ignores NaN and Infinity in C (BLAS semantics)", () => {
    for (const cFill of [NaN, Infinity]) {
      for (const [m, n, k] of [[5, 9, 3], [64, 64, 64], [3, 2, 1]] as const) {
        check(rt, { m, n, k, beta: 0, cFill }, `${backend} beta=0 C=${cFill}`);
      }
    }
  });

  it("alpha = 0 does not read A or B: C <- beta C (+ bias, relu)", () => {
    rt.scope(() => {
      const A = rt.fromArray(new Array(12).fill(NaN), [3, 4]);
      const B = rt.fromArray(new Array(20).fill(NaN), [4, 5]);
      const C = rt.fromArray(Array.from({ length: 15 }, (_, i) => i - 7), [3, 5]);
      const bias = rt.fromArray([1, 2, 3, 4, 5]);
      gemm(A, B, C, { alpha: 0, beta: 2, bias, relu: true });
      expect(C.toArray()).toEqual(Array.from({ length: 15 }, (_, i) => Math.max(2 * (i - 7) + 1 + (i % 5), 0)));
    });
  });

  it("k = 0: the empty product is zero, so C <- beta C + bias", () => {
    check(rt, { m: 7, n: 9, k: 0, beta: 0.5, bias: true }, `${backend} k=0`);
    check(rt, { m: 7, n: 9, k: 0, beta: 0, bias: false, cFill: NaN }, `${backend} k=0 beta=0`);
  });

  it("m = 0 or n = 0 is a no-op", () => {
    rt.scope(() => {
      const A = rt.tensor([0, 4]);
      const B = rt.tensor([4, 3]);
      const C = rt.tensor([0, 3]);
      expect(gemm(A, B, C).length).toBe(0);
      expect(matmul(rt.tensor([2, 4]), rt.tensor([4, 0])).shape).toEqual([2, 0]);
    });
  });

  it("fused epilogue: bias row and ReLU, alone and together, every transpose", () => {
    for (const [transA, transB] of TRANSPOSES) {
      for (const [bias, relu] of [[true, false], [false, true], [true, true]] as const) {
        for (const [m, n, k] of [[33, 17, 65], [4, 8, 16], [129, 9, 5]] as const) {
          check(rt, { m, n, k, transA, transB, bias, relu, beta: 0.5 }, `${backend} bias=${bias} relu=${relu}`);
        }
      }
    }
  });

  it("bias may be shaped [1, n]; ReLU really clamps (a negative product becomes 0)", () => {
    rt.scope(() => {
      const A = rt.fromArray([1, 2, 3, 4], [2, 2]);
      const B = rt.fromArray([1, -1, 1, -1], [2, 2]);
      const bias = rt.fromArray([0.5, 1], [1, 2]);
      expect(matmul(A, B, { bias, relu: true }).toArray()).toEqual([3.5, 0, 7.5, 0]);
      expect(matmul(A, B, { bias }).toArray()).toEqual([3.5, -2, 7.5, -6]);
    });
  });

  it("f64 matches the oracle to f64 precision, every transpose", () => {
    for (const [transA, transB] of TRANSPOSES) {
      for (const [m, n, k] of [[1, 1, 1], [5, 3, 7], [17, 33, 65], [129, 63, 31], [4, 4, 129]] as const) {
        check(rt, { m, n, k, transA, transB, dtype: "f64", alpha: 1.5, beta: 0.25, bias: true }, `${backend} f64`);
      }
    }
  });

  it("crosses every cache block (k > KC, m > MC, n > NC) on f32 and f64, A packed and in place", () => {
    if (backend === "js") return; // blocking exists only in the wasm kernels
    check(rt, { m: 131, n: 1031, k: 517, beta: 0.5, bias: true, relu: true }, `${backend} f32 blocked`);
    // n <= 128: whole row panels of A are read in place, the partial one packed.
    check(rt, { m: 131, n: 65, k: 517, beta: 0.5, bias: true }, `${backend} f32 blocked, A in place`);
    check(rt, { m: 131, n: 65, k: 517, transA: true, relu: true }, `${backend} f32 blocked, A^T in place`);
    check(rt, { m: 130, n: 9, k: 300, transA: true, dtype: "f64" }, `${backend} f64 blocked, A^T in place`);
    check(rt, { m: 101, n: 517, k: 263, beta: 0.5, transA: true, transB: true, dtype: "f64" }, `${backend} f64 blocked`);
  });

  it("matmul allocates C = op(A) op(B) and agrees with gemm", () => {
    rt.scope(() => {
      const A = rt.fromArray(uniformArray(4 * 6, 9), [4, 6]);
      const B = rt.fromArray(uniformArray(5 * 4, 10), [5, 4]);
      const C = matmul(A, B, { transA: true, transB: true });
      expect(C.shape).toEqual([6, 5]);
      const D = rt.tensor([6, 5]);
      gemm(A, B, D, { transA: true, transB: true });
      expect(C.toArray()).toEqual(D.toArray());
    });
  });

  it("multiplying by the identity is exact", () => {
    rt.scope(() => {
      for (const n of [1, 7, 33]) {
        const A = rt.fromArray(uniformArray(n * 13, n), [13, n]);
        const I = rt.tensor([n, n]);
        for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
        expect(matmul(A, I).toArray()).toEqual(A.toArray());
        const a = A.toArray();
        const transposed = Array.from({ length: n * 13 }, (_, idx) => a[(idx % 13) * n + Math.floor(idx / 13)]);
        expect(matmul(I, A, { transB: true }).toArray()).toEqual(transposed);
      }
    });
  });
});

describeBackends("gemm validation", (rt) => {
  type Bad = { desc: string; error: new (...args: never[]) => Error; message: RegExp; call: (t: Record<string, Tensor>) => unknown };
  const cases: Bad[] = [
    { desc: "inner dims differ", error: ShapeError, message: /Inner dimensions differ: A \[3, 4\] times B \[5, 2\]/, call: (t) => gemm(t.A!, t.B52!, t.C!) },
    { desc: "C of the wrong shape", error: ShapeError, message: /C has shape \[2, 3\], expected \[3, 2\]/, call: (t) => gemm(t.A!, t.B!, t.C23!) },
    { desc: "vector operand", error: ShapeError, message: /A must be a matrix/, call: (t) => gemm(t.v!, t.B!, t.C!) },
    { desc: "mixed dtypes", error: ShapeError, message: /A is f32 but B is f64/, call: (t) => gemm(t.A!, t.B64!, t.C!) },
    { desc: "bias of the wrong length", error: ShapeError, message: /bias has shape \[4\], expected \[2\]/, call: (t) => gemm(t.A!, t.B!, t.C!, { bias: t.v! }) },
    { desc: "NaN alpha", error: ValueError, message: /Invalid alpha: NaN/, call: (t) => gemm(t.A!, t.B!, t.C!, { alpha: NaN }) },
    { desc: "infinite beta", error: ValueError, message: /Invalid beta: Infinity/, call: (t) => gemm(t.A!, t.B!, t.C!, { beta: Infinity }) },
    { desc: "non-boolean transA", error: ValueError, message: /Invalid transA: 1/, call: (t) => gemm(t.A!, t.B!, t.C!, { transA: 1 as unknown as boolean }) },
    { desc: "integer operand", error: ShapeError, message: /Invalid B: Tensor\(i32, \[4, 2\]\) \(expected dtype 'f32' or 'f64'\)/, call: (t) => gemm(t.A!, t.Bi32!, t.C!) },
    { desc: "integer bias", error: ShapeError, message: /Invalid bias: Tensor\(i32, \[2\]\)/, call: (t) => gemm(t.A!, t.B!, t.C!, { bias: t.bi32! }) },
    { desc: "not a tensor", error: ValueError, message: /Invalid B: .*expected a Tensor/, call: (t) => gemm(t.A!, [1, 2] as unknown as Tensor, t.C!) },
    { desc: "C aliases A", error: ValueError, message: /C overlaps A or B/, call: (t) => gemm(t.S!, t.S!, t.S!) },
    { desc: "options not an object", error: ValueError, message: /Invalid options: 3/, call: (t) => matmul(t.A!, t.B!, 3 as unknown as object) },
    { desc: "disposed operand", error: DisposedError, message: /B: Tensor\(f32, \[4, 2\]\) was used after dispose/, call: (t) => (t.B!.disposed || t.B!.dispose(), gemm(t.A!, t.B!, t.C!)) },
  ];

  it.each(cases)("$desc: throws $error.name and changes nothing", ({ error, message, call }) => {
    rt.scope(() => {
      const t: Record<string, Tensor> = {
        A: rt.fromArray(uniformArray(12, 1), [3, 4]),
        B: rt.fromArray(uniformArray(8, 2), [4, 2]),
        B52: rt.tensor([5, 2]),
        B64: rt.tensor([4, 2], { dtype: "f64" }),
        Bi32: rt.tensor([4, 2], { dtype: "i32" }),
        bi32: rt.tensor([2], { dtype: "i32" }),
        C: rt.fromArray([1, 2, 3, 4, 5, 6], [3, 2]),
        C23: rt.fromArray([1, 2, 3, 4, 5, 6], [2, 3]),
        S: rt.fromArray([1, 2, 3, 4], [2, 2]),
        v: rt.tensor([4]),
      };
      const stats = rt.memoryStats();
      expect(() => call(t)).toThrow(error);
      expect(() => call(t)).toThrow(message);
      expect(t.C!.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(t.C23!.toArray()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(t.S!.toArray()).toEqual([1, 2, 3, 4]);
      expect(rt.memoryStats().liveTensors, "no scratch left behind").toBe(stats.liveTensors - (t.B!.disposed ? 1 : 0));
    });
  });

  it("tensors of another runtime are refused", async () => {
    const { initSyncWithTwins } = await import("../helpers/runtime");
    const other = initSyncWithTwins({ backend: rt.backend });
    rt.scope(() => {
      const A = rt.fromArray([1, 2, 3, 4], [2, 2]);
      const B = other.fromArray([1, 2, 3, 4], [2, 2]);
      const C = rt.fromArray([9, 9, 9, 9], [2, 2]);
      expect(() => gemm(A, B, C)).toThrow(/A and B belong to different runtimes/);
      expect(() => gemm(A, A, other.tensor([2, 2]))).toThrow(/C belongs to a different runtime/);
      expect(C.toArray()).toEqual([9, 9, 9, 9]);
    });
  });
});
