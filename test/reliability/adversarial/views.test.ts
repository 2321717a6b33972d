// Views that detach: a `t.data` view dies when its runtime's memory grows. Every entry point
// that takes a caller's array reads (or copies) it before allocating; every callback gets arrays
// that stay valid whatever it allocates; a view that is already stale fails loudly. Each case
// runs on a fresh runtime whose memory must grow during the call. Add new entry points here.
import { describe, expect, it } from "vitest";
import { BACKENDS } from "../../helpers/backends";
import { expectThrowsUnchanged } from "../../helpers/snapshot";
import { initSyncWithTwins } from "../../helpers/runtime";
import type { Backend, Runtime } from "../../../src/runtime/runtime";
import type { Tensor } from "../../../src/runtime/tensor";
import { ShapeError, ValueError } from "../../../src/runtime/errors";
import { diagonalQuadratic, leastSquares, logisticRegression, minimize, quadratic, type FG } from "../../../src/minimize/index";

/** A fresh runtime and an f64 tensor (0, 1, 2, ...) bigger than its memory was: allocating its size again grows the memory. */
function crowded(backend: Backend, dtype: "f32" | "f64" = "f64"): { rt: Runtime; t: Tensor } {
  const rt = initSyncWithTwins({ backend });
  const length = rt.memoryStats().capacityBytes / (dtype === "f64" ? 8 : 4) + 1;
  const t = rt.tensor([length], { dtype });
  t.data.forEach((_, i, data) => (data[i] = i % 97));
  return { rt, t };
}

/** Runs `use` and checks that it grew the memory and left exactly `kept` more tensors live. */
function growing<T>(rt: Runtime, use: () => T, kept = 0): T {
  const before = rt.memoryStats();
  const result = use();
  const after = rt.memoryStats();
  expect(after.capacityBytes, "the call grew the memory").toBeGreaterThan(before.capacityBytes);
  expect(after.liveTensors - before.liveTensors, "tensors left live").toBe(kept);
  return result;
}

/** A stale view: t.data read, then the memory grown by an allocation. */
function staleView(rt: Runtime, t: Tensor): ArrayLike<number> {
  const view = t.data;
  rt.tensor([t.length * 2], { dtype: "f64" }).dispose();
  expect(view.length).toBe(0);
  return view;
}

/** sum_i (x_i - c_i)^2 / 2 with c_i = i % 7. */
const bowl: FG = (x, g) => {
  let f = 0;
  for (let i = 0; i < x.length; i++) {
    const r = x[i]! - (i % 7);
    g[i] = r;
    f += 0.5 * r * r;
  }
  return f;
};

