import type { Heap } from "../../runtime/heap";

/** Reference twin of assembly/nn/softmax_cross_entropy.ts: shifted softmax, summed loss, dz = s (p - onehot). */
export function f32_softmax_cross_entropy(
  h: Heap, z: number, labels: number, dz: number, rows: number, classes: number, gradScale: number,
): number {
  const [f32, i32] = [h.f32, h.i32];
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    const row = (z >>> 2) + i * classes;
    const out = (dz >>> 2) + i * classes;
    const logits = Array.from(f32.subarray(row, row + classes));
    const m = Math.max(...logits);
    const exps = logits.map((v) => Math.exp(v - m));
    const sum = exps.reduce((a, b) => a + b, 0);
    const label = i32[(labels >>> 2) + i]!;
    loss += Math.log(sum) - (logits[label]! - m);
    exps.forEach((e, j) => (f32[out + j] = gradScale * (e / sum - (j === label ? 1 : 0))));
  }
  return loss;
}

/** Reference twin: rows whose first largest logit is at the label. */
export function f32_count_correct(h: Heap, z: number, labels: number, rows: number, classes: number): number {
  const [f32, i32] = [h.f32, h.i32];
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const row = (z >>> 2) + i * classes;
    let best = 0;
    for (let j = 1; j < classes; j++) if (f32[row + j]! > f32[row + best]!) best = j;
    if (best === i32[(labels >>> 2) + i]) correct++;
  }
  return correct;
}
