import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import { Adam } from "../../src/optim/adam";

describeBackends("Adam", (rt) => {
  it("matches three steps computed by hand from the book's Algorithm 8.7", () => {
    rt.scope(() => {
      // lr = 0.1, rho1 = 0.9, rho2 = 0.999, delta = 1e-8; theta0 = [1, -2].
      const w = rt.param([2], { values: [1, -2] });
      const opt = new Adam(rt, [w], { lr: 0.1 });
      const steps: Array<[number[], number[]]> = [
        // t=1, g=[0.5,-1]: s=[0.05,-0.1], r=[2.5e-4,1e-3]; s_hat=[0.5,-1], r_hat=[0.25,1]
        //   theta = [1 - 0.1*0.5/(0.5+1e-8), -2 + 0.1*1/(1+1e-8)] = [0.900000002, -1.900000001]
        [[0.5, -1], [0.900000002, -1.900000001]],
        // t=2, g=[-0.25,2]: s=[0.02,0.11], r=[3.1225e-4,4.999e-3]; s_hat=s/0.19, r_hat=r/0.001999
        //   theta0 = 0.9 - 0.1*0.105263158/sqrt(0.156203102) = 0.873366298708
        //   theta1 = -1.9 - 0.1*0.578947368/sqrt(2.50075038) = -1.93661035347
        [[-0.25, 2], [0.873366298708, -1.93661035347]],
        // t=3, g=[1,0.1]: s=[0.118,0.109], r=[1.31193775e-3,5.004001e-3]; bc1=0.271, bc2=0.002997001
        //   theta0 = 0.873366 - 0.1*0.435424354/sqrt(0.437750897) = 0.807555139677
        //   theta1 = -1.936610 - 0.1*0.402214022/sqrt(1.66966638) = -1.96773768948
        [[1, 0.1], [0.807555139677, -1.96773768948]],
      ];
      for (const [grad, expected] of steps) {
        w.grad.set(grad);
        opt.step();
        expectClose(w.data, expected, { rtol: 2e-7, context: "theta" });
      }
      opt.dispose();
    });
  });

  it("moves every weight by about lr on the first step, against its gradient's sign", () => {
    rt.scope(() => {
      const w = rt.param([4], { values: [0, 0, 0, 0] });
      const opt = new Adam(rt, [w], { lr: 0.01 });
      w.grad.set([3, -0.001, 1e3, -7]);
      opt.step();
      expectClose(w.data, [-0.01, 0.01, -0.01, 0.01], { rtol: 1e-5 });
      opt.dispose();
    });
  });

  it("uses a changed lr from the next step on, per group", () => {
    rt.scope(() => {
      const a = rt.param([1], { values: [0] });
      const b = rt.param([1], { values: [0] });
      const opt = new Adam(rt, [{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
      a.grad.set([1]);
      b.grad.set([1]);
      opt.step();
      expectClose([a.data[0]!, b.data[0]!], [-0.1, -0.5], { rtol: 1e-6 });
      opt.lr = 0;
      opt.step();
      expectClose([a.data[0]!, b.data[0]!], [-0.1, -0.5], { rtol: 1e-6 });
      opt.dispose();
    });
  });

  it("keeps its state alive when step() runs inside a scope that ends", () => {
    rt.scope(() => {
      const w = rt.param([2], { values: [1, 1] });
      const opt = new Adam(rt, [w], { lr: 0.1 });
      w.grad.set([1, 1]);
      rt.scope(() => opt.step()); // state is created lazily here
      opt.step(); // and still valid here
      expect(w.data[0]).toBeLessThan(0.85);
      opt.dispose();
    });
  });

  it("decreases a quadratic", () => {
    rt.scope(() => {
      const w = rt.param([3], { values: [3, -2, 1] });
      const opt = new Adam(rt, [w], { lr: 0.05 });
      const loss = () => w.toArray().reduce((sum, x, i) => sum + (i + 1) * x * x, 0);
      const start = loss();
      for (let t = 0; t < 200; t++) {
        w.grad.set(w.toArray().map((x, i) => 2 * (i + 1) * x));
        opt.step();
      }
      expect(loss()).toBeLessThan(start * 1e-3);
      opt.dispose();
    });
  });
});
