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

import { bytes, gradS, gradV, isPlain, lanes, momentumS, momentumV } from "./prologue";

// @ts-ignore: decorator
@inline
function sgdV<T>(
  p: usize, g: usize, b: usize, at: usize, mu: T, k: T, a: T, c: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, MOMENTUM: bool, FULL: bool,
): void {
  let pi = v128.load(p + at);
  const xi = gradV<T>(v128.load(g + at), pi, gradScale, clip, l2, l1, FULL);
  if (FULL) pi = v128.mul<T>(v128.splat<T>(pScale), pi);
  if (MOMENTUM) pi = momentumV<T>(b + at, pi, xi, mu, k, a);
  v128.store(p + at, v128.add<T>(pi, v128.mul<T>(v128.splat<T>(c), xi)));
}

// @ts-ignore: decorator
@inline
function sgdLoop<T>(
  p: usize, g: usize, b: usize, n: i32, mu: T, k: T, a: T, c: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, MOMENTUM: bool, FULL: bool,
): void {
  const L = lanes<T>();
  const blocked = n & ~(L - 1);
  const paired = n & ~(2 * L - 1); // two v128 per iteration
  let i = 0;
  for (; i < paired; i += 2 * L) {
    sgdV<T>(p, g, b, <usize>i * bytes<T>(), mu, k, a, c, gradScale, clip, l2, l1, pScale, MOMENTUM, FULL);
    sgdV<T>(p, g, b, <usize>(i + L) * bytes<T>(), mu, k, a, c, gradScale, clip, l2, l1, pScale, MOMENTUM, FULL);
  }
  if (i < blocked) {
    sgdV<T>(p, g, b, <usize>i * bytes<T>(), mu, k, a, c, gradScale, clip, l2, l1, pScale, MOMENTUM, FULL);
  }
  for (i = blocked; i < n; i++) {
    const at = <usize>i * bytes<T>();
    let pi = load<T>(p + at);
    const xi = gradS<T>(load<T>(g + at), pi, gradScale, clip, l2, l1, FULL);
    if (FULL) pi = pScale * pi;
    if (MOMENTUM) pi = momentumS<T>(b + at, pi, xi, mu, k, a);
    store<T>(p + at, pi + c * xi);
  }
}

// @ts-ignore: decorator
@inline
function sgd<T>(
  p: usize, g: usize, b: usize, n: i32, mu: T, k: T, a: T, c: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, MOMENTUM: bool,
): void {
  if (isPlain<T>(clip, l2, l1, pScale)) sgdLoop<T>(p, g, b, n, mu, k, a, c, gradScale, clip, l2, l1, pScale, MOMENTUM, false);
  else sgdLoop<T>(p, g, b, n, mu, k, a, c, gradScale, clip, l2, l1, pScale, MOMENTUM, true);
}

export function f32_sgd_step(p: usize, g: usize, n: i32, c: f32, gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32): void {
  sgd<f32>(p, g, 0, n, 0, 0, 0, c, gradScale, clip, l2, l1, pScale, false);
}

export function f64_sgd_step(p: usize, g: usize, n: i32, c: f64, gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64): void {
  sgd<f64>(p, g, 0, n, 0, 0, 0, c, gradScale, clip, l2, l1, pScale, false);
}

export function f32_momentum_step(
  p: usize, g: usize, b: usize, n: i32, mu: f32, k: f32, a: f32, c: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  sgd<f32>(p, g, b, n, mu, k, a, c, gradScale, clip, l2, l1, pScale, true);
}

export function f64_momentum_step(
  p: usize, g: usize, b: usize, n: i32, mu: f64, k: f64, a: f64, c: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  sgd<f64>(p, g, b, n, mu, k, a, c, gradScale, clip, l2, l1, pScale, true);
}
