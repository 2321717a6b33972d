// Backward of an embedding lookup (whose forward is data's f32_gather_rows): the gradient of
// output row r is added into row idx[r] of the table's gradient,
//   dtable[idx[r], :] += g[r, :]   for r = 0 .. count-1 in order
// so a row looked up several times sums its gradients. v128 over the columns.
// Memory contract: idx holds count i32 row numbers in [0, rows of dtable) (checked by the
// facade); g holds count x cols f32 and is disjoint from dtable.

import { F32, blockedLength } from "../simd";

export function f32_scatter_add_rows(dtable: usize, g: usize, idx: usize, count: i32, cols: i32): void {
  const blocked = blockedLength(cols, 4);
  for (let r = 0; r < count; r++) {
    const dst = dtable + <usize>(load<i32>(idx + (<usize>r << 2)) * cols) * F32;
    const src = g + <usize>(r * cols) * F32;
    for (let j = 0; j < blocked; j += 4) {
      const at = <usize>j * F32;
      v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
    }
    for (let j = blocked; j < cols; j++) {
      const at = <usize>j * F32;
      store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
    }
  }
}
