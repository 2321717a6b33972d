import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/autodiff/softmax.ts: shifted softmax (log = 0: fl32(exp) / s) or log-softmax (log = 1) of each row, in f64. */
export function f32_softmax(h: Heap, y: number, x: number, rows: number, cols: number, log: number): void {
  if (cols <= 0) return;
  const f32 = h.f32;
  for (let i = 0; i < rows; i++) {
    const src = (x >>> 2) + i * cols;
    const dst = (y >>> 2) + i * cols;
    let m = f32[src]!;
    for (let j = 1; j < cols; j++) m = Math.max(m, f32[src + j]!);
    const exps = Array.from(f32.subarray(src, src + cols), (v) => Math.exp(v - m));
    const s = exps.reduce((a, b) => a + b, 0);
    const logS = Math.log(s);
    for (let j = 0; j < cols; j++) f32[dst + j] = log ? f32[src + j]! - m - logS : Math.fround(exps[j]!) / s;
  }
}

/** Reference twin: dx += y (g - fl32(sum g y)) or dx += g - fl32(exp y) fl32(sum g), f32 operations rounded as in the kernel. */
export function f32_softmax_backward(h: Heap, dx: number, g: number, y: number, rows: number, cols: number, log: number): void {
  const f32 = h.f32;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += log ? f32[(g >>> 2) + row + j]! : f32[(g >>> 2) + row + j]! * f32[(y >>> 2) + row + j]!;
    const sum = Math.fround(s);
    for (let j = 0; j < cols; j++) {
      const [gj, yj] = [f32[(g >>> 2) + row + j]!, f32[(y >>> 2) + row + j]!];
      const term = log ? Math.fround(gj - Math.fround(Math.fround(Math.exp(yj)) * sum)) : Math.fround(yj * Math.fround(gj - sum));
      f32[(dx >>> 2) + row + j] = f32[(dx >>> 2) + row + j]! + term;
    }
  }
}
