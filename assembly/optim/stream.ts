// A memory-bandwidth probe for the benchmarks: it moves the bytes of a fused update and
// does almost no arithmetic. It reads g and k read-write arrays (k = 1..4) and writes the
// k arrays back, a_j <- a_j + g: (k + 1) reads and k writes per element, as an update with
// k - 1 state buffers (SGD: k = 1, Adam: k = 3, AMSGrad: k = 4). Its time is the bound a
// fused update over the same bytes can at best reach.
// Memory contract: g and the first k of a, b, c, d hold n elements of T, 16-byte aligned,
// pairwise disjoint; the others are ignored.

import { bytes, lanes } from "./prologue";

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
