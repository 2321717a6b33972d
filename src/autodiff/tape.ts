import { DisposedError, ShapeError, StateError, ValueError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { checkTensor, Param, type Tensor } from "../runtime/tensor";
import { checkFunction } from "../runtime/validate";
import { Workspace } from "../runtime/workspace";
import { Ops } from "./ops";

/** One recorded op: its output, the gradient flowing into it, and how to pass that gradient on. */
export interface Node {
  out: Tensor<"f32">;
  /** Null when no gradient flows through the op (every input is a constant). */
  grad: Tensor<"f32"> | null;
  /**
   * Whether `grad` is a view of the input's gradient (a reshape): it must not be zeroed before
   * backward, since it is the input's (a Param's gradient accumulates across calls; an op's
   * is zeroed by that op's node), and its backward adds nothing (the memory is shared).
   */
  sharesGrad?: boolean;
  /** The tensors backward reads: checked live before any gradient is written. */
  reads: readonly Tensor[];
  /** Adds (+=) this node's gradient, times the op's derivative, into its inputs' gradients. */
  backward(grad: Tensor<"f32">): void;
}

/**
 * Records the ops of one call in order, on buffers it owns: slot i holds the output (and the
 * gradient, and any buffer the op saves for backward) of the i-th op. A slot hands back the
 * same tensors while the op at its position keeps its shapes, so a step that repeats the op
 * sequence allocates nothing after the first.
 */
export class Tape {
  /** Null at the position of a view op, which owns no buffers. */
  private readonly slots: (Workspace | null)[] = [];
  private readonly nodes: Node[] = [];
  private readonly byOutput = new Map<Tensor, Node>();
  recording = false;
  /** The number of calls begun before the current one (the default step of dropout's mask). */
  step = -1;

  constructor(readonly rt: Runtime) {}

  /** The position of the next op in this call. */
  get position(): number {
    return this.nodes.length;
  }

  /** The buffers of the next op's slot. */
  nextSlot(): Workspace {
    const index = this.position;
    this.slots[index] ??= new Workspace(this.rt);
    return this.slots[index]!;
  }

  /** Records an op whose output is a view (no buffers): frees the slot a previous call had at its position. */
  pushView(node: Node): Tensor<"f32"> {
    this.slots[this.position]?.dispose();
    this.slots[this.position] = null;
    return this.push(node);
  }

  push(node: Node): Tensor<"f32"> {
    this.nodes.push(node);
    this.byOutput.set(node.out, node);
    return node.out;
  }

  /** Where gradients of `t` accumulate: a Param's grad, a recorded op's gradient, or null for a constant. */
  gradOf(t: Tensor): Tensor<"f32"> | null {
    if (t instanceof Param) return t.grad as Tensor<"f32">;
    return this.byOutput.get(t)?.grad ?? null;
  }

  /** Starts a call: forgets the previous call's graph (its buffers stay for reuse). */
  begin(): void {
    this.step++;
    this.nodes.length = 0;
    this.byOutput.clear();
    this.recording = true;
  }

  /**
   * Ends a call. A call that ran to the end frees the slots of ops the previous call had beyond
   * its own; a call that threw keeps them for the next one.
   */
  end(completed: boolean): void {
    this.recording = false;
    if (completed) for (const slot of this.slots.splice(this.nodes.length)) slot?.dispose();
  }

  /**
   * Records one call of `fn` (after `prepare`, which runs once the call is known not to be
   * re-entrant) and returns its loss, checked: a call that throws ends keeping the slots.
   */
  call<A extends unknown[]>(of: string, fn: (ops: Ops, ...inputs: A) => Tensor, ops: Ops, inputs: A, prepare?: () => void): Tensor {
    if (this.recording) throw new StateError(`${of}: the step was called from inside its own function`);
    prepare?.();
    this.begin();
    let loss: Tensor;
    try {
      loss = fn(ops, ...inputs);
    } catch (error) {
      this.end(false);
      throw error;
    }
    this.end(true);
    return checkTensor("loss", loss, this.rt);
  }

  /** Runs the recorded graph backward from `loss`, accumulating into every Param it reaches. */
  backward(loss: Tensor): number {
    const root = this.byOutput.get(loss);
    if (!root) throw new ValueError(`Invalid loss: ${loss.describe()} (expected a tensor returned by an op of this call)`);
    if (loss.length !== 1) throw new ShapeError(`The loss must be a scalar, got ${loss.describe()}`);
    // Everything backward reads is checked before the first gradient is written.
    for (const node of this.nodes) {
      if (node.out.disposed) throw new DisposedError(`The output ${node.out.describe()} of an op was disposed during the call; backward needs it`);
      // A view's gradient is its input's (a Param's grad when it views a Param).
      if (node.grad?.disposed) throw new DisposedError(`The gradient of ${node.out.describe()} was disposed during the call; backward writes it`);
      for (const t of node.reads) {
        if (t.disposed) throw new DisposedError(`${t.describe()} was disposed during the call; backward needs it`);
        if (t instanceof Param && t.grad.disposed) throw new DisposedError(`The gradient of ${t.describe()} was disposed`);
      }
    }
    const value = loss.data[0]!;
    if (root.grad === null) return value;
    for (const node of this.nodes) if (!node.sharesGrad) node.grad?.fill(0);
    // Added, not set: the loss's gradient may be a view of a Param's, which accumulates.
    root.grad.data[0]! += 1;
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      if (node.grad) node.backward(node.grad);
    }
    return value;
  }

  dispose(): void {
    for (const slot of this.slots.splice(0)) slot?.dispose();
    this.nodes.length = 0;
    this.byOutput.clear();
  }
}

/** A differentiated function: returns the loss and adds its gradient into every Param used. */
export interface GradStep<A extends unknown[]> {
  (...inputs: A): number;
  /** Frees the buffers the tape owns (outputs of ops, gradients of intermediates). */
  dispose(): void;
}

/**
 * Differentiates `fn`, a function of the tape's ops and any inputs that returns a scalar loss.
 * Each call of the result records the ops `fn` runs, computes their gradients backward and adds
 * (+=) them into `param.grad` of every Param the loss depends on (other tensors are constants),
 * and returns the loss value. Tensors the ops return are owned by the tape and reused: they hold
 * this call's values until the next call.
 *
 * @example
 * const step = valueAndGrad(rt, (ops, x, y) => ops.mse(ops.matmul(x, w), y));
 * const loss = step(x, y); // w.grad += dloss/dw
 *
 * @throws {@link ValueError} when `rt` is not a runtime or `fn` not a function; the returned step throws the errors of the ops (ShapeError, ValueError) and StateError when called while another step of the same tape runs, each before any gradient changes.
 */
export function valueAndGrad<A extends unknown[]>(rt: Runtime, fn: (ops: Ops, ...inputs: A) => Tensor): GradStep<A> {
  checkRuntime(rt);
  checkFunction("fn", fn);
  const tape = new Tape(rt);
  const ops = new Ops(tape);
  const step = (...inputs: A): number => tape.backward(tape.call("valueAndGrad", fn, ops, inputs));
  return Object.assign(step, { dispose: () => tape.dispose() });
}
