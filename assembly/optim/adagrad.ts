// AdaGrad (Goodfellow et al. 2016, Algorithm 8.4; Duchi et al. 2011), fused into one pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   r <- r + x * x
//   theta <- theta0 - lr * (x / (sqrt(r + epsIn) + epsOut))
// eps outside the root (book delta, PyTorch): epsIn = 0; inside (tfjs): epsOut = 0. The facade
// folds PyTorch's lr_decay into lr and fills r with the initial accumulator value.
// Memory contract: p, g, r hold n elements of T, 16-byte aligned, pairwise disjoint.

import { bytes, gradS, gradV, isPlain, lanes } from "./prologue";

// @ts-ignore: decorator
@inline
function adagradV<T>(
  p: usize, g: usize, r: usize, at: usize, lr: T, epsIn: T, epsOut: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, FULL: bool,
): void {
  let pi = v128.load(p + at);
  const xi = gradV<T>(v128.load(g + at), pi, gradScale, clip, l2, l1, FULL);
  if (FULL) pi = v128.mul<T>(v128.splat<T>(pScale), pi);
  const ri = v128.add<T>(v128.load(r + at), v128.mul<T>(xi, xi));
  v128.store(r + at, ri);
  const ui = v128.div<T>(xi, v128.add<T>(v128.sqrt<T>(v128.add<T>(ri, v128.splat<T>(epsIn))), v128.splat<T>(epsOut)));
  v128.store(p + at, v128.sub<T>(pi, v128.mul<T>(v128.splat<T>(lr), ui)));
}

// @ts-ignore: decorator
@inline
function adagradLoop<T>(
  p: usize, g: usize, r: usize, n: i32, lr: T, epsIn: T, epsOut: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, FULL: bool,
): void {
  const L = lanes<T>();
  const blocked = n & ~(L - 1);
  const paired = n & ~(2 * L - 1); // two v128 per iteration
  let i = 0;
  for (; i < paired; i += 2 * L) {
    adagradV<T>(p, g, r, <usize>i * bytes<T>(), lr, epsIn, epsOut, gradScale, clip, l2, l1, pScale, FULL);
    adagradV<T>(p, g, r, <usize>(i + L) * bytes<T>(), lr, epsIn, epsOut, gradScale, clip, l2, l1, pScale, FULL);
  }
  if (i < blocked) {
    adagradV<T>(p, g, r, <usize>i * bytes<T>(), lr, epsIn, epsOut, gradScale, clip, l2, l1, pScale, FULL);
  }
  for (i = blocked; i < n; i++) {
    const at = <usize>i * bytes<T>();
    let pi = load<T>(p + at);
    const xi = gradS<T>(load<T>(g + at), pi, gradScale, clip, l2, l1, FULL);
    if (FULL) pi = pScale * pi;
    const ri: T = load<T>(r + at) + xi * xi;
    store<T>(r + at, ri);
    const ui: T = xi / (sqrt<T>(ri + epsIn) + epsOut);
    store<T>(p + at, pi - lr * ui);
  }
}

// @ts-ignore: decorator
@inline
function adagrad<T>(
  p: usize, g: usize, r: usize, n: i32, lr: T, epsIn: T, epsOut: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T,
): void {
  if (isPlain<T>(clip, l2, l1, pScale)) adagradLoop<T>(p, g, r, n, lr, epsIn, epsOut, gradScale, clip, l2, l1, pScale, false);
  else adagradLoop<T>(p, g, r, n, lr, epsIn, epsOut, gradScale, clip, l2, l1, pScale, true);
}

export function f32_adagrad_step(
  p: usize, g: usize, r: usize, n: i32, lr: f32, epsIn: f32, epsOut: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  adagrad<f32>(p, g, r, n, lr, epsIn, epsOut, gradScale, clip, l2, l1, pScale);
}

export function f64_adagrad_step(
  p: usize, g: usize, r: usize, n: i32, lr: f64, epsIn: f64, epsOut: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  adagrad<f64>(p, g, r, n, lr, epsIn, epsOut, gradScale, clip, l2, l1, pScale);
}
