import { ShapeError, ValueError } from "../runtime/errors";
import { checkTensor, type Tensor } from "../runtime/tensor";
import type { Ops } from "../autodiff/ops";
import { Module } from "./module";

/**
 * A residual block y = x + f(x) (He et al., 2016): the identity path carries the signal and
 * its gradient past f, which eases the optimization of deep networks (Goodfellow et al. 2016,
 * section 8.7.5). f's parameters are named `f.<name>` in the state dict. Runs through the
 * tape: `forward(ops, x)`, f mapping x to a tensor of x's shape.
 *
 * @example
 * const block = new Residual(new Sequential([new Linear(rt, 64, 64, { relu: true }), new Linear(rt, 64, 64)]));
 */
export class Residual extends Module {
  /** @throws {ValueError} when f is not a Module. */
  constructor(
    /** The residual branch, mapping x to a tensor of x's shape. */
    readonly f: Module,
  ) {
    super();
    if (!(f instanceof Module)) throw new ValueError(`Invalid f: ${String(f)} (expected a Module)`);
  }

  /**
   * x + f(x), recorded on the tape of `ops`.
   * @throws ShapeError when f(x) does not have x's shape (or f rejects x).
   * @throws ValueError for a tensor that is not one, or of another runtime.
   * @throws DisposedError once the block or the input was disposed.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    this.namedChildren(); // DisposedError once disposed
    checkTensor("x", x);
    const fx = this.f.forward(ops, x);
    if (fx.shape.length !== x.shape.length || fx.shape.some((d, i) => d !== x.shape[i])) {
      throw new ShapeError(`Residual: f maps [${x.shape.join(", ")}] to [${fx.shape.join(", ")}]; x + f(x) needs x's shape`);
    }
    return ops.add(x, fx);
  }
}
