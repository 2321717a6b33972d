import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { uniformArray } from "../helpers/random";
import { valueAndGrad } from "../../src/autodiff/tape";
import type { Ops } from "../../src/autodiff/ops";
import { BatchNorm } from "../../src/norm/batchnorm";
import { GroupNorm, InstanceNorm, LayerNorm } from "../../src/norm/groupnorm";
import { ValueError } from "../../src/runtime/errors";
import type { Runtime } from "../../src/runtime/runtime";
import type { Tensor } from "../../src/runtime/tensor";

const bits = (t: { data: ArrayLike<number> }) => Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
const SHAPE = [5, 6, 3]; // [N, C, positions]

type Norm = BatchNorm | LayerNorm | GroupNorm | InstanceNorm;
const NORMS: Record<string, (rt: Runtime) => Norm> = {
  BatchNorm: (rt) => new BatchNorm(rt, 6),
  LayerNorm: (rt) => new LayerNorm(rt, [6, 3]),
  GroupNorm: (rt) => new GroupNorm(rt, 3, 6),
  InstanceNorm: (rt) => new InstanceNorm(rt, 6, { affine: true }),
};

/** What a module computes for x and the upstream gradient dy: output, dx, dgamma, dbeta and its buffers. */
function run(rt: Runtime, make: (rt: Runtime) => Norm, viaTape: boolean, training: boolean, x: Tensor<"f32">, dy: Tensor<"f32">) {
  const norm = make(rt);
  norm.gamma!.set(uniformArray(norm.gamma!.length, 3).map((v) => 1 + v));
  norm.beta!.set(uniformArray(norm.beta!.length, 4));
  if (norm instanceof BatchNorm) norm.forward(x, { training: true }); // running statistics that are not 0 and 1
  norm.train(training);
  const xp = rt.param(x.shape, { values: x.data });
  let y: number[];
  if (viaTape) {
    let out: Tensor<"f32"> | null = null;
    const step = valueAndGrad(rt, (ops: Ops) => ops.sum(ops.mul((out = norm.forward(ops, xp)), dy)));
    step();
    y = bits(out!);
    step.dispose();
  } else {
    y = bits(norm.forward(x, { training }));
    xp.grad.set(norm.backward(rt.fromArray(dy.data, dy.shape)).data);
  }
  const state = { y, dx: bits(xp.grad), dgamma: bits(norm.gamma!.grad), dbeta: bits(norm.beta!.grad), buffers: norm.namedBuffers().map(([name, t]) => [name, bits(t)]) };
  norm.dispose();
  xp.dispose();
  return state;
}

describeBackends("norm modules through the tape", (rt) => {
  for (const [name, make] of Object.entries(NORMS)) {
    for (const training of [true, false]) {
      it(`${name} (${training ? "train" : "eval"} mode) computes what its hand-wired forward and backward compute, bit for bit`, () => {
        rt.scope(() => {
          const x = rt.fromArray(uniformArray(5 * 6 * 3, 1), SHAPE);
          const dy = rt.fromArray(uniformArray(5 * 6 * 3, 2), SHAPE);
          const hand = run(rt, make, false, training, x, dy);
          expect(hand.dgamma.some((b) => b !== 0)).toBe(true);
          expect(run(rt, make, true, training, x, dy)).toEqual(hand);
        });
      });
    }
  }

  it("a norm the ops cannot express stays hand-wired, with a ValueError through the tape", () => {
    rt.scope(() => {
      const x = rt.fromArray(uniformArray(5 * 6 * 3, 1), SHAPE);
      for (const norm of [new BatchNorm(rt, 6, { convention: "keras" }), new BatchNorm(rt, 6, { momentum: null }), new BatchNorm(rt, 6, { epsPlacement: "outside" }), new GroupNorm(rt, 3, 6, { dtype: "f64" })]) {
        const step = valueAndGrad(rt, (ops: Ops) => ops.sum(norm.forward(ops, x)));
        expect(() => step(), norm.constructor.name).toThrow(ValueError);
        step.dispose();
        norm.dispose();
      }
    });
  });
});
