import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { groupNormStatsLength } from "./stats";
import type { Runtime } from "../runtime/runtime";
import type { DType, FloatDType, Tensor } from "../runtime/tensor";
import { checkNumber, checkOptions } from "../runtime/validate";
import type { Ops } from "../autodiff/ops";
import { isOps } from "../nn/module";
import { NormModule, NORM_OPTIONS, checkTraining, type ForwardOptions, type NormOptions } from "./module";

/** How an input splits into R = N * G rows of Cg channels of S elements each. */
interface RowLayout {
  N: number;
  G: number;
  Cg: number;
  S: number;
}

/**
 * The normalizations that take statistics per sample rather than per batch: each row
 * (sample n, group g) of L = Cg * S elements is normalized by its own mean and biased
 * variance, then scaled and shifted per channel:
 *
 * ```text
 * y = gamma[ch] (x - mean_row) / sqrt(var_row + eps) + beta[ch]
 * ```
 *
 * Training and evaluation compute the same thing (no running statistics), so forward()'s
 * options are optional. backward(dy) returns dx and accumulates dgamma, dbeta. One kernel
 * pair (`<dtype>_groupnorm_forward/backward`) serves LayerNorm, InstanceNorm and GroupNorm;
 * they differ only in how the input splits into rows. Outputs are module-owned, as for
 * every {@link NormModule}.
 */
export abstract class RowNorm<D extends FloatDType = "f32"> extends NormModule<D> {
  /**
   * Normalizes x: through the tape (`forward(ops, x)`) with the matching norm op, the gradients
   * landing in gamma.grad and beta.grad; hand-wired (`forward(x)`) into a module-owned tensor
   * shaped like x.
   * @throws {ValueError} through the tape for an f64 module (the ops are f32); also when x is not
   *   a Tensor of this runtime, overlaps the module's output, `training` is not a boolean, or
   *   (InstanceNorm) there is one spatial element per channel.
   * @throws {ShapeError} when x has another dtype or a shape the module does not take.
   * @throws {DisposedError} after dispose(), or when x was disposed.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32">;
  override forward(x: Tensor<D>, options?: ForwardOptions): Tensor<D>;
  override forward(x: Tensor<D> | Ops, options?: unknown): Tensor<D> | Tensor<"f32"> {
    this.assertUsable();
    if (isOps(x)) return this.throughTape(x, options as Tensor<"f32">);
    if (options !== undefined) checkTraining(options, `${this.constructor.name}.forward`);
    const input = this.checkInput("x", x, 1);
    const { N, G, Cg, S } = this.layout(input.shape);
    this.checkForwardAliasing(input);
    const y = this.workspace.get("output", input.shape, this.dtype);
    const stats = this.workspace.get("stats", [groupNormStatsLength(N, G, Cg)], "f64");
    this.runtime.kernels[`${this.dtype}_groupnorm_forward`](input.ptr, y.ptr, this.scale.ptr, this.shift.ptr, stats.ptr, N, G, Cg, S, this.eps);
    this.input = input;
    return y;
  }

  /**
   * Gradient of the last forward(): returns dx (module-owned) and adds dgamma, dbeta to the Params' grads.
   * @throws {StateError} before any forward().
   * @throws {ShapeError} when dy has another dtype or not the forward input's shape.
   * @throws {ValueError} when dy is not a Tensor of this runtime, or overlaps x or the parameter gradients.
   * @throws {DisposedError} after dispose(), when dy or the forward input was disposed, or when the
   *   statistics of forward() were freed by the end of the scope it ran in.
   */
  backward(dy: Tensor<D>): Tensor<D> {
    const { x, dy: grad } = this.checkGradient(dy);
    const { N, G, Cg, S } = this.layout(x.shape);
    const stats = this.workspace.find("stats");
    if (stats === null) {
      throw new DisposedError(
        `${this.constructor.name}.backward(): the statistics of forward() were freed (by the end of the rt.scope it ran in); run forward() again`,
      );
    }
    const dx = this.workspace.get("inputGrad", x.shape, this.dtype);
    this.runtime.kernels[`${this.dtype}_groupnorm_backward`](
      x.ptr, grad.ptr, dx.ptr, this.scale.ptr, stats.ptr, this.scaleGrad.ptr, this.shiftGrad.ptr, N, G, Cg, S,
    );
    return dx;
  }

  protected checkShape(shape: readonly number[]): void {
    this.layout(shape);
  }

  /** The module's norm op on the tape. */
  protected abstract throughTape(ops: Ops, x: Tensor<"f32">): Tensor<"f32">;

  /** The split of an input of `shape` into rows, after checking the shape against the module. */
  protected abstract layout(shape: readonly number[]): RowLayout;
}


/** (N, C, S) of an input [N, C, d1, ...] whose channel dimension must be C. */
function channelsFirst(shape: readonly number[], C: number, owner: string): { N: number; S: number } {
  if (shape.length < 2 || shape[1] !== C) {
    throw new ShapeError(`Invalid x for ${owner}: shape [${shape.join(", ")}] (expected [N, ${C}, ...])`);
  }
  return { N: shape[0]!, S: shape.slice(2).reduce((a, b) => a * b, 1) };
}

