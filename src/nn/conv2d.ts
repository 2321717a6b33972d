import { checkRuntime, type Runtime } from "../runtime/runtime";
import { checkTensor, type Param, type Tensor } from "../runtime/tensor";
import { checkBoolean, checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { uniformFanIn, zeros, type Fans, type Initializer } from "../init/initializers";
import type { Ops } from "../autodiff/ops";
import type { Size2d } from "../autodiff/spatial";
import { Module } from "./module";

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Step between windows. @defaultValue 1 */
  stride?: Size2d;
  /** Zeros added on each side of the input (1 keeps a 3x3 convolution's size). @defaultValue 0 */
  padding?: Size2d;
  /**
   * Add a learned bias per output channel, initialized to zero (pointless right before a normalization layer).
   * @defaultValue true
   */
  bias?: boolean;
  /**
   * Fills the weight [outChannels, inChannels, kh, kw]. The layout is PyTorch's, so an
   * initializer that derives fans from the shape needs them given: `heUniform({ fans: Conv2d.fans(...) })`.
   * @defaultValue `uniformFanIn({ fans })`: U(-1/sqrt(m), 1/sqrt(m)), m = inChannels kh kw (PyTorch's default)
   */
  init?: Initializer;
  /**
   * Seed of the initializer's Philox stream.
   * @defaultValue `rt.nextSeed()`
   */
  seed?: number;
}

const CONV2D_OPTIONS = optionNames<Conv2dOptions>({ stride: true, padding: true, bias: true, init: true, seed: true });

/**
 * A 2-D convolution over NCHW images (torch.nn.Conv2d): x [N, inChannels, H, W] to
 * [N, outChannels, OH, OW] with a square or [kh, kw] kernel, run through the tape as
 * `ops.conv2d` (im2col + gemm). The weight is [outChannels, inChannels, kh, kw], PyTorch's
 * layout, so its state dict entries (`weight`, `bias`) need no transform.
 *
 * @example
 * const conv = new Conv2d(rt, 1, 8, 3, { padding: 1 });   // [N, 1, 28, 28] -> [N, 8, 28, 28]
 */
export class Conv2d extends Module {
  /** The kernels, [outChannels, inChannels, kh, kw] (PyTorch's layout). */
  readonly weight: Param<"f32">;
  /** One value per output channel; null with `bias: false`. */
  readonly bias: Param<"f32"> | null;
  private readonly stride: Size2d;
  private readonly padding: Size2d;

  /**
   * @throws {ValueError} for channel counts or a kernel size that are not integers >= 1, or an unknown option.
   */
  constructor(
    rt: Runtime,
    /** Channels of the input (C of NCHW). */
    readonly inChannels: number,
    /** Channels of the output: the number of kernels. */
    readonly outChannels: number,
    /** The window, square (k) or [kh, kw]. */
    readonly kernelSize: Size2d,
    options: Conv2dOptions = {},
  ) {
    super();
    checkRuntime(rt);
    checkNumber("inChannels", inChannels, { min: 1, integer: true });
    checkNumber("outChannels", outChannels, { min: 1, integer: true });
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : [kernelSize[0], kernelSize[1]];
    checkNumber("kernelSize", kh, { min: 1, integer: true });
    checkNumber("kernelSize", kw, { min: 1, integer: true });
    const o = checkOptions(options, { of: "Conv2d", known: CONV2D_OPTIONS });
    const init = o.init ?? uniformFanIn({ fans: Conv2d.fans(inChannels, outChannels, kernelSize) });
    [this.stride, this.padding] = [o.stride ?? 1, o.padding ?? 0];
    const bias = checkBoolean("bias", o.bias ?? true);
    // The layer owns its parameters: they outlive scopes and go with dispose(); all or nothing.
    [this.weight, this.bias] = rt.allocateOwned(
      () => [rt.param([outChannels, inChannels, kh, kw], { init, seed: o.seed }), bias ? rt.param([outChannels]) : null] as const,
    );
    this.registerParameter("weight", this.weight, { init });
    this.registerParameter("bias", this.bias, { init: zeros() });
  }

  /** The fans of a convolution's weight: fanIn = inChannels kh kw, fanOut = outChannels kh kw. */
  static fans(inChannels: number, outChannels: number, kernelSize: Size2d): Fans {
    const area = typeof kernelSize === "number" ? kernelSize * kernelSize : kernelSize[0] * kernelSize[1];
    return { fanIn: inChannels * area, fanOut: outChannels * area };
  }

  /**
   * The convolution of x, recorded on the tape of `ops`; gradients land in weight.grad and bias.grad.
   * @throws ShapeError for an input that is not [N, inChannels, H, W] or smaller than the kernel.
   * @throws ValueError for a stride or padding that is not an integer, or a tensor of another runtime.
   * @throws DisposedError once the layer or the input was disposed.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    this.namedParameters(); // DisposedError once disposed
    return ops.conv2d(x, this.weight, { bias: this.bias, stride: this.stride, padding: this.padding });
  }
}

/**
 * 2-D max pooling over NCHW images (torch.nn.MaxPool2d) through the tape, windows of
 * `kernelSize` that tile the input by default. No parameters.
 */
export class MaxPool2d extends Module {
  /** @param stride Step between windows; the kernel size by default. */
  constructor(
    /** The pooling window, square (k) or [kh, kw]. */
    readonly kernelSize: Size2d,
    /** Step between windows. */
    readonly stride: Size2d = kernelSize,
  ) {
    super();
  }

  /**
   * The pooled x, recorded on the tape of `ops`.
   * @throws ShapeError for an input that is not rank 4 or smaller than the window.
   * @throws ValueError for a kernel size or stride that is not an integer >= 1.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    this.namedParameters(); // DisposedError once disposed
    return ops.maxPool2d(x, this.kernelSize, { stride: this.stride });
  }
}

/** x [N, d1, d2, ...] as [N, d1 d2 ...] through the tape (torch.nn.Flatten): from feature maps to a Linear layer. */
export class Flatten extends Module {
  /**
   * The flattened x, recorded on the tape of `ops`.
   * @throws ShapeError for an input of rank < 2.
   */
  override forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32"> {
    this.namedParameters(); // DisposedError once disposed
    return ops.flatten(checkTensor("x", x) as Tensor<"f32">);
  }
}
