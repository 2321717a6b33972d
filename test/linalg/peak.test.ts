import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";

describeBackends("f32_madd_peak (the FMA ceiling the gemm benchmark reports against)", (rt) => {
  it("runs every chain: acc_k = k + iterations * b when a = 1 (exact in f32, fused or not)", () => {
    rt.scope(() => {
      const out = rt.tensor([48]);
      rt.kernels.f32_madd_peak(out.ptr, 1000, 1, 0.5);
      expect(out.toArray()).toEqual(Array.from({ length: 48 }, (_, j) => Math.floor(j / 4) + 500));
      rt.kernels.f32_madd_peak(out.ptr, 0, 1, 0.5);
      expect(out.toArray()).toEqual(Array.from({ length: 48 }, (_, j) => Math.floor(j / 4)));
    });
  });
});
