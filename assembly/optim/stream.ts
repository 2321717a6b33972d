// The loop every fused update shares, and a memory-bandwidth probe built on the same shape.
//
// update<T, R> walks n elements in pairs of v128, then one v128, then a scalar tail, and per
// element computes x = prologue(g, theta) and theta0 = pScale * theta (prologue.ts), asks the
// rule R for the new theta and stores it. A rule is an @unmanaged class with two @inline
// methods that hold only its formula, the same IEEE operations on a v128 and on one element:
//   lane(at, theta0, x, s0, s1, s2, c0 .. c7, A, B): v128   (four f32 or two f64 lanes)
//   scalar(at, theta0, x, s0, s1, s2, c0 .. c7, A, B): T    (one element of T)
// s0..s2 are the rule's state buffers (it reads and writes them at byte offset `at`), c0..c7
// its coefficients and A, B two compile-time switches (AMSGrad, centered, momentum, ...); a
// rule names them as it likes and ignores the ones it does not use. Everything is inlined, so
// each exported kernel compiles to the same loop a hand-written one would be.
//
// The probe moves the bytes of a fused update and does almost no arithmetic. It reads g and k
// read-write arrays (k = 1..4) and writes the k arrays back, a_j <- a_j + g: (k + 1) reads and
// k writes per element, as an update with k - 1 state buffers (SGD: k = 1, Adam: k = 3,
// AMSGrad: k = 4). Its time is the bound a fused update over the same bytes can at best reach.
// Memory contract: p, g and the buffers a rule uses (the probe: g and the first k of a, b, c,
// d) hold n elements of T, 16-byte aligned, pairwise disjoint; the others are ignored.

import { bytes, gradS, gradV, isPlain, lanes } from "./prologue";

/** One fused update of n elements of T by the rule R (see above). */
// @ts-ignore: decorator
@inline
export function update<T, R>(
  p: usize, g: usize, s0: usize, s1: usize, s2: usize, n: i32,
  c0: T, c1: T, c2: T, c3: T, c4: T, c5: T, c6: T, c7: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, A: bool, B: bool,
): void {
  if (isPlain<T>(clip, l2, l1, pScale)) {
    updateLoop<T, R>(p, g, s0, s1, s2, n, c0, c1, c2, c3, c4, c5, c6, c7, gradScale, clip, l2, l1, pScale, A, B, false);
  } else {
    updateLoop<T, R>(p, g, s0, s1, s2, n, c0, c1, c2, c3, c4, c5, c6, c7, gradScale, clip, l2, l1, pScale, A, B, true);
  }
}

// @ts-ignore: decorator
@inline
function updateLoop<T, R>(
  p: usize, g: usize, s0: usize, s1: usize, s2: usize, n: i32,
  c0: T, c1: T, c2: T, c3: T, c4: T, c5: T, c6: T, c7: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, A: bool, B: bool, FULL: bool,
): void {
  const L = lanes<T>();
  const blocked = n & ~(L - 1);
  const paired = n & ~(2 * L - 1); // two v128 per iteration
  let i = 0;
  for (; i < paired; i += 2 * L) {
    updateV<T, R>(p, g, s0, s1, s2, <usize>i * bytes<T>(), c0, c1, c2, c3, c4, c5, c6, c7, gradScale, clip, l2, l1, pScale, A, B, FULL);
    updateV<T, R>(p, g, s0, s1, s2, <usize>(i + L) * bytes<T>(), c0, c1, c2, c3, c4, c5, c6, c7, gradScale, clip, l2, l1, pScale, A, B, FULL);
  }
  if (i < blocked) {
    updateV<T, R>(p, g, s0, s1, s2, <usize>i * bytes<T>(), c0, c1, c2, c3, c4, c5, c6, c7, gradScale, clip, l2, l1, pScale, A, B, FULL);
  }
  const rule = changetype<R>(0); // a rule has no fields: its methods never read `this`
  for (i = blocked; i < n; i++) {
    const at = <usize>i * bytes<T>();
    let pi = load<T>(p + at);
    const xi = gradS<T>(load<T>(g + at), pi, gradScale, clip, l2, l1, FULL);
    if (FULL) pi = pScale * pi;
    const theta = rule.scalar(at, pi, xi, s0, s1, s2, c0, c1, c2, c3, c4, c5, c6, c7, A, B);
    store<T>(p + at, theta);
  }
}

