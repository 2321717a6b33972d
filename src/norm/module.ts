import { DisposedError, ShapeError, StateError, ValueError } from "../runtime/errors";
import { checkNoOverlap } from "../runtime/overlap";
import { Param, Tensor, checkShape, sizeOf, type DType, FloatDType } from "../runtime/tensor";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { Workspace } from "../runtime/workspace";
import { Module } from "../nn/module";
import { ones as onesInit, zeros as zerosInit } from "../init/initializers";
import { checkBoolean, checkEps, checkOptions, checkTraining, LARGEST_FINITE, optionNames } from "../runtime/validate";

/** Options every normalization module shares. */
export interface NormOptions<D extends FloatDType = "f32"> {
  /**
   * Added to the variance inside the square root.
   * @defaultValue 1e-5 (BatchNorm: 1e-5 'pytorch', 1e-3 'keras')
   */
  eps?: number;
  /**
   * Learnable per-channel gamma (scale, init 1) and beta (shift, init 0) as Params that plug
   * into the optimizers. Without them the output is the plain normalized input.
   * @defaultValue true
   */
  affine?: boolean;
  /**
   * Element type of the input, output and parameters; default 'f32' (the optimizers take f32).
   * @defaultValue 'f32'
   */
  dtype?: D;
}

/** The keys of NormOptions, which LayerNorm, GroupNorm and InstanceNorm check their options against. */
export const NORM_OPTIONS = optionNames<NormOptions<FloatDType>>({ eps: true, affine: true, dtype: true });

/** Per-call options of forward(). */
export interface ForwardOptions {
  /** Training mode: batch statistics (and running-stat updates where the module keeps them). */
  training: boolean;
}

/**
 * What the normalization modules share: gamma/beta (Params when affine, constant ones and
 * zeros otherwise, so the kernels never branch), the input kept for backward, and the
 * module-owned output buffers.
 *
 * Ownership: forward() and backward() return tensors that belong to the module and are
 * reused by its next forward() / backward() of the same shape; read them (or copy them)
 * before that, and do not dispose them (if you do, or a `rt.scope` you allocated them in
 * ends, the module allocates new ones). dispose() frees everything the module holds,
 * including its Params. The input passed to forward() is read again by backward(): do not
 * change or dispose it in between.
 *
 * Aliasing: forward's x must not overlap the module's output (a module cannot normalize its
 * own output: it keeps its input for backward; use a second module for weight sharing);
 * backward's dy may be the module's previous dx (overwritten in place)
 * but must not overlap x or the parameter gradients. Violations throw ValueError before
 * anything is written. backward() before forward() throws StateError; after dispose() every
 * method but dispose() throws DisposedError.
 */
export abstract class NormModule<D extends FloatDType = "f32"> extends Module {
  /** Learnable scale, one per channel (feature for LayerNorm); null when not affine. */
  readonly gamma: Param<D> | null;
  /** Learnable shift; null when not affine. */
  readonly beta: Param<D> | null;
  /** Element type of the input, output and parameters. */
  readonly dtype: D;
  /** Added to the variance (or, BatchNorm 'outside', to the standard deviation) to keep the scale finite. */
  readonly eps: number;

  /** Tensors the kernels read as gamma/beta and accumulate into as their gradients. */
  protected readonly scale: Tensor<D>;
  protected readonly shift: Tensor<D>;
  protected readonly scaleGrad: Tensor<D>;
  protected readonly shiftGrad: Tensor<D>;

  /** The input of the last forward(), read again by backward(). */
  protected input: Tensor<D> | null = null;
  /** Module-owned output and scratch buffers, reused from call to call. */
  protected readonly workspace: Workspace;
  protected constructor(
    /** The runtime whose memory holds the parameters and the module's buffers. */
    readonly runtime: Runtime,
    paramShape: readonly number[],
    options: NormOptions<D>,
    defaultEps: number,
  ) {
    super();
    this.workspace = new Workspace(checkRuntime(runtime));
    options = checkOptions(options);
    this.dtype = (options.dtype ?? "f32") as D;
    if (this.dtype !== "f32" && this.dtype !== "f64") {
      throw new ValueError(`Invalid dtype: ${String(this.dtype)} (expected 'f32' or 'f64')`);
    }
    // invstd = 1 / sqrt(var + eps) is applied in the module's dtype: at var = 0 it must stay finite.
    const least = LARGEST_FINITE[this.dtype] ** -2;
    this.eps = checkEps(options.eps ?? defaultEps, least, `1 / sqrt(eps) overflows ${this.dtype}`);
    const affine = checkBoolean("affine", options.affine ?? true);
    const count = sizeOf(paramShape);
    const ones = new Array<number>(count).fill(1);
    // The module owns its parameters and buffers: they outlive any scope it is made or run in,
    // and dispose() frees them. Allocated all or nothing (a failure part-way frees the rest).
    if (affine) {
      [this.gamma, this.beta] = runtime.allocateOwned(() => [
        runtime.param(paramShape, { dtype: this.dtype, values: ones }),
        runtime.param(paramShape, { dtype: this.dtype }),
      ]);
      [this.scale, this.shift, this.scaleGrad, this.shiftGrad] = [this.gamma, this.beta, this.gamma.grad, this.beta.grad];
      // PyTorch's names: gamma is `weight`, beta is `bias`.
      this.registerParameter("weight", this.gamma, { init: onesInit() });
      this.registerParameter("bias", this.beta, { init: zerosInit() });
    } else {
      this.gamma = null;
      this.beta = null;
      [this.scale, this.shift, this.scaleGrad, this.shiftGrad] = runtime.allocateOwned(() => [
        runtime.fromArray(ones, paramShape, { dtype: this.dtype }),
        runtime.tensor(paramShape, { dtype: this.dtype }),
        runtime.tensor(paramShape, { dtype: this.dtype }),
        runtime.tensor(paramShape, { dtype: this.dtype }),
      ]);
    }
  }

