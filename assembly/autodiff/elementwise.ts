// Elementwise forward and backward passes of the tape's arithmetic ops. Backward kernels
// accumulate (+=) into the gradient, so an input used by several ops sums their contributions.
// v128 blocks of four with a scalar tail doing the same IEEE operations as one lane; no fused
// multiply-add, so every build and the twin round identically.
// Memory contract: arrays hold n f32 each (y of add_rows: rows x cols, b: cols); outputs may
// alias inputs of the same index.

import { F32, blockedLength } from "../simd";

/** y_ij = a_ij + b_j: b broadcast over the rows of a (b has a's shape when rows = 1). */
export function f32_add_rows(y: usize, a: usize, b: usize, rows: i32, cols: i32): void {
  const blocked = blockedLength(cols, 4);
  for (let i = 0; i < rows; i++) {
    const row = <usize>(i * cols) * F32;
    for (let j = 0; j < blocked; j += 4) {
      const at = <usize>j * F32;
      v128.store(y + row + at, f32x4.add(v128.load(a + row + at), v128.load(b + at)));
    }
    for (let j = blocked; j < cols; j++) {
      const at = <usize>j * F32;
      store<f32>(y + row + at, load<f32>(a + row + at) + load<f32>(b + at));
    }
  }
}

/** y += a * b (backward of dropout: da += dy * mask). */
export function f32_add_product(y: usize, a: usize, b: usize, n: i32): void {
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    v128.store(y + at, f32x4.add(v128.load(y + at), f32x4.mul(v128.load(a + at), v128.load(b + at))));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(y + at, load<f32>(y + at) + load<f32>(a + at) * load<f32>(b + at));
  }
}

/** y = c x (forward of scale; its backward is f32_scaled_add). */
export function f32_scale(y: usize, x: usize, c: f32, n: i32): void {
  const cv = f32x4.splat(c);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    v128.store(y + at, f32x4.mul(cv, v128.load(x + at)));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(y + at, c * load<f32>(x + at));
  }
}

/** y += c (backward of sum and mean: every input gets the output's gradient, scaled). */
export function f32_add_constant(y: usize, c: f32, n: i32): void {
  const cv = f32x4.splat(c);
  const blocked = blockedLength(n, 4);
  for (let i = 0; i < blocked; i += 4) {
    const at = <usize>i * F32;
    v128.store(y + at, f32x4.add(v128.load(y + at), cv));
  }
  for (let i = blocked; i < n; i++) {
    const at = <usize>i * F32;
    store<f32>(y + at, load<f32>(y + at) + c);
  }
}
