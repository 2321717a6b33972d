import fc from "fast-check";
import { initSyncWithTwins } from "../../helpers/runtime";
import type { Runtime } from "../../../src/runtime/runtime";
import { buffer, floats, kernelProperty, lengths, withRuns, type BufferCase, type KernelCase, type KernelProperty } from "./harness";

/**
 * GEMM and the multiply-add peak (assembly/linalg/) against their twins. The wasm kernels may
 * fuse multiply-adds (the relaxed build) and f32 gemm accumulates in f32, while the twin sums
 * in f64 and rounds once; so each element of C gets its own bound, derived from the operation
 * and the case's inputs (see `gemmBounds`).
 */

const UNIT = { f32: 2 ** -24, f64: 2 ** -53 };
/** Largest error of one multiplication that underflows (half the smallest subnormal), padded to it. */
const ETA = { f32: 2 ** -149, f64: 2 ** -1074 };
const gamma = (n: number, u: number) => (n * u) / (1 - n * u);

/** The depth of the k loop per pass over C (the driver's KC): a longer k takes several passes. */
const KC = { f32: 256, f64: 128 };
/** Column blocks (NC) and row blocks (MC) of the driver, and its widest C read without packing A. */
const NC = { f32: 1024, f64: 512 };
const MC = { f32: 128, f64: 96 };
const DIRECT_A_MAX_N = 128;

interface GemmScalars {
  transA: number;
  transB: number;
  m: number;
  n: number;
  k: number;
  alpha: number;
  lda: number;
  ldb: number;
  beta: number;
  ldc: number;
  bias: number;
  relu: number;
  /** Bytes of the work buffer: what the wasm f*_gemm_workspace asks for. */
  workBytes: number;
}

let sizing: Runtime | null = null;
/** The wasm kernel's workspace size (the work buffer is exactly that: its guards catch overruns). */
function workspaceBytes(type: "f32" | "f64", m: number, n: number, k: number): number {
  sizing ??= initSyncWithTwins({ backend: "wasm" });
  return sizing.kernels[`${type}_gemm_workspace`](m, n, k);
}

/**
 * Shapes reaching every path of the driver: all edges of the 4 x 8 (f32) and 4 x 4 (f64) tiles;
 * C wider than 128 columns (A then packed, not read in place); more rows than one MC block;
 * more columns than one NC block; k deeper than one KC pass (beta applied on the first pass
 * only, bias and ReLU on the last).
 */
function shapes(type: "f32" | "f64"): fc.Arbitrary<{ m: number; n: number; k: number }> {
  const range = (min: number, max: number) => fc.integer({ min, max });
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ m: lengths(70), n: lengths(70), k: lengths(70) }) },
    { weight: 1, arbitrary: fc.record({ m: range(1, 9), n: range(DIRECT_A_MAX_N + 1, DIRECT_A_MAX_N + 20), k: range(0, 12) }) },
    { weight: 1, arbitrary: fc.record({ m: range(MC[type] + 1, MC[type] + 12), n: range(1, 12), k: range(0, 12) }) },
    { weight: 1, arbitrary: fc.record({ m: range(1, 5), n: range(NC[type] + 1, NC[type] + 12), k: range(0, 5) }) },
    { weight: 1, arbitrary: fc.record({ m: range(1, 9), n: range(1, 12), k: range(KC[type] + 1, KC[type] + 20) }) },
  );
}

/** A row-major rows x cols matrix stored with leading dimension ld (the last row unpadded). */
const stored = (rows: number, cols: number, ld: number) => (rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols);

function gemmCases(type: "f32" | "f64"): fc.Arbitrary<KernelCase<GemmScalars>> {
  // f32: operands up to 1e15 and alpha, beta up to 1e3 keep every partial sum below f32's
  // overflow threshold, which the twin's f64 sums would not reach (1e30 operands would overflow
  // the wasm's f32 products: a legitimate difference). f64: the whole edge-value range.
  const [operand, scalar, addend] =
    type === "f32" ? [floats(type, { max: 1e15 }), floats(type, { max: 1e3 }), floats(type)] : [floats(type), floats(type), floats(type)];
  const pad = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }));
  return fc
    .record({
      shape: shapes(type),
      transA: fc.constantFrom(0, 1),
      transB: fc.constantFrom(0, 1),
      pads: fc.tuple(pad, pad, pad),
      alpha: fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: fc.constantFrom(0, -0, 1, -1) }),
      beta: fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 3, arbitrary: fc.constantFrom(0, 1, -0) }),
      bias: fc.constantFrom(0, 1),
      relu: fc.constantFrom(0, 1),
    })
    .chain(({ shape: { m, n, k }, transA, transB, pads, alpha, beta, bias, relu }) => {
      const [aRows, aCols] = transA ? [k, m] : [m, k];
      const [bRows, bCols] = transB ? [n, k] : [k, n];
      const [lda, ldb, ldc] = [Math.max(1, aCols + pads[0]), Math.max(1, bCols + pads[1]), Math.max(1, n + pads[2])];
      const workBytes = workspaceBytes(type, m, n, k);
      // Operands that must not be read are NaN: A and B when alpha = 0, C when beta = 0.
      const poisoned = (unread: boolean, values: fc.Arbitrary<number>) => (unread ? fc.constant(NaN) : values);
      return fc.record({
        buffers: fc.record({
          A: buffer(type, stored(aRows, aCols, lda), poisoned(alpha === 0, operand)),
          B: buffer(type, stored(bRows, bCols, ldb), poisoned(alpha === 0, operand)),
          C: buffer(type, stored(m, n, ldc), poisoned(beta === 0, addend)),
          bias: buffer(type, n, addend),
          // 16-byte aligned, as the kernel's memory contract requires.
          work: buffer(type, Math.ceil(workBytes / (type === "f32" ? 4 : 8)), fc.constant(0)).map((b): BufferCase => ({ ...b, offset: 0 })),
        }),
        scalars: fc.constant({ transA, transB, m, n, k, alpha, lda, ldb, beta, ldc, bias, relu, workBytes }),
      });
    });
}

