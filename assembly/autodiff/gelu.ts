// GELU, x Phi(x) (Hendrycks and Gimpel, 2016), exact or in its tanh approximation, and its
// backward; both evaluated in f64 from the f32 input and rounded once:
//   exact:  y = x Phi(x),  Phi(x) = erfc(-x / sqrt 2) / 2
//           dy/dx = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
//   tanh:   y = x (1 + tanh u) / 2 = x s,  u = sqrt(2 / pi) (x + 0.044715 x^3),  s = sigmoid(2u)
//           dy/dx = s + 2 x s (1 - s) du/dx,  du/dx = sqrt(2 / pi) (1 + 3 * 0.044715 x^2)
// (1 + tanh u) / 2 = sigmoid(2u) is used because 1 + tanh u cancels for large negative u.
// erfc is Numerical Recipes' erfcc (Chebyshev fit, relative error below 1.2e-7 everywhere, so
// Phi keeps its relative accuracy in the far left tail). Scalar: wasm has no vector exp. The
// backward accumulates dx += dy * fl32(slope) in f32, as the other activations do.
// Memory contract: arrays hold n f32 each; y may alias x.

import { F32 } from "../simd";

const SQRT_HALF: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;
const SQRT_2_OVER_PI: f64 = 0.7978845608028654;
const CUBIC: f64 = 0.044715;

/** erfc(z), relative error < 1.2e-7 (Numerical Recipes, 2nd ed., 6.2). */
// @ts-ignore: decorator
@inline
function erfc(z: f64): f64 {
  const a = Math.abs(z);
  const t = 1 / (1 + 0.5 * a);
  const p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-a * a + p);
  return z >= 0 ? r : 2 - r;
}

/** sigmoid(2u) and sigmoid(2u)(1 - sigmoid(2u)), from exp(-|2u|), which cannot overflow. */
// @ts-ignore: decorator
@inline
function tanhGate(x: f64): f64 {
  const z = 2 * SQRT_2_OVER_PI * (x + CUBIC * x * x * x);
  const q = Math.exp(-Math.abs(z));
  return z >= 0 ? 1 / (1 + q) : q / (1 + q);
}

export function f32_gelu(y: usize, x: usize, n: i32, approximate: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i * F32;
    const v = <f64>load<f32>(x + at);
    const gate = approximate ? tanhGate(v) : 0.5 * erfc(-v * SQRT_HALF);
    store<f32>(y + at, <f32>(v * gate));
  }
}

export function f32_gelu_backward(dx: usize, dy: usize, x: usize, n: i32, approximate: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i * F32;
    const v = <f64>load<f32>(x + at);
    let slope: f64;
    if (approximate) {
      const s = tanhGate(v);
      slope = s + 2 * v * (s * (1 - s)) * (SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v));
    } else {
      slope = 0.5 * erfc(-v * SQRT_HALF) + v * (INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    }
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dy + at) * <f32>slope);
  }
}
