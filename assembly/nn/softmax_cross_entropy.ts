// Softmax cross-entropy over rows of logits, forward and backward in one pass per row:
//   p_ij = exp(z_ij - m_i) / sum_k exp(z_ik - m_i),  m_i = max_k z_ik   (shifted: no overflow)
//   loss = sum_i (log sum_k exp(z_ik - m_i) - (z_i,y_i - m_i))           (returned, f64)
//   dz_ij = gradScale * (p_ij - [j == y_i])                              (gradScale = 1/rows for a mean)
// Scalar: the class count is small (10 in the demo); the cost is negligible next to the matrix
// multiplies around it. exp(z - m) is taken once per element (kept in dz until the row's sum is
// known), by ../math/exp's scalar exp, and log by ../random/core's ln: the standard library's
// Mathf.exp and Mathf.log would bring their lookup tables into the module.
// Memory contract: z and dz hold rows x classes f32 (dz may alias z), labels rows i32 in [0, classes).

import { F32 } from "../simd";
import { expF32 } from "../math/exp";
import { ln } from "../random/core";

export function f32_softmax_cross_entropy(
  z: usize, labels: usize, dz: usize, rows: i32, classes: i32, gradScale: f32,
): f64 {
  let loss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const row = z + <usize>(i * classes) * F32;
    const out = dz + <usize>(i * classes) * F32;
    let m = load<f32>(row);
    for (let j = 1; j < classes; j++) m = max(m, load<f32>(row + <usize>j * F32));
    const label = load<i32>(labels + <usize>i * 4);
    const shiftedLabel = load<f32>(row + <usize>label * F32) - m;
    // Each logit is read before its slot of dz is written, so dz may alias z.
    let sum: f32 = 0;
    for (let j = 0; j < classes; j++) {
      const e = expF32(load<f32>(row + <usize>j * F32) - m);
      sum += e;
      store<f32>(out + <usize>j * F32, e);
    }
    loss += ln(<f64>sum) - <f64>shiftedLabel;
    const scale = gradScale / sum;
    for (let j = 0; j < classes; j++) {
      const p = load<f32>(out + <usize>j * F32) * scale;
      store<f32>(out + <usize>j * F32, j == label ? p - gradScale : p);
    }
  }
  return loss;
}

/** Rows whose largest logit is at the label (first maximum wins ties). */
export function f32_count_correct(z: usize, labels: usize, rows: i32, classes: i32): i32 {
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const row = z + <usize>(i * classes) * F32;
    let best = 0;
    for (let j = 1; j < classes; j++) if (load<f32>(row + <usize>j * F32) > load<f32>(row + <usize>best * F32)) best = j;
    if (best == load<i32>(labels + <usize>i * 4)) correct++;
  }
  return correct;
}
