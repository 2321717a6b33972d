// Softmax and log-softmax over the last axis (rows of `cols` values), shifted by the row's
// maximum so that exp never overflows, and their backward passes from the output y:
//   softmax:      y_j = fl32(exp(x_j - m)) / s, s = sum_k exp(x_k - m),  m = max_k x_k
//                 dx_j += y_j (g_j - sum_k g_k y_k)
//   log-softmax:  y_j = (x_j - m) - log s
//                 dx_j += g_j - exp(y_j) sum_k g_k
// Forwards and the row sums of the backward are f64 (exact products of f32 values, added in
// order), rounded once; the softmax backward's update is v128 f32, log-softmax's is scalar (exp).
// Memory contract: x, y, g, dx hold rows x cols f32; y may alias x. Nothing is read or written
// when cols = 0.

import { F32, blockedLength } from "../simd";

export function f32_softmax(y: usize, x: usize, rows: i32, cols: i32, log: i32): void {
  if (cols <= 0) return;
  for (let i = 0; i < rows; i++) {
    const src = x + <usize>(i * cols) * F32;
    const dst = y + <usize>(i * cols) * F32;
    let m = load<f32>(src);
    for (let j = 1; j < cols; j++) m = max(m, load<f32>(src + <usize>j * F32));
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(<f64>load<f32>(src + <usize>j * F32) - <f64>m);
      s += e;
      if (!log) store<f32>(dst + <usize>j * F32, <f32>e); // kept, so softmax takes one exp per element
    }
    if (log) {
      const logS = Math.log(s);
      for (let j = 0; j < cols; j++) {
        const at = <usize>j * F32;
        store<f32>(dst + at, <f32>(<f64>load<f32>(src + at) - <f64>m - logS));
      }
    } else {
      for (let j = 0; j < cols; j++) {
        const at = <usize>j * F32;
        store<f32>(dst + at, <f32>(<f64>load<f32>(dst + at) / s));
      }
    }
  }
}

export function f32_softmax_backward(dx: usize, g: usize, y: usize, rows: i32, cols: i32, log: i32): void {
  const blocked = blockedLength(cols, 4);
  for (let i = 0; i < rows; i++) {
    const row = <usize>(i * cols) * F32;
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const gj = <f64>load<f32>(g + row + <usize>j * F32);
      s += log ? gj : gj * <f64>load<f32>(y + row + <usize>j * F32);
    }
    const sum = <f32>s;
    if (log) {
      for (let j = 0; j < cols; j++) {
        const at = row + <usize>j * F32;
        const p = <f32>Math.exp(<f64>load<f32>(y + at));
        store<f32>(dx + at, load<f32>(dx + at) + (load<f32>(g + at) - p * sum));
      }
      continue;
    }
    const sumV = f32x4.splat(sum);
    for (let j = 0; j < blocked; j += 4) {
      const at = row + <usize>j * F32;
      const term = f32x4.mul(v128.load(y + at), f32x4.sub(v128.load(g + at), sumV));
      v128.store(dx + at, f32x4.add(v128.load(dx + at), term));
    }
    for (let j = blocked; j < cols; j++) {
      const at = row + <usize>j * F32;
      store<f32>(dx + at, load<f32>(dx + at) + load<f32>(y + at) * (load<f32>(g + at) - sum));
    }
  }
}
