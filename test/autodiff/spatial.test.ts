import { describe, expect, it } from "vitest";
import type { Window2d } from "../../src/autodiff/spatial";
import { valueAndGrad } from "../../src/autodiff/tape";
import { ShapeError, ValueError } from "../../src/runtime/errors";
import { describeBackends } from "../helpers/backends";
import { expectOpGradients, type OpGradientCase } from "../helpers/gradcheck";

/** The sizes of a window over [N, C, H, W]: the test derives the output sizes itself (outSize). */
type Geometry = Omit<Window2d, "OH" | "OW">;

const outSize = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

/** Visits each output position (n, c, oh, ow) with the in-range input indices of its window. */
function windows(g: Geometry, visit: (o: number, taps: { at: number; tap: number }[], c: number) => void): void {
  const [OH, OW] = [outSize(g.H, g.kh, g.sh, g.ph, g.dh), outSize(g.W, g.kw, g.sw, g.pw, g.dw)];
  let o = 0;
  for (let n = 0; n < g.N; n++) for (let c = 0; c < g.C; c++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const taps: { at: number; tap: number }[] = [];
    for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) {
      const [h, w] = [oh * g.sh - g.ph + i * g.dh, ow * g.sw - g.pw + j * g.dw];
      if (h >= 0 && h < g.H && w >= 0 && w < g.W) taps.push({ at: ((n * g.C + c) * g.H + h) * g.W + w, tap: i * g.kw + j });
    }
    visit(o++, taps, c);
  }
}

/** The convolution's definition in f64: y[n, f] = bias[f] + sum_c x[n, c] (cross-correlated with) w[f, c]. */
function conv2dF64(x: Float64Array, w: Float64Array, bias: Float64Array | null, g: Geometry, F: number): Float64Array {
  const [OH, OW] = [outSize(g.H, g.kh, g.sh, g.ph, g.dh), outSize(g.W, g.kw, g.sw, g.pw, g.dw)];
  const y = new Float64Array(g.N * F * OH * OW);
  const P = OH * OW;
  windows(g, (o, taps, c) => {
    const n = Math.floor(o / (g.C * P));
    const p = o % P;
    for (let f = 0; f < F; f++) {
      let s = c === 0 && bias ? bias[f]! : 0;
      for (const { at, tap } of taps) s += x[at]! * w[(f * g.C + c) * g.kh * g.kw + tap]!;
      y[(n * F + f) * P + p]! += s;
    }
  });
  return y;
}

function poolF64(x: Float64Array, g: Geometry, kind: "max" | "avg"): number[] {
  const y: number[] = [];
  windows(g, (o, taps) => {
    const v = taps.map(({ at }) => x[at]!);
    y[o] = kind === "max" ? Math.max(...v) : v.reduce((a, b) => a + b, 0) / (g.kh * g.kw);
  });
  return y;
}

const geometry = (g: Partial<Geometry> & Pick<Geometry, "N" | "C" | "H" | "W" | "kh" | "kw">): Geometry => ({ sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, ...g });

const CONVS: { name: string; g: Geometry; F: number; bias: boolean }[] = [
  { name: "3x3, stride 1, padding 1, bias (the v128 rows)", g: geometry({ N: 2, C: 2, H: 5, W: 9, kh: 3, kw: 3, ph: 1, pw: 1 }), F: 3, bias: true },
  {
    name: "3x2, stride [2, 1], padding [1, 0], dilation [1, 2], bias",
    g: geometry({ N: 2, C: 3, H: 7, W: 5, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 0, dh: 1, dw: 2 }),
    F: 4,
    bias: true,
  },
  { name: "1x1 without bias, stride 3", g: geometry({ N: 3, C: 5, H: 4, W: 7, kh: 1, kw: 1, sh: 3, sw: 3 }), F: 2, bias: false },
];

