import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { Tensor, type DType } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";

/** Options of {@link gemm}; every one is optional. */
export interface GemmOptions {
  /** Use A^T in place of A (A is then k x m). Default false. */
  transA?: boolean;
  /** Use B^T in place of B (B is then n x k). Default false. */
  transB?: boolean;
  /** Scale of the product. Default 1. alpha = 0 does not read A or B. */
  alpha?: number;
  /** Scale of C's old contents. Default 0: C is overwritten and never read (NaN in C is ignored). */
  beta?: number;
  /** A row of n values ([n] or [1, n]) added to every row of the result (a Linear layer's bias). */
  bias?: Tensor | null;
  /** Apply ReLU, max(x, 0), to the result on the way out. Default false. */
  relu?: boolean;
}

/** Options of {@link matmul}: those of {@link gemm} that make sense for a fresh C. */
export type MatmulOptions = Omit<GemmOptions, "beta">;

/** The validated shape of one product. */
interface GemmPlan {
  rt: Runtime;
  dtype: DType;
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

function checkTensor(name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new ValueError(`Invalid ${name}: ${String(value)} (expected a Tensor)`);
  if (value.disposed) throw new DisposedError(`${name}: ${value.describe()} was used after dispose()`);
  return value;
}

function checkMatrix(name: string, value: unknown): Tensor {
  const t = checkTensor(name, value);
  if (t.shape.length !== 2) throw new ShapeError(`${name} must be a matrix (rank 2), got shape [${t.shape.join(", ")}]`);
  return t;
}

function checkFlag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new ValueError(`Invalid ${name}: ${String(value)} (expected a boolean)`);
  return value;
}

const overlaps = (x: Tensor, y: Tensor) => x.ptr < y.ptr + y.byteLength && y.ptr < x.ptr + x.byteLength;

/** Checks operands and options of C <- alpha op(A) op(B) + beta C; C is null for matmul. */
function plan(A: unknown, B: unknown, C: unknown, options: GemmOptions): GemmPlan {
  if (options === null || typeof options !== "object") throw new ValueError(`Invalid options: ${String(options)} (expected an object)`);
  const a = checkMatrix("A", A);
  const b = checkMatrix("B", B);
  const rt = a.runtime;
  if (b.runtime !== rt) throw new ValueError("A and B belong to different runtimes (create both with the same rt)");
  if (b.dtype !== a.dtype) throw new ShapeError(`A is ${a.dtype} but B is ${b.dtype} (expected one dtype)`);
  const transA = checkFlag("transA", options.transA);
  const transB = checkFlag("transB", options.transB);
  const relu = checkFlag("relu", options.relu);
  const alpha = checkNumber("alpha", options.alpha ?? 1);
  const beta = checkNumber("beta", options.beta ?? 0);
  const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  const opShape = (name: string, t: Tensor, trans: boolean) => `${name}${trans ? "^T" : ""} [${trans ? [...t.shape].reverse().join(", ") : t.shape.join(", ")}]`;
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
    bias = checkTensor("bias", options.bias);
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

/** Runs a validated product on the runtime's backend; the facade never touches elements. */
function run(p: GemmPlan, A: Tensor, B: Tensor, C: Tensor): void {
  const { rt, m, n, k } = p;
  const f32 = p.dtype === "f32";
  const bytes = f32 ? rt.kernels.f32_gemm_workspace(m, n, k) : rt.kernels.f64_gemm_workspace(m, n, k);
  const work = bytes > 0 ? rt.tensor([Math.ceil(bytes / 4)]) : null;
  try {
    const gemmKernel = f32 ? rt.kernels.f32_gemm : rt.kernels.f64_gemm;
    gemmKernel(
      p.transA ? 1 : 0, p.transB ? 1 : 0, m, n, k,
      p.alpha, A.ptr, A.shape[1]!, B.ptr, B.shape[1]!,
      p.beta, C.ptr, n, p.bias ? p.bias.ptr : 0, p.relu ? 1 : 0, work ? work.ptr : 0,
    );
  } finally {
    work?.dispose();
  }
}

/**
 * General matrix multiply (BLAS gemm) on row-major matrices, in place in C:
 *
 *   C <- relu?( alpha * op(A) op(B) + beta * C + bias )
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
 */
export function gemm<T extends Tensor>(A: T, B: T, C: T, options: GemmOptions = {}): T {
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
 */
export function matmul<T extends Tensor>(A: T, B: T, options: MatmulOptions = {}): T {
  const p = plan(A, B, null, { ...options, beta: 0 });
  const C = p.rt.tensor([p.m, p.n], { dtype: p.dtype }) as T;
  try {
    run(p, A, B, C);
  } catch (error) {
    C.dispose();
    throw error;
  }
  return C;
}
