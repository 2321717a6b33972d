import { expect, it } from "vitest";
import fc from "fast-check";
import { describeBackends } from "../helpers/backends";
import { OPTIMIZERS } from "../helpers/optim-db";
import { expectClose } from "../helpers/close";

/** Laws every optimizer obeys, on random gradients (fast-check). */
describeBackends("optimizer laws", (rt) => {
  const grads = fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 24 });

  for (const info of OPTIMIZERS) {
    for (const { desc, options } of info.configs) {
      it(`${info.name} ${desc}: lr = 0 leaves the params where they were`, () => {
        fc.assert(
          fc.property(grads, (g) =>
            rt.scope(() => {
              const w = rt.param([g.length], { values: g.map((x) => x / 7) });
              const before = w.data.slice();
              // delta-bar-delta grows its rates by kappa even from lr = 0: hold them with kappa = 0.
              const opt = info.make(rt, [w], { ...options, lr: 0, ...(info.name === "DeltaBarDelta" ? { kappa: 0 } : {}) });
              for (let t = 0; t < 3; t++) (w.grad.set(g), opt.step());
              // Exactly equal (a -0 may come back as +0: -0 + -0 * x = +0 in IEEE, as in PyTorch).
              expectClose(w.data, before, { rtol: 0, atol: 0, context: `${info.name} ${desc}` });
              opt.dispose();
              return true;
            }),
          ),
          { numRuns: 15 },
        );
      });
    }
  }

  it("maximize: the same step as minimizing the negated gradient", () => {
    fc.assert(
      fc.property(grads, (g) =>
        rt.scope(() => {
          const [a, b] = [rt.param([g.length]), rt.param([g.length])];
          const up = OPTIMIZERS.find((o) => o.name === "Adam")!.make(rt, [a], { lr: 0.01, maximize: true });
          const down = OPTIMIZERS.find((o) => o.name === "Adam")!.make(rt, [b], { lr: 0.01 });
          for (let t = 0; t < 3; t++) {
            a.grad.set(g);
            b.grad.set(g.map((x) => -x));
            up.step();
            down.step();
          }
          expect(Array.from(a.data)).toEqual(Array.from(b.data));
          up.dispose();
          down.dispose();
          return true;
        }),
      ),
      { numRuns: 20 },
    );
  });
});