const CASES: OpGradientCase[] = [
  ...CONVS.map(({ name, g, F, bias }): OpGradientCase => ({
    name: `conv2d ${name}`,
    shapes: [[g.N, g.C, g.H, g.W], [F, g.C, g.kh, g.kw], ...(bias ? [[F]] : [])],
    outShape: [g.N, F, outSize(g.H, g.kh, g.sh, g.ph, g.dh), outSize(g.W, g.kw, g.sw, g.pw, g.dw)],
    tape: (ops, [x, w, b]) =>
      ops.conv2d(x!, w!, { bias: b ?? null, stride: [g.sh, g.sw], padding: [g.ph, g.pw], dilation: [g.dh, g.dw] }),
    f64: ([x, w, b]) => conv2dF64(x!, w!, b ?? null, g, F),
  })),
  ...(["max", "avg"] as const).flatMap((kind) =>
    [
      { label: "2x2 tiles", g: geometry({ N: 2, C: 3, H: 6, W: 8, kh: 2, kw: 2, sh: 2, sw: 2 }) },
      { label: "3x3 overlapping, stride 2, padding 1, odd sizes", g: geometry({ N: 1, C: 3, H: 7, W: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }) },
      { label: "3x2, stride [1, 3]", g: geometry({ N: 2, C: 1, H: 5, W: 7, kh: 3, kw: 2, sh: 1, sw: 3 }) },
    ].map(({ label, g }): OpGradientCase => ({
      name: `${kind}Pool2d ${label}`,
      shapes: [[g.N, g.C, g.H, g.W]],
      outShape: [g.N, g.C, outSize(g.H, g.kh, g.sh, g.ph, 1), outSize(g.W, g.kw, g.sw, g.pw, 1)],
      tape: (ops, [x]) => ops[`${kind}Pool2d`](x!, [g.kh, g.kw], { stride: [g.sh, g.sw], padding: [g.ph, g.pw] }),
      f64: ([x]) => poolF64(x!, g, kind),
    })),
  ),
  {
    name: "flatten [2, 3, 2, 2] -> [2, 12]",
    shapes: [[2, 3, 2, 2]],
    outShape: [2, 12],
    tape: (ops, [x]) => ops.flatten(x!),
    f64: ([x]) => x!,
  },
  {
    name: "reshape [2, 3, 4] -> [4, -1] (a view of an op's output)",
    shapes: [[2, 3, 4]],
    outShape: [4, 6],
    tape: (ops, [x]) => ops.mul(ops.reshape(ops.tanh(x!), [4, -1]), ops.reshape(x!, [4, 6])),
    f64: ([x]) => x!.map((v) => Math.tanh(v) * v),
  },
  {
    name: "a small CNN: mean of avgPool(relu(conv(maxPool(conv(x)))))",
    shapes: [[2, 1, 9, 9], [3, 1, 3, 3], [3], [2, 3, 2, 2]],
    outShape: [2, 2, 1, 1],
    tape: (ops, [x, w1, b1, w2]) => ops.avgPool2d(ops.relu(ops.conv2d(ops.maxPool2d(ops.conv2d(x!, w1!, { bias: b1!, padding: 1 }), 3), w2!)), 2),
    f64: ([x, w1, b1, w2]) => {
      const h1 = conv2dF64(x!, w1!, b1!, geometry({ N: 2, C: 1, H: 9, W: 9, kh: 3, kw: 3, ph: 1, pw: 1 }), 3);
      const p1 = Float64Array.from(poolF64(h1, geometry({ N: 2, C: 3, H: 9, W: 9, kh: 3, kw: 3, sh: 3, sw: 3 }), "max"));
      const h2 = conv2dF64(p1, w2!, null, geometry({ N: 2, C: 3, H: 3, W: 3, kh: 2, kw: 2 }), 2).map((v) => Math.max(v, 0));
      return poolF64(h2, geometry({ N: 2, C: 2, H: 2, W: 2, kh: 2, kw: 2, sh: 2, sw: 2 }), "avg");
    },
  },
];

describeBackends("autodiff: conv2d and pooling gradients equal f64 central differences", (rt) => {
  for (const c of CASES) it(c.name, () => expectOpGradients(rt, c));
});

