import { gemm } from "../linalg/gemm";
import { BATCH_NORM_STATS_ROWS, groupNormStatsLength } from "../norm/stats";
import { ShapeError, StateError, ValueError } from "../runtime/errors";
import { checkNoOverlap } from "../runtime/overlap";
import { checkTensor, Tensor } from "../runtime/tensor";
import { checkBoolean, checkEps, checkNumber, checkOptions, LARGEST_FINITE, optionNames } from "../runtime/validate";
import type { Workspace } from "../runtime/workspace";
import { BATCH_NORM_OP_OPTIONS, NORM_OP_OPTIONS, type BatchNormOpOptions, type NormOpOptions, type RowLayout } from "./norm";
import { CONV2D_OPTIONS, POOL2D_OPTIONS, convArgs, pairOf, poolArgs, window2d, type Conv2dOpOptions, type Pool2dOpOptions, type Size2d } from "./spatial";
import type { Tape } from "./tape";

/** Options of {@link Ops.matmul}: those of gemm that define a fresh product. */
const MATMUL_OPTIONS = optionNames<MatmulOpOptions>({ transA: true, transB: true, bias: true, relu: true });

/** Options of {@link Ops.matmul}. */
export interface MatmulOpOptions {
  /**
   * Use A^T in place of A. Default false.
   * @defaultValue false
   */
  transA?: boolean;
  /**
   * Use B^T in place of B. Default false.
   * @defaultValue false
   */
  transB?: boolean;
  /**
   * A row of n values added to every row of the product (a Linear layer's bias).
   * @defaultValue null (none)
   */
  bias?: Tensor<"f32"> | null;
  /**
   * Apply ReLU to the result in the same pass. Default false.
   * @defaultValue false
   */
  relu?: boolean;
}

/** Options of {@link Ops.gelu}. */
export interface GeluOpOptions {
  /** 'none' for the exact x Φ(x) (PyTorch's default), 'tanh' for the tanh approximation. @defaultValue 'none' */
  approximate?: "none" | "tanh";
}

/** Options of {@link Ops.dropout}. */
export interface DropoutOpOptions {
  /** The probability of zeroing an element, in [0, 1]. @defaultValue 0.5 */
  p?: number;
  /** Drop (true) or return the input unchanged (false, for evaluation). @defaultValue true */
  training?: boolean;
  /** The Philox key, an integer in [0, 2^53). @defaultValue 0 */
  seed?: number;
  /** Which mask to draw, an integer in [0, 2^32). @defaultValue the number of earlier calls of the differentiated function */
  step?: number;
}

const GELU_OPTIONS = optionNames<GeluOpOptions>({ approximate: true });
const DROPOUT_OPTIONS = optionNames<DropoutOpOptions>({ p: true, training: true, seed: true, step: true });

/** The op codes of the broadcasting kernels (assembly/autodiff/broadcast.ts). */
const BINARY_OPS = { sub: 0, mul: 1, div: 2 } as const;

const TWO_32 = 4294967296;

const SCALAR: readonly number[] = [];

const sameShape = (a: Tensor, b: Tensor) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/**
 * The differentiable ops of a {@link valueAndGrad} function, on f32 tensors. Each checks its
 * inputs, runs its forward kernel into a buffer the tape owns and returns it; the tape runs the
 * matching backward kernels. Tensors may be Params (trainable), outputs of earlier ops, or any
 * other tensor (a constant: no gradient).
 */
export class Ops {
  constructor(private readonly tape: Tape) {}

