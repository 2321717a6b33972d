import { ShapeError, ValueError } from "../runtime/errors";
import { BATCH_NORM_STATS_ROWS } from "./stats";
import type { Runtime } from "../runtime/runtime";
import type { DType, FloatDType, Tensor } from "../runtime/tensor";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import type { Ops } from "../autodiff/ops";
import { isOps } from "../nn/module";
import { NormModule, checkBoolean, checkTraining, type ForwardOptions, type NormOptions } from "./module";

/**
 * Whose running-statistics rule to follow.
 * - 'pytorch' (torch.nn.BatchNorm*d): running <- (1 - momentum) running + momentum batch,
 *   momentum 0.1 by default (or null: the cumulative average over the batches seen), the
 *   running variance stores the unbiased batch variance (times M / (M - 1)); eps 1e-5.
 * - 'keras' (tf.keras / TensorFlow.js layers.batchNormalization): running <- momentum
 *   running + (1 - momentum) batch, momentum 0.99 by default, the running variance stores
 *   the biased batch variance; epsilon 1e-3.
 * Both normalize a training batch by its biased variance.
 */
export type BatchNormConvention = "pytorch" | "keras";

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions<D extends FloatDType = "f32"> extends NormOptions<D> {
  /**
   * Whose running-statistics rule to follow (see {@link BatchNormConvention}). Sets the defaults
   * of momentum and eps and the running-variance rule.
   * @defaultValue 'pytorch'
   */
  convention?: BatchNormConvention;
  /**
   * Weight of the running statistics' update, in the convention's sense: PyTorch weights
   * the new batch (default 0.1; null for a cumulative average), Keras the old value (0.99).
   * @defaultValue 0.1 ('pytorch'), 0.99 ('keras')
   */
  momentum?: number | null;
  /**
   * Keep running mean and variance for evaluation; default true. Without them evaluation uses batch statistics.
   * @defaultValue true
   */
  trackRunningStats?: boolean;
  /**
   * Where eps enters the scale: 'inside' the root, 1 / sqrt(var + eps) (PyTorch, Keras), or
   * 'outside', 1 / (sqrt(var) + eps): the book's sigma + delta (Goodfellow et al. 2016,
   * eq. 8.35), whose eps then defaults to the book's delta 1e-6. Training, evaluation and
   * backward all use the chosen form.
   * @defaultValue 'inside'
   */
  epsPlacement?: "inside" | "outside";
}

const BATCH_NORM_OPTIONS = optionNames<BatchNormOptions<FloatDType>>({
  eps: true, affine: true, dtype: true, convention: true, momentum: true, trackRunningStats: true, epsPlacement: true,
});

/** The book's delta, the default eps of `epsPlacement: 'outside'`. */
const BOOK_DELTA = 1e-6;


/** Defaults per convention (PyTorch 2.x docs of BatchNorm2d; tfjs-layers 4.22 BatchNormalization). */
export const BATCH_NORM_DEFAULTS: Readonly<Record<BatchNormConvention, {
  /** Default momentum, in the convention's sense. */
  momentum: number;
  /** Default eps (with epsPlacement 'inside'). */
  eps: number;
}>> = {
  pytorch: { momentum: 0.1, eps: 1e-5 },
  keras: { momentum: 0.99, eps: 1e-3 },
};

/**
 * Batch normalization, Goodfellow et al. (2016) section 8.7.1 (Ioffe & Szegedy, 2015), for
 * inputs (N, C) or (N, C, d1, d2, ...) such as NCHW images: per channel c, over the
 * M = N * d1 * d2 * ... values of the batch,
 *
 * ```text
 * mean = (1/M) sum x,   var = (1/M) sum (x - mean)^2   (biased)
 * y = gamma (x - mean) / sqrt(var + eps) + beta
 * ```
 *
 * backward(dy) returns dx by the closed form dx = gamma invstd (dy - mean(dy) - xhat
 * mean(dy xhat)) and accumulates dgamma = sum dy xhat, dbeta = sum dy into gamma.grad and
 * beta.grad. In evaluation mode (with running statistics) the statistics are constants and
 * dx = gamma dy / sqrt(runningVar + eps).
 *
 * forward() and backward() return module-owned tensors, reused by the next call (see
 * {@link NormModule}). Training with M = 1 throws: the batch variance of one value is
 * undefined.
 *
 * @example
 * const bn = new BatchNorm(rt, 64);                      // PyTorch conventions
 * const opt = new Adam(rt, bn.parameters(), { lr: 1e-3 });
 * const y = bn.forward(x, { training: true });          // x: [N, 64, H, W]
 * const dx = bn.backward(dy);                           // gamma.grad, beta.grad += ...
 * opt.step();
 */
