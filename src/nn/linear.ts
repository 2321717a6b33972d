import { gemm } from "../linalg/gemm";
import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import type { Param, Tensor } from "../runtime/tensor";
import { checkBoolean, checkNumber, checkOptions, optionNames } from "../runtime/validate";
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
    checkRuntime(rt);
    checkNumber("inFeatures", inFeatures, { min: 1, integer: true });
    checkNumber("outFeatures", outFeatures, { min: 1, integer: true });
    const { init = uniformFanIn(), seed = 0, bias = true, relu = false } = checkOptions(options, { of: "Linear", known: optionNames<LinearOptions>({ init: true, seed: true, bias: true, relu: true }) });
    checkBoolean("bias", bias);
    this.relu = checkBoolean("relu", relu);
    // The layer owns its parameters: they outlive scopes and go with dispose(); all or nothing.
    [this.weight, this.bias] = rt.allocateOwned(
      () => [rt.param([inFeatures, outFeatures], { init, seed }), bias ? rt.param([outFeatures]) : null] as const,
    );
    this.buffers = new Workspace(rt);
  }

  forward(x: Tensor<"f32">): Tensor<"f32"> {
    const batch = checkBatch("Linear", "x", x, this.rt, this.inFeatures);
    this.assertUsable();
    const y = this.buffers.get("y", [batch, this.outFeatures]);
    gemm(x, this.weight, y, { bias: this.bias, relu: this.relu });
    this.input = x;
    return y;
  }

  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    // Everything is checked before dy (overwritten by the ReLU's backward) or a gradient changes.
    const x = this.input;
    if (!x) throw new ValueError("Linear.backward() needs a forward() first");
    if (x.disposed) throw new DisposedError("Linear.backward(): the input of forward() was disposed");
    this.assertUsable();
    const batch = x.shape[0]!;
    checkBatch("Linear.backward", "dy", dy, this.rt, this.outFeatures);
    if (dy.shape[0] !== batch) throw new ShapeError(`Linear.backward: dy has ${dy.shape[0]} rows, the input had ${batch}`);
    const y = this.relu ? this.buffers.find("y") : null;
    if (this.relu && (y === null || y.length !== dy.length)) {
      throw new DisposedError("Linear.backward(): the output of forward() was disposed; run forward() again");
    }
    const dx = this.buffers.get("dx", [batch, this.inFeatures]);
    const k = this.rt.kernels;
    if (y) k.f32_relu_backward(dy.ptr, y.ptr, dy.length);
    gemm(x, dy, this.weight.grad, { transA: true, beta: 1 });
    if (this.bias) k.f32_add_column_sums(this.bias.grad.ptr, dy.ptr, batch, this.outFeatures);
    gemm(dy, this.weight, dx, { transB: true });
    return dx;
  }

  /** Throws DisposedError once the layer's parameters (or their gradients) are freed. */
  private assertUsable(): void {
    for (const p of this.parameters()) {
      if (p.disposed || p.grad.disposed) throw new DisposedError(`Linear: ${p.describe()} was used after dispose()`);
    }
  }

  parameters(): Param<"f32">[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  dispose(): void {
    this.buffers.dispose();
    for (const p of this.parameters()) if (!p.disposed) p.dispose();
  }
}
