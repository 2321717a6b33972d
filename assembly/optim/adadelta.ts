// AdaDelta (Zeiler 2012, Algorithm 1; mentioned in Goodfellow et al. 2016, section 8.5),
// fused into one pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   eg' = rho * eg + (1 - rho) * x * x            running E[g^2]
//   dx  = sqrt(edx + eps) / sqrt(den + eps) * x   den = eg' (Zeiler, PyTorch), or the previous
//                                                 eg when lagged != 0 (what tfjs 4.22 computes)
//   edx <- rho * edx + (1 - rho) * dx * dx        running E[dx^2]
//   theta <- theta0 - lr * dx
// Memory contract: p, g, eg, edx hold n elements of T, 16-byte aligned, pairwise disjoint.

import { update } from "./stream";

// The rule for update<T, R> (stream.ts): state eg, edx; coefficients lr, rho, oneMinusRho,
// eps, lagged (1: the denominator reads the previous eg, 0: the new one).
@unmanaged
class AdaDelta<T> {
  // @ts-ignore: decorator
  @inline
  lane(
    at: usize, theta0: v128, x: v128, eg: usize, edx: usize, _s2: usize,
    lr: T, rho: T, oneMinusRho: T, eps: T, lagged: T, _c5: T, _c6: T, _c7: T, _A: bool, _B: bool,
  ): v128 {
    const egOld = v128.load(eg + at);
    const egNew = v128.add<T>(v128.mul<T>(v128.splat<T>(rho), egOld), v128.mul<T>(v128.splat<T>(oneMinusRho), v128.mul<T>(x, x)));
    v128.store(eg + at, egNew);
    const den = v128.bitselect(egOld, egNew, v128.ne<T>(v128.splat<T>(lagged), v128.splat<T>(0)));
    const edxi = v128.load(edx + at);
    const ratio = v128.div<T>(v128.sqrt<T>(v128.add<T>(edxi, v128.splat<T>(eps))), v128.sqrt<T>(v128.add<T>(den, v128.splat<T>(eps))));
    const dx = v128.mul<T>(ratio, x);
    v128.store(edx + at, v128.add<T>(v128.mul<T>(v128.splat<T>(rho), edxi), v128.mul<T>(v128.splat<T>(oneMinusRho), v128.mul<T>(dx, dx))));
    return v128.sub<T>(theta0, v128.mul<T>(v128.splat<T>(lr), dx));
  }

  // @ts-ignore: decorator
  @inline
  scalar(
    at: usize, theta0: T, x: T, eg: usize, edx: usize, _s2: usize,
    lr: T, rho: T, oneMinusRho: T, eps: T, lagged: T, _c5: T, _c6: T, _c7: T, _A: bool, _B: bool,
  ): T {
    const egOld = load<T>(eg + at);
    const egNew: T = rho * egOld + oneMinusRho * (x * x);
    store<T>(eg + at, egNew);
    const den = lagged != 0 ? egOld : egNew;
    const edxi = load<T>(edx + at);
    const dx: T = (sqrt<T>(edxi + eps) / sqrt<T>(den + eps)) * x;
    store<T>(edx + at, rho * edxi + oneMinusRho * (dx * dx));
    return theta0 - lr * dx;
  }
}

export function f32_adadelta_step(
  p: usize, g: usize, eg: usize, edx: usize, n: i32, lr: f32, rho: f32, oneMinusRho: f32, eps: f32, lagged: i32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  update<f32, AdaDelta<f32>>(p, g, eg, edx, 0, n, lr, rho, oneMinusRho, eps, <f32>lagged, 0, 0, 0,
    gradScale, clip, l2, l1, pScale, false, false);
}

export function f64_adadelta_step(
  p: usize, g: usize, eg: usize, edx: usize, n: i32, lr: f64, rho: f64, oneMinusRho: f64, eps: f64, lagged: i32,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  update<f64, AdaDelta<f64>>(p, g, eg, edx, 0, n, lr, rho, oneMinusRho, eps, <f64>lagged, 0, 0, 0,
    gradScale, clip, l2, l1, pScale, false, false);
}