export class BatchNorm<D extends FloatDType = "f32"> extends NormModule<D> {
  /** Whose running-statistics rule the module follows. */
  readonly convention: BatchNormConvention;
  /** Momentum in the convention's sense; null = cumulative average (PyTorch only). */
  readonly momentum: number | null;
  /** 'inside': 1 / sqrt(var + eps); 'outside': the book's 1 / (sqrt(var) + eps). */
  readonly epsPlacement: "inside" | "outside";
  /** Running mean and variance (init 0 and 1); null when not tracked. */
  readonly runningMean: Tensor<D> | null;
  /** Running variance (init 1; unbiased for 'pytorch', biased for 'keras'); null when not tracked. */
  readonly runningVar: Tensor<D> | null;
  /**
   * Training batches folded into the running statistics (the buffer `num_batches_tracked`).
   * With momentum null the next update weighs the batch 1 / (count + 1).
   * @throws {DisposedError} after dispose().
   */
  get numBatchesTracked(): number {
    return this.batchCount.data[0]!;
  }

  /** Sets the batch count (not checked: a non-integer is truncated by the i32 buffer). */
  set numBatchesTracked(count: number) {
    this.batchCount.data[0] = count;
  }

  private readonly batchCount: Tensor<"i32">;

  private readonly stats: Tensor<"f64">;
  /** Whether the last forward normalized with batch statistics (backward needs to know). */
  private batchStats = true;

