// tanh and the logistic sigmoid, with backward passes from the forward output y:
//   tanh:    y = sign(x) (1 - q) / (1 + q),  q = exp(-2|x|)  (f64, rounded once; y = x for
//            |x| < 2^-12, where x^3 / 3 is below half an f32 ulp and 1 - q would cancel)
//            dx += dy (1 - y^2)
//   sigmoid: y = 1 / (1 + exp(-x)) = exp(x) / (1 + exp(x)),  dx += dy y (1 - y)
// The exps come from ../math/exp: tanh's on f64x2 halves of four f32, sigmoid's in f32x4 (within
// an f32 ulp); the scalar tails perform the same operations. The backwards are v128 f32.
// Memory contract: arrays hold n f32 each; y may alias x.

import { F32, blockedLength } from "../simd";
import { expF32, expF32x4, expF64, expF64x2 } from "../math/exp";
import { demotePair, promoteHigh } from "../math/widen";

/** Below this |x|, fl32(tanh x) = x. */
const TANH_LINEAR: f64 = 0.000244140625; // 2^-12

/** tanh(v) in f64. */
// @ts-ignore: decorator
@inline
function tanhF64(v: f64): f64 {
  const a = Math.abs(v);
  const q = expF64(-2 * a);
  return a < TANH_LINEAR ? v : copysign<f64>((1 - q) / (1 + q), v);
}

/** tanh on both f64 lanes: the operations of tanhF64(). */
// @ts-ignore: decorator
@inline
function tanhF64x2(v: v128): v128 {
  const one = f64x2.splat(1);
  const a = f64x2.abs(v);
  const q = expF64x2(f64x2.mul(f64x2.splat(-2), a));
  const t = f64x2.div(f64x2.sub(one, q), f64x2.add(one, q));
  const sign = f64x2.splat(-0.0);
  return v128.bitselect(v, v128.or(v128.andnot(t, sign), v128.and(v, sign)), f64x2.lt(a, f64x2.splat(TANH_LINEAR)));
}

export function f32_tanh(y: usize, x: usize, n: i32): void {
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(x + at);
    v128.store(y + at, demotePair(tanhF64x2(f64x2.promote_low_f32x4(v)), tanhF64x2(promoteHigh(v))));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(y + at, <f32>tanhF64(<f64>load<f32>(x + at)));
  }
}

export function f32_tanh_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(y + at);
    const slope = f32x4.sub(one, f32x4.mul(v, v));
    v128.store(dx + at, f32x4.add(v128.load(dx + at), f32x4.mul(v128.load(dy + at), slope)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const v = load<f32>(y + at);
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dy + at) * (1 - v * v));
  }
}

/** exp is taken of -|x| only, so it never overflows: e^x / (1 + e^x) for x < 0 keeps tiny results. */
export function f32_sigmoid(y: usize, x: usize, n: i32): void {
  const one = f32x4.splat(1);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(x + at);
    const e = expF32x4(f32x4.neg(f32x4.abs(v)));
    const onePlusE = f32x4.add(one, e);
    v128.store(y + at, v128.bitselect(f32x4.div(e, onePlusE), f32x4.div(one, onePlusE), f32x4.lt(v, f32x4.splat(0))));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const v = load<f32>(x + at);
    const e = expF32(-Mathf.abs(v));
    store<f32>(y + at, v < 0 ? e / (1 + e) : 1 / (1 + e));
  }
}

export function f32_sigmoid_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(y + at);
    const slope = f32x4.mul(v, f32x4.sub(one, v));
    v128.store(dx + at, f32x4.add(v128.load(dx + at), f32x4.mul(v128.load(dy + at), slope)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const v = load<f32>(y + at);
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dy + at) * (v * (1 - v)));
  }
}
