import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import { uniformArray } from "../helpers/random";

describeBackends("nn kernels", (rt) => {
  it("softmax cross-entropy matches the formula on a hand-computed case", () => {
    rt.scope(() => {
      // Row 0: z = [1, 2, 3], label 2. m = 3; sum = e^-2 + e^-1 + 1 = 1.503214724
      //   loss_0 = ln(1.503214724) - 0 = 0.407605964; p = [0.090030573, 0.244728471, 0.665240956]
      // Row 1: z = [0, 0, 0], label 0: loss_1 = ln 3 = 1.098612289; p = [1/3, 1/3, 1/3]
      const z = rt.fromArray([1, 2, 3, 0, 0, 0], [2, 3]);
      const labels = rt.fromArray([2, 0], [2], { dtype: "i32" });
      const dz = rt.tensor([2, 3]);
      const loss = rt.kernels.f32_softmax_cross_entropy(z.ptr, labels.ptr, dz.ptr, 2, 3, 0.5);
      expect(loss).toBeCloseTo(0.407605964 + 1.098612289, 6);
      // dz = 0.5 (p - onehot)
      expectClose(dz.data, [0.045015287, 0.122364236, -0.167379522, -1 / 3, 1 / 6, 1 / 6], { rtol: 1e-6, atol: 1e-7 });
      expect(rt.kernels.f32_count_correct(z.ptr, labels.ptr, 2, 3)).toBe(2); // row 1 ties: the first maximum, class 0
    });
  });

  it("softmax cross-entropy gradient equals central differences of its loss", () => {
    rt.scope(() => {
      const [rows, classes] = [3, 5];
      const values = uniformArray(rows * classes, 9, -2, 2);
      const z = rt.fromArray(values, [rows, classes]);
      const labels = rt.fromArray([4, 0, 2], [rows], { dtype: "i32" });
      const dz = rt.tensor([rows, classes]);
      const scratch = rt.tensor([rows, classes]);
      const lossAt = (v: Float64Array) => {
        z.set(v);
        return rt.kernels.f32_softmax_cross_entropy(z.ptr, labels.ptr, scratch.ptr, rows, classes, 1);
      };
      lossAt(values);
      rt.kernels.f32_softmax_cross_entropy(z.ptr, labels.ptr, dz.ptr, rows, classes, 1);
      const h = 1e-2;
      values.forEach((_, k) => {
        const plus = Float64Array.from(values);
        const minus = Float64Array.from(values);
        plus[k]! += h;
        minus[k]! -= h;
        expect(dz.data[k]).toBeCloseTo((lossAt(plus) - lossAt(minus)) / (2 * h), 3);
      });
    });
  });

  it("stays finite for huge logits (shifted by the row maximum)", () => {
    rt.scope(() => {
      const z = rt.fromArray([1e30, -1e30, 0, 88, 89, 90], [2, 3]);
      const labels = rt.fromArray([0, 1], [2], { dtype: "i32" });
      const dz = rt.tensor([2, 3]);
      const loss = rt.kernels.f32_softmax_cross_entropy(z.ptr, labels.ptr, dz.ptr, 2, 3, 1);
      expect(Number.isFinite(loss)).toBe(true);
      expect(dz.toArray().every(Number.isFinite)).toBe(true);
    });
  });

  for (const n of [0, 1, 3, 4, 5, 7, 8, 17, 1001]) {
    it(`relu backward zeroes dy where y <= 0, n = ${n}`, () => {
      rt.scope(() => {
        const y = rt.fromArray(uniformArray(n, n + 1));
        const dyValues = uniformArray(n, n + 2);
        const dy = rt.fromArray(dyValues);
        rt.kernels.f32_relu_backward(dy.ptr, y.ptr, n);
        const yv = y.toArray();
        expectClose(dy.data, Array.from(dyValues, (v, i) => (yv[i]! > 0 ? Math.fround(v) : 0)), { rtol: 0 });
      });
    });
  }

  for (const [rows, cols] of [[1, 1], [3, 5], [7, 4], [128, 10], [33, 17]] as const) {
    it(`column sums accumulate into the output, ${rows} x ${cols}`, () => {
      rt.scope(() => {
        const xv = uniformArray(rows * cols, rows * 31 + cols);
        const x = rt.fromArray(xv, [rows, cols]);
        const out = rt.fromArray(Array.from({ length: cols }, (_, j) => j));
        rt.kernels.f32_add_column_sums(out.ptr, x.ptr, rows, cols);
        const xs = x.toArray();
        const want = Array.from({ length: cols }, (_, j) => j + Array.from({ length: rows }, (_, i) => xs[i * cols + j]!).reduce((a, b) => a + b, 0));
        expectClose(out.data, want, { rtol: 1e-5, atol: 1e-5 });
      });
    });
  }
});
