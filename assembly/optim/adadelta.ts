// AdaDelta (Zeiler 2012, Algorithm 1; mentioned in Goodfellow et al. 2016, section 8.5),
// fused into one pass:
//   x = prologue(g, theta)                        (see prologue.ts; theta0 = pScale * theta)
//   eg' = rho * eg + (1 - rho) * x * x            running E[g^2]
//   dx  = sqrt(edx + eps) / sqrt(den + eps) * x   den = eg' (Zeiler, PyTorch), or the previous
//                                                 eg when lagged != 0 (what tfjs 4.22 computes)
//   edx <- rho * edx + (1 - rho) * dx * dx        running E[dx^2]
//   theta <- theta0 - lr * dx
// Memory contract: p, g, eg, edx hold n elements of T, 16-byte aligned, pairwise disjoint.

import { bytes, gradS, gradV, isPlain, lanes } from "./prologue";

// @ts-ignore: decorator
@inline
function adadeltaV<T>(
  p: usize, g: usize, eg: usize, edx: usize, at: usize, lr: T, rho: T, oneMinusRho: T, eps: T, lagged: i32,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, FULL: bool,
): void {
  let pi = v128.load(p + at);
  const xi = gradV<T>(v128.load(g + at), pi, gradScale, clip, l2, l1, FULL);
  if (FULL) pi = v128.mul<T>(v128.splat<T>(pScale), pi);
  const egOld = v128.load(eg + at);
  const egNew = v128.add<T>(v128.mul<T>(v128.splat<T>(rho), egOld), v128.mul<T>(v128.splat<T>(oneMinusRho), v128.mul<T>(xi, xi)));
  v128.store(eg + at, egNew);
  const den = v128.bitselect(egOld, egNew, i32x4.splat(lagged != 0 ? -1 : 0)); // all ones when lagged
  const edxi = v128.load(edx + at);
  const ratio = v128.div<T>(v128.sqrt<T>(v128.add<T>(edxi, v128.splat<T>(eps))), v128.sqrt<T>(v128.add<T>(den, v128.splat<T>(eps))));
  const dx = v128.mul<T>(ratio, xi);
  v128.store(edx + at, v128.add<T>(v128.mul<T>(v128.splat<T>(rho), edxi), v128.mul<T>(v128.splat<T>(oneMinusRho), v128.mul<T>(dx, dx))));
  v128.store(p + at, v128.sub<T>(pi, v128.mul<T>(v128.splat<T>(lr), dx)));
}

// @ts-ignore: decorator
@inline
function adadeltaLoop<T>(
  p: usize, g: usize, eg: usize, edx: usize, n: i32, lr: T, rho: T, oneMinusRho: T, eps: T, lagged: i32,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, FULL: bool,
): void {
  const L = lanes<T>();
  const blocked = n & ~(L - 1);
  const paired = n & ~(2 * L - 1); // two v128 per iteration
  let i = 0;
  for (; i < paired; i += 2 * L) {
    adadeltaV<T>(
      p, g, eg, edx, <usize>i * bytes<T>(), lr, rho, oneMinusRho, eps, lagged, gradScale, clip, l2, l1, pScale, FULL,
    );
    adadeltaV<T>(
      p, g, eg, edx, <usize>(i + L) * bytes<T>(), lr, rho, oneMinusRho, eps, lagged, gradScale, clip, l2, l1, pScale,
      FULL,
    );
  }
  if (i < blocked) {
    adadeltaV<T>(
      p, g, eg, edx, <usize>i * bytes<T>(), lr, rho, oneMinusRho, eps, lagged, gradScale, clip, l2, l1, pScale, FULL,
    );
  }
  for (i = blocked; i < n; i++) {
    const at = <usize>i * bytes<T>();
    let pi = load<T>(p + at);
    const xi = gradS<T>(load<T>(g + at), pi, gradScale, clip, l2, l1, FULL);
    if (FULL) pi = pScale * pi;
    const egOld = load<T>(eg + at);
    const egNew: T = rho * egOld + oneMinusRho * (xi * xi);
    store<T>(eg + at, egNew);
    const den = lagged ? egOld : egNew;
    const edxi = load<T>(edx + at);
    const dx: T = (sqrt<T>(edxi + eps) / sqrt<T>(den + eps)) * xi;
    store<T>(edx + at, rho * edxi + oneMinusRho * (dx * dx));
    store<T>(p + at, pi - lr * dx);
  }
}

// @ts-ignore: decorator
@inline
function adadelta<T>(
  p: usize, g: usize, eg: usize, edx: usize, n: i32, lr: T, rho: T, oneMinusRho: T, eps: T, lagged: i32,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T,
): void {
  if (isPlain<T>(clip, l2, l1, pScale)) {
    adadeltaLoop<T>(p, g, eg, edx, n, lr, rho, oneMinusRho, eps, lagged, gradScale, clip, l2, l1, pScale, false);
  } else {
    adadeltaLoop<T>(p, g, eg, edx, n, lr, rho, oneMinusRho, eps, lagged, gradScale, clip, l2, l1, pScale, true);
  }
}

export function f32_adadelta_step(
  p: usize, g: usize, eg: usize, edx: usize, n: i32, lr: f32, rho: f32, oneMinusRho: f32, eps: f32, lagged: i32,
  gradScale: f32, clip: f32, l2: f32, l1: f32, pScale: f32,
): void {
  adadelta<f32>(p, g, eg, edx, n, lr, rho, oneMinusRho, eps, lagged, gradScale, clip, l2, l1, pScale);
}

export function f64_adadelta_step(
  p: usize, g: usize, eg: usize, edx: usize, n: i32, lr: f64, rho: f64, oneMinusRho: f64, eps: f64, lagged: i32,
  gradScale: f64, clip: f64, l2: f64, l1: f64, pScale: f64,
): void {
  adadelta<f64>(p, g, eg, edx, n, lr, rho, oneMinusRho, eps, lagged, gradScale, clip, l2, l1, pScale);
}
