// Column sums accumulated into a row: out_j += sum_i x_ij, for the bias gradient of a Linear
// layer (db = sum over the batch of dy). Rows are added in order, four columns per v128.
// Memory contract: x holds rows x cols f32 row-major, out holds cols f32; rows of x are 16-byte
// aligned when cols is a multiple of 4 (unaligned v128 loads are correct, only slower).

import { F32, blockedLength } from "../simd";

export function f32_add_column_sums(out: usize, x: usize, rows: i32, cols: i32): void {
  const blocked = blockedLength(cols, 4);
  for (let j = 0; j < blocked; j += 4) {
    let acc = v128.load(out + <usize>j * F32);
    for (let i = 0; i < rows; i++) acc = f32x4.add(acc, v128.load(x + <usize>(i * cols + j) * F32));
    v128.store(out + <usize>j * F32, acc);
  }
  for (let j = blocked; j < cols; j++) {
    let acc = load<f32>(out + <usize>j * F32);
    for (let i = 0; i < rows; i++) acc += load<f32>(x + <usize>(i * cols + j) * F32);
    store<f32>(out + <usize>j * F32, acc);
  }
}
