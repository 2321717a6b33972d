// GELU, x Phi(x) (Hendrycks and Gimpel, 2016), exact or in its tanh approximation, and its
// backward; both evaluated in f64 from the f32 input and rounded once:
//   exact:  y = x Phi(x),  Phi(x) = erfc(-x / sqrt 2) / 2
//           dy/dx = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
//   tanh:   y = x (1 + tanh u) / 2 = x s,  u = sqrt(2 / pi) (x + 0.044715 x^3),  s = sigmoid(2u)
//           dy/dx = s + 2 x s (1 - s) du/dx,  du/dx = sqrt(2 / pi) (1 + 3 * 0.044715 x^2)
// (1 + tanh u) / 2 = sigmoid(2u) is used because 1 + tanh u cancels for large negative u.
// erfc is Numerical Recipes' erfcc (Chebyshev fit, relative error below 1.2e-7 everywhere, so
// Phi keeps its relative accuracy in the far left tail). Blocks of four f32 are evaluated as two
// f64x2 halves with the v128 exp of ../math/exp (within 1 f64 ulp of Math.exp); the scalar tail
// performs the same operations per element. The backward accumulates dx += dy * fl32(slope) in
// f32, as the other activations do.
// Memory contract: arrays hold n f32 each; y may alias x.

import { F32, blockedLength } from "../simd";
import { expF64, expF64x2 } from "../math/exp";
import { demotePair, promoteHigh } from "../math/widen";

const SQRT_HALF: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;
const SQRT_2_OVER_PI: f64 = 0.7978845608028654;
const CUBIC: f64 = 0.044715;
const E0: f64 = -1.26551223;
const E1: f64 = 1.00002368;
const E2: f64 = 0.37409196;
const E3: f64 = 0.09678418;
const E4: f64 = -0.18628806;
const E5: f64 = 0.27886807;
const E6: f64 = -1.13520398;
const E7: f64 = 1.48851587;
const E8: f64 = -0.82215223;
const E9: f64 = 0.17087277;

/** erfc(z), relative error < 1.2e-7 (Numerical Recipes, 2nd ed., 6.2). */
// @ts-ignore: decorator
@inline
function erfc(z: f64): f64 {
  const a = Math.abs(z);
  const t = 1 / (1 + 0.5 * a);
  const p = E0 + t * (E1 + t * (E2 + t * (E3 + t * (E4 + t * (E5 + t * (E6 + t * (E7 + t * (E8 + t * E9))))))));
  const r = t * expF64(-a * a + p);
  return z >= 0 ? r : 2 - r;
}

/** erfc on both f64 lanes: the operations of erfc(). */
// @ts-ignore: decorator
@inline
function erfcF64x2(z: v128): v128 {
  const one = f64x2.splat(1);
  const a = f64x2.abs(z);
  const t = f64x2.div(one, f64x2.add(one, f64x2.mul(f64x2.splat(0.5), a)));
  let p = f64x2.add(f64x2.splat(E8), f64x2.mul(t, f64x2.splat(E9)));
  p = f64x2.add(f64x2.splat(E7), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(E6), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(E5), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(E4), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(E3), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(E2), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(E1), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(E0), f64x2.mul(t, p));
  const r = f64x2.mul(t, expF64x2(f64x2.add(f64x2.mul(f64x2.neg(a), a), p)));
  return v128.bitselect(r, f64x2.sub(f64x2.splat(2), r), f64x2.ge(z, f64x2.splat(0)));
}

/** sigmoid(2u), from exp(-|2u|), which cannot overflow. */
// @ts-ignore: decorator
@inline
function tanhGate(x: f64): f64 {
  const z = 2 * SQRT_2_OVER_PI * (x + CUBIC * x * x * x);
  const q = expF64(-Math.abs(z));
  return z >= 0 ? 1 / (1 + q) : q / (1 + q);
}

/** tanhGate on both f64 lanes: the operations of tanhGate(). */
// @ts-ignore: decorator
@inline
function tanhGateF64x2(x: v128): v128 {
  const cube = f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(CUBIC), x), x), x);
  const z = f64x2.mul(f64x2.splat(2 * SQRT_2_OVER_PI), f64x2.add(x, cube));
  const q = expF64x2(f64x2.neg(f64x2.abs(z)));
  const one = f64x2.splat(1);
  const onePlusQ = f64x2.add(one, q);
  return v128.bitselect(f64x2.div(one, onePlusQ), f64x2.div(q, onePlusQ), f64x2.ge(z, f64x2.splat(0)));
}

/** x Phi(x) (or x sigmoid(2u)) on both f64 lanes. */
// @ts-ignore: decorator
@inline
function geluF64x2(v: v128, approximate: i32): v128 {
  const gate = approximate ? tanhGateF64x2(v) : f64x2.mul(f64x2.splat(0.5), erfcF64x2(f64x2.mul(f64x2.neg(v), f64x2.splat(SQRT_HALF))));
  return f64x2.mul(v, gate);
}

/** gelu'(x) on both f64 lanes: the operations of slope(). */
// @ts-ignore: decorator
@inline
function slopeF64x2(v: v128, approximate: i32): v128 {
  const one = f64x2.splat(1);
  if (approximate) {
    const s = tanhGateF64x2(v);
    const du = f64x2.mul(f64x2.splat(SQRT_2_OVER_PI), f64x2.add(one, f64x2.mul(f64x2.mul(f64x2.splat(3 * CUBIC), v), v)));
    return f64x2.add(s, f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(2), v), f64x2.mul(s, f64x2.sub(one, s))), du));
  }
  const phi = f64x2.mul(f64x2.splat(INV_SQRT_2PI), expF64x2(f64x2.mul(f64x2.mul(f64x2.splat(-0.5), v), v)));
  const cdf = f64x2.mul(f64x2.splat(0.5), erfcF64x2(f64x2.mul(f64x2.neg(v), f64x2.splat(SQRT_HALF))));
  return f64x2.add(cdf, f64x2.mul(v, phi));
}

/** gelu'(x). */
// @ts-ignore: decorator
@inline
function slope(v: f64, approximate: i32): f64 {
  if (approximate) {
    const s = tanhGate(v);
    return s + 2 * v * (s * (1 - s)) * (SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v));
  }
  return 0.5 * erfc(-v * SQRT_HALF) + v * (INV_SQRT_2PI * expF64(-0.5 * v * v));
}

export function f32_gelu(y: usize, x: usize, n: i32, approximate: i32): void {
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(x + at);
    const lo = geluF64x2(f64x2.promote_low_f32x4(v), approximate);
    v128.store(y + at, demotePair(lo, geluF64x2(promoteHigh(v), approximate)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const v = <f64>load<f32>(x + at);
    const gate = approximate ? tanhGate(v) : 0.5 * erfc(-v * SQRT_HALF);
    store<f32>(y + at, <f32>(v * gate));
  }
}

export function f32_gelu_backward(dx: usize, dy: usize, x: usize, n: i32, approximate: i32): void {
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(x + at);
    const lo = slopeF64x2(f64x2.promote_low_f32x4(v), approximate);
    const s = demotePair(lo, slopeF64x2(promoteHigh(v), approximate));
    v128.store(dx + at, f32x4.add(v128.load(dx + at), f32x4.mul(v128.load(dy + at), s)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dy + at) * <f32>slope(<f64>load<f32>(x + at), approximate));
  }
}