/** The update of one v128 at byte offset `at`. */
// @ts-ignore: decorator
@inline
function updateV<T, R>(
  p: usize, g: usize, s0: usize, s1: usize, s2: usize, at: usize,
  c0: T, c1: T, c2: T, c3: T, c4: T, c5: T, c6: T, c7: T,
  gradScale: T, clip: T, l2: T, l1: T, pScale: T, A: bool, B: bool, FULL: bool,
): void {
  let pi = v128.load(p + at);
  const xi = gradV<T>(v128.load(g + at), pi, gradScale, clip, l2, l1, FULL);
  if (FULL) pi = v128.mul<T>(v128.splat<T>(pScale), pi);
  const rule = changetype<R>(0);
  const theta = rule.lane(at, pi, xi, s0, s1, s2, c0, c1, c2, c3, c4, c5, c6, c7, A, B);
  v128.store(p + at, theta);
}

// @ts-ignore: decorator
@inline
function streamV<T>(g: usize, a: usize, b: usize, c: usize, d: usize, at: usize, K: i32): void {
  const gi = v128.load(g + at);
  v128.store(a + at, v128.add<T>(v128.load(a + at), gi));
  if (K > 1) v128.store(b + at, v128.add<T>(v128.load(b + at), gi));
  if (K > 2) v128.store(c + at, v128.add<T>(v128.load(c + at), gi));
  if (K > 3) v128.store(d + at, v128.add<T>(v128.load(d + at), gi));
}

// @ts-ignore: decorator
@inline
function streamLoop<T>(g: usize, a: usize, b: usize, c: usize, d: usize, n: i32, K: i32): void {
  const L = lanes<T>();
  const blocked = n & ~(L - 1);
  const paired = n & ~(2 * L - 1); // two v128 per iteration
  let i = 0;
  for (; i < paired; i += 2 * L) {
    streamV<T>(g, a, b, c, d, <usize>i * bytes<T>(), K);
    streamV<T>(g, a, b, c, d, <usize>(i + L) * bytes<T>(), K);
  }
  if (i < blocked) {
    streamV<T>(g, a, b, c, d, <usize>i * bytes<T>(), K);
  }
  for (i = blocked; i < n; i++) {
    const at = <usize>i * bytes<T>();
    const gi = load<T>(g + at);
    store<T>(a + at, load<T>(a + at) + gi);
    if (K > 1) store<T>(b + at, load<T>(b + at) + gi);
    if (K > 2) store<T>(c + at, load<T>(c + at) + gi);
    if (K > 3) store<T>(d + at, load<T>(d + at) + gi);
  }
}

// @ts-ignore: decorator
@inline
function stream<T>(g: usize, a: usize, b: usize, c: usize, d: usize, n: i32, k: i32): void {
  if (k <= 1) streamLoop<T>(g, a, b, c, d, n, 1);
  else if (k == 2) streamLoop<T>(g, a, b, c, d, n, 2);
  else if (k == 3) streamLoop<T>(g, a, b, c, d, n, 3);
  else streamLoop<T>(g, a, b, c, d, n, 4);
}

export function f32_stream(g: usize, a: usize, b: usize, c: usize, d: usize, n: i32, k: i32): void {
  stream<f32>(g, a, b, c, d, n, k);
}

export function f64_stream(g: usize, a: usize, b: usize, c: usize, d: usize, n: i32, k: i32): void {
  stream<f64>(g, a, b, c, d, n, k);
}
