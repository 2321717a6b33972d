// Minibatch assembly. gather_rows copies rows idx[0..count) of a row-major source with `cols`
// elements per row into consecutive rows of out: one bulk memory.copy per row (the engine's
// memcpy, wider than any v128 loop). range_u32 writes start, start + 1, ... (the unshuffled
// order). Memory contract: idx holds count u32 row numbers, each below the source's row
// count (checked by the facade); out holds count cols elements and is disjoint from src.

/** out[r, :] = src[idx[r], :] for r < count, f32 rows of `cols` elements. */
export function f32_gather_rows(out: usize, src: usize, idx: usize, count: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    const row = <usize>load<u32>(idx + (<usize>r << 2));
    memory.copy(out + <usize>r * rowBytes, src + row * rowBytes, rowBytes);
  }
}

/** out[r, :] = src[idx[r], :] for r < count, f64 rows of `cols` elements. */
export function f64_gather_rows(out: usize, src: usize, idx: usize, count: i32, cols: i32): void {
  const rowBytes = <usize>cols << 3;
  for (let r = 0; r < count; r++) {
    const row = <usize>load<u32>(idx + (<usize>r << 2));
    memory.copy(out + <usize>r * rowBytes, src + row * rowBytes, rowBytes);
  }
}

/** out[i] = start + i as u32, four lanes per store. */
export function u32_range(out: usize, n: i32, start: u32): void {
  let v = i32x4.add(i32x4.splat(<i32>start), i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(0), 1, 1), 2, 2), 3, 3));
  const four = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(out + (<usize>i << 2), v);
    v = i32x4.add(v, four);
  }
  for (; i < n; i++) store<u32>(out + (<usize>i << 2), start + <u32>i);
}
