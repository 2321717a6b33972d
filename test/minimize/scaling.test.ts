import { expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { MGH_PROBLEMS, mghFG, mghHess } from "../helpers/mgh";
import { minimize, quadratic, type FG, type LineSearch, type Method, type MinimizeOptions } from "../../src/minimize/index";

const rosen = MGH_PROBLEMS[0]!;

/** f and g multiplied by c (a power of two: exact as long as the products stay normal). */
function times(c: number, fg: FG): FG {
  return (x, g) => {
    const f = fg(x, g);
    for (let i = 0; i < g.length; i++) g[i]! *= c;
    return c * f;
  };
}

/** A convex quadratic for the slow methods: f = (x0 - 1)^2 + 3 (x1 + 2)^2 + x0 x1. */
const bowl: FG = (x, g) => {
  g[0] = 2 * (x[0]! - 1) + x[1]!;
  g[1] = 6 * (x[1]! + 2) + x[0]!;
  return (x[0]! - 1) ** 2 + 3 * (x[1]! + 2) ** 2 + x[0]! * x[1]!;
};

/** Powers of two from 2^-1000 to 2^1000: gradients from about 1e-299 to 1e303 at x0. */
const EXPONENTS = [-1000, -500, 0, 500, 1000];

const RUNS: Array<{ method: Method; lineSearch: LineSearch; fg: FG; damping?: number }> = [
  { method: "lbfgs", lineSearch: "strong-wolfe", fg: mghFG(rosen) },
  { method: "lbfgs", lineSearch: "armijo", fg: mghFG(rosen) },
  { method: "bfgs", lineSearch: "strong-wolfe", fg: mghFG(rosen) },
  { method: "bfgs", lineSearch: "armijo", fg: mghFG(rosen) },
  { method: "cg", lineSearch: "strong-wolfe", fg: mghFG(rosen) },
  { method: "cg", lineSearch: "armijo", fg: bowl },
  { method: "steepest", lineSearch: "strong-wolfe", fg: bowl },
  { method: "steepest", lineSearch: "armijo", fg: bowl },
  { method: "coordinate", lineSearch: "strong-wolfe", fg: bowl },
  { method: "coordinate", lineSearch: "armijo", fg: bowl },
  { method: "newton", lineSearch: "strong-wolfe", fg: mghFG(rosen) },
  { method: "newton", lineSearch: "strong-wolfe", fg: mghFG(rosen), damping: 0 },
  { method: "newton", lineSearch: "strong-wolfe", fg: bowl, damping: 1 },
];

describeBackends("minimize() across the f64 range", (rt) => {
  for (const { method, lineSearch, fg, damping } of RUNS) {
    it(`${method}${damping === undefined ? "" : ` (damping ${damping})`} with ${lineSearch}: ${fg === bowl ? "a quadratic" : "Rosenbrock"} times 2^k runs the same iterations for k = ${EXPONENTS.join(", ")}`, () => {
      const run = (k: number) => {
        const c = 2 ** k;
        const options: MinimizeOptions = { method, lineSearch, runtime: rt, gtol: 1e-5 * c, maxIter: 3000 };
        // damping is on the user's scale of f: it scales with f like H does.
        if (damping !== undefined) options.damping = damping * c;
        const hess = fg === bowl ? (_x: Float64Array, H: Float64Array) => H.set([2, 1, 1, 6]) : mghHess(rosen);
        if (method === "newton") options.hess = (x, H) => { hess(x, H); for (let i = 0; i < H.length; i++) H[i]! *= c; };
        return minimize(times(c, fg), rosen.x0, options);
      };
      const base = run(0);
      expect(base.status).toBe("gtol");
      for (const k of EXPONENTS) {
        const r = run(k);
        const c = 2 ** k;
        expect({ k, status: r.status, nit: r.nit, nfev: r.nfev, x: Array.from(r.x) }).toEqual({
          k, status: base.status, nit: base.nit, nfev: base.nfev, x: Array.from(base.x),
        });
        // The user's numbers: f and g exactly as the callback returns them at x.
        const g = new Float64Array(2);
        expect([r.f, Array.from(r.grad)]).toEqual([times(c, fg)(r.x, g), Array.from(g)]);
        expect(r.gradNorm).toBe(Math.max(Math.abs(g[0]!), Math.abs(g[1]!)));
      }
    });
  }

  it("reports f, gradNorm and x to onIteration on the user's scale", () => {
    const c = 2 ** 1000;
    const seen: number[][] = [];
    const r = minimize(times(c, mghFG(rosen)), rosen.x0, {
      runtime: rt, gtol: 1e-5 * c, onIteration: ({ f, gradNorm }) => void seen.push([f, gradNorm]),
    });
    expect(r.status).toBe("gtol");
    expect(seen[0]![0]).toBeGreaterThan(1e270);
    expect(seen.at(-1)![0]).toBe(r.f);
    expect(seen.at(-1)![1]).toBe(r.gradNorm);
    const g = new Float64Array(2);
    expect(times(c, mghFG(rosen))(r.x, g)).toBe(r.f);
    expect(Array.from(r.grad)).toEqual(Array.from(g));
  });

  it("runs a quadratic objective in wasm memory scaled by 2^k the same way (exact search, sweeps, Newton)", () => {
    for (const options of [{ method: "cg", lineSearch: "exact" }, { method: "coordinate" }, { method: "newton" }] as const) {
      const run = (k: number) => {
        const c = 2 ** k;
        const q = quadratic(rt, [4 * c, c, c, 3 * c], [c, 2 * c]);
        try {
          return minimize(q, [5, -7], { ...options, gtol: 1e-12 * c });
        } finally {
          q.dispose();
        }
      };
      const base = run(0);
      expect(base.converged).toBe(true);
      for (const k of EXPONENTS) {
        const r = run(k);
        expect([options.method, k, r.status, r.nit, Array.from(r.x)]).toEqual([options.method, k, base.status, base.nit, Array.from(base.x)]);
      }
    }
  });

  it("takes gtol on the user's scale: a gradient of 1e-160 stops at x0 under the default gtol, and runs on under a smaller one", () => {
    const c = 2 ** -531; // |g| about 2e-158 at x0
    const early = minimize(times(c, mghFG(rosen)), rosen.x0, { runtime: rt });
    expect([early.status, early.nit, early.converged]).toEqual(["gtol", 0, true]);
    const full = minimize(times(c, mghFG(rosen)), rosen.x0, { runtime: rt, gtol: 1e-5 * c });
    const plain = minimize(mghFG(rosen), rosen.x0, { runtime: rt });
    expect([full.status, full.nit]).toEqual(["gtol", plain.nit]);
    expect(Math.abs(full.x[0]! - 1)).toBeLessThan(1e-5);
  });

  it("converges on a problem scaled by 1e150 and 1e-150 (not powers of two)", () => {
    for (const c of [1e150, 1e-150]) {
      const r = minimize(times(c, mghFG(rosen)), rosen.x0, { runtime: rt, gtol: 1e-5 * c });
      expect([c, r.status]).toEqual([c, "gtol"]);
      expect(Math.abs(r.x[0]! - 1) + Math.abs(r.x[1]! - 1)).toBeLessThan(1e-4);
    }
  });
});
