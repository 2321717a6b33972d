import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { checkFloatTensor, type FloatDType, type Tensor } from "../runtime/tensor";
import { runtimeOf, type Runtime } from "../runtime/runtime";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { poolOf } from "../runtime/pool";
import { overlaps } from "../runtime/overlap";

/** Options of {@link gemm}; every one is optional. */
export interface GemmOptions {
  /**
   * Use A^T in place of A (A is then k x m). Default false.
   * @defaultValue false
   */
  transA?: boolean;
  /**
   * Use B^T in place of B (B is then n x k). Default false.
   * @defaultValue false
   */
  transB?: boolean;
  /**
   * Scale of the product. Default 1. alpha = 0 does not read A or B.
   * @defaultValue 1
   */
  alpha?: number;
  /**
   * Scale of C's old contents. Default 0: C is overwritten and never read (NaN in C is ignored).
   * @defaultValue 0
   */
  beta?: number;
  /**
   * A row of n values ([n] or [1, n]) added to every row of the result (a Linear layer's bias).
   * @defaultValue null (none)
   */
  bias?: Tensor | null;
  /**
   * Apply ReLU, max(x, 0), to the result on the way out. Default false.
   * @defaultValue false
   */
  relu?: boolean;
}

/** Options of {@link matmul}: those of {@link gemm} that make sense for a fresh C. */
export type MatmulOptions = Omit<GemmOptions, "beta">;

const MATMUL_OPTIONS = optionNames<MatmulOptions>({ transA: true, transB: true, alpha: true, bias: true, relu: true });
const GEMM_OPTIONS = [...MATMUL_OPTIONS, "beta"];

/** The validated shape of one product. */
interface GemmPlan {
  rt: Runtime;
  dtype: FloatDType;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  bias: Tensor | null;
  relu: boolean;
}

function checkMatrix(name: string, value: unknown): Tensor<FloatDType> {
  const t = checkFloatTensor(name, value);
  if (t.shape.length !== 2) throw new ShapeError(`${name} must be a matrix (rank 2), got shape [${t.shape.join(", ")}]`);
  return t;
}

function checkFlag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new ValueError(`Invalid ${name}: ${String(value)} (expected a boolean)`);
  return value;
}

/** "A^T [m, k]": an operand as it enters the product, for error messages. */
function opShape(name: string, t: Tensor, trans: boolean): string {
  return `${name}${trans ? "^T" : ""} [${(trans ? [...t.shape].reverse() : t.shape).join(", ")}]`;
}

/** Checks operands and options of C <- alpha op(A) op(B) + beta C; C is null for matmul. */
function plan(A: unknown, B: unknown, C: unknown, options: GemmOptions): GemmPlan {
  checkOptions(options, { of: "gemm", known: GEMM_OPTIONS });
  const a = checkMatrix("A", A);
  const b = checkMatrix("B", B);
  const rt = runtimeOf(a);
  if (b.runtime !== rt) throw new ValueError("A and B belong to different runtimes (create both with the same rt)");
  if (b.dtype !== a.dtype) throw new ShapeError(`A is ${a.dtype} but B is ${b.dtype} (expected one dtype)`);
  const transA = checkFlag("transA", options.transA);
  const transB = checkFlag("transB", options.transB);
  const relu = checkFlag("relu", options.relu);
  const alpha = checkNumber("alpha", options.alpha ?? 1);
  const beta = checkNumber("beta", options.beta ?? 0);
  const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (kb !== k) {
    throw new ShapeError(`Inner dimensions differ: ${opShape("A", a, transA)} times ${opShape("B", b, transB)}`);
  }
  if (C !== null) {
    const c = checkMatrix("C", C);
    if (c.runtime !== rt) throw new ValueError("C belongs to a different runtime than A and B");
    if (c.dtype !== a.dtype) throw new ShapeError(`C is ${c.dtype} but A and B are ${a.dtype}`);
    if (c.shape[0] !== m || c.shape[1] !== n) {
      throw new ShapeError(`C has shape [${c.shape.join(", ")}], expected [${m}, ${n}] for ${opShape("A", a, transA)} times ${opShape("B", b, transB)}`);
    }
    if (overlaps(c, a) || overlaps(c, b)) throw new ValueError("C overlaps A or B (the product cannot be computed in place)");
  }
  let bias: Tensor | null = null;
  if (options.bias !== undefined && options.bias !== null) {
    bias = checkFloatTensor("bias", options.bias);
    if (bias.runtime !== rt) throw new ValueError("bias belongs to a different runtime than A and B");
    if (bias.dtype !== a.dtype) throw new ShapeError(`bias is ${bias.dtype} but A and B are ${a.dtype}`);
    const rowShaped = bias.shape.length === 1 || (bias.shape.length === 2 && bias.shape[0] === 1);
    if (!rowShaped || bias.length !== n) {
      throw new ShapeError(`bias has shape [${bias.shape.join(", ")}], expected [${n}] or [1, ${n}]`);
    }
    if (C !== null && overlaps(C as Tensor, bias)) throw new ValueError("C overlaps bias");
  }
  return { rt, dtype: a.dtype, m, n, k, transA, transB, alpha, beta, bias, relu };
}

