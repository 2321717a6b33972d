import { describe, expect, it } from "vitest";
import { twinRuntimes } from "../helpers/backends";
import { relativeError } from "../helpers/close";
import { uniformArray } from "../helpers/random";
import { OPTIMIZER_SIZES } from "../helpers/sizes";
import type { Runtime } from "../../src/runtime/runtime";
import type { Tensor } from "../../src/runtime/tensor";

/**
 * The wasm kernels against their reference twins: identical inputs in two runtimes, 20
 * steps with fresh gradients each, every buffer compared (normwise relative error).
 */
interface TwinCase {
  kernel: "f32_sgd_step" | "f32_adam_step";
  /** Buffers the kernel reads and writes, with the range of their initial values. */
  buffers: Array<{ name: string; lo: number; hi: number }>;
  /** Scalar arguments after the length, for step t (1-based). */
  scalars: (t: number) => number[];
}

const CASES: TwinCase[] = [
  { kernel: "f32_sgd_step", buffers: [{ name: "p", lo: -1, hi: 1 }, { name: "g", lo: -1, hi: 1 }], scalars: () => [0.01, 1] },
  {
    kernel: "f32_adam_step",
    buffers: [
      { name: "p", lo: -1, hi: 1 },
      { name: "g", lo: -1, hi: 1 },
      { name: "s", lo: -0.1, hi: 0.1 },
      { name: "r", lo: 0, hi: 0.01 },
    ],
    scalars: (t) => [1e-3 / (1 - 0.9 ** t), 1 - 0.9, 1 - 0.999, 1e-8, 1 / Math.sqrt(1 - 0.999 ** t), 1],
  },
];

function run(rt: Runtime, c: TwinCase, n: number): number[][] {
  return rt.scope(() => {
    const tensors: Tensor[] = c.buffers.map((b, k) => rt.fromArray(uniformArray(n, 17 * k + n, b.lo, b.hi)));
    const call = rt.kernels[c.kernel] as (...args: number[]) => void;
    for (let t = 1; t <= 20; t++) {
      tensors[1]!.set(uniformArray(n, 1000 + t, -1, 1)); // a fresh gradient each step
      call(...tensors.map((x) => x.ptr), n, ...c.scalars(t));
    }
    return tensors.map((x) => x.toArray());
  });
}

describe.each(CASES)("$kernel: wasm vs reference", (c) => {
  const { wasm, js } = twinRuntimes();
  it.each(OPTIMIZER_SIZES)("n = %i: relative error <= 1e-6 after 20 steps", (n) => {
    const got = run(wasm, c, n);
    const want = run(js, c, n);
    c.buffers.forEach((b, k) => {
      expect(relativeError(got[k]!, want[k]!), `${c.kernel} ${b.name} n=${n}`).toBeLessThanOrEqual(1e-6);
    });
  });

  it("does nothing for n = 0", () => {
    for (const rt of [wasm, js]) expect(run(rt, c, 0).every((b) => b.length === 0)).toBe(true);
  });
});
