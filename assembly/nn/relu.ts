// ReLU, y = max(x, 0), and its backward dy <- dy * [y > 0] from the layer's output y. (After a
// Linear layer with no normalization between, the forward is fused into the gemm epilogue.)
// v128 blocks of four with a scalar tail; NaN maps to 0 in both.
// Memory contract: arrays hold n f32 each, 16-byte aligned; y may alias x.

import { F32, blockedLength } from "../simd";

export function f32_relu(y: usize, x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(x + at);
    v128.store(y + at, v128.and(v, f32x4.gt(v, zero)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const v = load<f32>(x + at);
    store<f32>(y + at, v > 0 ? v : 0);
  }
}

export function f32_relu_backward(dy: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    v128.store(dy + at, v128.and(v128.load(dy + at), f32x4.gt(v128.load(y + at), zero)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    if (!(load<f32>(y + at) > 0)) store<f32>(dy + at, 0);
  }
}
