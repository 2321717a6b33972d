// L-BFGS-B's search direction for box constraints l <= x <= u (Byrd, Lu, Nocedal & Zhu 1995;
// Morales & Nocedal 2011): the generalized Cauchy point along the projected gradient path, then
// the quasi-Newton minimizer over the variables it left free, in kernels (assembly/minimize/
// lbfgsb.ts). The pairs (s, y) live in L-BFGS's ring buffers; this class adds the m x m products
// S'S and S'Y the compact form needs, updated by three matrix-vector products per stored pair.
import type { Tensor } from "../runtime/tensor";
import { LBFGS, type DirectionHost } from "./directions";

type Vec = Tensor<"f64">;

/** What the kernels report of the subspace step: 2 means K was singular and xbar = xcp. */
const SUBSPACE_SINGULAR = 2;

/**
 * d = xbar - x, xbar the L-BFGS-B point (inside the box); maxStep() is the longest feasible step
 * along d (at least 1). With no pairs yet (first iteration, after a reset) B = I: the first trial
 * step is min(1, 1/|d|) unless every variable has both bounds, as in L-BFGS-B.
 */
export class BoundedLBFGS extends LBFGS {
  private readonly SS: Vec;
  private readonly SY: Vec;
  private readonly column: Vec;
  private readonly M: Vec;
  private readonly A: Vec;
  private readonly work: Vec;
  private readonly xcp: Vec;
  /** Scratch for the kernels: breakpoints, heap and path direction, then reduced gradient and mask. */
  private readonly scratch: Vec;
  private readonly boxed: boolean;
  private feasible = Infinity;

  constructor(host: DirectionHost, private readonly box: { lower: Vec; upper: Vec }) {
    super(host);
    const { rt, n } = host;
    const m = this.m;
    const vec = (length: number) => rt.tensor([length], { dtype: "f64" });
    this.SS = vec(m * m);
    this.SY = vec(m * m);
    this.column = vec(m);
    this.M = vec(4 * m * m);
    this.A = vec(4 * m * m);
    this.work = vec(8 * m);
    this.xcp = vec(n);
    this.scratch = vec(3 * n);
    this.boxed = box.lower.data.every(Number.isFinite) && box.upper.data.every(Number.isFinite);
  }

  override compute(): number {
    const { d, n, rt } = this.s;
    const k = rt.kernels;
    const { lower, upper } = this.box;
    const count = this.count;
    const oldest = (this.newest - count + 1 + this.m) % this.m;
    const theta = 1 / this.gamma;
    if (!this.factorMiddle(count, oldest, theta)) {
      this.reset(); // S'S singular to working precision: start again from B = I, as L-BFGS-B does
      return this.compute();
    }
    const [t, heap, dir] = [0, 1, 2].map((j) => this.scratch.ptr + j * n * 8) as [number, number, number];
    k.f64_lbfgsb_cauchy(
      this.xcp.ptr, this.s.xPtr, this.s.gPtr, lower.ptr, upper.ptr, this.S.ptr, this.Y.ptr, this.M.ptr,
      this.work.ptr, t, heap, dir, this.m, count, oldest, n, theta,
    );
    const code = k.f64_lbfgsb_subspace(
      d.ptr, this.s.xPtr, this.s.gPtr, this.xcp.ptr, lower.ptr, upper.ptr, this.S.ptr, this.Y.ptr, this.M.ptr,
      this.SS.ptr, this.SY.ptr, this.A.ptr, this.work.ptr, t, heap, this.m, count, oldest, n, theta,
    );
    if (code === SUBSPACE_SINGULAR && count > 0) {
      this.reset();
      return this.compute();
    }
    this.feasible = k.f64_box_max_step(this.s.xPtr, d.ptr, lower.ptr, upper.ptr, n);
    if (count > 0 || this.boxed) return 1;
    return Math.min(1, 1 / k.f64_nrm2(d.ptr, n));
  }

  maxStep(): number {
    return this.feasible;
  }

  /** M = [[-D, L'], [L, theta S'S]]^-1 for the stored pairs; false when it is singular. */
  private factorMiddle(count: number, oldest: number, theta: number): boolean {
    if (count === 0) return true;
    const k = this.s.rt.kernels;
    k.f64_lbfgsb_middle(this.A.ptr, this.SS.ptr, this.SY.ptr, this.m, count, oldest, theta);
    k.f64_scaled_identity(this.M.ptr, 2 * count, 1);
    return k.f64_gauss_solve(this.A.ptr, this.M.ptr, 2 * count, 2 * count) === 0;
  }

  /** Row and column `row` of S'S and S'Y for the pair just stored in ring row `row`. */
  protected override stored(row: number): void {
    const { n, rt } = this.s;
    const k = rt.kernels;
    const { m } = this;
    const sRow = this.S.ptr + row * n * 8;
    const yRow = this.Y.ptr + row * n * 8;
    k.f64_gemv(this.SS.ptr + row * m * 8, this.S.ptr, sRow, m, n, 1); // s_j's_r
    k.f64_gemv(this.SY.ptr + row * m * 8, this.Y.ptr, sRow, m, n, 1); // s_r'y_j
    k.f64_gemv(this.column.ptr, this.S.ptr, yRow, m, n, 1); // s_j'y_r
    const f64 = rt.heap.f64;
    const [SS, SY, col] = [this.SS.ptr >>> 3, this.SY.ptr >>> 3, this.column.ptr >>> 3];
    for (let j = 0; j < m; j++) {
      f64[SS + j * m + row] = f64[SS + row * m + j]!;
      f64[SY + j * m + row] = f64[col + j]!;
    }
  }
}
