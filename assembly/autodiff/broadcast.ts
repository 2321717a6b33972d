// Broadcasting sub, mul and div: y_ij = a_ij (op) b_j, b broadcast over the rows of a (rows = 1
// when b has a's shape), with their backward passes, which accumulate (+=):
//   sub:  da_ij += g_ij          db_j -= sum_i g_ij
//   mul:  da_ij += g_ij b_j      db_j += sum_i g_ij a_ij
//   div:  da_ij += g_ij / b_j    db_j -= sum_i (g_ij y_ij) / b_j     (d(a/b)/db = -y/b)
// `op` is SUB, MUL or DIV; each kernel dispatches once to a loop specialized for it (the
// constant folds away in the inlined body). v128 blocks of four columns with a scalar tail doing
// the same IEEE operations as one lane; db sums rows in order. No fused multiply-add.
// Memory contract: y, a, g, da hold rows x cols f32; b, db hold cols f32. y may alias a;
// da and db may alias each other only when rows = 1 (a tensor used as both operands).

import { F32, blockedLength } from "../simd";

const SUB = 0;
const MUL = 1;
const DIV = 2;

// @ts-ignore: decorator
@inline
function combine4(op: i32, x: v128, y: v128): v128 {
  return op == SUB ? f32x4.sub(x, y) : op == MUL ? f32x4.mul(x, y) : f32x4.div(x, y);
}

// @ts-ignore: decorator
@inline
function combine(op: i32, x: f32, y: f32): f32 {
  return op == SUB ? x - y : op == MUL ? x * y : x / y;
}

// @ts-ignore: decorator
@inline
function forwardRows(op: i32, y: usize, a: usize, b: usize, rows: i32, cols: i32): void {
  const blocked = blockedLength(cols, 4);
  for (let i = 0; i < rows; i++) {
    const row = <usize>(i * cols) * F32;
    for (let j = 0; j < blocked; j += 4) {
      const at = <usize>j * F32;
      v128.store(y + row + at, combine4(op, v128.load(a + row + at), v128.load(b + at)));
    }
    for (let j = blocked; j < cols; j++) {
      const at = <usize>j * F32;
      store<f32>(y + row + at, combine(op, load<f32>(a + row + at), load<f32>(b + at)));
    }
  }
}

/** y_ij = a_ij (op) b_j. */
export function f32_binary_rows(y: usize, a: usize, b: usize, rows: i32, cols: i32, op: i32): void {
  if (op == SUB) forwardRows(SUB, y, a, b, rows, cols);
  else if (op == MUL) forwardRows(MUL, y, a, b, rows, cols);
  else forwardRows(DIV, y, a, b, rows, cols);
}

/** da_ij += g_ij (sub), g_ij b_j (mul) or g_ij / b_j (div). */
// @ts-ignore: decorator
@inline
function gradARows(op: i32, da: usize, g: usize, b: usize, rows: i32, cols: i32): void {
  const blocked = blockedLength(cols, 4);
  for (let i = 0; i < rows; i++) {
    const row = <usize>(i * cols) * F32;
    for (let j = 0; j < blocked; j += 4) {
      const at = <usize>j * F32;
      const gv = v128.load(g + row + at);
      const term = op == SUB ? gv : combine4(op, gv, v128.load(b + at));
      v128.store(da + row + at, f32x4.add(v128.load(da + row + at), term));
    }
    for (let j = blocked; j < cols; j++) {
      const at = <usize>j * F32;
      const gs = load<f32>(g + row + at);
      const term = op == SUB ? gs : combine(op, gs, load<f32>(b + at));
      store<f32>(da + row + at, load<f32>(da + row + at) + term);
    }
  }
}

export function f32_binary_rows_grad_a(da: usize, g: usize, b: usize, rows: i32, cols: i32, op: i32): void {
  if (op == SUB) gradARows(SUB, da, g, b, rows, cols);
  else if (op == MUL) gradARows(MUL, da, g, b, rows, cols);
  else gradARows(DIV, da, g, b, rows, cols);
}

/** db_j -= g_ij (sub), += g_ij a_ij (mul), -= (g_ij y_ij) / b_j (div), rows in order. */
// @ts-ignore: decorator
@inline
function gradBRows(op: i32, db: usize, g: usize, a: usize, y: usize, b: usize, rows: i32, cols: i32): void {
  const blocked = blockedLength(cols, 4);
  for (let i = 0; i < rows; i++) {
    const row = <usize>(i * cols) * F32;
    for (let j = 0; j < blocked; j += 4) {
      const at = <usize>j * F32;
      const gv = v128.load(g + row + at);
      const acc = v128.load(db + at);
      let next: v128;
      if (op == SUB) next = f32x4.sub(acc, gv);
      else if (op == MUL) next = f32x4.add(acc, f32x4.mul(gv, v128.load(a + row + at)));
      else next = f32x4.sub(acc, f32x4.div(f32x4.mul(gv, v128.load(y + row + at)), v128.load(b + at)));
      v128.store(db + at, next);
    }
    for (let j = blocked; j < cols; j++) {
      const at = <usize>j * F32;
      const gs = load<f32>(g + row + at);
      const acc = load<f32>(db + at);
      let next: f32;
      if (op == SUB) next = acc - gs;
      else if (op == MUL) next = acc + gs * load<f32>(a + row + at);
      else next = acc - (gs * load<f32>(y + row + at)) / load<f32>(b + at);
      store<f32>(db + at, next);
    }
  }
}

export function f32_binary_rows_grad_b(db: usize, g: usize, a: usize, y: usize, b: usize, rows: i32, cols: i32, op: i32): void {
  if (op == SUB) gradBRows(SUB, db, g, a, y, b, rows, cols);
  else if (op == MUL) gradBRows(MUL, db, g, a, y, b, rows, cols);
  else gradBRows(DIV, db, g, a, y, b, rows, cols);
}
