import { optionNames } from "../runtime/validate";
import type { Tensor } from "../runtime/tensor";

/** Options of the normalization ops ({@link Ops.layerNorm}, {@link Ops.groupNorm}, {@link Ops.instanceNorm}). */
export interface NormOpOptions {
  /** Per-channel (LayerNorm: per-feature) scale; a Param to learn it. @defaultValue null (ones) */
  gamma?: Tensor<"f32"> | null;
  /** Per-channel (per-feature) shift. @defaultValue null (zeros) */
  beta?: Tensor<"f32"> | null;
  /** Added to the variance inside the square root. @defaultValue 1e-5 */
  eps?: number;
}

/** Options of {@link Ops.batchNorm}: PyTorch's conventions (torch.nn.functional.batch_norm). */
export interface BatchNormOpOptions extends NormOpOptions {
  /**
   * Batch statistics (and one update of the running statistics, when given); false: the
   * running statistics, as constants (batch statistics when there are none).
   * @defaultValue true
   */
  training?: boolean;
  /** [C] running mean, updated in place when training; give it with runningVar. @defaultValue null */
  runningMean?: Tensor<"f32"> | null;
  /** [C] running variance (of the unbiased batch variance), updated in place when training. @defaultValue null */
  runningVar?: Tensor<"f32"> | null;
  /**
   * Weight of the new batch in the running statistics:
   * ```
   * running = (1 - momentum) running + momentum batch
   * ```
   * @defaultValue 0.1
   */
  momentum?: number;
}

export const NORM_OP_OPTIONS = optionNames<NormOpOptions>({ gamma: true, beta: true, eps: true });
export const BATCH_NORM_OP_OPTIONS = optionNames<BatchNormOpOptions>({
  gamma: true, beta: true, eps: true, training: true, runningMean: true, runningVar: true, momentum: true,
});

/**
 * How an input splits for the group-norm kernels: N rows of G groups of Cg channels of S
 * elements (LayerNorm: G = 1, Cg = the normalized size, S = 1).
 */
export interface RowLayout {
  N: number;
  G: number;
  Cg: number;
  S: number;
}
