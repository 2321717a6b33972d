// The engine's f32 multiply-add ceiling, measured: 12 independent v128 chains (as many as stay
// in registers, V8 keeps about 14 v128 live), acc_k <- acc_k * a + b, `iterations` times.
// maddF32x4 is one fused relaxed_madd on the relaxed build, mul + add otherwise, as in the gemm
// microkernel, so the time of 96 * iterations flops is the peak that gemm is reported against.
// Writes the 12 accumulators' 48 lanes to out (so nothing is optimized away).

import { F32, maddF32x4 } from "../simd";

export function f32_madd_peak(out: usize, iterations: i32, a: f32, b: f32): void {
  const va = f32x4.splat(a);
  const vb = f32x4.splat(b);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(1), c2 = f32x4.splat(2), c3 = f32x4.splat(3);
  let c4 = f32x4.splat(4), c5 = f32x4.splat(5), c6 = f32x4.splat(6), c7 = f32x4.splat(7);
  let c8 = f32x4.splat(8), c9 = f32x4.splat(9), c10 = f32x4.splat(10), c11 = f32x4.splat(11);
  for (let i = 0; i < iterations; i++) {
    c0 = maddF32x4(c0, va, vb); c1 = maddF32x4(c1, va, vb); c2 = maddF32x4(c2, va, vb); c3 = maddF32x4(c3, va, vb);
    c4 = maddF32x4(c4, va, vb); c5 = maddF32x4(c5, va, vb); c6 = maddF32x4(c6, va, vb); c7 = maddF32x4(c7, va, vb);
    c8 = maddF32x4(c8, va, vb); c9 = maddF32x4(c9, va, vb); c10 = maddF32x4(c10, va, vb); c11 = maddF32x4(c11, va, vb);
  }
  v128.store(out, c0); v128.store(out + 4 * F32, c1); v128.store(out + 8 * F32, c2); v128.store(out + 12 * F32, c3);
  v128.store(out + 16 * F32, c4); v128.store(out + 20 * F32, c5); v128.store(out + 24 * F32, c6); v128.store(out + 28 * F32, c7);
  v128.store(out + 32 * F32, c8); v128.store(out + 36 * F32, c9); v128.store(out + 40 * F32, c10); v128.store(out + 44 * F32, c11);
}
