import { gemm } from "../linalg/gemm";
import { ShapeError, StateError, ValueError } from "../runtime/errors";
import { checkTensor, type Tensor } from "../runtime/tensor";
import { checkBoolean, checkNumber, checkOptions, optionNames } from "../runtime/validate";
import type { Tape } from "./tape";

/** Options of {@link Ops.matmul}: those of gemm that define a fresh product. */
const MATMUL_OPTIONS = optionNames<MatmulOpOptions>({ transA: true, transB: true, bias: true, relu: true });

export interface MatmulOpOptions {
  /** Use A^T in place of A. Default false. */
  transA?: boolean;
  /** Use B^T in place of B. Default false. */
  transB?: boolean;
  /** A row of n values added to every row of the product (a Linear layer's bias). */
  bias?: Tensor<"f32"> | null;
  /** Apply ReLU to the result in the same pass. Default false. */
  relu?: boolean;
}

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

  /** a + b, b of a's shape or of its trailing dimensions (broadcast over the leading ones, as a bias). */
  add(A: Tensor<"f32">, B: Tensor<"f32">): Tensor<"f32"> {
    const a = this.input("a", A);
    const b = this.input("b", B);
    const lead = a.shape.length - b.shape.length;
    if (lead < 0 || b.shape.some((d, i) => d !== a.shape[lead + i])) {
      throw new ShapeError(`add: b [${b.shape.join(", ")}] must have the shape of a [${a.shape.join(", ")}] or of its trailing dimensions`);
    }
    const rows = a.shape.slice(0, lead).reduce((p, d) => p * d, 1);
    const cols = b.length;
    const slot = this.slot(a.shape, [a, b]);
    const kernels = this.tape.rt.kernels;
    kernels.f32_add_rows(slot.out.ptr, a.ptr, b.ptr, rows, cols);
    const [da, db] = [this.tape.gradOf(a), this.tape.gradOf(b)];
    return this.record(slot, [], (g) => {
      if (da) kernels.f32_scaled_add(da.ptr, g.ptr, g.length, 1);
      if (db) kernels.f32_add_column_sums(db.ptr, g.ptr, rows, cols);
    });
  }

  /** a * b elementwise (same shapes); backward da += g b, db += g a. */
  mul(A: Tensor<"f32">, B: Tensor<"f32">): Tensor<"f32"> {
    const [a, b] = this.pair("mul", A, B);
    const slot = this.slot(a.shape, [a, b]);
    const kernels = this.tape.rt.kernels;
    kernels.f32_mul(slot.out.ptr, a.ptr, b.ptr, a.length);
    const [da, db] = [this.tape.gradOf(a), this.tape.gradOf(b)];
    return this.record(slot, [a, b], (g) => {
      if (da) kernels.f32_add_product(da.ptr, g.ptr, b.ptr, g.length);
      if (db) kernels.f32_add_product(db.ptr, g.ptr, a.ptr, g.length);
    });
  }

  /** c a for a finite number c; backward da += c g. */
  scale(A: Tensor<"f32">, c: number): Tensor<"f32"> {
    const a = this.input("a", A);
    checkNumber("c", c);
    const slot = this.slot(a.shape, [a]);
    const kernels = this.tape.rt.kernels;
    kernels.f32_scale(slot.out.ptr, a.ptr, c, a.length);
    const da = this.tape.gradOf(a);
    return this.record(slot, [], (g) => da && kernels.f32_scaled_add(da.ptr, g.ptr, g.length, c));
  }

  /** The sum of all elements, a scalar; backward da += g. */
  sum(A: Tensor<"f32">): Tensor<"f32"> {
    return this.total("sum", A, false);
  }

  /** The mean of all elements (at least one), a scalar; backward da += g / n. */
  mean(A: Tensor<"f32">): Tensor<"f32"> {
    return this.total("mean", A, true);
  }

  /** max(a, 0); backward da += g [y > 0]. */
  relu(A: Tensor<"f32">): Tensor<"f32"> {
    return this.activation(A, "f32_relu", (k, g, y, da) => {
      k.f32_relu_backward(g.ptr, y.ptr, g.length); // g is complete here: mask it in place
      k.f32_scaled_add(da.ptr, g.ptr, g.length, 1);
    });
  }

  /** tanh(a); backward da += g (1 - y^2). */
  tanh(A: Tensor<"f32">): Tensor<"f32"> {
    return this.activation(A, "f32_tanh", (k, g, y, da) => k.f32_tanh_backward(da.ptr, g.ptr, y.ptr, g.length));
  }

  /** 1 / (1 + exp(-a)); backward da += g y (1 - y). */
  sigmoid(A: Tensor<"f32">): Tensor<"f32"> {
    return this.activation(A, "f32_sigmoid", (k, g, y, da) => k.f32_sigmoid_backward(da.ptr, g.ptr, y.ptr, g.length));
  }

  /** Mean squared error (1/n) sum (a - b)^2, a scalar; backward da += (2g/n)(a - b), db -= the same. */
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