for (const backend of BACKENDS) {
  describe(`views that detach [${backend}]`, () => {
    describe("rt.fromArray", () => {
      it("copies a view of its own memory when the allocation grows it", () => {
        for (const dtype of ["f32", "f64"] as const) {
          const { rt, t } = crowded(backend, dtype);
          const copy = growing(rt, () => rt.fromArray(t.data, t.shape, { dtype }), 1);
          expect(copy.data).toEqual(t.data);
          expect(copy.data[96]).toBe(96);
        }
      });

      it("a stale view is a ValueError that says so, with nothing allocated", () => {
        const { rt, t } = crowded(backend);
        const view = staleView(rt, t);
        expectThrowsUnchanged(rt, () => rt.fromArray(view, t.shape), ValueError, /stale view.*read t\.data again/);
        expectThrowsUnchanged(rt, () => rt.fromArray(view), ValueError, /stale view/);
      });

      it("an array-like whose reading throws leaves no tensor behind (fromArray, param)", () => {
        const { rt } = crowded(backend);
        const before = rt.memoryStats();
        const exploding = { length: 2, 0: 1, get 1(): number { throw new Error("boom"); } };
        expect(() => rt.fromArray(exploding, [2])).toThrow("boom");
        expect(() => rt.param([2], { values: exploding })).toThrow("boom");
        expect(rt.memoryStats().liveTensors).toBe(before.liveTensors);
        expect(rt.memoryStats().liveBytes).toBe(before.liveBytes);
      });

      it("null, numbers and BigInt arrays are ValueErrors, not TypeErrors", () => {
        const { rt } = crowded(backend);
        for (const bad of [null, 5, new BigInt64Array(2)]) {
          expectThrowsUnchanged(rt, () => rt.fromArray(bad as never, [2]), ValueError, /Invalid values/);
        }
      });
    });

    describe("rt.param({ values })", () => {
      it("reads the values before allocating the param and its gradient", () => {
        const { rt, t } = crowded(backend, "f32");
        const p = growing(rt, () => rt.param(t.shape, { values: t.data }), 2);
        expect(p.data).toEqual(t.data);
      });

      it("a stale view is a ValueError, with nothing allocated", () => {
        const { rt, t } = crowded(backend, "f32");
        const view = staleView(rt, t);
        expectThrowsUnchanged(rt, () => rt.param(t.shape, { values: view }), ValueError, /stale view/);
      });
    });

    describe("t.set", () => {
      it("a stale view is a ValueError, the tensor unchanged", () => {
        const { rt, t } = crowded(backend);
        const view = staleView(rt, t);
        expectThrowsUnchanged(rt, () => t.set(view), ValueError, /stale view/);
        expectThrowsUnchanged(rt, () => t.set(null as never), ValueError, /Invalid values/);
        expectThrowsUnchanged(rt, () => t.set(new BigUint64Array(t.length) as never), ValueError, /BigUint64Array/);
      });

      it("a live view of another tensor of the same memory copies", () => {
        const { rt, t } = crowded(backend);
        const u = rt.tensor(t.shape, { dtype: "f64" });
        expect(u.set(t.data).data).toEqual(t.data);
      });
    });

    describe("shapes", () => {
      it("dimensions beyond 2^53 are ShapeErrors, even with a zero dimension", () => {
        const { rt } = crowded(backend);
        for (const shape of [[1e300, 1e300, 0], [2 ** 53, 0], [2 ** 30, 2 ** 30, 2 ** 30], [1.5], [-1], [NaN]]) {
          expectThrowsUnchanged(rt, () => rt.tensor(shape), ShapeError, /Invalid shape/);
          expectThrowsUnchanged(rt, () => rt.param(shape), ShapeError, /Invalid shape/);
          expectThrowsUnchanged(rt, () => rt.fromArray([], shape), ShapeError, /Invalid shape/);
        }
        expect(rt.tensor([2 ** 40, 0]).length).toBe(0);
      });
    });

    describe("minimize x0", () => {
      it("a Tensor x0 in the runtime whose memory the solver grows", () => {
        const { rt, t } = crowded(backend);
        const r = growing(rt, () => minimize(bowl, t, { method: "cg" }));
        expect(r.status).toBe("gtol");
        r.x.forEach((v, i) => expect(v).toBeCloseTo(i % 7, 5));
      });

      it("a view of that runtime's memory as x0", () => {
        const { rt, t } = crowded(backend);
        const r = growing(rt, () => minimize(bowl, t.data, { method: "lbfgs", runtime: rt }));
        expect(r.status).toBe("gtol");
        expect(r.nfev).toBeGreaterThan(1); // x0 = 0, 1, 2, ..., 96, 0, ... is not the minimizer
      });

      it("a stale view as x0 is a ValueError before anything runs", () => {
        const { rt, t } = crowded(backend);
        const view = staleView(rt, t);
        let calls = 0;
        const fg: FG = (x, g) => (calls++, bowl(x, g));
        expectThrowsUnchanged(rt, () => minimize(fg, view, { runtime: rt }), ValueError, /Invalid x0: a stale view/);
        expect(calls).toBe(0);
      });
    });

    describe("objectives given tensors and views", () => {
      // A = diag(1..n) + 0.1 (dense, SPD), b = A * ones: the minimizer is ones. n^2 f64 > 128 KiB.
      const n = 130;
      const A = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 + k / (n + 1) : 0) + 0.1);
      const b = Float64Array.from({ length: n }, (_, i) => A.subarray(i * n, i * n + n).reduce((s, v) => s + v, 0));
      const expectOnes = (x: Float64Array) => x.forEach((v) => expect(v).toBeCloseTo(1, 5));

      // Each objective of (A, b) whose minimizer is ones; `tensors` owned by it.
      const labels = Float64Array.from({ length: n }, (_, i) => i % 2);
      const objectives = [
        { name: "quadratic", tensors: 3, make: (rt: Runtime, A: ArrayLike<number> | Tensor, b: ArrayLike<number> | Tensor) => quadratic(rt, A, b) },
        { name: "leastSquares", tensors: 4, make: (rt: Runtime, A: ArrayLike<number> | Tensor, b: ArrayLike<number> | Tensor) => leastSquares(rt, A, b, n) },
        { name: "diagonalQuadratic", tensors: 2, make: (rt: Runtime, A: ArrayLike<number> | Tensor, b: ArrayLike<number> | Tensor) => diagonalQuadratic(rt, A, b) },
      ];

      for (const { name, tensors, make } of objectives) {
        it(`${name} given tensors, and given their views, when copying them grows the memory`, () => {
          for (const asView of [false, true]) {
            const rt = initSyncWithTwins({ backend });
            const diagonal = name === "diagonalQuadratic";
            const At = rt.fromArray(diagonal ? Float64Array.from({ length: n * n }, (_, k) => 1 + (k % n)) : A, [n * n], { dtype: "f64" });
            const bt = rt.fromArray(diagonal ? At.data.subarray(0, n * n) : b, [diagonal ? n * n : n], { dtype: "f64" });
            const q = growing(rt, () => (asView ? make(rt, At.data, bt.data) : make(rt, At, bt)), tensors);
            expectOnes(minimize(q, new Float64Array(q.n), { gtol: 1e-9, maxIter: 5000 }).x);
            q.dispose();
          }
        });
      }

      it("logisticRegression given views of tensors, when copying them grows the memory", () => {
        const rt = initSyncWithTwins({ backend });
        const [At, yt] = [rt.fromArray(A, [n * n], { dtype: "f64" }), rt.fromArray(labels, [n], { dtype: "f64" })];
        const fromViews = growing(rt, () => logisticRegression(rt, At.data, yt.data, n, 1), 3);
        const fromArrays = logisticRegression(rt, A, labels, n, 1);
        const [a, b] = [fromViews, fromArrays].map((o) => minimize(o, new Float64Array(n), { gtol: 1e-6 }));
        expect(a!.status).toBe("gtol");
        expect(a!.x).toEqual(b!.x);
        fromViews.dispose();
        fromArrays.dispose();
      });

      it("a stale view is a ValueError, with nothing allocated", () => {
        const rt = initSyncWithTwins({ backend });
        const At = rt.fromArray(A, [n * n], { dtype: "f64" });
        const view = staleView(rt, At);
        expectThrowsUnchanged(rt, () => quadratic(rt, view, b), ValueError, /Invalid A: a stale view/);
        expectThrowsUnchanged(rt, () => leastSquares(rt, view, b, n), ValueError, /Invalid A: a stale view/);
      });
    });

    describe("callbacks: x and g stay valid when the callback grows the memory", () => {
      it("fg that allocates on the runtime it runs on", () => {
        const { rt } = crowded(backend);
        const n = 50;
        const fg: FG = (x, g) => {
          rt.scope(() => rt.tensor([rt.memoryStats().capacityBytes / 4])); // grows the memory every call
          return bowl(x, g);
        };
        const r = growing(rt, () => minimize(fg, new Float64Array(n), { runtime: rt }));
        expect(r.status).toBe("gtol");
        r.x.forEach((v, i) => expect(v).toBeCloseTo(i % 7, 5));
      });

      it("fg that runs a nested minimize on the same runtime", () => {
        const { rt } = crowded(backend);
        // f(x) = sum (x_i - c_i)^2 / 2 + min_y (y - x_0)^2 / 2 + ... : the inner minimum is 0, its argmin x_0.
        let inner = 0;
        const fg: FG = (x, g) => {
          const r = minimize((y, gy) => ((gy[0] = y[0]! - x[0]!), 0.5 * (y[0]! - x[0]!) ** 2), [x[0]! + 1], { runtime: rt });
          inner += Math.abs(r.x[0]! - x[0]!);
          rt.scope(() => rt.tensor([rt.memoryStats().capacityBytes / 4]));
          return bowl(x, g);
        };
        const r = minimize(fg, new Float64Array(40), { runtime: rt });
        expect(r.status).toBe("gtol");
        expect(inner).toBeLessThan(1e-6 * r.nfev);
        r.x.forEach((v, i) => expect(v).toBeCloseTo(i % 7, 5));
      });

      it("hess, hessp and onIteration that allocate", () => {
        const { rt } = crowded(backend);
        const grow = () => rt.scope(() => rt.tensor([rt.memoryStats().capacityBytes / 4]));
        const n = 6;
        const hess = (_x: Float64Array, H: Float64Array) => {
          grow();
          H.fill(0);
          for (let i = 0; i < n; i++) H[i * n + i] = 1;
        };
        const hessp = (_x: Float64Array, v: Float64Array, out: Float64Array) => {
          grow();
          out.set(v);
        };
        const seen: number[] = [];
        const onIteration = ({ x }: { x: Float64Array }) => {
          grow();
          seen.push(x[1]!);
        };
        for (const second of [{ hess }, { hessp }]) {
          const r = minimize(bowl, new Float64Array(n), { method: "newton", runtime: rt, onIteration, ...second });
          expect(r.status).toBe("gtol");
          expect(r.nit).toBe(1);
          r.x.forEach((v, i) => expect(v).toBeCloseTo(i % 7, 12));
        }
        expect(seen).toEqual([1, 1]);
      });
    });

    describe("callbacks: a gradient left unwritten", () => {
      it("fg that writes nothing, or only part of g, is a ValueError naming the component", () => {
        const { rt } = crowded(backend);
        const before = rt.memoryStats();
        expect(() => minimize(() => 1, [1, 2], { runtime: rt })).toThrow(/fg\(x, g\): g: component 0 was never written/);
        expect(() => minimize((x, g) => ((g[0] = x[0]!), 1), [1, 2], { runtime: rt })).toThrow(/component 1 was never written/);
        expect(() => minimize((_x, g) => (g.fill(NaN), 1), [1, 2], { runtime: rt })).not.toThrow(); // a NaN written is the caller's
        expect(rt.memoryStats().liveTensors).toBe(before.liveTensors);
      });

      it("hess and hessp that leave entries unwritten are ValueErrors", () => {
        const { rt } = crowded(backend);
        const hess = (_x: Float64Array, H: Float64Array) => void (H[0] = 1);
        const hessp = (_x: Float64Array, v: Float64Array, out: Float64Array) => void (out[0] = v[0]!);
        expect(() => minimize(bowl, [0, 0], { method: "newton", hess, runtime: rt })).toThrow(/hess\(x, H\): H: component 1 was never written/);
        expect(() => minimize(bowl, [0, 0], { method: "newton", hessp, runtime: rt })).toThrow(/hessp\(x, v, out\): out: component 1/);
      });
    });

    describe("minimize with an aborted signal", () => {
      it("never calls fg and returns 'aborted' with x0", () => {
        const { rt } = crowded(backend);
        const controller = new AbortController();
        controller.abort();
        let calls = 0;
        const before = rt.memoryStats();
        const r = minimize((x, g) => (calls++, bowl(x, g)), [3, 4], { signal: controller.signal, runtime: rt });
        expect(calls).toBe(0);
        expect(rt.memoryStats()).toEqual(before);
        expect(r).toMatchObject({ status: "aborted", converged: false, nfev: 0, nit: 0 });
        expect(Array.from(r.x)).toEqual([3, 4]);
        expect(Number.isNaN(r.f) && r.grad.every(Number.isNaN)).toBe(true);
      });
    });
  });
}