/**
 * Each thread gets at least this many flops (2mnk), about 150 microseconds of work at 55
 * GFLOP/s, so waking a worker (a futex round trip, tens of microseconds when cores are
 * busy) stays a small fraction; smaller products run on the calling thread alone.
 */
const MIN_FLOPS_PER_THREAD = 1 << 23;

/** A block of C: rows i0..i1, columns j0..j1. */
interface Part {
  i0: number;
  i1: number;
  j0: number;
  j1: number;
}

/**
 * Splits C into at most `threads` blocks along its longer side, at multiples of 8 (whole
 * microkernel tiles). Every element of C is computed by the same arithmetic whichever
 * block it falls in, so the result does not depend on the split.
 */
function split(m: number, n: number, k: number, threads: number): Part[] {
  const useful = Math.max(1, Math.min(threads, Math.floor((2 * m * n * k) / MIN_FLOPS_PER_THREAD)));
  const byColumns = n >= m;
  const extent = byColumns ? n : m;
  const step = Math.ceil(extent / useful / 8) * 8;
  const parts: Part[] = [];
  for (let start = 0; start < extent; start += step) {
    const end = Math.min(extent, start + step);
    parts.push(byColumns ? { i0: 0, i1: m, j0: start, j1: end } : { i0: start, i1: end, j0: 0, j1: n });
  }
  return parts.length ? parts : [{ i0: 0, i1: m, j0: 0, j1: n }];
}

/** Runs a validated product on the runtime's backend; the facade never touches elements. */
function run(p: GemmPlan, A: Tensor, B: Tensor, C: Tensor): void {
  const { rt, m, n, k } = p;
  const f32 = p.dtype === "f32";
  const kernels = rt.kernels;
  const pool = poolOf(rt);
  const parts = pool ? split(m, n, k, pool.threads) : null;
  if (!parts || parts.length === 1) {
    // One thread: no part bookkeeping on the path small products take.
    const bytes = f32 ? kernels.f32_gemm_workspace(m, n, k) : kernels.f64_gemm_workspace(m, n, k);
    const work = bytes > 0 ? rt.tensor([Math.ceil(bytes / 4)]) : null;
    try {
      const gemmKernel = f32 ? kernels.f32_gemm : kernels.f64_gemm;
      gemmKernel(
        p.transA ? 1 : 0, p.transB ? 1 : 0, m, n, k, p.alpha, A.ptr, A.shape[1]!, B.ptr, B.shape[1]!,
        p.beta, C.ptr, n, p.bias ? p.bias.ptr : 0, p.relu ? 1 : 0, work ? work.ptr : 0,
      );
    } finally {
      work?.dispose();
    }
    return;
  }
  const workspace = f32 ? kernels.f32_gemm_workspace : kernels.f64_gemm_workspace;
  const workBytes = parts.map(({ i0, i1, j0, j1 }) => Math.ceil(workspace(i1 - i0, j1 - j0, k) / 16) * 16);
  const total = workBytes.reduce((x, y) => x + y, 0);
  const work = total > 0 ? rt.tensor([total / 4]) : null;
  try {
    const sz = f32 ? 4 : 8;
    const [lda, ldb, ldc] = [A.shape[1]!, B.shape[1]!, n];
    let workAt = work ? work.ptr : 0;
    const args = parts.map(({ i0, i1, j0, j1 }, index) => {
      const a = A.ptr + (p.transA ? i0 : i0 * lda) * sz;
      const b = B.ptr + (p.transB ? j0 * ldb : j0) * sz;
      const c = C.ptr + (i0 * ldc + j0) * sz;
      const bias = p.bias ? p.bias.ptr + j0 * sz : 0;
      const at = workAt;
      workAt += workBytes[index]!;
      return [p.transA ? 1 : 0, p.transB ? 1 : 0, i1 - i0, j1 - j0, k, p.alpha, a, lda, b, ldb, p.beta, c, ldc, bias, p.relu ? 1 : 0, at];
    });
    pool!.run(f32 ? "f32_gemm" : "f64_gemm", args);
  } finally {
    work?.dispose();
  }
}

