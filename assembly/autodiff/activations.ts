// tanh and the logistic sigmoid, with backward passes from the forward output y:
//   tanh:    dx += dy (1 - y^2)
//   sigmoid: y = 1 / (1 + exp(-x)) = exp(x) / (1 + exp(x)),  dx += dy y (1 - y)
// The forwards are scalar (wasm has no vector exp or tanh); the backwards are v128.
// Memory contract: arrays hold n f32 each; y may alias x.

import { F32, blockedLength } from "../simd";

export function f32_tanh(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(y + at, Mathf.tanh(load<f32>(x + at)));
  }
}

export function f32_tanh_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(y + at);
    const slope = f32x4.sub(one, f32x4.mul(v, v));
    v128.store(dx + at, f32x4.add(v128.load(dx + at), f32x4.mul(v128.load(dy + at), slope)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const v = load<f32>(y + at);
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dy + at) * (1 - v * v));
  }
}

/** exp is taken of -|x| only, so it never overflows: e^x / (1 + e^x) for x < 0 keeps tiny results. */
export function f32_sigmoid(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i * F32;
    const v = load<f32>(x + at);
    const e = Mathf.exp(-Mathf.abs(v));
    store<f32>(y + at, v < 0 ? e / (1 + e) : 1 / (1 + e));
  }
}

export function f32_sigmoid_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    const v = v128.load(y + at);
    const slope = f32x4.mul(v, f32x4.sub(one, v));
    v128.store(dx + at, f32x4.add(v128.load(dx + at), f32x4.mul(v128.load(dy + at), slope)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    const v = load<f32>(y + at);
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(dy + at) * (v * (1 - v)));
  }
}
