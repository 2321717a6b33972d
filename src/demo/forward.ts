// Forward passes through the tape's ops without a backward pass: the demo's evaluation, which
// runs the same modules (and kernels) as training but needs no gradients.
import { Ops } from "../autodiff/ops";
import { Tape } from "../autodiff/tape";
import type { Runtime } from "../runtime/runtime";

/** A forward-only function of the tape's ops. */
export interface ForwardPass<A extends unknown[], R> {
  (...inputs: A): R;
  /** Frees the buffers of the ops' outputs. */
  dispose(): void;
}

/**
 * `fn` run on a tape that records but never runs backward: the ops' outputs live in buffers
 * the pass owns and reuses from call to call (valid until the next call), and no gradient is
 * computed or added anywhere.
 */
export function forwardPass<A extends unknown[], R>(rt: Runtime, fn: (ops: Ops, ...inputs: A) => R): ForwardPass<A, R> {
  const tape = new Tape(rt);
  const ops = new Ops(tape);
  const pass = (...inputs: A): R => {
    tape.begin();
    let completed = false;
    try {
      const result = fn(ops, ...inputs);
      completed = true;
      return result;
    } finally {
      tape.end(completed);
    }
  };
  return Object.assign(pass, { dispose: () => tape.dispose() });
}
