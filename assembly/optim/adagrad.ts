// AdaGrad (Goodfellow et al. 2016, Algorithm 8.4; Duchi et al. 2011), fused into one pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   r <- r + x * x
//   theta <- theta0 - lr * (x / (sqrt(r + epsIn) + epsOut))
// eps outside the root (book delta, PyTorch): epsIn = 0; inside (tfjs): epsOut = 0. The facade
// folds PyTorch's lr_decay into lr and fills r with the initial accumulator value.
// Memory contract: p, g, r hold n elements of T, 16-byte aligned, pairwise disjoint.

import { update } from "./stream";

// The rule for update<T, R> (stream.ts): state r; coefficients lr, epsIn, epsOut.
@unmanaged
class AdaGrad<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta0: v128, x: v128, r: usize, _s1: usize, _s2: usize,
    lr: T, epsIn: T, epsOut: T, _c3: T, _c4: T, _c5: T, _c6: T, _c7: T, _A: bool, _B: bool,
  ): v128 {
    const ri = v128.add<T>(v128.load(r + at), v128.mul<T>(x, x));
    v128.store(r + at, ri);
    const ui = v128.div<T>(x, v128.add<T>(v128.sqrt<T>(v128.add<T>(ri, v128.splat<T>(epsIn))), v128.splat<T>(epsOut)));
    return v128.sub<T>(theta0, v128.mul<T>(v128.splat<T>(lr), ui));
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta0: T, x: T, r: usize, _s1: usize, _s2: usize,
    lr: T, epsIn: T, epsOut: T, _c3: T, _c4: T, _c5: T, _c6: T, _c7: T, _A: bool, _B: bool,
  ): T {
    const ri: T = load<T>(r + at) + x * x;
    store<T>(r + at, ri);
    const ui: T = x / (sqrt<T>(ri + epsIn) + epsOut);
    return theta0 - lr * ui;
  }
}

export function f32_adagrad_step(
  p: usize, g: usize, r: usize, n: i32, lr: f32, epsIn: f32, epsOut: f32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, AdaGrad<f32>>(p, g, r, 0, 0, n, lr, epsIn, epsOut, 0, 0, 0, 0, 0, gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_adagrad_step(
  p: usize, g: usize, r: usize, n: i32, lr: f64, epsIn: f64, epsOut: f64,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, AdaGrad<f64>>(p, g, r, 0, 0, n, lr, epsIn, epsOut, 0, 0, 0, 0, 0, gradScale, clip, l2, l1, pScale, false, false);
}