describeBackends("autodiff: conv2d and pooling", (rt) => {
  it("max pooling sends a tie's gradient to the window's first largest element, and NaN through", () => {
    rt.scope(() => {
      const x = rt.param([1, 1, 2, 4], { values: [1, 3, 2, 2, 3, 0, NaN, 2] });
      const step = valueAndGrad(rt, (ops) => ops.sum(ops.maxPool2d(x, 2)));
      expect(Number.isNaN(step())).toBe(true);
      expect(x.grad.toArray()).toEqual([0, 1, 0, 0, 0, 0, 1, 0]);
      step.dispose();
    });
  });

  it("a training step allocates nothing after the first (the column buffers are reused)", () => {
    rt.scope(() => {
      const x = rt.fromArray(Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => Math.sin(i)), [2, 3, 8, 8]);
      const w = rt.param([4, 3, 3, 3], { values: Array.from({ length: 108 }, (_, i) => Math.cos(i) / 4) });
      const b = rt.param([4]);
      const step = valueAndGrad(rt, (ops) => ops.mean(ops.avgPool2d(ops.relu(ops.maxPool2d(ops.conv2d(x, w, { bias: b, padding: 1 }), 2)), 2)));
      step();
      const after = rt.memoryStats();
      for (let i = 0; i < 3; i++) step();
      expect(rt.memoryStats()).toMatchObject({ liveBytes: after.liveBytes, liveTensors: after.liveTensors });
      step.dispose();
    });
  });

  describe("bad calls throw before anything is written", () => {
    const bad: [string, (ops: import("../../src/autodiff/ops").Ops, x: any, w: any) => unknown, typeof ShapeError | typeof ValueError][] = [
      ["conv2d of channels that differ", (ops, x) => ops.conv2d(x, rt.fromArray(new Array(2 * 2 * 9).fill(1), [2, 2, 3, 3])), ShapeError],
      ["conv2d with a bias of the wrong length", (ops, x, w) => ops.conv2d(x, w, { bias: rt.tensor([3]) }), ShapeError],
      ["conv2d of a rank-3 input", (ops, x, w) => ops.conv2d(rt.tensor([1, 5, 5]), w), ShapeError],
      ["conv2d with a window larger than the input", (ops, x) => ops.conv2d(x, rt.tensor([2, 1, 7, 7])), ShapeError],
      ["conv2d with stride 0", (ops, x, w) => ops.conv2d(x, w, { stride: 0 }), ValueError],
      ["conv2d with padding -1", (ops, x, w) => ops.conv2d(x, w, { padding: [0, -1] }), ValueError],
      ["conv2d with dilation 1.5", (ops, x, w) => ops.conv2d(x, w, { dilation: 1.5 }), ValueError],
      ["conv2d with an unknown option", (ops, x, w) => ops.conv2d(x, w, { strides: 2 } as never), ValueError],
      ["maxPool2d with padding over half the kernel", (ops, x) => ops.maxPool2d(x, 2, { padding: 2 }), ValueError],
      ["avgPool2d with kernel 0", (ops, x) => ops.avgPool2d(x, 0), ValueError],
      ["avgPool2d with a kernel larger than the input", (ops, x) => ops.avgPool2d(x, [6, 1]), ShapeError],
      ["flatten of a vector", (ops) => ops.flatten(rt.tensor([3])), ShapeError],
      ["reshape to another element count", (ops, x) => ops.reshape(x, [2, 13]), ShapeError],
      ["reshape with two -1", (ops, x) => ops.reshape(x, [-1, 5, -1]), ShapeError],
    ];
    for (const [name, call, error] of bad) {
      it(name, () => {
        rt.scope(() => {
          const x = rt.param([1, 1, 5, 5], { values: new Array(25).fill(0.5) });
          const w = rt.param([2, 1, 3, 3], { values: new Array(18).fill(0.25) });
          x.grad.fill(7);
          const step = valueAndGrad(rt, (ops) => ops.sum(call(ops, x, w) as never));
          expect(() => step()).toThrow(error);
          expect(x.grad.toArray()).toEqual(new Array(25).fill(7));
          expect(w.grad.toArray()).toEqual(new Array(18).fill(0));
          step.dispose();
        });
      });
    }
  });
});
