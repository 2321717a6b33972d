import type { Heap } from "../../runtime/heap";

// Reference twins of assembly/autodiff/broadcast.ts. op: 0 sub, 1 mul, 2 div. Each f32
// operation is rounded as in the kernel (an f64 sum, product or quotient of two f32 values,
// rounded once, equals the f32 operation).

function combine(op: number, x: number, y: number): number {
  return Math.fround(op === 0 ? x - y : op === 1 ? x * y : x / y);
}

/** Reference twin: y_ij = a_ij (op) b_j. */
export function f32_binary_rows(h: Heap, y: number, a: number, b: number, rows: number, cols: number, op: number): void {
  const f32 = h.f32;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) f32[(y >>> 2) + i * cols + j] = combine(op, f32[(a >>> 2) + i * cols + j]!, f32[(b >>> 2) + j]!);
  }
}

/** Reference twin: da_ij += g_ij (sub), g_ij b_j (mul), g_ij / b_j (div). */
export function f32_binary_rows_grad_a(h: Heap, da: number, g: number, b: number, rows: number, cols: number, op: number): void {
  const f32 = h.f32;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const at = i * cols + j;
      const gs = f32[(g >>> 2) + at]!;
      f32[(da >>> 2) + at] = f32[(da >>> 2) + at]! + (op === 0 ? gs : combine(op, gs, f32[(b >>> 2) + j]!));
    }
  }
}

/** Reference twin: db_j -= g_ij (sub), += g_ij a_ij (mul), -= (g_ij y_ij) / b_j (div), rows in order. */
export function f32_binary_rows_grad_b(
  h: Heap, db: number, g: number, a: number, y: number, b: number, rows: number, cols: number, op: number,
): void {
  const f32 = h.f32;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const at = i * cols + j;
      const gs = f32[(g >>> 2) + at]!;
      const acc = f32[(db >>> 2) + j]!;
      if (op === 0) f32[(db >>> 2) + j] = acc - gs;
      else if (op === 1) f32[(db >>> 2) + j] = acc + Math.fround(gs * f32[(a >>> 2) + at]!);
      else f32[(db >>> 2) + j] = acc - combine(2, Math.fround(gs * f32[(y >>> 2) + at]!), f32[(b >>> 2) + j]!);
    }
  }
}