  /**
   * @param numChannels - Channels C, the size of dimension 1 of the input.
   * @throws {ValueError} when `runtime` is not a Runtime, `numChannels` is not an integer >= 1, an
   *   option is unknown or invalid (convention, momentum outside [0, 1] or null with 'keras',
   *   eps, epsPlacement, dtype), or 1 / eps overflows the dtype.
   */
  constructor(
    runtime: Runtime,
    /** Channels C: the size of dimension 1 of the input. */
    readonly numChannels: number,
    options: BatchNormOptions<D> = {},
  ) {
    checkNumber("numChannels", numChannels, { integer: true, min: 1 });
    checkOptions(options, { of: "BatchNorm", known: BATCH_NORM_OPTIONS });
    const convention = options.convention ?? "pytorch";
    if (convention !== "pytorch" && convention !== "keras") {
      throw new ValueError(`Invalid convention: ${String(convention)} (expected 'pytorch' or 'keras')`);
    }
    const defaults = BATCH_NORM_DEFAULTS[convention];
    const momentum = options.momentum === undefined ? defaults.momentum : options.momentum;
    if (momentum === null) {
      if (convention !== "pytorch") throw new ValueError("Invalid momentum: null (the cumulative average is a PyTorch option)");
    } else {
      checkNumber("momentum", momentum, { min: 0, max: 1 });
    }
    const track = checkBoolean("trackRunningStats", options.trackRunningStats ?? true);
    const placement = options.epsPlacement ?? "inside";
    if (placement !== "inside" && placement !== "outside") {
      throw new ValueError(`Invalid epsPlacement: ${String(placement)} (expected 'inside' or 'outside')`);
    }
    const eps = options.eps;
    if (placement === "outside" && typeof eps === "number" && eps > 0 && !Number.isFinite((options.dtype ?? "f32") === "f32" ? Math.fround(1 / eps) : 1 / eps)) {
      // A constant channel is scaled by 1 / eps in the book's form: it must be finite in the dtype.
      throw new ValueError(`Invalid eps: ${eps} (expected 1 / eps finite in ${options.dtype ?? "f32"} with epsPlacement 'outside')`);
    }
    super(runtime, [numChannels], options, placement === "outside" ? BOOK_DELTA : defaults.eps);
    this.epsPlacement = placement;
    this.convention = convention;
    this.momentum = momentum;
    // The module owns its statistics: they outlive any scope it is made in; dispose() frees them.
    // Out of memory part-way, the constructor frees what it made (the parameters too) and throws.
    try {
      [this.runningMean, this.runningVar, this.stats, this.batchCount] = runtime.allocateOwned(() => [
        track ? runtime.tensor([numChannels], { dtype: this.dtype }) : null,
        track ? runtime.fromArray(new Array<number>(numChannels).fill(1), [numChannels], { dtype: this.dtype }) : null,
        runtime.tensor([BATCH_NORM_STATS_ROWS, numChannels], { dtype: "f64" }),
        runtime.tensor([], { dtype: "i32" }),
      ] as const);
      // PyTorch's names and order; an untracked norm saves no statistics, as in PyTorch.
      this.registerBuffer("running_mean", this.runningMean);
      this.registerBuffer("running_var", this.runningVar);
      this.registerBuffer("num_batches_tracked", track ? this.batchCount : null);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /**
   * Normalizes x ([N, C, ...]). training: batch statistics, and the running statistics
   * (when tracked) take one update step. Otherwise the running statistics, or batch
   * statistics when they are not tracked. Hand-wired (`forward(x, { training })`) it returns
   * a module-owned tensor shaped like x; through the tape (`forward(ops, x)`, the mode set by
   * train() / eval()) it runs `ops.batchNorm` on the same kernels, the gradients landing in
   * gamma.grad and beta.grad.
   * @throws {ShapeError} when x has another dtype, fewer than 2 dimensions or not numChannels channels.
   * @throws {ValueError} when x is not a Tensor of this runtime, overlaps the module's output,
   *   `training` is not a boolean, the batch has one value per channel where batch statistics are
   *   used, or, through the tape, the module is one the op cannot express: f64, the 'keras'
   *   convention, a cumulative (null) momentum or epsPlacement 'outside'.
   * @throws {DisposedError} after dispose(), or when x was disposed.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32">;
  override forward(x: Tensor<D>, options: ForwardOptions): Tensor<D>;
  override forward(x: Tensor<D> | Ops, options: unknown): Tensor<D> | Tensor<"f32"> {
    this.assertUsable();
    if (isOps(x)) return this.throughTape(x, options as Tensor<"f32">);
    const training = checkTraining(options, "BatchNorm.forward");
    const input = this.checkInput("x", x, 2);
    this.checkShape(input.shape, training);
    const [N, C, S] = this.dims(input.shape);
    this.checkForwardAliasing(input);
    const useBatch = training || this.runningMean === null;
    const y = this.workspace.get("output", input.shape, this.dtype);
    const k = this.runtime.kernels;
    const eps = this.eps;
    if (useBatch) {
      k[`${this.dtype}_batchnorm_forward`](input.ptr, y.ptr, this.scale.ptr, this.shift.ptr, this.stats.ptr, N, C, S, eps, this.bookForm());
      if (training && this.runningMean && this.runningVar) this.updateRunning(N * S);
    } else {
      k[`${this.dtype}_batchnorm_forward_eval`](
        input.ptr, y.ptr, this.scale.ptr, this.shift.ptr, this.runningMean!.ptr, this.runningVar!.ptr, this.stats.ptr, N, C, S, eps, this.bookForm(),
      );
    }
    this.input = input;
    this.batchStats = useBatch;
    return y;
  }

  /**
   * Gradient of the last forward(): returns dx (module-owned, shaped like x) and adds
   * dgamma, dbeta to gamma.grad, beta.grad.
   * @throws {StateError} before any forward().
   * @throws {ShapeError} when dy has another dtype or not the forward input's shape.
   * @throws {ValueError} when dy is not a Tensor of this runtime, or overlaps x or the parameter
   *   gradients.
   * @throws {DisposedError} after dispose(), or when dy or the forward input was disposed.
   */
  backward(dy: Tensor<D>): Tensor<D> {
    const { x, dy: grad } = this.checkGradient(dy);
    const [N, C, S] = this.dims(x.shape);
    const dx = this.workspace.get("inputGrad", x.shape, this.dtype);
    this.runtime.kernels[`${this.dtype}_batchnorm_backward`](
      x.ptr, grad.ptr, dx.ptr, this.scale.ptr, this.stats.ptr, this.scaleGrad.ptr, this.shiftGrad.ptr, N, C, S, this.batchStats ? 1 : 0,
    );
    return dx;
  }

  /** ops.batchNorm with this module's parameters, statistics and mode; counts the batch as forward(x) does. */
  private throughTape(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    const affine = this.tapeAffine();
    if (this.convention !== "pytorch" || this.momentum === null || this.epsPlacement !== "inside") {
      throw new ValueError(
        "BatchNorm through the tape takes PyTorch's running-statistics rule with a numeric momentum and eps inside the root; " +
          "this module runs hand-wired only (forward(x, { training }) and backward(dy))",
      );
    }
    const running = { runningMean: this.runningMean as Tensor<"f32"> | null, runningVar: this.runningVar as Tensor<"f32"> | null };
    const y = ops.batchNorm(x, { ...affine, ...running, momentum: this.momentum, training: this.training });
    if (this.training && this.runningMean) this.numBatchesTracked += 1;
    return y;
  }

  /** The kernels' `book` switch. */
  private bookForm(): number {
    return this.epsPlacement === "outside" ? 1 : 0;
  }

  /**
   * Batch mean and biased variance of the last forward (running statistics in evaluation), as plain arrays.
   * @throws {DisposedError} after dispose().
   */
  lastStatistics(): {
    /** Per-channel mean. */
    mean: number[];
    /** Per-channel variance: the biased batch variance, or the running variance in evaluation. */
    variance: number[];
  } {
    this.assertUsable();
    const C = this.numChannels;
    const s = this.stats.data;
    return { mean: Array.from(s.subarray(0, C)), variance: Array.from(s.subarray(C, 2 * C)) };
  }

  /**
   * Sets the running statistics back to mean 0, variance 1 and the batch count to 0.
   * @throws {DisposedError} after dispose().
   */
  resetRunningStats(): void {
    this.assertUsable();
    this.runningMean?.fill(0);
    this.runningVar?.fill(1);
    this.numBatchesTracked = 0;
  }

  protected override ownedExtras(): Tensor[] {
    // Any may be unset when the constructor failed part-way and disposes what it made.
    return [this.stats, this.runningMean, this.runningVar, this.batchCount].filter((t) => t != null) as Tensor[];
  }

  private updateRunning(M: number): void {
    this.numBatchesTracked += 1;
    let keep: number;
    let take: number;
    if (this.convention === "keras") [keep, take] = [this.momentum!, 1 - this.momentum!];
    else {
      take = this.momentum ?? 1 / this.numBatchesTracked;
      keep = 1 - take;
    }
    const varScale = this.convention === "pytorch" ? M / (M - 1) : 1;
    this.runtime.kernels[`${this.dtype}_batchnorm_update_running`](
      this.runningMean!.ptr, this.runningVar!.ptr, this.stats.ptr, this.numChannels, keep, take, varScale,
    );
  }

  protected checkShape(shape: readonly number[], training: boolean): void {
    const [N, , S] = this.dims(shape);
    if ((training || this.runningMean === null) && N * S <= 1) {
      throw new ValueError(
        `BatchNorm expected more than 1 value per channel ${training ? "when training" : "(no running statistics)"}, ` +
          `got input shape [${shape.join(", ")}]: the variance of one value is undefined`,
      );
    }
  }

  /** (N, C, S) of an input of `shape`, after checking its rank and channel dimension. */
  private dims(shape: readonly number[]): [number, number, number] {
    const [N, C] = shape as [number, number];
    if (shape.length < 2) throw new ShapeError(`Invalid x: shape [${shape.join(", ")}] (expected at least 2 dimensions)`);
    if (C !== this.numChannels) {
      throw new ShapeError(`Invalid x: shape [${shape.join(", ")}] (expected ${this.numChannels} channels in dimension 1)`);
    }
    const S = shape.slice(2).reduce((a, b) => a * b, 1);
    return [N, C, S];
  }
}
