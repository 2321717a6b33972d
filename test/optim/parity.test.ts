import { describe, expect, it } from "vitest";
import { twinRuntimes } from "../helpers/backends";
import { OPTIMIZERS } from "../helpers/optim-db";
import { uniformArray } from "../helpers/random";
import type { Runtime } from "../../src/runtime/runtime";
import type { FloatDType } from "../../src/runtime/tensor";

/**
 * The spirit of torch's _test_derived_optimizers: every optimizer config runs 8 steps on the
 * wasm backend and on the reference twins from the same data, with a zero-length parameter
 * in the list, the learning rate (and momentum, where there is one) changed between steps;
 * afterwards the parameters and every piece of state (step counts, buffers, scalars) must
 * agree bit for bit: the twins round every operation to the dtype, as the kernels do.
 */
const SHAPES = [[5], [3, 7], [0], [33]];

function train(rt: Runtime, make: (typeof OPTIMIZERS)[number]["make"], options: Record<string, unknown>, dtype: FloatDType) {
  return rt.scope(() => {
    const params = SHAPES.map((shape, k) => rt.param(shape, { dtype, values: uniformArray(shape.reduce((a, b) => a * b, 1), 7 + k) }));
    const opt = make(rt, params, options);
    const results = [];
    for (let t = 1; t <= 8; t++) {
      params.forEach((p, k) => p.grad.set(uniformArray(p.length, 100 * t + k, -2, 2)));
      if (t === 4) opt.lr = opt.lr * 0.5;
      if (t === 6 && "momentum" in opt.paramGroups[0]! && opt.paramGroups[0].momentum > 0) opt.paramGroups[0].momentum = 0.8;
      results.push(opt.step());
    }
    const out = { params: params.map((p) => Array.from(p.data)), state: JSON.parse(JSON.stringify(opt.stateDict())), results };
    opt.dispose();
    return out;
  });
}

const { wasm, js } = twinRuntimes();

for (const info of OPTIMIZERS) {
  describe(`${info.name}: wasm and reference twins agree bit for bit`, () => {
    for (const dtype of ["f32", "f64"] as const) {
      it.each(info.configs)(`${dtype} $desc`, ({ options }) => {
        const a = train(wasm, info.make, options, dtype);
        const b = train(js, info.make, options, dtype);
        expect(a.state).toEqual(b.state);
        expect(a.params).toEqual(b.params);
        expect(a.results).toEqual(b.results);
        // The run did something: the parameters moved.
        expect(a.params[0]).not.toEqual(Array.from(uniformArray(5, 7), (x) => (dtype === "f32" ? Math.fround(x) : x)));
      });
    }
  });
}
