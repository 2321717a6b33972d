// Test-only module (not exported by assembly/index.ts): the shared exp of ./exp.ts over arrays,
// v128 and scalar paths, compiled on its own by test/math/exp.test.ts.
import { expF32, expF32x4, expF64, expF64x2 } from "./exp";

export function f64_exp_lanes(y: usize, x: usize, n: i32): void {
  for (let i = 0; i + 2 <= n; i += 2) v128.store(y + <usize>i * 8, expF64x2(v128.load(x + <usize>i * 8)));
}

export function f64_exp_scalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(y + <usize>i * 8, expF64(load<f64>(x + <usize>i * 8)));
}

export function f32_exp_lanes(y: usize, x: usize, n: i32): void {
  for (let i = 0; i + 4 <= n; i += 4) v128.store(y + <usize>i * 4, expF32x4(v128.load(x + <usize>i * 4)));
}

export function f32_exp_scalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(y + <usize>i * 4, expF32(load<f32>(x + <usize>i * 4)));
}
