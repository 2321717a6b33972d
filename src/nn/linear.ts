import { gemm } from "../linalg/gemm";
import { DisposedError, ShapeError, StateError } from "../runtime/errors";
import { checkNoOverlap } from "../runtime/overlap";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { checkShape, type Param, type Tensor } from "../runtime/tensor";
import { checkBoolean, checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { uniformFanIn, zeros, type Initializer } from "../init/initializers";
import { checkBatch, type Layer } from "./layer";
import { Workspace } from "../runtime/workspace";
import type { Ops } from "../autodiff/ops";
import { isOps, Module } from "./module";

/** Options of {@link Linear}. */
export interface LinearOptions {
  /**
   * Add a learned bias b, initialized to zero (default true; pointless right before a normalization layer).
   * @defaultValue true
   */
  bias?: boolean;
  /**
   * Apply ReLU in the same pass (the gemm epilogue). Default false.
   * @defaultValue false
   */
  relu?: boolean;
  /**
   * Fills the weight [inFeatures, outFeatures]; default `uniformFanIn()`, U(-1/sqrt(m), 1/sqrt(m))
   * with m = inFeatures (the book's heuristic, PyTorch's default). `heUniform()` suits ReLU layers.
   * @defaultValue `uniformFanIn()`
   */
  init?: Initializer;
  /**
   * Seed of the initializer's Philox stream; default `rt.nextSeed()` (see `rt.param`), a fresh
   * seed per layer derived from the runtime's seed (so two layers differ, and a model rebuilt on a runtime of
   * the same seed is identical).
   * @defaultValue `rt.nextSeed()`
   */
  seed?: number;
}

/**
 * A fully connected layer y = x W + b (W is [in, out]), optionally followed by ReLU, all in
 * one gemm with the bias-and-ReLU epilogue. Backward (x is [batch, in], dy is [batch, out]):
 * ```text
 * dy <- dy * [y > 0]          (when relu)
 * dW += x^T dy,  db += sum over the batch of dy,  dx = dy W^T
 * ```
 *
 * Aliasing: forward's x must not overlap the layer's output (a layer cannot take its own
 * output: copy it, or use a second layer); backward's dy may be forward's output y (it is
 * overwritten in place) but must not overlap x, the parameters, their gradients or the
 * layer's dx. Violations throw ValueError before anything is written.
 */
export class Linear extends Module implements Layer {
  /** The weight W, [inFeatures, outFeatures] (PyTorch stores its transpose). */
  readonly weight: Param<"f32">;
  /** The bias b, [outFeatures]; null with `bias: false`. */
  readonly bias: Param<"f32"> | null;
  private readonly relu: boolean;
  private readonly buffers: Workspace;
  private input: Tensor<"f32"> | null = null;

  /**
   * @throws {ValueError} when `rt` is not a Runtime, a feature count is not an integer >= 1, or an
   *   option is unknown or invalid.
   */
  constructor(
    private readonly rt: Runtime,
    /** Input features m: the columns of x. */
    readonly inFeatures: number,
    /** Output features: the columns of y. */
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    checkRuntime(rt);
    checkNumber("inFeatures", inFeatures, { min: 1, integer: true });
    checkNumber("outFeatures", outFeatures, { min: 1, integer: true });
    const { init = uniformFanIn(), seed, bias = true, relu = false } = checkOptions(options, { of: "Linear", known: optionNames<LinearOptions>({ init: true, seed: true, bias: true, relu: true }) });
    checkBoolean("bias", bias);
    this.relu = checkBoolean("relu", relu);
    // The layer owns its parameters: they outlive scopes and go with dispose(); all or nothing.
    [this.weight, this.bias] = rt.allocateOwned(
      () => [rt.param([inFeatures, outFeatures], { init, seed }), bias ? rt.param([outFeatures]) : null] as const,
    );
    // descend stores W as [in, out] (x W in one gemm); PyTorch stores its transpose.
    this.registerParameter("weight", this.weight, { transposed: true, init });
    this.registerParameter("bias", this.bias, { init: zeros() });
    this.buffers = new Workspace(rt);
  }

  /**
   * Through the tape (`forward(ops, x)`, inside valueAndGrad): x W + b (then ReLU) as one
   * `ops.matmul`, the gradients landing in weight.grad and bias.grad. Hand-wired
   * (`forward(x)`): the same product into the layer's own output, kept for backward().
   * @throws {ShapeError} for an input that is not f32 [batch, inFeatures].
   * @throws {ValueError} for a tensor of another runtime, or (hand-wired) an input that overlaps the layer's output.
   * @throws {DisposedError} once the layer or the input was disposed.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32">;
  override forward(x: Tensor<"f32">, options?: { training: boolean }): Tensor<"f32">;
  override forward(first: Ops | Tensor<"f32">, second?: unknown): Tensor<"f32"> {
    this.assertUsable();
    if (isOps(first)) {
      checkBatch("Linear", "x", second, this.rt, this.inFeatures);
      return first.matmul(second as Tensor<"f32">, this.weight, { bias: this.bias, relu: this.relu });
    }
    const x = first;
    checkBatch("Linear", "x", x, this.rt, this.inFeatures);
    checkNoOverlap("Linear.forward", [["y", this.buffers.find("y")]], [["x", x]]);
    const y = this.buffers.get("y", this.outputShape(x.shape));
    gemm(x, this.weight, y, { bias: this.bias, relu: this.relu });
    this.input = x;
    return y;
  }

  /**
   * The shape forward() returns for an input of `shape`.
   * @throws {ShapeError} when `shape` is not a list of sizes, or not [batch, inFeatures].
   * @throws {DisposedError} after dispose().
   */
  outputShape(shape: readonly number[]): number[] {
    this.assertUsable();
    checkShape(shape);
    if (shape.length !== 2 || shape[1] !== this.inFeatures) {
      throw new ShapeError(`Linear expects an f32 [batch, ${this.inFeatures}] input, got shape [${shape.join(", ")}]`);
    }
    return [shape[0]!, this.outFeatures];
  }

  /**
   * Gradient of the last hand-wired forward(): adds x^T dy to weight.grad and the column sums of
   * dy to bias.grad, and returns dx = dy W^T (layer-owned, reused by the next backward). With
   * relu, dy is overwritten by dy * [y > 0].
   * @throws {StateError} before any forward().
   * @throws {ShapeError} when dy is not f32 [batch, outFeatures] with forward's batch.
   * @throws {ValueError} when dy belongs to another runtime or overlaps x, the parameters or their gradients.
   * @throws {DisposedError} after dispose(), or when dy, the forward input or (with relu) its output was disposed.
   */
  backward(dy: Tensor<"f32">): Tensor<"f32"> {
    // Everything is checked before dy (overwritten by the ReLU's backward) or a gradient changes.
    this.assertUsable();
    const x = this.input;
    if (!x) throw new StateError("Linear.backward() needs a forward() first");
    if (x.disposed) throw new DisposedError("Linear.backward(): the input of forward() was disposed");
    const batch = x.shape[0]!;
    checkBatch("Linear.backward", "dy", dy, this.rt, this.outFeatures);
    if (dy.shape[0] !== batch) throw new ShapeError(`Linear.backward: dy has ${dy.shape[0]} rows, the input had ${batch}`);
    const y = this.relu ? this.buffers.find("y") : null;
    if (this.relu && (y === null || y.length !== dy.length)) {
      throw new DisposedError("Linear.backward(): the output of forward() was disposed; run forward() again");
    }
    const bias = this.bias;
    checkNoOverlap(
      "Linear.backward",
      [["dy", this.relu ? dy : null], ["weight.grad", this.weight.grad], ["bias.grad", bias?.grad], ["dx", this.buffers.find("dx")]],
      [["x", x], ["weight", this.weight], ["bias", bias], ["y", this.buffers.find("y")], ["dy", dy]],
      [["dy", "y"]],
    );
    const dx = this.buffers.get("dx", [batch, this.inFeatures]);
    const k = this.rt.kernels;
    if (y) k.f32_relu_backward(dy.ptr, y.ptr, dy.length);
    gemm(x, dy, this.weight.grad, { transA: true, beta: 1 });
    if (bias) k.f32_add_column_sums(bias.grad.ptr, dy.ptr, batch, this.outFeatures);
    gemm(dy, this.weight, dx, { transB: true });
    return dx;
  }

  /** Throws DisposedError once the layer, or its parameters (or their gradients), are freed. */
  private assertUsable(): void {
    if (this.disposed) throw new DisposedError("Linear was used after dispose()");
    for (const p of [this.weight, this.bias]) {
      if (p && (p.disposed || p.grad.disposed)) throw new DisposedError(`Linear: ${p.describe()} was used after dispose()`);
    }
  }

  /**
   * [weight, bias] (or [weight] without bias), for an optimizer.
   * @throws {DisposedError} after dispose().
   */
  override parameters(): Param<"f32">[] {
    this.assertUsable();
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  /** Frees the parameters and buffers; afterwards every method but dispose() throws DisposedError. Idempotent. */
  override dispose(): void {
    if (this.disposed) return;
    this.markDisposed();
    this.buffers.dispose();
    for (const p of [this.weight, this.bias]) if (p && !p.disposed) p.dispose();
    this.input = null;
  }
}
