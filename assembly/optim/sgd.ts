// Stochastic gradient descent (Goodfellow et al. 2016, Algorithm 8.1) and its momentum
// forms (Algorithms 8.2 and 8.3), fused into one pass:
//   x = prologue(g, theta)                (see prologue.ts; theta0 = pScale * theta)
//   SGD:       theta <- theta0 + c * x                     (c = -lr)
//   momentum:  b <- mu * b + k * x;  theta <- theta0 + a * b + c * x
// The facade chooses (k, a, c) for the convention:
//   book (Alg. 8.2, lr inside the velocity):       k = -lr, a = 1,        c = 0
//   book Nesterov (Alg. 8.3, look-ahead iterate):  k = -lr, a = mu,       c = -lr
//   PyTorch / tfjs (lr outside the buffer):         k = 1 - dampening, a = -lr, c = 0
//   PyTorch / tfjs Nesterov:                        k = 1,  a = -lr * mu, c = -lr
// and PyTorch's first step b = g is mu = 0, k = 1.
// Memory contract: every buffer holds n elements of T, 16-byte aligned, pairwise disjoint.

import { momentumS, momentumV } from "./prologue";
import { update } from "./stream";

// The rule for update<T, R> (stream.ts): state b; coefficients mu, k, a, c; switch MOMENTUM.
@unmanaged
class Sgd<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta: v128, x: v128, b: usize, _s1: usize, _s2: usize,
    mu: T, k: T, a: T, c: T, _c4: T, _c5: T, _c6: T, _c7: T, MOMENTUM: bool, _B: bool,
  ): v128 {
    if (MOMENTUM) theta = momentumV<T>(b + at, theta, x, mu, k, a);
    return v128.add<T>(theta, v128.mul<T>(v128.splat<T>(c), x));
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta: T, x: T, b: usize, _s1: usize, _s2: usize,
    mu: T, k: T, a: T, c: T, _c4: T, _c5: T, _c6: T, _c7: T, MOMENTUM: bool, _B: bool,
  ): T {
    if (MOMENTUM) theta = momentumS<T>(b + at, theta, x, mu, k, a);
    return theta + c * x;
  }
}

export function f32_sgd_step(p: usize, g: usize, n: i32, c: f32, gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32): void {
  update<f32, Sgd<f32>>(p, g, 0, 0, 0, n, 0, 0, 0, c, 0, 0, 0, 0, gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_sgd_step(p: usize, g: usize, n: i32, c: f64, gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64): void {
  update<f64, Sgd<f64>>(p, g, 0, 0, 0, n, 0, 0, 0, c, 0, 0, 0, 0, gradScale, clip, l2, l1, pScale, false, false);
}

export function f32_momentum_step(
  p: usize, g: usize, b: usize, n: i32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, Sgd<f32>>(p, g, b, 0, 0, n, mu, k, a, c, 0, 0, 0, 0, gradScale, clip, l2, l1, pScale, true, false);
}

export function f64_momentum_step(
  p: usize, g: usize, b: usize, n: i32, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, Sgd<f64>>(p, g, b, 0, 0, n, mu, k, a, c, 0, 0, 0, 0, gradScale, clip, l2, l1, pScale, true, false);
}
