import { ShapeError, ValueError } from "../runtime/errors";
import type { Tensor } from "../runtime/tensor";
import { checkNumber, optionNames } from "../runtime/validate";

/** A size along height and width: one number for both, or `[height, width]`. */
export type Size2d = number | readonly [number, number];

/** Options of {@link Ops.conv2d}. */
export interface Conv2dOpOptions {
  /** F values added to every position of output channel f. @defaultValue null (no bias) */
  bias?: Tensor<"f32"> | null;
  /** Step between windows. @defaultValue 1 */
  stride?: Size2d;
  /** Zeros added on each side of the input. @defaultValue 0 */
  padding?: Size2d;
  /** Spacing between the kernel's taps (1: adjacent). @defaultValue 1 */
  dilation?: Size2d;
}

/** Options of {@link Ops.maxPool2d} and {@link Ops.avgPool2d}. */
export interface Pool2dOpOptions {
  /** Step between windows. @defaultValue the kernel size (windows that tile the input) */
  stride?: Size2d;
  /** Added on each side, at most half the kernel; it never wins a max and counts as zeros in an average. @defaultValue 0 */
  padding?: Size2d;
}

export const CONV2D_OPTIONS = optionNames<Conv2dOpOptions>({ bias: true, stride: true, padding: true, dilation: true });
export const POOL2D_OPTIONS = optionNames<Pool2dOpOptions>({ stride: true, padding: true });

/** The sizes of one convolution or pooling over an [N, C, H, W] input. */
export interface Window2d {
  N: number;
  C: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  OH: number;
  OW: number;
}

/** [height, width] of a Size2d, each an integer >= min. */
export function pairOf(name: string, value: Size2d, min: number): [number, number] {
  const pair = typeof value === "number" ? [value, value] : Array.isArray(value) && value.length === 2 ? value : null;
  if (pair === null) throw new ValueError(`Invalid ${name}: ${String(value)} (expected an integer or [height, width])`);
  return [checkNumber(name, pair[0], { integer: true, min }), checkNumber(name, pair[1], { integer: true, min })];
}

/**
 * The window geometry of `op` over input x [N, C, H, W] with a kh x kw kernel; output size
 * floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1 (PyTorch's), at least 1.
 */
export function window2d(
  op: string, x: Tensor, [kh, kw]: [number, number], stride: Size2d, padding: Size2d, dilation: Size2d,
): Window2d {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [sh, sw] = pairOf("stride", stride, 1);
  const [ph, pw] = pairOf("padding", padding, 0);
  const [dh, dw] = pairOf("dilation", dilation, 1);
  if (N * C * H * W === 0) throw new ShapeError(`${op}: the input ${x.describe()} is empty`);
  const OH = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (OH < 1 || OW < 1) {
    throw new ShapeError(`${op}: a ${kh} x ${kw} window (dilation ${dh} x ${dw}) does not fit the input ${x.describe()} padded by ${ph} x ${pw}`);
  }
  return { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW };
}

/** The kernels' geometry arguments N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW. */
export function convArgs(g: Window2d) {
  return [g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW] as const;
}

/** The pooling kernels' geometry arguments NC, H, W, kh, kw, sh, sw, ph, pw, OH, OW. */
export function poolArgs(g: Window2d) {
  return [g.N * g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW] as const;
}
