// Exchanges the contents of two buffers of n elements in one pass: how an averager puts the
// averaged weights into the parameters for evaluation (swapIn) and takes them out again
// (swapOut) without allocating. A bit copy, so every value (NaN payloads too) survives.
// Memory contract: a and b hold n elements, 16-byte aligned, disjoint.

/** Swaps `bytes` bytes (a multiple of 4): 16 per v128, then 4 at a time. */
// @ts-ignore: decorator
@inline
function swapBytes(a: usize, b: usize, bytes: usize): void {
  const blocked = bytes & ~(<usize>15);
  for (let at: usize = 0; at < blocked; at += 16) {
    const x = v128.load(a + at);
    v128.store(a + at, v128.load(b + at));
    v128.store(b + at, x);
  }
  for (let at = blocked; at < bytes; at += 4) {
    const x = load<u32>(a + at);
    store<u32>(a + at, load<u32>(b + at));
    store<u32>(b + at, x);
  }
}

export function f32_swap(a: usize, b: usize, n: i32): void {
  swapBytes(a, b, <usize>n << 2);
}

export function f64_swap(a: usize, b: usize, n: i32): void {
  swapBytes(a, b, <usize>n << 3);
}