/**
 * General matrix multiply (BLAS gemm) on row-major matrices, in place in C:
 *
 * ```text
 * C <- relu?( alpha * op(A) op(B) + beta * C + bias )
 * ```
 *
 * op(X) is X, or X^T with `transX: true`; op(A) is m x k, op(B) k x n, C m x n. As in BLAS,
 * beta = 0 (the default) overwrites C without reading it, so NaN or garbage in C is
 * ignored, and alpha = 0 does not read A or B. `bias` (n values) and `relu` fuse a Linear
 * layer's epilogue into the same pass. A, B, C and bias must come from one runtime and
 * share a dtype ('f32' or 'f64'); C must not overlap A, B or bias. Everything is checked
 * before C is written: a throwing call changes nothing.
 *
 * @returns C
 * @example
 * const rt = initSync();
 * const A = rt.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
 * const B = rt.fromArray([1, 0, 0, 1, 1, 1], [3, 2]);
 * const C = rt.tensor([2, 2]);
 * gemm(A, B, C); // C = [[4, 5], [10, 11]]
 * gemm(A, B, C, { alpha: 2, beta: -1 }); // C = [[4, 5], [10, 11]] again: 2AB - C
 *
 * @throws {@link ShapeError} when the shapes of A, B, C or the bias do not fit.
 * @throws {@link ValueError} for operands of different dtypes or runtimes, C overlapping A or B, or bad options.
 * @throws {@link DisposedError} when an operand was disposed.
 */
export function gemm<T extends Tensor>(A: T, B: T, C: T, options: GemmOptions = {}): T {
  if (C === null) throw new ValueError("Invalid C: null (expected a Tensor)"); // null means "allocate" to plan()
  const p = plan(A, B, C, options);
  run(p, A, B, C);
  return C;
}

/**
 * op(A) op(B) (+ bias, relu) into a new m x n tensor of A's runtime and dtype: the
 * allocating form of {@link gemm} with beta = 0.
 *
 * @example
 * const y = matmul(x, w, { bias: b, relu: true }); // a Linear + ReLU layer, x [batch, in], w [in, out]
 *
 * @throws {@link ShapeError} when the inner dimensions differ.
 * @throws {@link ValueError} for operands of different dtypes or runtimes, or bad options.
 * @throws {@link DisposedError} when an operand was disposed.
 */
export function matmul<T extends Tensor>(A: T, B: T, options: MatmulOptions = {}): T {
  const p = plan(A, B, null, { ...checkOptions(options, { of: "matmul", known: MATMUL_OPTIONS }), beta: 0 });
  const C = p.rt.tensor([p.m, p.n], { dtype: p.dtype }) as T;
  try {
    run(p, A, B, C);
  } catch (error) {
    C.dispose();
    throw error;
  }
  return C;
}