/**
 * Per element of C: the wasm kernel sums k products in f32 (f64) with or without fused
 * multiply-adds, in blocks of KC, then scales by alpha and adds beta C and the bias: at most
 * N = k + 3 + (passes over k) roundings on the path of any term, so (Higham eq. 3.5) it is
 * within gamma_N M of the exact value, M = |alpha| sum_p |a_ip b_pj| + |beta c_ij| + |bias_j|
 * (one rounding more is counted: M is formed from exact, not rounded, products).
 * The twin is within gamma_{k+3} M in f64, plus one rounding to f32 (u M). Underflows add at
 * most one eta per product (scaled by alpha) and per later multiplication. ReLU is 1-Lipschitz.
 * Elements of C's padding (ldc > n) must stay untouched: bound 0.
 */
function gemmBounds(type: "f32" | "f64", c: KernelCase<GemmScalars>): number[] {
  const s = c.scalars;
  const [A, B, C, bias] = [c.buffers.A!.values, c.buffers.B!.values, c.buffers.C!.values, c.buffers.bias!.values];
  const u = UNIT[type];
  const passes = Math.max(1, Math.ceil(s.k / KC[type]));
  const relative = gamma(s.k + 4 + passes, u) + gamma(s.k + 3, UNIT.f64) + (type === "f32" ? u : 0);
  const underflow = ETA[type] * (Math.abs(s.alpha) * s.k + 2 * passes + 3) + ETA.f64 * (Math.abs(s.alpha) * s.k + 3);
  const bounds = new Array<number>(C.length).fill(0);
  const opA = (i: number, p: number) => A[s.transA ? p * s.lda + i : i * s.lda + p]!;
  const opB = (p: number, j: number) => B[s.transB ? j * s.ldb + p : p * s.ldb + j]!;
  for (let i = 0; i < s.m; i++) {
    for (let j = 0; j < s.n; j++) {
      let magnitude = 0;
      if (s.alpha !== 0) {
        let sum = 0;
        for (let p = 0; p < s.k; p++) sum += Math.abs(opA(i, p) * opB(p, j));
        magnitude += Math.abs(s.alpha) * sum;
      }
      if (s.beta !== 0) magnitude += Math.abs(s.beta * C[i * s.ldc + j]!);
      if (s.bias) magnitude += Math.abs(bias[j]!);
      bounds[i * s.ldc + j] = relative * magnitude + underflow;
    }
  }
  return bounds;
}

/**
 * f32_madd_peak: 48 accumulators acc_j = floor(j / 4), acc <- acc a + b `iterations` times.
 * The wasm may fuse (one rounding per step), the twin rounds twice: with t_i the twin's value,
 * the two differ by B_i <= |a| B_{i-1} + 4u (|a| (|t_{i-1}| + B_{i-1}) + |b|) + 2 eta, B_0 = 0.
 */
function peakBounds(c: KernelCase<{ iterations: number; a: number; b: number }>): number[] {
  const { iterations, a, b } = c.scalars;
  const u = UNIT.f32;
  return Array.from({ length: 48 }, (_, j) => {
    let t = Math.floor(j / 4);
    let bound = 0;
    for (let i = 0; i < iterations; i++) {
      bound = Math.abs(a) * bound + 4 * u * (Math.abs(a) * (Math.abs(t) + bound) + Math.abs(b)) + 2 * ETA.f32;
      t = Math.fround(Math.fround(t * a) + b);
    }
    return bound;
  });
}

export const LINALG: KernelProperty[] = withRuns([
  ...(["f32", "f64"] as const).map((type) =>
    kernelProperty({
      name: `${type} gemm: C = relu?(alpha op(A) op(B) + beta C + bias), transposes, leading dimensions, unaligned operands`,
      kernels: [`${type}_gemm`, `${type}_gemm_workspace`],
      cases: gemmCases(type),
      call: (k, p, s) => {
        const need = k[`${type}_gemm_workspace`](s.m, s.n, s.k);
        if (need > s.workBytes) throw new Error(`${type}_gemm_workspace(${s.m}, ${s.n}, ${s.k}) = ${need} bytes, above ${s.workBytes}`);
        k[`${type}_gemm`](
          s.transA, s.transB, s.m, s.n, s.k, s.alpha, p.A!, s.lda, p.B!, s.ldb, s.beta, p.C!, s.ldc, s.bias ? p.bias! : 0, s.relu, p.work!,
        );
      },
      tolerance: (c) => ({ C: { bounds: gemmBounds(type, c) } }),
      ignore: ["work"], // scratch (the twin needs none)
      numRuns: 150,
    }),
  ),
  kernelProperty({
    // |a| <= 1.5 and |b| <= 1e25 keep 40 steps of acc a + b below f32's overflow threshold.
    name: "f32 madd_peak: 48 chains acc <- acc a + b, fused or not",
    kernels: ["f32_madd_peak"],
    cases: fc.record({
      buffers: fc.record({ out: buffer("f32", 48, floats("f32")) }),
      scalars: fc.record({ iterations: fc.integer({ min: 0, max: 40 }), a: floats("f32", { max: 1.5 }), b: floats("f32", { max: 1e25 }) }),
    }),
    call: (k, p, s) => k.f32_madd_peak(p.out!, s.iterations, s.a, s.b),
    tolerance: (c) => ({ out: { bounds: peakBounds(c) } }),
  }),
], 100);
