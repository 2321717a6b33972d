import { gemm } from "../linalg/gemm";
import { ShapeError } from "../runtime/errors";
import type { Runtime } from "../runtime/runtime";
import type { Param, Tensor } from "../runtime/tensor";
import { checkNumber } from "../runtime/validate";
import { uniformFanIn, type Initializer } from "../init/initializers";
import { checkBatch, type Layer } from "./layer";
import { Workspace } from "../runtime/workspace";

export interface LinearOptions {
  /** Add a learned bias b, initialized to zero (default true; pointless right before a normalization layer). */
  bias?: boolean;
  /** Apply ReLU in the same pass (the gemm epilogue). Default false. */
  relu?: boolean;
  /**
   * Fills the weight [inFeatures, outFeatures]; default `uniformFanIn()`, U(-1/sqrt(m), 1/sqrt(m))
   * with m = inFeatures (the book's heuristic, PyTorch's default). `heUniform()` suits ReLU layers.
   */
  init?: Initializer;
  /** Seed of the initializer's Philox stream; default 0. */
  seed?: number;
}

/**
 * A fully connected layer y = x W + b (W is [in, out]), optionally followed by ReLU, all in
 * one gemm with the bias-and-ReLU epilogue. Backward (x is [batch, in], dy is [batch, out]):
 *   dy <- dy * [y > 0]          (when relu)
 *   dW += x^T dy,  db += sum over the batch of dy,  dx = dy W^T
 */
export class Linear implements Layer {
  readonly weight: Param<"f32">;
  readonly bias: Param<"f32"> | null;
  private readonly relu: boolean;
  private readonly buffers: Workspace;
  private input: Tensor<"f32"> | null = null;

  constructor(
    private readonly rt: Runtime,
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    checkNumber("inFeatures", inFeatures, { min: 1, integer: true });
    checkNumber("outFeatures", outFeatures, { min: 1, integer: true });
    // The layer owns its parameters: they outlive scopes and go with dispose().
    this.weight = rt.keep(rt.param([inFeatures, outFeatures], { init: options.init ?? uniformFanIn(), seed: options.seed ?? 0 }));
    this.bias = options.bias === false ? null : rt.keep(rt.param([outFeatures]));
    this.relu = options.relu ?? false;
    this.buffers = new Workspace(rt);
  }

  forward(x: Tensor<"f32">): Tensor<"f32"> {
    const batch = checkBatch("Linear", x, this.inFeatures);
    const y = this.buffers.get("y", [batch, this.outFeatures]);
    gemm(x, this.weight, y, { bias: this.bias, relu: this.relu });
    this.input = x;
    return y;
  }

  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    const x = this.input;
    if (!x) throw new ShapeError("Linear.backward called before forward");
    const batch = x.shape[0]!;
    checkBatch("Linear.backward", dy, this.outFeatures);
    if (dy.shape[0] !== batch) throw new ShapeError(`Linear.backward: dy has ${dy.shape[0]} rows, the input had ${batch}`);
    const k = this.rt.kernels;
    if (this.relu) k.f32_relu_backward(dy.ptr, this.buffers.get("y", [batch, this.outFeatures]).ptr, dy.length);
    gemm(x, dy, this.weight.grad, { transA: true, beta: 1 });
    if (this.bias) k.f32_add_column_sums(this.bias.grad.ptr, dy.ptr, batch, this.outFeatures);
    const dx = this.buffers.get("dx", [batch, this.inFeatures]);
    gemm(dy, this.weight, dx, { transB: true });
    return dx;
  }

  parameters(): Param<"f32">[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  dispose(): void {
    this.buffers.dispose();
    for (const p of this.parameters()) p.dispose();
  }
}
