import { f32Elements, f64Elements, twin, type Elements } from "./elements";

/**
 * Reference twins of assembly/norm/weight_norm.ts (Salimans & Kingma 2016), per column j of a
 * [rows, cols] weight: n_j = ||v_:j||, w = (g_j / n_j) v;  c_j = (v_:j . dw_:j) / n_j,
 * dg_j += c_j,  dv_ij += (g_j / n_j)(dw_ij - (v_ij / n_j) c_j). The same f64 operations in the
 * same order as the kernels (row-major sums, each element rounded to the dtype once), so the
 * results agree bit for bit. norms and dots are f64 arrays of cols.
 */

function columnDots(e: Elements, a: number, b: number, acc: number, rows: number, cols: number): void {
  const { data, stats } = e;
  const [A, B, S] = [e.at(a), e.at(b), acc >>> 3];
  stats.fill(0, S, S + cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) stats[S + j] = stats[S + j]! + data[A + i * cols + j]! * data[B + i * cols + j]!;
}

function forward(e: Elements, v: number, g: number, w: number, norms: number, rows: number, cols: number): void {
  const { data, stats } = e;
  columnDots(e, v, v, norms, rows, cols);
  const [V, G, W, N] = [e.at(v), e.at(g), e.at(w), norms >>> 3];
  for (let j = 0; j < cols; j++) stats[N + j] = Math.sqrt(stats[N + j]!);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[W + i * cols + j] = data[V + i * cols + j]! * (data[G + j]! / stats[N + j]!);
}

function backward(
  e: Elements, v: number, g: number, norms: number, dw: number, dots: number, dv: number, dg: number, rows: number, cols: number,
): void {
  const { data, stats } = e;
  columnDots(e, v, dw, dots, rows, cols);
  const [V, G, N, DW, C, DV, DG] = [e.at(v), e.at(g), norms >>> 3, e.at(dw), dots >>> 3, e.at(dv), e.at(dg)];
  for (let j = 0; j < cols; j++) {
    stats[C + j] = stats[C + j]! / stats[N + j]!;
    data[DG + j] = data[DG + j]! + stats[C + j]!;
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const k = i * cols + j;
      const n = stats[N + j]!;
      const step = (data[G + j]! / n) * (data[DW + k]! - (data[V + k]! / n) * stats[C + j]!);
      data[DV + k] = data[DV + k]! + step;
    }
  }
}

export const f32_weight_norm_forward = twin(f32Elements, forward);
export const f64_weight_norm_forward = twin(f64Elements, forward);
export const f32_weight_norm_backward = twin(f32Elements, backward);
export const f64_weight_norm_backward = twin(f64Elements, backward);