/**
 * Layer normalization (Ba, Kiros & Hinton, 2016): each sample normalized over its trailing
 * `normalizedShape` features, with gamma and beta of that shape (PyTorch's
 * `elementwise_affine`, here `affine`). eps defaults to 1e-5 (PyTorch; Keras uses 1e-3).
 *
 * @example
 * const ln = new LayerNorm(rt, 512);
 * const y = ln.forward(x);          // x: [batch, tokens, 512]
 */
export class LayerNorm<D extends FloatDType = "f32"> extends RowNorm<D> {
  /** The trailing dimensions each sample is normalized over; also the shape of gamma and beta. */
  readonly normalizedShape: readonly number[];

  /**
   * @param normalizedShape - The trailing dimensions to normalize over: a size or a list of sizes.
   * @throws {ValueError} when `runtime` is not a Runtime, `normalizedShape` is not a size or a
   *   non-empty list of integers >= 1, or an option is unknown or invalid (eps, affine, dtype).
   */
  constructor(runtime: Runtime, normalizedShape: number | readonly number[], options: NormOptions<D> = {}) {
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : null;
    if (!Array.isArray(shape) || shape.length === 0) {
      throw new ValueError(`Invalid normalizedShape: ${String(normalizedShape)} (expected a size or a non-empty list of sizes)`);
    }
    shape.forEach((d) => checkNumber("normalizedShape", d, { integer: true, min: 1 }));
    checkOptions(options, { of: "LayerNorm", known: NORM_OPTIONS });
    super(runtime, shape, options, 1e-5);
    this.normalizedShape = shape;
  }

  protected throughTape(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    return ops.layerNorm(x, this.normalizedShape, this.tapeAffine());
  }

  protected layout(shape: readonly number[]): RowLayout {
    const k = this.normalizedShape.length;
    const tail = shape.slice(shape.length - k);
    if (shape.length < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(`Invalid x for LayerNorm: shape [${shape.join(", ")}] (expected trailing dimensions [${this.normalizedShape.join(", ")}])`);
    }
    const D = this.scale.length;
    return { N: shape.reduce((a, b) => a * b, 1) / D, G: 1, Cg: D, S: 1 };
  }
}

/**
 * Group normalization (Wu & He, 2018): the C channels of each sample split into numGroups
 * groups of C / numGroups channels, each group normalized over its channels and spatial
 * positions; gamma and beta per channel. eps 1e-5, affine by default (PyTorch).
 */
export class GroupNorm<D extends FloatDType = "f32"> extends RowNorm<D> {
  /**
   * @throws {ValueError} when `runtime` is not a Runtime, `numGroups` or `numChannels` is not an
   *   integer >= 1, `numGroups` does not divide `numChannels`, or an option is unknown or invalid.
   */
  constructor(
    runtime: Runtime,
    /** Groups G the channels split into; each group is normalized on its own. */
    readonly numGroups: number,
    /** Channels C: the size of dimension 1 of the input. */
    readonly numChannels: number,
    options: NormOptions<D> = {},
  ) {
    checkNumber("numGroups", numGroups, { integer: true, min: 1 });
    checkNumber("numChannels", numChannels, { integer: true, min: 1 });
    if (numChannels % numGroups !== 0) {
      throw new ValueError(`Invalid numGroups: ${numGroups} (expected a divisor of numChannels = ${numChannels})`);
    }
    checkOptions(options, { of: "GroupNorm", known: NORM_OPTIONS });
    super(runtime, [numChannels], options, 1e-5);
  }

  protected throughTape(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    return ops.groupNorm(x, this.numGroups, this.tapeAffine());
  }

  protected layout(shape: readonly number[]): RowLayout {
    const { N, S } = channelsFirst(shape, this.numChannels, "GroupNorm");
    return { N, G: this.numGroups, Cg: this.numChannels / this.numGroups, S };
  }
}

/**
 * Instance normalization (Ulyanov, Vedaldi & Lempitsky, 2016): each channel of each sample
 * normalized over its spatial positions. Like PyTorch: affine false by default, eps 1e-5,
 * no running statistics, and more than one spatial element required.
 */
export class InstanceNorm<D extends FloatDType = "f32"> extends RowNorm<D> {
  /**
   * @throws {ValueError} when `runtime` is not a Runtime, `numChannels` is not an integer >= 1,
   *   or an option is unknown or invalid.
   */
  constructor(
    runtime: Runtime,
    /** Channels C: the size of dimension 1 of the input. */
    readonly numChannels: number,
    options: NormOptions<D> = {},
  ) {
    checkNumber("numChannels", numChannels, { integer: true, min: 1 });
    super(runtime, [numChannels], { ...checkOptions(options, { of: "InstanceNorm", known: NORM_OPTIONS }), affine: options.affine ?? false }, 1e-5);
  }

  protected throughTape(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    return ops.instanceNorm(x, this.tapeAffine());
  }

  protected layout(shape: readonly number[]): RowLayout {
    const { N, S } = channelsFirst(shape, this.numChannels, "InstanceNorm");
    if (S <= 1) {
      throw new ValueError(`InstanceNorm expected more than 1 spatial element per channel, got input shape [${shape.join(", ")}]`);
    }
    return { N, G: this.numChannels, Cg: 1, S };
  }
}
