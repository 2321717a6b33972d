// General matrix multiply, BLAS sgemm/dgemm semantics on row-major matrices:
//   C <- relu?( alpha * op(A) op(B) + beta * C + bias )
// op(A) is m x k, op(B) is k x n, C is m x n (leading dimensions lda, ldb, ldc in
// elements); op(X) = X, or X^T when transX != 0. bias (0 = none) is a row of n values added
// to every row of C; relu != 0 clamps the result at 0. beta = 0 never reads C (NaN in C is
// ignored); alpha = 0 never reads A or B.
//
// Structure (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication", 2008):
//   for jc in n by NC:            B panel, KC x NC, packed once per (jc, pc)  -> L2/L3
//     for pc in k by KC:          first block applies beta, last one bias and relu
//       for ic in m by MC:        A block, MC x KC, packed                   -> L2
//         for jr in nc by NR:     one NR-column micro-panel of B            -> L1
//           for ir in mc by MR:   the MR x NR microkernel (gemm_ukernel.ts)
// Partial tiles at the right and bottom edges run the same microkernel into a scratch tile
// and are finished by a scalar loop that rounds exactly like the vector update, so every
// element of C gets the same arithmetic wherever it falls: splitting C between threads
// gives bit-identical results.
//
// Memory contract: `work` holds f32_gemm_workspace(m, n, k) bytes (f64_gemm_workspace for
// f64), 16-byte aligned, disjoint from A, B, C and bias. C must not overlap A, B or bias.

import { ADD_BIAS, BETA_ZERO, RELU, align16 } from "./common";
import { packA, packB } from "./pack";
import { f32_ukernel_4x8, f64_ukernel_4x4 } from "./gemm_ukernel";

// Register tiles and cache blocks, per dtype. MC is a multiple of MR, NC of NR.
const MR32: i32 = 4;
const NR32: i32 = 8;
const KC32: i32 = 256;
const MC32: i32 = 128;
const NC32: i32 = 1024;

const MR64: i32 = 4;
const NR64: i32 = 4;
const KC64: i32 = 128;
const MC64: i32 = 96;
const NC64: i32 = 512;

// @ts-ignore: decorator
@inline
function roundUp(x: i32, to: i32): i32 {
  return ((x + to - 1) / to) * to;
}

/** Bytes of scratch: the packed B panel, the packed A block and one edge tile. */
// @ts-ignore: decorator
@inline
function workspace<T>(m: i32, n: i32, k: i32): i32 {
  const is32 = sizeof<T>() == 4;
  const MR = is32 ? MR32 : MR64;
  const NR = is32 ? NR32 : NR64;
  const kc = max(1, min(k, is32 ? KC32 : KC64));
  const mc = roundUp(min(max(m, 1), is32 ? MC32 : MC64), MR);
  const nc = roundUp(min(max(n, 1), is32 ? NC32 : NC64), NR);
  const sz = <usize>sizeof<T>();
  return <i32>(align16(<usize>(kc * nc) * sz) + align16(<usize>(mc * kc) * sz) + align16(<usize>(MR * NR) * sz));
}

// @ts-ignore: decorator
@inline
function ukernel<T>(kc: i32, a: usize, b: usize, out: usize, ldo: usize, alpha: T, beta: T, bias: usize, flags: i32): void {
  if (sizeof<T>() == 4) f32_ukernel_4x8(kc, a, b, out, ldo, <f32>alpha, <f32>beta, bias, flags);
  else f64_ukernel_4x4(kc, a, b, out, ldo, <f64>alpha, <f64>beta, bias, flags);
}

/** Finishes a partial tile (rows x cols of an MR x NR scratch tile holding the raw sums). */
// @ts-ignore: decorator
@inline
function edgeUpdate<T>(
  tile: usize, NR: i32, rows: i32, cols: i32, out: usize, ldo: usize, alpha: T, beta: T, bias: usize, flags: i32,
): void {
  const sz = <usize>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const src = tile + <usize>(r * NR) * sz;
    const dst = out + <usize>r * ldo;
    for (let j = 0; j < cols; j++) {
      let x: T = alpha * load<T>(src + <usize>j * sz);
      if (!(flags & BETA_ZERO)) x = x + beta * load<T>(dst + <usize>j * sz);
      if (flags & ADD_BIAS) x = x + load<T>(bias + <usize>j * sz);
      if (flags & RELU) x = max<T>(x, <T>0);
      store<T>(dst + <usize>j * sz, x);
    }
  }
}

// @ts-ignore: decorator
@inline
function gemm<T>(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: T, a: usize, lda: i32, b: usize, ldb: i32,
  beta: T, c: usize, ldc: i32, bias: usize, relu: i32, work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  const is32 = sizeof<T>() == 4;
  const MR = is32 ? MR32 : MR64;
  const NR = is32 ? NR32 : NR64;
  const KC = is32 ? KC32 : KC64;
  const MC = is32 ? MC32 : MC64;
  const NC = is32 ? NC32 : NC64;
  const sz = <usize>sizeof<T>();
  if (alpha == <T>0) k = 0; // C <- beta C (+ bias, relu): A and B are not read
  const kcMax = max(1, min(k, KC));
  const bPack = work;
  const aPack = bPack + align16(<usize>(kcMax * roundUp(min(n, NC), NR)) * sz);
  const tile = aPack + align16(<usize>(roundUp(min(m, MC), MR) * kcMax) * sz);
  const ldo = <usize>ldc * sz;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    // One pass when k = 0 (kc = 0): the microkernel then sees zero sums.
    for (let pc = 0; pc == 0 || pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const first = pc == 0;
      const last = pc + kc >= k;
      const betaBlock: T = first ? beta : <T>1;
      const flags =
        (first && beta == <T>0 ? BETA_ZERO : 0) | (last && bias != 0 ? ADD_BIAS : 0) | (last && relu != 0 ? RELU : 0);
      packB<T>(transB, b, ldb, pc, kc, jc, nc, bPack, NR);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<T>(transA, a, lda, ic, mc, pc, kc, aPack, MR);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bPanel = bPack + <usize>(jr * kc) * sz;
          const biasAt = bias + <usize>(jc + jr) * sz;
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const aPanel = aPack + <usize>(ir * kc) * sz;
            const out = c + (<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) * sz;
            if (rows == MR && cols == NR) {
              ukernel<T>(kc, aPanel, bPanel, out, ldo, alpha, betaBlock, biasAt, flags);
            } else {
              ukernel<T>(kc, aPanel, bPanel, tile, <usize>NR * sz, <T>1, <T>0, 0, BETA_ZERO);
              edgeUpdate<T>(tile, NR, rows, cols, out, ldo, alpha, betaBlock, biasAt, flags);
            }
          }
        }
      }
    }
  }
}

/** Bytes of scratch f32_gemm needs for an m x n x k product. */
export function f32_gemm_workspace(m: i32, n: i32, k: i32): i32 {
  return workspace<f32>(m, n, k);
}

/** C <- relu?(alpha op(A) op(B) + beta C + bias), f32; see the file header. */
export function f32_gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, relu: i32, work: usize,
): void {
  gemm<f32>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, work);
}

/** Bytes of scratch f64_gemm needs for an m x n x k product. */
export function f64_gemm_workspace(m: i32, n: i32, k: i32): i32 {
  return workspace<f64>(m, n, k);
}

/** C <- relu?(alpha op(A) op(B) + beta C + bias), f64; see the file header. */
export function f64_gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f64, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f64, c: usize, ldc: i32, bias: usize, relu: i32, work: usize,
): void {
  gemm<f64>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, work);
}