  /**
   * The learnable Params ([gamma, beta], or [] when not affine), for an optimizer.
   * @throws {DisposedError} after dispose(), or when one of the module's tensors was disposed.
   */
  override parameters(): Param<D>[] {
    this.assertUsable();
    return this.gamma && this.beta ? [this.gamma, this.beta] : [];
  }

  /** Frees the parameters, running statistics and every buffer the module owns. Idempotent. */
  override dispose(): void {
    if (this.disposed) return;
    this.markDisposed();
    for (const t of [this.scale, this.shift, this.scaleGrad, this.shiftGrad, ...this.ownedExtras()]) {
      if (!t.disposed) t.dispose();
    }
    this.workspace.dispose();
    this.input = null;
  }

  /** Tensors a subclass owns besides the shared ones (running statistics, ...). */
  protected ownedExtras(): Tensor[] {
    return [];
  }

  /** Throws unless this module and its parameters are usable. */
  protected assertUsable(): void {
    if (this.disposed) throw new DisposedError(`${this.constructor.name} was used after dispose()`);
    for (const t of [this.scale, this.shift, this.scaleGrad, this.shiftGrad, ...this.ownedExtras()]) {
      if (t.disposed) throw new DisposedError(`${this.constructor.name}: ${t.describe()} was disposed`);
    }
  }

  /**
   * gamma, beta and eps as the tape's norm ops take them. The ops run in f32, so an f64
   * module runs hand-wired only.
   * @throws ValueError for an f64 module.
   */
  protected tapeAffine(): { gamma: Tensor<"f32"> | null; beta: Tensor<"f32"> | null; eps: number } {
    if (this.dtype !== "f32") {
      throw new ValueError(`${this.constructor.name} of dtype ${this.dtype} runs hand-wired only (forward(x) and backward(dy)): the tape's ops are f32`);
    }
    return { gamma: this.gamma as Tensor<"f32"> | null, beta: this.beta as Tensor<"f32"> | null, eps: this.eps };
  }

  /** Checks that x is a live tensor of this runtime and dtype, of rank >= minRank. */
  protected checkInput(name: string, x: unknown, minRank: number): Tensor<D> {
    if (!(x instanceof Tensor)) throw new ValueError(`Invalid ${name}: ${String(x)} (expected a Tensor)`);
    x.assertLive();
    if (x.runtime !== this.runtime) throw new ValueError(`Invalid ${name}: ${x.describe()} belongs to another runtime`);
    if (x.dtype !== this.dtype) throw new ShapeError(`Invalid ${name}: ${x.describe()} (expected dtype '${this.dtype}')`);
    if (x.shape.length < minRank) {
      throw new ShapeError(`Invalid ${name}: ${x.describe()} (expected at least ${minRank} dimensions)`);
    }
    return x as Tensor<D>;
  }

  /**
   * The shape forward() returns for an input of `shape` (the same), in the mode of `options`
   * (default evaluation); throws as forward() would for that shape.
   * @throws {ShapeError} when `shape` is not a list of sizes, or the module cannot take an input
   *   of that shape (rank, channels).
   * @throws {ValueError} when `options.training` is not a boolean, or the mode needs more than one
   *   value per normalized group.
   * @throws {DisposedError} after dispose().
   */
  outputShape(shape: readonly number[], options?: ForwardOptions): number[] {
    this.assertUsable();
    checkShape(shape);
    this.checkShape(shape, options === undefined ? false : checkTraining(options, `${this.constructor.name}.forward`));
    return [...shape];
  }

  /** Throws ShapeError or ValueError when the module cannot normalize an input of `shape` in that mode. */
  protected abstract checkShape(shape: readonly number[], training: boolean): void;

  /** Throws ValueError when x overlaps the output forward() writes (the module's own output). */
  protected checkForwardAliasing(x: Tensor<D>): void {
    checkNoOverlap(`${this.constructor.name}.forward`, [["the module's output", this.workspace.find("output")]], [["x", x]]);
  }

  /** Throws ValueError when a buffer backward() writes overlaps an operand other than dy ~ dx. */
  protected checkBackwardAliasing(x: Tensor<D>, dy: Tensor<D>): void {
    checkNoOverlap(
      `${this.constructor.name}.backward`,
      [["dx", this.workspace.find("inputGrad")], ["gamma.grad", this.scaleGrad], ["beta.grad", this.shiftGrad]],
      [["x", x], ["dy", dy], ["gamma", this.scale]],
      [["dx", "dy"]],
    );
  }

  /** Checks dy against the input of the last forward() and returns that input. */
  protected checkGradient(dy: unknown): { x: Tensor<D>; dy: Tensor<D> } {
    this.assertUsable();
    const x = this.input;
    if (x === null) throw new StateError(`${this.constructor.name}.backward() needs a forward() first`);
    if (x.disposed) throw new DisposedError(`${this.constructor.name}.backward(): the input of forward() was disposed`);
    const grad = this.checkInput("dy", dy, 1);
    if (grad.shape.length !== x.shape.length || grad.shape.some((d, i) => d !== x.shape[i])) {
      throw new ShapeError(`Invalid dy: ${grad.describe()} (expected the forward input's shape [${x.shape.join(", ")}])`);
    }
    this.checkBackwardAliasing(x, grad);
    return { x, dy: grad };
  }
}

export { checkBoolean } from "../runtime/validate";

export { checkTraining } from "../runtime/validate";