  /**
   * op(A) op(B) (+ bias) (then ReLU), one gemm. Backward, with G the output's gradient (masked
   * by [y > 0] under ReLU): dA += G op(B)^T, dB += op(A)^T G (transposed for transposed
   * operands), dbias += the column sums of G.
   * @throws {ShapeError} when A or B is not an f32 matrix, the inner dimensions differ, or bias does not hold n values.
   * @throws {ValueError} when an input is not a tensor of this runtime, or an option is unknown or not a boolean.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  matmul(A: Tensor<"f32">, B: Tensor<"f32">, options: MatmulOpOptions = {}): Tensor<"f32"> {
    const a = this.input("A", A, 2);
    const b = this.input("B", B, 2);
    const { transA = false, transB = false, bias = null, relu = false } = checkOptions(options, { of: "ops.matmul", known: MATMUL_OPTIONS });
    checkBoolean("transA", transA);
    checkBoolean("transB", transB);
    checkBoolean("relu", relu);
    const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [kb, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (k !== kb) throw new ShapeError(`matmul: inner dimensions differ (${k} and ${kb}) for A [${a.shape.join(", ")}] and B [${b.shape.join(", ")}]`);
    const c = bias === null ? null : this.input("bias", bias);
    if (c && c.length !== n) throw new ShapeError(`matmul: bias has ${c.length} values, expected ${n}`);
    const slot = this.slot([m, n], [a, b, c]);
    gemm(a, b, slot.out, { transA, transB, bias: c, relu });
    const tape = this.tape;
    const [da, db, dc] = [tape.gradOf(a), tape.gradOf(b), c && tape.gradOf(c)];
    const kernels = tape.rt.kernels;
    return this.record(slot, [a, b, ...(c ? [c] : [])], (g) => {
      if (relu) kernels.f32_relu_backward(g.ptr, slot.out.ptr, g.length);
      if (da) {
        if (transA) gemm(b, g, da, { transA: transB, transB: true, beta: 1 });
        else gemm(g, b, da, { transB: !transB, beta: 1 });
      }
      if (db) {
        if (transB) gemm(g, a, db, { transA: true, transB: transA, beta: 1 });
        else gemm(a, g, db, { transA: !transA, beta: 1 });
      }
      if (dc) kernels.f32_add_column_sums(dc.ptr, g.ptr, m, n);
    });
  }

  /**
   * a + b, b of a's shape or of its trailing dimensions (broadcast over the leading ones, as a bias).
   * @throws {ShapeError} when b's shape is neither a's nor a trailing part of it, or a dtype is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  add(A: Tensor<"f32">, B: Tensor<"f32">): Tensor<"f32"> {
    const { a, b, rows, cols } = this.broadcast("add", A, B);
    const slot = this.slot(a.shape, [a, b]);
    const kernels = this.tape.rt.kernels;
    kernels.f32_add_rows(slot.out.ptr, a.ptr, b.ptr, rows, cols);
    const [da, db] = [this.tape.gradOf(a), this.tape.gradOf(b)];
    return this.record(slot, [], (g) => {
      if (da) kernels.f32_scaled_add(da.ptr, g.ptr, g.length, 1);
      if (db) kernels.f32_add_column_sums(db.ptr, g.ptr, rows, cols);
    });
  }

  /**
   * a - b, b of a's shape or of its trailing dimensions (broadcast over the leading ones).
   * Backward: da += G, db -= G summed over the broadcast dimensions.
   * @throws {ShapeError} when b's shape is neither a's nor a trailing part of it, or a dtype is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  sub(A: Tensor<"f32">, B: Tensor<"f32">): Tensor<"f32"> {
    return this.binary("sub", A, B);
  }

  /**
   * a * b elementwise, b of a's shape or of its trailing dimensions (broadcast over the leading
   * ones). Backward: da += G b, db += (G a) summed over the broadcast dimensions.
   * @throws {ShapeError} when b's shape is neither a's nor a trailing part of it, or a dtype is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  mul(A: Tensor<"f32">, B: Tensor<"f32">): Tensor<"f32"> {
    return this.binary("mul", A, B);
  }

  /**
   * a / b elementwise, b of a's shape or of its trailing dimensions (broadcast over the leading
   * ones); a zero in b gives ±Infinity or NaN, as in IEEE arithmetic. Backward, with y = a / b:
   *
   * ```
   * da += G / b,   db -= (G y) / b   summed over the broadcast dimensions
   * ```
   * @throws {ShapeError} when b's shape is neither a's nor a trailing part of it, or a dtype is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  div(A: Tensor<"f32">, B: Tensor<"f32">): Tensor<"f32"> {
    return this.binary("div", A, B);
  }

  /**
   * GELU, x Φ(x) (Hendrycks and Gimpel, 2016), PyTorch's default exact form or, with
   * `approximate: 'tanh'`, its tanh approximation:
   *
   * ```
   * exact:  y = x Φ(x) = x erfc(-x / √2) / 2          dy/dx = Φ(x) + x φ(x),  φ(x) = exp(-x²/2) / √(2π)
   * tanh:   y = x (1 + tanh u) / 2,  u = √(2/π) (x + 0.044715 x³)
   *         dy/dx = (1 + tanh u) / 2 + x (1 - tanh² u) / 2 · √(2/π) (1 + 3 · 0.044715 x²)
   * ```
   * Both are evaluated in f64 and rounded once; erfc has a relative error below 1.2e-7.
   * Backward: da += G dy/dx.
   * @throws {ValueError} when `approximate` is not 'none' or 'tanh', an option is unknown, or the input is not a tensor of this runtime.
   * @throws {ShapeError} when the input is not f32.
   * @throws {DisposedError} when the input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  gelu(A: Tensor<"f32">, options: GeluOpOptions = {}): Tensor<"f32"> {
    const a = this.input("a", A);
    const { approximate = "none" } = checkOptions(options, { of: "ops.gelu", known: GELU_OPTIONS });
    if (approximate !== "none" && approximate !== "tanh") throw new ValueError(`Invalid approximate: ${String(approximate)} (expected 'none' or 'tanh')`);
    const tanh = approximate === "tanh" ? 1 : 0;
    const slot = this.slot(a.shape, [a]);
    const kernels = this.tape.rt.kernels;
    kernels.f32_gelu(slot.out.ptr, a.ptr, a.length, tanh);
    const da = this.tape.gradOf(a);
    return this.record(slot, [a], (g) => da && kernels.f32_gelu_backward(da.ptr, g.ptr, a.ptr, g.length, tanh));
  }

  /**
   * Softmax over the last axis, shifted by each row's maximum m so that exp cannot overflow:
   *
   * ```
   * y_j = exp(a_j - m) / Σ_k exp(a_k - m)          backward: da_j += y_j (G_j - Σ_k G_k y_k)
   * ```
   * @throws {ShapeError} when the input is a scalar (no last axis) or not f32.
   * @throws {ValueError} when the input is not a tensor of this runtime.
   * @throws {DisposedError} when the input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  softmax(A: Tensor<"f32">): Tensor<"f32"> {
    return this.rowSoftmax("softmax", A, 0);
  }

  /**
   * Log-softmax over the last axis, shifted by each row's maximum m:
   *
   * ```
   * y_j = (a_j - m) - log Σ_k exp(a_k - m)         backward: da_j += G_j - exp(y_j) Σ_k G_k
   * ```
   * @throws {ShapeError} when the input is a scalar (no last axis) or not f32.
   * @throws {ValueError} when the input is not a tensor of this runtime.
   * @throws {DisposedError} when the input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  logSoftmax(A: Tensor<"f32">): Tensor<"f32"> {
    return this.rowSoftmax("logSoftmax", A, 1);
  }

  /**
   * Inverted dropout: in training, each element is zeroed with probability p and the others are
   * scaled by 1 / (1 - p), so the expected output is the input; with `training: false` the input
   * is returned as it is. The mask is drawn from Philox: element i is kept when u_i >= p, where
   * u is the f32 uniform stream of `new Philox(seed, position * 2**32 + step)` (position: the
   * op's place among the ops of this call, so two dropouts of one call differ). The same seed,
   * step and op sequence give the same mask on both backends.
   *
   * ```
   * mask_i = [u_i >= p] / (1 - p),   y = a mask,   backward: da += G mask
   * ```
   * The mask lives in a buffer of the tape, reused from call to call.
   * @throws {ValueError} when p is outside [0, 1], seed or step is not an integer in range, training is not a boolean, an option is unknown, or the input is not a tensor of this runtime.
   * @throws {ShapeError} when the input is not f32.
   * @throws {DisposedError} when the input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  dropout(A: Tensor<"f32">, options: DropoutOpOptions = {}): Tensor<"f32"> {
    const a = this.input("a", A);
    const tape = this.tape;
    const { p = 0.5, training = true, seed = 0, step = tape.step } = checkOptions(options, { of: "ops.dropout", known: DROPOUT_OPTIONS });
    checkNumber("p", p, { min: 0, max: 1 });
    checkBoolean("training", training);
    checkNumber("seed", seed, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
    checkNumber("step", step, { integer: true, min: 0, max: TWO_32 - 1 });
    if (!training) return a;
    const position = tape.position;
    const slot = this.slot(a.shape, [a]);
    const mask = slot.buffers.get("mask", a.shape);
    const kernels = tape.rt.kernels;
    const scale = p < 1 ? 1 / (1 - p) : 0;
    kernels.f32_dropout(slot.out.ptr, mask.ptr, a.ptr, a.length, seed % TWO_32, Math.floor(seed / TWO_32), step, position, p, scale);
    const da = tape.gradOf(a);
    return this.record(slot, [], (g) => da && kernels.f32_add_product(da.ptr, g.ptr, mask.ptr, g.length));
  }

  /**
   * Embedding lookup: row ids[i] of a `[vocab, dim]` table for each id, giving
   * `[...ids.shape, dim]` (`[n, dim]` for an Int32Array of n ids). Backward scatter-adds:
   *
   * ```
   * dtable[ids[i], :] += G[i, :]   (an id that occurs several times gets the sum)
   * ```
   * @throws {ValueError} when an id is outside [0, vocab) (before anything is written), ids are neither an i32 tensor nor an Int32Array, or a tensor is not of this runtime.
   * @throws {ShapeError} when the table is not a rank-2 f32 tensor, or ids is a tensor of another dtype.
   * @throws {DisposedError} when an input or the table's gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  embedding(table: Tensor<"f32">, ids: Tensor<"i32"> | Int32Array): Tensor<"f32"> {
    const t = this.input("table", table, 2);
    const rt = this.tape.rt;
    const [vocab, dim] = t.shape as [number, number];
    let values: Int32Array;
    let idTensor: Tensor<"i32"> | null = null;
    if (ids instanceof Int32Array) values = ids.buffer === rt.memory.buffer ? ids.slice() : ids;
    else {
      if (!(ids instanceof Tensor)) throw new ValueError(`Invalid ids: ${String(ids)} (expected an i32 Tensor or an Int32Array)`);
      idTensor = checkTensor("ids", ids, rt) as Tensor<"i32">;
      if (idTensor.dtype !== "i32") throw new ShapeError(`embedding: expected i32 ids, got ${idTensor.describe()}`);
      values = idTensor.data as Int32Array;
    }
    const bad = values.findIndex((id) => !(id >= 0 && id < vocab));
    if (bad >= 0) throw new ValueError(`Invalid id ${values[bad]} at position ${bad} (expected 0 <= id < ${vocab})`);
    const count = values.length;
    const slot = this.slot(idTensor ? [...idTensor.shape, dim] : [count, dim], [t]);
    const idx = idTensor ?? slot.buffers.get("ids", [count], "i32");
    if (!idTensor) idx.data.set(values);
    const kernels = rt.kernels;
    kernels.f32_gather_rows(slot.out.ptr, t.ptr, idx.ptr, count, dim);
    const dtable = this.tape.gradOf(t);
    return this.record(slot, idTensor ? [idTensor] : [], (g) => dtable && kernels.f32_scatter_add_rows(dtable.ptr, g.ptr, idx.ptr, count, dim));
  }

  /**
   * The elements `start <= i < end` of `axis` (negative axes count from the end), a copy.
   * Backward: the gradient is added into that part of da.
   * @throws {ValueError} when axis, start or end is not an integer in range (0 <= start <= end <= the axis' length), or the input is not a tensor of this runtime.
   * @throws {ShapeError} when the input is a scalar or not f32.
   * @throws {DisposedError} when the input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  slice(A: Tensor<"f32">, axis: number, start: number, end: number): Tensor<"f32"> {
    const a = this.input("a", A);
    const { outer, length, inner } = this.axisParts("slice", a.shape, axis);
    checkNumber("end", end, { integer: true, min: 0, max: length });
    checkNumber("start", start, { integer: true, min: 0, max: end });
    const at = axis < 0 ? a.shape.length + axis : axis;
    const shape = a.shape.map((d, i) => (i === at ? end - start : d));
    const slot = this.slot(shape, [a]);
    const [block, offset] = [(end - start) * inner, start * inner * 4];
    const kernels = this.tape.rt.kernels;
    kernels.f32_copy_blocks(slot.out.ptr, a.ptr + offset, outer, block, block, length * inner, 0);
    const da = this.tape.gradOf(a);
    return this.record(slot, [], (g) => da && kernels.f32_copy_blocks(da.ptr + offset, g.ptr, outer, block, length * inner, block, 1));
  }

  /**
   * The tensors joined along `axis` (negative axes count from the end); every other dimension
   * must agree. Backward: each input gets its part of the gradient.
   * @throws {ValueError} when the list is empty or not an array, axis is not an integer in range, or an input is not a tensor of this runtime.
   * @throws {ShapeError} when the inputs differ in rank or in a dimension other than axis, or one is a scalar or not f32.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  concat(tensors: readonly Tensor<"f32">[], axis = 0): Tensor<"f32"> {
    if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError(`Invalid tensors: ${String(tensors)} (expected a non-empty array of tensors)`);
    const inputs = tensors.map((t, i) => this.input(`tensors[${i}]`, t));
    const first = inputs[0]!;
    const { outer, inner } = this.axisParts("concat", first.shape, axis);
    const at = axis < 0 ? first.shape.length + axis : axis;
    inputs.forEach((t, i) => {
      if (t.shape.length !== first.shape.length || t.shape.some((d, j) => j !== at && d !== first.shape[j])) {
        throw new ShapeError(`concat: tensors[${i}] [${t.shape.join(", ")}] does not fit tensors[0] [${first.shape.join(", ")}] along axis ${at}`);
      }
    });
    const total = inputs.reduce((n, t) => n + t.shape[at]!, 0);
    const slot = this.slot(first.shape.map((d, i) => (i === at ? total : d)), inputs);
    const kernels = this.tape.rt.kernels;
    const parts = inputs.map((t, i) => ({ t, block: t.shape[at]! * inner, offset: inputs.slice(0, i).reduce((n, u) => n + u.shape[at]!, 0) * inner * 4 }));
    for (const { t, block, offset } of parts) kernels.f32_copy_blocks(slot.out.ptr + offset, t.ptr, outer, block, total * inner, block, 0);
    const grads = parts.map((part) => ({ ...part, d: this.tape.gradOf(part.t) }));
    return this.record(slot, [], (g) => {
      for (const { d, block, offset } of grads) if (d) kernels.f32_copy_blocks(d.ptr, g.ptr + offset, outer, block, block, total * inner, 1);
    });
  }

  /**
   * The transpose of a matrix, or of each matrix of a rank-3 tensor (its last two axes swapped),
   * a copy. Backward: da += Gᵀ.
   * @throws {ShapeError} when the input is not of rank 2 or 3, or not f32.
   * @throws {ValueError} when the input is not a tensor of this runtime.
   * @throws {DisposedError} when the input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  transpose(A: Tensor<"f32">): Tensor<"f32"> {
    const a = this.input("a", A);
    if (a.shape.length !== 2 && a.shape.length !== 3) throw new ShapeError(`transpose: expected rank 2 or 3, got ${a.describe()}`);
    const [rows, cols] = a.shape.slice(-2) as [number, number];
    const batch = a.shape.length === 3 ? a.shape[0]! : 1;
    const slot = this.slot([...a.shape.slice(0, -2), cols, rows], [a]);
    const kernels = this.tape.rt.kernels;
    kernels.f32_transpose(slot.out.ptr, a.ptr, batch, rows, cols, 0);
    const da = this.tape.gradOf(a);
    return this.record(slot, [], (g) => da && kernels.f32_transpose(da.ptr, g.ptr, batch, cols, rows, 1));
  }

  /** A shape seen as [outer, length, inner] around `axis`, an integer in [-rank, rank). */
  private axisParts(op: string, shape: readonly number[], axis: number) {
    if (shape.length === 0) throw new ShapeError(`${op}: a scalar has no axis`);
    checkNumber("axis", axis, { integer: true, min: -shape.length, max: shape.length - 1 });
    const at = axis < 0 ? shape.length + axis : axis;
    const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);
    return { outer: product(shape.slice(0, at)), length: shape[at]!, inner: product(shape.slice(at + 1)) };
  }

  /** y = a (op) b broadcast over a's leading dimensions; the backward kernels accumulate into both. */
  private binary(op: keyof typeof BINARY_OPS, A: Tensor<"f32">, B: Tensor<"f32">): Tensor<"f32"> {
    const { a, b, rows, cols } = this.broadcast(op, A, B);
    const code = BINARY_OPS[op];
    const slot = this.slot(a.shape, [a, b]);
    const y = slot.out;
    const kernels = this.tape.rt.kernels;
    kernels.f32_binary_rows(y.ptr, a.ptr, b.ptr, rows, cols, code);
    const [da, db] = [this.tape.gradOf(a), this.tape.gradOf(b)];
    return this.record(slot, op === "sub" ? [] : [a, b], (g) => {
      if (da) kernels.f32_binary_rows_grad_a(da.ptr, g.ptr, b.ptr, rows, cols, code);
      if (db) kernels.f32_binary_rows_grad_b(db.ptr, g.ptr, a.ptr, y.ptr, b.ptr, rows, cols, code);
    });
  }

  /** Two f32 inputs where b has a's shape or its trailing dimensions: a is rows x cols, b is cols. */
  private broadcast(op: string, A: Tensor<"f32">, B: Tensor<"f32">) {
    const a = this.input("a", A);
    const b = this.input("b", B);
    const lead = a.shape.length - b.shape.length;
    if (lead < 0 || b.shape.some((d, i) => d !== a.shape[lead + i])) {
      throw new ShapeError(`${op}: b [${b.shape.join(", ")}] must have the shape of a [${a.shape.join(", ")}] or of its trailing dimensions`);
    }
    return { a, b, rows: a.shape.slice(0, lead).reduce((p, d) => p * d, 1), cols: b.length };
  }

  private rowSoftmax(name: string, A: Tensor<"f32">, log: number): Tensor<"f32"> {
    const a = this.input("a", A);
    if (a.shape.length === 0) throw new ShapeError(`${name}: ${a.describe()} has no last axis`);
    const cols = a.shape[a.shape.length - 1]!;
    const rows = a.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const slot = this.slot(a.shape, [a]);
    const kernels = this.tape.rt.kernels;
    kernels.f32_softmax(slot.out.ptr, a.ptr, rows, cols, log);
    const da = this.tape.gradOf(a);
    return this.record(slot, [], (g) => da && kernels.f32_softmax_backward(da.ptr, g.ptr, slot.out.ptr, rows, cols, log));
  }

  /**
   * c a for a finite number c; backward da += c g.
   * @throws {ShapeError} when a is not f32.
   * @throws {ValueError} when a is not a tensor of this runtime, or c is not a finite number.
   * @throws {DisposedError} when a or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  scale(A: Tensor<"f32">, c: number): Tensor<"f32"> {
    const a = this.input("a", A);
    checkNumber("c", c);
    const slot = this.slot(a.shape, [a]);
    const kernels = this.tape.rt.kernels;
    kernels.f32_scale(slot.out.ptr, a.ptr, c, a.length);
    const da = this.tape.gradOf(a);
    return this.record(slot, [], (g) => da && kernels.f32_scaled_add(da.ptr, g.ptr, g.length, c));
  }

  /**
   * The sum of all elements, a scalar; backward da += g.
   * @throws {ShapeError} when a is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  sum(A: Tensor<"f32">): Tensor<"f32"> {
    return this.total("sum", A, false);
  }

  /**
   * The mean of all elements (at least one), a scalar; backward da += g / n.
   * @throws {ShapeError} when a is not f32 or empty.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  mean(A: Tensor<"f32">): Tensor<"f32"> {
    return this.total("mean", A, true);
  }

  /**
   * max(a, 0); backward da += g [y > 0].
   * @throws {ShapeError} when a is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  relu(A: Tensor<"f32">): Tensor<"f32"> {
    return this.activation(A, "f32_relu", (k, g, y, da) => {
      k.f32_relu_backward(g.ptr, y.ptr, g.length); // g is complete here: mask it in place
      k.f32_scaled_add(da.ptr, g.ptr, g.length, 1);
    });
  }

  /**
   * tanh(a); backward da += g (1 - y^2).
   * @throws {ShapeError} when a is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  tanh(A: Tensor<"f32">): Tensor<"f32"> {
    return this.activation(A, "f32_tanh", (k, g, y, da) => k.f32_tanh_backward(da.ptr, g.ptr, y.ptr, g.length));
  }

  /**
   * 1 / (1 + exp(-a)); backward da += g y (1 - y).
   * @throws {ShapeError} when a is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  sigmoid(A: Tensor<"f32">): Tensor<"f32"> {
    return this.activation(A, "f32_sigmoid", (k, g, y, da) => k.f32_sigmoid_backward(da.ptr, g.ptr, y.ptr, g.length));
  }

  /**
   * Mean squared error (1/n) sum (a - b)^2, a scalar; backward da += (2g/n)(a - b), db -= the same.
   * @throws {ShapeError} when a and b differ in shape, are empty, or a dtype is not f32.
   * @throws {ValueError} when an input is not a tensor of this runtime.
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  mse(A: Tensor<"f32">, B: Tensor<"f32">): Tensor<"f32"> {
    const [a, b] = this.pair("mse", A, B);
    if (a.length === 0) throw new ShapeError("mse: the inputs are empty (the mean needs at least one element)");
    const slot = this.slot(SCALAR, [a, b]);
    const kernels = this.tape.rt.kernels;
    slot.out.data[0] = kernels.f32_squared_distance(a.ptr, b.ptr, a.length) / a.length;
    const [da, db] = [this.tape.gradOf(a), this.tape.gradOf(b)];
    return this.record(slot, [a, b], (g) => {
      const c = (2 * g.data[0]!) / a.length;
      if (da) kernels.f32_add_scaled_difference(da.ptr, a.ptr, b.ptr, c, a.length);
      if (db) kernels.f32_add_scaled_difference(db.ptr, a.ptr, b.ptr, -c, a.length);
    });
  }

  /**
   * Mean softmax cross-entropy of logits [batch, classes] against i32 labels [batch] in
   * [0, classes), a scalar: -(1/B) sum_i log softmax(z_i)[y_i]. The forward kernel also writes
   * (softmax(z) - onehot(y)) / B, which backward scales by the output's gradient.
   * @throws {ShapeError} when logits are not an f32 matrix [batch, classes] (non-empty) or labels not i32 [batch].
   * @throws {ValueError} when a tensor is not of this runtime, or a label is outside [0, classes).
   * @throws {DisposedError} when an input or its gradient was disposed.
   * @throws {StateError} when called outside the function given to valueAndGrad.
   */
  softmaxCrossEntropy(logits: Tensor<"f32">, labels: Tensor<"i32">): Tensor<"f32"> {
    const z = this.input("logits", logits, 2);
    const y = checkTensor("labels", labels, this.tape.rt);
    const [batch, classes] = z.shape as [number, number];
    if (y.dtype !== "i32" || y.shape.length !== 1 || y.length !== batch) {
      throw new ShapeError(`softmaxCrossEntropy: expected [${batch}] i32 labels for logits ${z.describe()}, got ${y.describe()}`);
    }
    if (batch === 0 || classes === 0) throw new ShapeError(`softmaxCrossEntropy: logits ${z.describe()} are empty`);
    const bad = (y.data as Int32Array).findIndex((label) => !(label >= 0 && label < classes));
    if (bad >= 0) throw new ValueError(`Invalid label ${y.data[bad]} at row ${bad} (expected 0 <= label < ${classes})`);
    const slot = this.slot(SCALAR, [z]);
    const dz = slot.buffers.get("dz", z.shape);
    const kernels = this.tape.rt.kernels;
    slot.out.data[0] = kernels.f32_softmax_cross_entropy(z.ptr, y.ptr, dz.ptr, batch, classes, 1 / batch) / batch;
    const dlogits = this.tape.gradOf(z);
    return this.record(slot, [], (g) => dlogits && kernels.f32_scaled_add(dlogits.ptr, dz.ptr, dz.length, g.data[0]!));
  }

  /**
   * 2-D convolution (cross-correlation, as in PyTorch) of x [N, C, H, W] with weight
   * [F, C, kh, kw], plus bias [F], into [N, F, OH, OW]:
   * ```
   * y[n, f, oh, ow] = bias[f] + sum_{c, i, j} weight[f, c, i, j] x[n, c, oh sh - ph + i dh, ow sw - pw + j dw]
   * OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1   (OW likewise)
   * ```
   * (x is zero in the padding). One gemm over a column buffer (im2col) the tape keeps:
   * y = weight [F, C kh kw] cols [C kh kw, N OH OW]. Backward, with G the output's gradient:
   * dweight += G colsᵀ, dx += col2im(weightᵀ G), dbias += the sums of G per channel.
   * @throws ShapeError x or weight not rank 4, channels that differ, a bias that is not [F], an empty input, a window larger than the padded input.
   * @throws ValueError a stride, padding or dilation that is not an integer (>= 1, >= 0, >= 1), an unknown option, a tensor of another runtime.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  conv2d(X: Tensor<"f32">, Weight: Tensor<"f32">, options: Conv2dOpOptions = {}): Tensor<"f32"> {
    const x = this.input("x", X, 4);
    const w = this.input("weight", Weight, 4);
    const { bias = null, stride = 1, padding = 0, dilation = 1 } = checkOptions(options, { of: "ops.conv2d", known: CONV2D_OPTIONS });
    const [F, C, kh, kw] = w.shape as [number, number, number, number];
    if (C !== x.shape[1]) throw new ShapeError(`conv2d: weight ${w.describe()} has ${C} input channels, x ${x.describe()} has ${x.shape[1]}`);
    const b = bias === null ? null : this.input("bias", bias, 1);
    if (b && b.length !== F) throw new ShapeError(`conv2d: bias ${b.describe()} must have the weight's ${F} output channels`);
    if (F * kh * kw === 0) throw new ShapeError(`conv2d: the weight ${w.describe()} is empty`);
    const g = window2d("conv2d", x, [kh, kw], stride, padding, dilation);
    const [P, K] = [g.OH * g.OW, C * kh * kw];
    const slot = this.slot([g.N, F, g.OH, g.OW], [x, w, b]);
    const cols = slot.buffers.get("cols", [K, g.N * P]);
    const t = slot.buffers.get("product", [F, g.N * P]);
    const rt = this.tape.rt;
    const kernels = rt.kernels;
    // The weight as the [F, C kh kw] matrix it is in memory.
    const matrix = (of: Tensor) => new Tensor(rt, of.ptr, "f32", [F, K]);
    kernels.f32_im2col(cols.ptr, x.ptr, ...convArgs(g));
    gemm(matrix(w), cols, t);
    kernels.f32_conv_output(slot.out.ptr, t.ptr, b ? b.ptr : 0, g.N, F, P);
    const [dx, dw, db] = [this.tape.gradOf(x), this.tape.gradOf(w), b && this.tape.gradOf(b)];
    return this.record(slot, [x, w, ...(b ? [b] : [])], (grad) => {
      kernels.f32_conv_output_backward(t.ptr, grad.ptr, db ? db.ptr : 0, g.N, F, P); // t = G as [F, N P]
      if (dw) gemm(t, cols, matrix(dw), { transB: true, beta: 1 });
      if (dx) {
        gemm(matrix(w), t, cols, { transA: true }); // the columns are no longer needed: reuse them for dcols
        kernels.f32_col2im(dx.ptr, cols.ptr, ...convArgs(g));
      }
    });
  }

  /**
   * 2-D max pooling of x [N, C, H, W] over kh x kw windows (`kernel`), into [N, C, OH, OW]
   * with OH = floor((H + 2 ph - kh) / sh) + 1. The forward keeps each window's argmax, and
   * backward adds G there: dx[argmax] += G. Ties go to the first largest element of the window
   * in row-major order; a NaN in the window wins (the output is NaN).
   * @throws ShapeError x not rank 4, an empty input, a window larger than the padded input.
   * @throws ValueError a kernel or stride that is not an integer >= 1, padding that is not an integer in [0, kernel / 2], an unknown option, a tensor of another runtime.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  maxPool2d(X: Tensor<"f32">, kernel: Size2d, options: Pool2dOpOptions = {}): Tensor<"f32"> {
    const { x, g, slot } = this.pool("maxPool2d", X, kernel, options);
    const argmax = slot.buffers.get("argmax", slot.out.shape, "i32");
    const kernels = this.tape.rt.kernels;
    kernels.f32_maxpool_forward(slot.out.ptr, argmax.ptr, x.ptr, ...poolArgs(g));
    const dx = this.tape.gradOf(x);
    return this.record(slot, [], (grad) => dx && kernels.f32_maxpool_backward(dx.ptr, grad.ptr, argmax.ptr, g.N * g.C, g.H * g.W, g.OH * g.OW));
  }

  /**
   * 2-D average pooling of x [N, C, H, W] over kh x kw windows (`kernel`), into [N, C, OH, OW]:
   * each output is the window's sum divided by kh kw (padding counts as zeros, PyTorch's
   * count_include_pad). Backward: each input of the window gets dx += G / (kh kw).
   * @throws ShapeError x not rank 4, an empty input, a window larger than the padded input.
   * @throws ValueError a kernel or stride that is not an integer >= 1, padding that is not an integer in [0, kernel / 2], an unknown option, a tensor of another runtime.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  avgPool2d(X: Tensor<"f32">, kernel: Size2d, options: Pool2dOpOptions = {}): Tensor<"f32"> {
    const { x, g, slot } = this.pool("avgPool2d", X, kernel, options);
    const kernels = this.tape.rt.kernels;
    kernels.f32_avgpool_forward(slot.out.ptr, x.ptr, ...poolArgs(g));
    const dx = this.tape.gradOf(x);
    return this.record(slot, [], (grad) => dx && kernels.f32_avgpool_backward(dx.ptr, grad.ptr, ...poolArgs(g)));
  }

  /**
   * x [N, d1, d2, ...] as the matrix [N, d1 d2 ...] (torch.flatten(x, 1)): the step from a
   * convolution's feature maps to a linear layer. A view of x (see {@link Ops.reshape}): no copy.
   * @throws ShapeError x of rank < 2.
   * @throws ValueError not a tensor, or a tensor of another runtime.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  flatten(X: Tensor<"f32">): Tensor<"f32"> {
    const x = this.input("x", X);
    if (x.shape.length < 2) throw new ShapeError(`flatten: x ${x.describe()} must have a batch dimension and at least one more`);
    return this.view(x, [x.shape[0]!, x.length === 0 ? 0 : x.length / x.shape[0]!]);
  }

  /**
   * x with another shape of the same element count, one dimension possibly -1 (inferred), as
   * torch's `view`: the output is a view of x's memory (`x.reshape(shape)`), so forward copies
   * nothing, and its gradient is a view of x's gradient, so backward adds nothing. Writing into
   * the output writes into x.
   * @throws ShapeError a shape with more than one -1, or of another element count.
   * @throws ValueError not a tensor, or a tensor of another runtime.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  reshape(X: Tensor<"f32">, shape: readonly number[]): Tensor<"f32"> {
    return this.view(this.input("x", X), shape);
  }

  /** The op of reshape and flatten: the output and its gradient are views of x and of x's gradient. */
  private view(x: Tensor<"f32">, shape: readonly number[]): Tensor<"f32"> {
    const out = x.reshape(shape);
    const dx = this.tape.gradOf(x);
    return this.tape.pushView({ out, grad: dx && dx.reshape(out.shape), sharesGrad: true, reads: [], backward: () => {} });
  }

  /**
   * Batch normalization (Ioffe & Szegedy, 2015) of x [N, C, ...] per channel c, over the
   * M = N d1 d2 ... values of the batch, with PyTorch's conventions:
   * ```
   * y = gamma (x - mean) / sqrt(var + eps) + beta          (var biased)
   * runningMean = (1 - momentum) runningMean + momentum mean
   * runningVar  = (1 - momentum) runningVar  + momentum var M / (M - 1)
   * ```
   * Training (the default) normalizes by the batch statistics and updates the running ones in
   * place when given; otherwise the running statistics are constants. The kernels are the
   * BatchNorm module's: backward dx = gamma invstd (G - mean(G) - xhat mean(G xhat)),
   * dgamma += sum G xhat, dbeta += sum G (dx = gamma G / sqrt(runningVar + eps) in evaluation).
   * @throws ShapeError x of rank < 2 or empty, gamma, beta or running statistics that are not [C].
   * @throws ValueError one value per channel when the batch statistics are used, running statistics given alone or overlapping another operand, eps or momentum out of range, an unknown option.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  batchNorm(X: Tensor<"f32">, options: BatchNormOpOptions = {}): Tensor<"f32"> {
    const x = this.input("x", X);
    const o = checkOptions(options, { of: "ops.batchNorm", known: BATCH_NORM_OP_OPTIONS });
    if (x.shape.length < 2 || x.length === 0) throw new ShapeError(`batchNorm: x ${x.describe()} must be a non-empty [N, C, ...]`);
    const [N, C] = x.shape as [number, number];
    const S = x.length / (N * C);
    const training = checkBoolean("training", o.training ?? true);
    const momentum = checkNumber("momentum", o.momentum ?? 0.1, { min: 0, max: 1 });
    const eps = checkEps(o.eps ?? 1e-5, LARGEST_FINITE.f32 ** -2, "1 / sqrt(eps) overflows f32");
    const runningMean = o.runningMean == null ? null : this.constant("runningMean", o.runningMean, [C]);
    const runningVar = o.runningVar == null ? null : this.constant("runningVar", o.runningVar, [C]);
    if ((runningMean === null) !== (runningVar === null)) throw new ValueError("batchNorm: give runningMean and runningVar together");
    const batchStats = training || runningMean === null;
    if (batchStats && N * S <= 1) {
      throw new ValueError(`batchNorm: expected more than 1 value per channel with batch statistics, got x ${x.describe()}: the variance of one value is undefined`);
    }
    const affine = this.affine("batchNorm", o, [C]);
    checkNoOverlap("ops.batchNorm", [["runningMean", runningMean], ["runningVar", runningVar]], [["x", x], ["gamma", affine.gamma], ["beta", affine.beta]]);
    const slot = this.slot(x.shape, [x, affine.gamma, affine.beta]);
    const { scale, shift, dscale, dshift } = this.affineBuffers(slot.buffers, affine, C);
    const stats = slot.buffers.get("stats", [BATCH_NORM_STATS_ROWS, C], "f64");
    const kernels = this.tape.rt.kernels;
    if (!batchStats) {
      kernels.f32_batchnorm_forward_eval(x.ptr, slot.out.ptr, scale.ptr, shift.ptr, runningMean!.ptr, runningVar!.ptr, stats.ptr, N, C, S, eps, 0);
    } else {
      kernels.f32_batchnorm_forward(x.ptr, slot.out.ptr, scale.ptr, shift.ptr, stats.ptr, N, C, S, eps, 0);
      const M = N * S;
      if (training && runningMean) kernels.f32_batchnorm_update_running(runningMean.ptr, runningVar!.ptr, stats.ptr, C, 1 - momentum, momentum, M / (M - 1));
    }
    const dx = this.tape.gradOf(x);
    return this.record(slot, [x, ...affine.reads], (grad) => {
      // dx may alias dy in the kernel: the complete gradient G becomes dx in place.
      kernels.f32_batchnorm_backward(x.ptr, grad.ptr, grad.ptr, scale.ptr, stats.ptr, dscale.ptr, dshift.ptr, N, C, S, batchStats ? 1 : 0);
      if (dx) kernels.f32_scaled_add(dx.ptr, grad.ptr, grad.length, 1);
    });
  }

  /**
   * Layer normalization (Ba, Kiros & Hinton, 2016): each sample normalized over its trailing
   * dimensions `normalizedShape`, with gamma and beta of that shape:
   * ```
   * y = gamma (x - mean) / sqrt(var + eps) + beta     (mean, biased var over the trailing dimensions)
   * ```
   * Backward: the LayerNorm module's kernels.
   * @throws ShapeError x whose trailing dimensions are not normalizedShape, an empty x, gamma or beta not of normalizedShape.
   * @throws ValueError a normalizedShape that is not a size or a non-empty list of sizes, eps out of range, an unknown option.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  layerNorm(X: Tensor<"f32">, normalizedShape: number | readonly number[], options: NormOpOptions = {}): Tensor<"f32"> {
    const x = this.input("x", X);
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : [];
    if (shape.length === 0) throw new ValueError(`Invalid normalizedShape: ${String(normalizedShape)} (expected a size or a non-empty list of sizes)`);
    shape.forEach((d) => checkNumber("normalizedShape", d, { integer: true, min: 1 }));
    const tail = x.shape.slice(x.shape.length - shape.length);
    if (x.shape.length < shape.length || tail.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`layerNorm: x ${x.describe()} must end in the dimensions [${shape.join(", ")}]`);
    }
    const D = shape.reduce((p, d) => p * d, 1);
    return this.rowNorm("layerNorm", x, { N: x.length / D, G: 1, Cg: D, S: 1 }, shape, options);
  }

  /**
   * Group normalization (Wu & He, 2018): the C channels of each sample of x [N, C, ...] split
   * into numGroups groups, each normalized over its channels and positions; gamma and beta [C].
   * @throws ShapeError x of rank < 2 or empty, gamma or beta not [C].
   * @throws ValueError numGroups not an integer >= 1 dividing C, eps out of range, an unknown option.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  groupNorm(X: Tensor<"f32">, numGroups: number, options: NormOpOptions = {}): Tensor<"f32"> {
    const x = this.input("x", X);
    const { N, C, S } = this.channels("groupNorm", x);
    checkNumber("numGroups", numGroups, { integer: true, min: 1 });
    if (C % numGroups !== 0) throw new ValueError(`Invalid numGroups: ${numGroups} (expected a divisor of the ${C} channels of x)`);
    return this.rowNorm("groupNorm", x, { N, G: numGroups, Cg: C / numGroups, S }, [C], options);
  }

  /**
   * Instance normalization (Ulyanov, Vedaldi & Lempitsky, 2016): each channel of each sample of
   * x [N, C, d1, ...] normalized over its positions; gamma and beta [C].
   * @throws ShapeError x of rank < 2 or empty, gamma or beta not [C].
   * @throws ValueError one position per channel, eps out of range, an unknown option.
   * @throws DisposedError a disposed input.
   * @throws StateError used outside the function given to valueAndGrad.
   */
  instanceNorm(X: Tensor<"f32">, options: NormOpOptions = {}): Tensor<"f32"> {
    const x = this.input("x", X);
    const { N, C, S } = this.channels("instanceNorm", x);
    if (S <= 1) throw new ValueError(`instanceNorm: expected more than 1 position per channel, got x ${x.describe()}`);
    return this.rowNorm("instanceNorm", x, { N, G: C, Cg: 1, S }, [C], options);
  }

  /** Checks a pooling's input and options; returns its geometry and output slot. */
  private pool(op: string, X: Tensor<"f32">, kernel: Size2d, options: Pool2dOpOptions) {
    const x = this.input("x", X, 4);
    const { stride, padding = 0 } = checkOptions(options, { of: `ops.${op}`, known: POOL2D_OPTIONS });
    const size = pairOf("kernel", kernel, 1);
    const [ph, pw] = pairOf("padding", padding, 0);
    if (2 * ph > size[0] || 2 * pw > size[1]) {
      throw new ValueError(`Invalid padding: ${ph} x ${pw} (expected at most half the ${size[0]} x ${size[1]} kernel)`);
    }
    const g = window2d(op, x, size, stride ?? size, [ph, pw], 1);
    return { x, g, slot: this.slot([g.N, g.C, g.OH, g.OW], [x]) };
  }

  /** N, C and the positions per channel S of a non-empty x [N, C, ...]. */
  private channels(op: string, x: Tensor) {
    if (x.shape.length < 2 || x.length === 0) throw new ShapeError(`${op}: x ${x.describe()} must be a non-empty [N, C, ...]`);
    const [N, C] = x.shape as [number, number];
    return { N, C, S: x.length / (N * C) };
  }

  /** The norms with statistics per row (layer, group, instance): one group-norm kernel pair. */
  private rowNorm(op: string, x: Tensor<"f32">, rows: RowLayout, paramShape: number[], options: NormOpOptions): Tensor<"f32"> {
    if (x.length === 0) throw new ShapeError(`${op}: x ${x.describe()} is empty`);
    const o = checkOptions(options, { of: `ops.${op}`, known: NORM_OP_OPTIONS });
    const eps = checkEps(o.eps ?? 1e-5, LARGEST_FINITE.f32 ** -2, "1 / sqrt(eps) overflows f32");
    const affine = this.affine(op, o, paramShape);
    const { N, G, Cg, S } = rows;
    const slot = this.slot(x.shape, [x, affine.gamma, affine.beta]);
    const { scale, shift, dscale, dshift } = this.affineBuffers(slot.buffers, affine, G * Cg);
    const stats = slot.buffers.get("stats", [groupNormStatsLength(N, G, Cg)], "f64");
    const kernels = this.tape.rt.kernels;
    kernels.f32_groupnorm_forward(x.ptr, slot.out.ptr, scale.ptr, shift.ptr, stats.ptr, N, G, Cg, S, eps);
    const dx = this.tape.gradOf(x);
    return this.record(slot, [x, ...affine.reads], (grad) => {
      kernels.f32_groupnorm_backward(x.ptr, grad.ptr, grad.ptr, scale.ptr, stats.ptr, dscale.ptr, dshift.ptr, N, G, Cg, S);
      if (dx) kernels.f32_scaled_add(dx.ptr, grad.ptr, grad.length, 1);
    });
  }

  /** gamma and beta of a norm op, each absent or an f32 tensor of `shape`. */
  private affine(op: string, o: NormOpOptions, shape: readonly number[]) {
    const of = (name: "gamma" | "beta") => {
      const value = o[name];
      if (value == null) return null;
      const t = this.input(name, value);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new ShapeError(`${op}: ${name} ${t.describe()} must have shape [${shape.join(", ")}]`);
      }
      return t;
    };
    const [gamma, beta] = [of("gamma"), of("beta")];
    return { gamma, beta, reads: [gamma, beta].filter((t): t is Tensor<"f32"> => t !== null) };
  }

  /**
   * What the norm kernels read and accumulate into: gamma and beta (ones and zeros of the
   * slot when absent), and their gradients (slot scratch when they take none).
   */
  private affineBuffers(buffers: Workspace, affine: { gamma: Tensor<"f32"> | null; beta: Tensor<"f32"> | null }, count: number) {
    const param = (t: Tensor<"f32"> | null, name: string, fill: number) => t ?? buffers.get(name, [count]).fill(fill);
    const grad = (t: Tensor<"f32"> | null, name: string) => (t && this.tape.gradOf(t)) ?? buffers.get(name, [count]);
    return {
      scale: param(affine.gamma, "ones", 1),
      shift: param(affine.beta, "zeros", 0),
      dscale: grad(affine.gamma, "unused gamma gradient"),
      dshift: grad(affine.beta, "unused beta gradient"),
    };
  }

  /** A live f32 tensor of this runtime of `shape` that an op reads (or updates) but never differentiates. */
  private constant(name: string, value: unknown, shape: readonly number[]): Tensor<"f32"> {
    const t = checkTensor(name, value, this.tape.rt);
    if (t.dtype !== "f32" || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`Invalid ${name}: ${t.describe()} (expected an f32 tensor of shape [${shape.join(", ")}])`);
    }
    return t as Tensor<"f32">;
  }

  private total(name: string, A: Tensor<"f32">, mean: boolean): Tensor<"f32"> {
    const a = this.input("a", A);
    if (mean && a.length === 0) throw new ShapeError(`${name}: the input is empty (the mean needs at least one element)`);
    const scale = mean ? 1 / a.length : 1;
    const slot = this.slot(SCALAR, [a]);
    const kernels = this.tape.rt.kernels;
    slot.out.data[0] = kernels.f32_sum(a.ptr, a.length) * scale;
    const da = this.tape.gradOf(a);
    return this.record(slot, [], (g) => da && kernels.f32_add_constant(da.ptr, g.data[0]! * scale, a.length));
  }

  private activation(
    A: Tensor<"f32">,
    forward: "f32_relu" | "f32_tanh" | "f32_sigmoid",
    backward: (k: Tape["rt"]["kernels"], g: Tensor<"f32">, y: Tensor<"f32">, da: Tensor<"f32">) => void,
  ): Tensor<"f32"> {
    const a = this.input("a", A);
    const slot = this.slot(a.shape, [a]);
    const kernels = this.tape.rt.kernels;
    kernels[forward](slot.out.ptr, a.ptr, a.length);
    const da = this.tape.gradOf(a);
    return this.record(slot, [], (g) => da && backward(kernels, g, slot.out, da));
  }

  /** Two f32 inputs of one shape. */
  private pair(op: string, A: Tensor<"f32">, B: Tensor<"f32">): [Tensor<"f32">, Tensor<"f32">] {
    const a = this.input("a", A);
    const b = this.input("b", B);
    if (!sameShape(a, b)) throw new ShapeError(`${op}: a [${a.shape.join(", ")}] and b [${b.shape.join(", ")}] must have one shape`);
    return [a, b];
  }

  /** A live f32 tensor of this runtime (of the given rank), whose gradient, if it is a Param, is live. */
  private input(name: string, value: unknown, rank?: number): Tensor<"f32"> {
    if (!this.tape.recording) throw new StateError("Ops can only be used inside the function given to valueAndGrad, while it runs");
    const t = checkTensor(name, value, this.tape.rt);
    if (t.dtype !== "f32") throw new ShapeError(`Invalid ${name}: ${t.describe()} (expected dtype 'f32')`);
    if (rank !== undefined && t.shape.length !== rank) throw new ShapeError(`Invalid ${name}: ${t.describe()} (expected rank ${rank})`);
    checkTensor(`the gradient of ${name}`, this.tape.gradOf(t) ?? t, this.tape.rt);
    return t as Tensor<"f32">;
  }

  /** The next slot's output buffer, and its gradient buffer when any input carries a gradient. */
  private slot(shape: readonly number[], inputs: readonly (Tensor | null)[]) {
    const buffers = this.tape.nextSlot();
    const out = buffers.get("out", shape);
    const grad = inputs.some((t) => t && this.tape.gradOf(t)) ? buffers.get("grad", shape) : null;
    return { buffers, out, grad };
  }

  /** Records the op; `reads` are the inputs its backward reads besides its own output. */
  private record(
    slot: { out: Tensor<"f32">; grad: Tensor<"f32"> | null },
    reads: readonly Tensor[],
    backward: (grad: Tensor<"f32">) => unknown,
  ): Tensor<"f32"> {
    return this.tape.push({ out: slot.out, grad: slot.grad, reads, backward });
  }
}
