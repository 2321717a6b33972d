// Softmax and log-softmax over the last axis (rows of `cols` values), shifted by the row's
// maximum so that exp never overflows, and their backward passes from the output y:
//   softmax:      y_j = fl32(exp(x_j - m)) / s, s = sum_k exp(x_k - m),  m = max_k x_k
//                 dx_j += y_j (g_j - sum_k g_k y_k)
//   log-softmax:  y_j = (x_j - m) - log s
//                 dx_j += g_j - exp(y_j) sum_k g_k
// Forwards and the row sums of the backward are f64 (exact products of f32 values), rounded
// once; the forwards take exp on f64x2 halves of four f32 (../math/exp, within 1 f64 ulp of
// Math.exp) and add s in two lane sums plus the tail. log s is ../random/core's ln (within 2 ulp
// of Math.log; the standard library's Math.log would bring 4 KB of lookup tables into the
// module), taken for row i before row i - 1 is written, so that its latency overlaps those
// stores. The backward updates are v128 f32.
// Memory contract: x, y, g, dx hold rows x cols f32; y may alias x. Nothing is read or written
// when cols = 0.

import { F32, blockedLength } from "../simd";
import { expF64, expF64x2 } from "../math/exp";
import { ln } from "../random/core";
import { demotePair, promoteHigh } from "../math/widen";

export function f32_softmax(y: usize, x: usize, rows: i32, cols: i32, log: i32): void {
  if (cols <= 0) return;
  if (log) {
    logSoftmax(y, x, rows, cols);
    return;
  }
  const blocked = blockedLength(cols, 4);
  for (let i = 0; i < rows; i++) {
    const src = x + <usize>(i * cols) * F32;
    const dst = y + <usize>(i * cols) * F32;
    const s = storeShiftedExp(dst, src, cols, rowMax(src, cols));
    const sV = f64x2.splat(s);
    for (let j = 0; j < blocked; j += 4) {
      const at = <usize>j * F32;
      const v = v128.load(dst + at);
      v128.store(dst + at, demotePair(f64x2.div(f64x2.promote_low_f32x4(v), sV), f64x2.div(promoteHigh(v), sV)));
    }
    for (let j = blocked; j < cols; j++) {
      const at = <usize>j * F32;
      store<f32>(dst + at, <f32>(<f64>load<f32>(dst + at) / s));
    }
  }
}

/** Log-softmax rows, one row behind: row i's log s is taken before row i - 1 is written. */
// @ts-ignore: decorator
@inline
function logSoftmax(y: usize, x: usize, rows: i32, cols: i32): void {
  const blocked = blockedLength(cols, 4);
  let m: f32 = 0;
  let logS: f64 = 0;
  for (let i = 0; i <= rows; i++) {
    const prevM = m;
    const prevLogS = logS;
    if (i < rows) {
      const src = x + <usize>(i * cols) * F32;
      m = rowMax(src, cols);
      logS = ln(shiftedExpSum(src, cols, m));
    }
    if (i == 0) continue;
    const src = x + <usize>((i - 1) * cols) * F32;
    const dst = y + <usize>((i - 1) * cols) * F32;
    const mV = f64x2.splat(<f64>prevM);
    const logSV = f64x2.splat(prevLogS);
    for (let j = 0; j < blocked; j += 4) {
      const at = <usize>j * F32;
      const v = v128.load(src + at);
      const lo = f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v), mV), logSV);
      v128.store(dst + at, demotePair(lo, f64x2.sub(f64x2.sub(promoteHigh(v), mV), logSV)));
    }
    for (let j = blocked; j < cols; j++) {
      const at = <usize>j * F32;
      store<f32>(dst + at, <f32>(<f64>load<f32>(src + at) - <f64>prevM - prevLogS));
    }
  }
}

/** max_j x_j over one row (cols >= 1). */
// @ts-ignore: decorator
@inline
function rowMax(src: usize, cols: i32): f32 {
  let m = load<f32>(src);
  for (let j = 1; j < cols; j++) m = max(m, load<f32>(src + <usize>j * F32));
  return m;
}

/** sum_j exp(x_j - m) over one row, in f64. */
// @ts-ignore: decorator
@inline
function shiftedExpSum(src: usize, cols: i32, m: f32): f64 {
  const blocked = blockedLength(cols, 4);
  const mV = f64x2.splat(<f64>m);
  let sV = f64x2.splat(0);
  for (let j = 0; j < blocked; j += 4) {
    const v = v128.load(src + <usize>j * F32);
    sV = f64x2.add(sV, expF64x2(f64x2.sub(f64x2.promote_low_f32x4(v), mV)));
    sV = f64x2.add(sV, expF64x2(f64x2.sub(promoteHigh(v), mV)));
  }
  let s = f64x2.extract_lane(sV, 0) + f64x2.extract_lane(sV, 1);
  for (let j = blocked; j < cols; j++) s += expF64(<f64>load<f32>(src + <usize>j * F32) - <f64>m);
  return s;
}

/** Stores fl32(exp(x_j - m)) of one row to dst (kept, so softmax takes one exp per element) and returns their f64 sum. */
// @ts-ignore: decorator
@inline
function storeShiftedExp(dst: usize, src: usize, cols: i32, m: f32): f64 {
  const blocked = blockedLength(cols, 4);
  const mV = f64x2.splat(<f64>m);
  let sV = f64x2.splat(0);
  for (let j = 0; j < blocked; j += 4) {
    const at = <usize>j * F32;
    const v = v128.load(src + at);
    const lo = expF64x2(f64x2.sub(f64x2.promote_low_f32x4(v), mV));
    const hi = expF64x2(f64x2.sub(promoteHigh(v), mV));
    sV = f64x2.add(f64x2.add(sV, lo), hi);
    v128.store(dst + at, demotePair(lo, hi));
  }
  let s = f64x2.extract_lane(sV, 0) + f64x2.extract_lane(sV, 1);
  for (let j = blocked; j < cols; j++) {
    const at = <usize>j * F32;
    const e = expF64(<f64>load<f32>(src + at) - <f64>m);
    s += e;
    store<f32>(dst + at, <f32>e);
  }
  return s;
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
    const sumV = f32x4.splat(sum);
    if (log) {
      for (let j = 0; j < blocked; j += 4) {
        const at = row + <usize>j * F32;
        const v = v128.load(y + at);
        const p = demotePair(expF64x2(f64x2.promote_low_f32x4(v)), expF64x2(promoteHigh(v)));
        v128.store(dx + at, f32x4.add(v128.load(dx + at), f32x4.sub(v128.load(g + at), f32x4.mul(p, sumV))));
      }
      for (let j = blocked; j < cols; j++) {
        const at = row + <usize>j * F32;
        const p = <f32>expF64(<f64>load<f32>(y + at));
        store<f32>(dx + at, load<f32>(dx + at) + (load<f32>(g + at) - p * sum));
      }
      continue;
    }
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
