import { gemm } from "../linalg/gemm";
import { DisposedError, ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { checkTensor, Param, type Tensor } from "../runtime/tensor";
import { checkFunction } from "../runtime/validate";
import { Workspace } from "../runtime/workspace";
import { Ops, type MatmulOpOptions } from "./ops";
import { Tape } from "./tape";

/** The ops with an R-operator rule: a function made of these has an exact Hessian-vector product. */
export const CURVATURE_OPS = [
  "matmul", "add", "sub", "mul", "scale", "sum", "mean", "relu", "tanh", "sigmoid", "mse", "softmaxCrossEntropy",
] as const;

type F32 = Tensor<"f32">;

/**
 * Pearlmutter's R-operator over one tape (Pearlmutter 1994, "Fast exact multiplication by the
 * Hessian"): R{z} = d/dr z(θ + r v) at r = 0 for every quantity z of a forward and backward pass.
 * Each op writes R{output} next to its output as it runs (the forward pass of the tangents); after
 * the ordinary backward pass has written every gradient G, the rules run in reverse and
 * accumulate R{G} into the inputs, so that R{∇θ f} = H v arrives in the parameters' products.
 */
class RPass {
  readonly directions = new Map<Tensor, F32>();
  readonly products = new Map<Tensor, F32>();
  private readonly tangents = new Map<Tensor, F32>();
  private readonly rGrads = new Map<Tensor, F32>();
  /** Per recorded op, in order: adds R{its inputs' gradients} into their R-gradients (its output's tangent was written when it ran). */
  private readonly rules: (() => void)[] = [];
  private readonly slots: Workspace[] = [];

  constructor(private readonly tape: Tape) {}

  private get k() {
    return this.tape.rt.kernels;
  }

  begin(): void {
    this.rules.length = 0;
    this.tangents.clear();
    this.rGrads.clear();
  }

  /** R-backward: every rule in reverse order, R{G} of the loss being 0 (its G is the constant 1). */
  backward(): void {
    // Ops the previous call had beyond this one's: their buffers go, as the tape's slots do.
    for (const slot of this.slots.splice(this.rules.length)) slot.dispose();
    for (const r of this.rGrads.values()) r.fill(0);
    for (const p of this.products.values()) p.fill(0);
    for (let i = this.rules.length - 1; i >= 0; i--) this.rules[i]!();
  }

  dispose(): void {
    for (const slot of this.slots.splice(0)) slot.dispose();
  }

  private tangentOf(t: Tensor): F32 | null {
    return this.directions.get(t) ?? this.tangents.get(t) ?? null;
  }

  private rGradOf(t: Tensor): F32 | null {
    return this.products.get(t) ?? this.rGrads.get(t) ?? null;
  }

  /** The buffers of the next rule, reused while the op sequence repeats (as the tape's slots). */
  private beginRule(out: F32) {
    const index = this.rules.length;
    this.slots[index] ??= new Workspace(this.tape.rt);
    const buffers = this.slots[index]!;
    const tangent = buffers.get("tangent", out.shape).fill(0);
    this.tangents.set(out, tangent);
    const g = this.tape.gradOf(out);
    if (g) this.rGrads.set(out, buffers.get("rGrad", out.shape));
    const temp = (name: string, shape: readonly number[] = out.shape) => buffers.get(name, shape);
    return { tangent, temp };
  }

  private push(out: F32, backward: (g: F32, rg: F32) => void): void {
    const tape = this.tape;
    const rGrads = this.rGrads;
    this.rules.push(() => {
      const g = tape.gradOf(out);
      const rg = rGrads.get(out);
      if (g && rg) backward(g, rg);
    });
  }

  /**
   * C = op(A) op(B) (+ bias) (then ReLU): R{C} = op(R{A}) op(B) + op(A) op(R{B}) + R{bias}, masked
   * by [C > 0] under ReLU. With G the (masked) gradient: R{dA} = the dA formula applied to R{G}
   * and B plus to G and R{B}; R{dB} likewise; R{dbias} = the column sums of R{G}.
   */
  matmul(out: F32, A: F32, B: F32, options: MatmulOpOptions): void {
    const { transA = false, transB = false, bias = null, relu = false } = options;
    const { tangent } = this.beginRule(out);
    const [tA, tB, tBias] = [this.tangentOf(A), this.tangentOf(B), bias && this.tangentOf(bias)];
    const [m, n] = out.shape as [number, number];
    if (tA) gemm(tA, B, tangent, { transA, transB, beta: 1 });
    if (tB) gemm(A, tB, tangent, { transA, transB, beta: 1 });
    if (tBias) this.k.f32_add_rows(tangent.ptr, tangent.ptr, tBias.ptr, m, n);
    if (relu) this.k.f32_relu_backward(tangent.ptr, out.ptr, out.length);
    // dA += G op(B)^T (or its transpose), dB += op(A)^T G, as the op's backward writes them.
    const gradA = (G: F32, b: F32, target: F32) =>
      transA ? gemm(b, G, target, { transA: transB, transB: true, beta: 1 }) : gemm(G, b, target, { transB: !transB, beta: 1 });
    const gradB = (a: F32, G: F32, target: F32) =>
      transB ? gemm(G, a, target, { transA: true, transB: transA, beta: 1 }) : gemm(a, G, target, { transA: !transA, beta: 1 });
    this.push(out, (g, rg) => {
      const [rA, rB, rBias] = [this.rGradOf(A), this.rGradOf(B), bias && this.rGradOf(bias)];
      if (relu) this.k.f32_relu_backward(rg.ptr, out.ptr, rg.length);
      if (rA) {
        gradA(rg, B, rA);
        if (tB) gradA(g, tB, rA);
      }
      if (rB) {
        gradB(A, rg, rB);
        if (tA) gradB(tA, g, rB);
      }
      if (rBias) this.k.f32_add_column_sums(rBias.ptr, rg.ptr, m, n);
    });
  }

  /** a ± b (b broadcast over rows): R{y} = R{a} ± R{b}; R{da} += R{G}, R{db} ±= its column sums. */
  addOrSub(out: F32, A: F32, B: F32, sign: 1 | -1): void {
    const { tangent } = this.beginRule(out);
    const [tA, tB] = [this.tangentOf(A), this.tangentOf(B)];
    const [rows, cols] = [A.length / Math.max(B.length, 1), B.length];
    if (tA) this.k.f32_scaled_add(tangent.ptr, tA.ptr, tangent.length, 1);
    if (tB) {
      if (sign === 1) this.k.f32_add_rows(tangent.ptr, tangent.ptr, tB.ptr, rows, cols);
      else this.k.f32_binary_rows(tangent.ptr, tangent.ptr, tB.ptr, rows, cols, 0);
    }
    this.push(out, (_g, rg) => {
      const [rA, rB] = [this.rGradOf(A), this.rGradOf(B)];
      if (rA) this.k.f32_scaled_add(rA.ptr, rg.ptr, rg.length, 1);
      if (rB && sign === 1) this.k.f32_add_column_sums(rB.ptr, rg.ptr, rows, cols);
      if (rB && sign === -1) this.k.f32_binary_rows_grad_b(rB.ptr, rg.ptr, rg.ptr, rg.ptr, rg.ptr, rows, cols, 0);
    });
  }

  /**
   * y = a b (b broadcast over rows): R{y} = R{a} b + a R{b}; R{da} += R{G} b + G R{b},
   * R{db} += the column sums of R{G} a + G R{a}.
   */
  mul(out: F32, A: F32, B: F32): void {
    const { tangent } = this.beginRule(out);
    const [tA, tB] = [this.tangentOf(A), this.tangentOf(B)];
    const [rows, cols] = [A.length / Math.max(B.length, 1), B.length];
    const k = this.k;
    // f32_binary_rows_grad_a(d, g, b) adds g_ij b_j; f32_binary_rows_grad_b(d, g, a) adds sum_i g_ij a_ij (op 1: mul).
    if (tA) k.f32_binary_rows_grad_a(tangent.ptr, tA.ptr, B.ptr, rows, cols, 1);
    if (tB) k.f32_binary_rows_grad_a(tangent.ptr, A.ptr, tB.ptr, rows, cols, 1);
    this.push(out, (g, rg) => {
      const [rA, rB] = [this.rGradOf(A), this.rGradOf(B)];
      if (rA) {
        k.f32_binary_rows_grad_a(rA.ptr, rg.ptr, B.ptr, rows, cols, 1);
        if (tB) k.f32_binary_rows_grad_a(rA.ptr, g.ptr, tB.ptr, rows, cols, 1);
      }
      if (rB) {
        k.f32_binary_rows_grad_b(rB.ptr, rg.ptr, A.ptr, A.ptr, B.ptr, rows, cols, 1);
        if (tA) k.f32_binary_rows_grad_b(rB.ptr, g.ptr, tA.ptr, tA.ptr, B.ptr, rows, cols, 1);
      }
    });
  }

  /** y = c a: R{y} = c R{a}; R{da} += c R{G}. */
  scale(out: F32, A: F32, c: number): void {
    const { tangent } = this.beginRule(out);
    const tA = this.tangentOf(A);
    if (tA) this.k.f32_scale(tangent.ptr, tA.ptr, c, tA.length);
    this.push(out, (_g, rg) => {
      const rA = this.rGradOf(A);
      if (rA) this.k.f32_scaled_add(rA.ptr, rg.ptr, rg.length, c);
    });
  }

  /** y = s sum(a) (s = 1 or 1/n): R{y} = s sum(R{a}); R{da} += s R{G}. */
  total(out: F32, A: F32, s: number): void {
    const { tangent } = this.beginRule(out);
    const tA = this.tangentOf(A);
    if (tA) tangent.data[0] = this.k.f32_sum(tA.ptr, tA.length) * s;
    this.push(out, (_g, rg) => {
      const rA = this.rGradOf(A);
      if (rA) this.k.f32_add_constant(rA.ptr, rg.data[0]! * s, rA.length);
    });
  }

  /** y = max(a, 0): R{y} = R{a} [y > 0]; R{da} += R{G} [y > 0] (the second derivative is 0 almost everywhere). */
  relu(out: F32, A: F32): void {
    const { tangent } = this.beginRule(out);
    const tA = this.tangentOf(A);
    if (tA) {
      this.k.f32_scaled_add(tangent.ptr, tA.ptr, tA.length, 1);
      this.k.f32_relu_backward(tangent.ptr, out.ptr, out.length);
    }
    this.push(out, (_g, rg) => {
      const rA = this.rGradOf(A);
      if (!rA) return;
      this.k.f32_relu_backward(rg.ptr, out.ptr, rg.length);
      this.k.f32_scaled_add(rA.ptr, rg.ptr, rg.length, 1);
    });
  }

  /**
   * y = tanh(a), y' = 1 - y^2, y'' = -2 y y': R{y} = y' R{a};
   * R{da} += R{G} y' - 2 G y R{y}.
   */
  tanh(out: F32, A: F32): void {
    const { tangent, temp } = this.beginRule(out);
    const tA = this.tangentOf(A);
    const k = this.k;
    if (tA) k.f32_tanh_backward(tangent.ptr, tA.ptr, out.ptr, out.length);
    const yR = temp("yR");
    this.push(out, (g, rg) => {
      const rA = this.rGradOf(A);
      if (!rA) return;
      k.f32_tanh_backward(rA.ptr, rg.ptr, out.ptr, rg.length);
      yR.fill(0);
      k.f32_add_product(yR.ptr, out.ptr, tangent.ptr, yR.length);
      k.f32_scale(yR.ptr, yR.ptr, -2, yR.length);
      k.f32_add_product(rA.ptr, g.ptr, yR.ptr, yR.length);
    });
  }

  /**
   * y = σ(a), y' = y (1 - y), y'' = y' (1 - 2y): R{y} = y' R{a};
   * R{da} += R{G} y' + G (1 - 2y) R{y}.
   */
  sigmoid(out: F32, A: F32): void {
    const { tangent, temp } = this.beginRule(out);
    const tA = this.tangentOf(A);
    const k = this.k;
    if (tA) k.f32_sigmoid_backward(tangent.ptr, tA.ptr, out.ptr, out.length);
    const [curve, curveR] = [temp("1-2y"), temp("(1-2y)R{y}")];
    this.push(out, (g, rg) => {
      const rA = this.rGradOf(A);
      if (!rA) return;
      k.f32_sigmoid_backward(rA.ptr, rg.ptr, out.ptr, rg.length);
      k.f32_scale(curve.ptr, out.ptr, -2, curve.length);
      k.f32_add_constant(curve.ptr, 1, curve.length);
      curveR.fill(0);
      k.f32_add_product(curveR.ptr, curve.ptr, tangent.ptr, curveR.length);
      k.f32_add_product(rA.ptr, g.ptr, curveR.ptr, curveR.length);
    });
  }

  /**
   * y = |a - b|^2 / n: R{y} = (2/n) (a - b)·(R{a} - R{b});
   * R{da} += (2 R{G}/n)(a - b) + (2G/n)(R{a} - R{b}), R{db} -= the same.
   */
  mse(out: F32, A: F32, B: F32): void {
    const { tangent, temp } = this.beginRule(out);
    const [tA, tB] = [this.tangentOf(A), this.tangentOf(B)];
    const n = A.length;
    const k = this.k;
    const [diff, rDiff, product] = [temp("a-b", A.shape), temp("R{a-b}", A.shape), temp("product", A.shape)];
    rDiff.fill(0);
    if (tA) k.f32_scaled_add(rDiff.ptr, tA.ptr, n, 1);
    if (tB) k.f32_scaled_add(rDiff.ptr, tB.ptr, n, -1);
    k.f32_binary_rows(diff.ptr, A.ptr, B.ptr, 1, n, 0);
    product.fill(0);
    k.f32_add_product(product.ptr, diff.ptr, rDiff.ptr, n);
    tangent.data[0] = (2 / n) * k.f32_sum(product.ptr, n);
    this.push(out, (g, rg) => {
      const [rA, rB] = [this.rGradOf(A), this.rGradOf(B)];
      const [c, rc] = [(2 * g.data[0]!) / n, (2 * rg.data[0]!) / n];
      for (const [target, sign] of [[rA, 1], [rB, -1]] as const) {
        if (!target) continue;
        k.f32_add_scaled_difference(target.ptr, A.ptr, B.ptr, sign * rc, n);
        k.f32_scaled_add(target.ptr, rDiff.ptr, n, sign * c);
      }
    });
  }

  /**
   * y = -(1/B) sum_i log p_i[label_i], p = softmax(z), whose gradient is dz = (p - onehot) / B:
   * R{y} = dz·R{z}; R{dz} = R{p} / B with R{p} = p (R{z} - rowsum(p R{z}));
   * R{dlogits} += R{G} dz + G R{p} / B.
   */
  softmaxCrossEntropy(out: F32, Z: F32, labels: Tensor<"i32">): void {
    const { tangent, temp } = this.beginRule(out);
    const [batch, classes] = Z.shape as [number, number];
    const k = this.k;
    const [p, dz, rp, product] = [temp("p", Z.shape), temp("dz", Z.shape), temp("R{p}", Z.shape), temp("product", Z.shape)];
    k.f32_softmax(p.ptr, Z.ptr, batch, classes, 0);
    k.f32_softmax_cross_entropy(Z.ptr, labels.ptr, dz.ptr, batch, classes, 1 / batch);
    const tZ = this.tangentOf(Z);
    rp.fill(0);
    if (tZ) {
      product.fill(0);
      k.f32_add_product(product.ptr, dz.ptr, tZ.ptr, dz.length);
      tangent.data[0] = k.f32_sum(product.ptr, product.length);
      k.f32_softmax_backward(rp.ptr, tZ.ptr, p.ptr, batch, classes, 0);
    }
    this.push(out, (g, rg) => {
      const rZ = this.rGradOf(Z);
      if (!rZ) return;
      k.f32_scaled_add(rZ.ptr, dz.ptr, dz.length, rg.data[0]!);
      k.f32_scaled_add(rZ.ptr, rp.ptr, rp.length, g.data[0]! / batch);
    });
  }
}

/**
 * The tape's ops, each also running its R-operator rule; an op without one throws before it
 * runs (the supported ones are {@link CURVATURE_OPS}).
 */
class CurvatureOps extends Ops {
  /** How deep inside a supported op the current call is: ops an op calls itself record no rule of their own. */
  private depth = 0;

  constructor(tape: Tape, private readonly r: RPass) {
    super(tape);
    const supported = new Set<string>(CURVATURE_OPS);
    for (const name of Object.getOwnPropertyNames(Ops.prototype)) {
      const method = Object.getOwnPropertyDescriptor(Ops.prototype, name)?.value;
      if (name === "constructor" || supported.has(name) || typeof method !== "function") continue;
      // The private helpers are on the prototype too: they run only from inside a supported op.
      Object.defineProperty(this, name, {
        value: (...args: unknown[]) => {
          if (this.depth === 0) {
            throw new ValueError(
              `ops.${name} has no exact Hessian-vector rule (supported: ${CURVATURE_OPS.join(", ")}); ` +
                "HessianVectorProduct with a gradient callback gives finite-difference products of any function",
            );
          }
          return method.apply(this, args);
        },
      });
    }
  }

  override matmul(A: F32, B: F32, options: MatmulOpOptions = {}): F32 {
    return this.traced(() => super.matmul(A, B, options), (out) => this.r.matmul(out, A, B, options));
  }
  override add(A: F32, B: F32): F32 {
    return this.traced(() => super.add(A, B), (out) => this.r.addOrSub(out, A, B, 1));
  }
  override sub(A: F32, B: F32): F32 {
    return this.traced(() => super.sub(A, B), (out) => this.r.addOrSub(out, A, B, -1));
  }
  override mul(A: F32, B: F32): F32 {
    return this.traced(() => super.mul(A, B), (out) => this.r.mul(out, A, B));
  }
  override scale(A: F32, c: number): F32 {
    return this.traced(() => super.scale(A, c), (out) => this.r.scale(out, A, c));
  }
  override sum(A: F32): F32 {
    return this.traced(() => super.sum(A), (out) => this.r.total(out, A, 1));
  }
  override mean(A: F32): F32 {
    return this.traced(() => super.mean(A), (out) => this.r.total(out, A, 1 / A.length));
  }
  override relu(A: F32): F32 {
    return this.traced(() => super.relu(A), (out) => this.r.relu(out, A));
  }
  override tanh(A: F32): F32 {
    return this.traced(() => super.tanh(A), (out) => this.r.tanh(out, A));
  }
  override sigmoid(A: F32): F32 {
    return this.traced(() => super.sigmoid(A), (out) => this.r.sigmoid(out, A));
  }
  override mse(A: F32, B: F32): F32 {
    return this.traced(() => super.mse(A, B), (out) => this.r.mse(out, A, B));
  }
  override softmaxCrossEntropy(logits: F32, labels: Tensor<"i32">): F32 {
    return this.traced(() => super.softmaxCrossEntropy(logits, labels), (out) => this.r.softmaxCrossEntropy(out, logits, labels));
  }

  /** Runs the op (which validates its inputs), then its rule on the validated inputs. */
  private traced(op: () => F32, rule: (out: F32) => void): F32 {
    if (this.depth > 0) return op();
    this.depth++;
    let out: F32;
    try {
      out = op();
    } finally {
      this.depth--;
    }
    rule(out);
    return out;
  }
}

/** An exact Hessian-vector product step: see {@link hessianVectorProduct}. */
export interface HessianVectorStep<A extends unknown[]> {
  /**
   * Runs `fn` on `inputs` and writes H v into {@link HessianVectorStep.products}, v given per
   * parameter (f32 tensors of the parameters' shapes); returns the loss. Parameters and their
   * gradients are unchanged.
   */
  (directions: readonly Tensor<"f32">[], ...inputs: A): number;
  /** H v per parameter, in the order of `params`: the step's own tensors, overwritten by each call (empty before the first). */
  readonly products: readonly Tensor<"f32">[];
  /** Frees the step's buffers; afterwards a call throws DisposedError. */
  dispose(): void;
}

/**
 * Exact Hessian-vector products of a tape function, by Pearlmutter's R-operator (forward-over-
 * reverse; Pearlmutter 1994, "Fast exact multiplication by the Hessian"):
 *
 * ```text
 * H v = R{∇θ f(θ)} = d/dr ∇θ f(θ + r v) at r = 0
 * ```
 *
 * One call runs `fn` forward with the tangents R{·} of every op's output, the ordinary backward
 * pass, and the R-backward pass: about three times the cost of a gradient, with no step size and
 * no truncation error (the finite-difference {@link HessianVectorProduct} costs two gradients and
 * has error O(h²)). The Hessian is taken with respect to `params` (f32 Params); other tensors are
 * constants. `fn` may use the ops listed in {@link CURVATURE_OPS}; any other op throws a
 * ValueError before it runs. Buffers are reused: a call repeating the op sequence allocates nothing.
 *
 * @example
 * const hvp = hessianVectorProduct(rt, (ops, x, y) => ops.mse(ops.tanh(ops.matmul(x, w)), y), [w]);
 * hvp([v], x, y);        // hvp.products[0] = H v, H the Hessian of the loss in w
 *
 * @throws {ValueError} when `rt` is not a runtime, `fn` not a function, or `params` not f32 Params of `rt` (each once).
 * The step throws ShapeError for directions that are not f32 tensors of the parameters' shapes,
 * ValueError for an op without a rule, and the ops' own errors, with parameters and gradients unchanged.
 */
export function hessianVectorProduct<A extends unknown[]>(
  rt: Runtime,
  fn: (ops: Ops, ...inputs: A) => Tensor,
  params: readonly Param[],
): HessianVectorStep<A> {
  checkRuntime(rt);
  checkFunction("fn", fn);
  if (!Array.isArray(params)) throw new ValueError(`Invalid params: ${String(params)} (expected an array of f32 Params)`);
  params.forEach((p, i) => {
    if (!(p instanceof Param) || p.dtype !== "f32") throw new ValueError(`Invalid params[${i}]: expected an f32 Param`);
    checkTensor(`params[${i}]`, p, rt);
    if (params.indexOf(p) !== i) throw new ValueError(`Invalid params[${i}]: ${p.describe()} is listed twice`);
  });
  const tape = new Tape(rt);
  const r = new RPass(tape);
  const ops = new CurvatureOps(tape, r);
  const buffers = new Workspace(rt);
  let products: F32[] = [];

  let disposed = false;
  const step = (directions: readonly Tensor<"f32">[], ...inputs: A): number => {
    if (disposed) throw new DisposedError("hessianVectorProduct: the step was used after dispose()");
    const loss = tape.call("hessianVectorProduct", fn, ops, inputs, () => {
      checkDirections(rt, params, directions);
      params.forEach((p, i) => r.directions.set(p, directions[i]!));
      r.begin();
    });
    // Made once, at the first call that gets this far (the same tensors afterwards).
    products = params.map((p, i) => buffers.get(`product ${i}`, p.shape));
    const saved = params.map((p, i) => buffers.get(`grad ${i}`, p.shape));
    params.forEach((p, i) => r.products.set(p, products[i]!));
    // The ordinary backward pass writes every G the rules need; it also adds the gradient into
    // the parameters' grads, which are put back afterwards.
    params.forEach((p, i) => saved[i]!.data.set(p.grad.data as Float32Array));
    let value: number;
    try {
      value = tape.backward(loss);
    } finally {
      params.forEach((p, i) => (p.grad.data as Float32Array).set(saved[i]!.data));
    }
    r.backward();
    return value;
  };
  return Object.defineProperties(step, {
    products: { get: () => products },
    dispose: { value: () => {
      disposed = true;
      tape.dispose();
      r.dispose();
      buffers.dispose();
    } },
  }) as HessianVectorStep<A>;
}

function checkDirections(rt: Runtime, params: readonly Param[], directions: unknown): void {
  if (!Array.isArray(directions) || directions.length !== params.length) {
    throw new ShapeError(`Invalid directions: expected an array of ${params.length} f32 tensors, one per parameter`);
  }
  directions.forEach((d, i) => {
    const t = checkTensor(`directions[${i}]`, d, rt);
    const p = params[i]!;
    if (t.dtype !== "f32" || t.length !== p.length || t.shape.some((s, j) => s !== p.shape[j])) {
      throw new ShapeError(`Invalid directions[${i}]: ${t.describe()} (expected f32 of the shape of ${p.describe()})`);
    }
  });
}
