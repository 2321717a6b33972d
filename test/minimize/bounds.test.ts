import { expect, it, vi } from "vitest";
import { describeBackends } from "../helpers/backends";
import { MGH_PROBLEMS, extendedRosenbrockFG, extendedRosenbrockStart, mghFG } from "../helpers/mgh";
import { diagonalQuadratic, minimize, type Bounds, type FG, type MinimizeOptions } from "../../src/minimize/index";
import { ShapeError, ValueError } from "../../src/runtime/errors";

/**
 * minimize 'lbfgs' with box bounds (L-BFGS-B). The scipy rows are the output of
 * `python3 bench/scipy/lbfgsb_bounds.py` (scipy 1.17.1, numpy 2.4.6): the minimizer x (its first
 * six components for n = 1000) and f from a tight run (gtol 1e-12, ftol 0), and nit, nfev of
 * scipy's L-BFGS-B at its defaults. The boxes are the script's.
 */
const pairs = (box: Array<[number | null, number | null]>) => box;
const everyThird = (n: number, upper: number) =>
  Array.from({ length: n }, (_, i): [number, number] => [-2, i % 3 === 0 ? upper : 2]);

const SCIPY = [
  { problem: "Rosenbrock", bounds: pairs([[-2, 0.5], [-2, 2]]), x: [0.5, 0.25], f: 0.25, nit: 20, nfev: 30 },
  { problem: "Beale", bounds: pairs([[-4.5, 2.5], [-1, 1]]), x: [2.5, 0.35006349452511987], f: 0.0727000506535337, nit: 11, nfev: 13 },
  {
    problem: "Helical valley", bounds: pairs([[-2, 0.8], [-1, 1], [null, null]]),
    x: [0.8, 0.5619366456706896, 0.9649340753151799], f: 0.9904221209614, nit: 27, nfev: 39,
  },
  {
    problem: "Wood", bounds: pairs([[-3, 0.9], [null, null], [-3, 0.9], [null, null]]),
    x: [-1.0333010093443749, 1.0775498370270813, 0.9, 0.821501065513774], f: 4.274361319238031, nit: 50, nfev: 73,
  },
  {
    problem: "Powell singular", bounds: pairs([[0.1, 10], [-10, 10], [-10, 10], [-10, 10]]),
    x: [0.1, -0.009982234146808051, 0.043073107858499174, 0.043783741586827886], f: 0.0001878196300583033, nit: 20, nfev: 24,
  },
  { problem: "Trigonometric n=10", bounds: pairs(Array(10).fill([0, 0.05])), x: Array(10).fill(0), f: 0, nit: 3, nfev: 4 },
  { problem: "Penalty I n=4", bounds: pairs(Array(4).fill([0.3, 5])), x: [0.3, 0.3, 0.3, 0.3], f: 0.012119599999999998, nit: 1, nfev: 2 },
  {
    problem: "Extended Rosenbrock n=1000", bounds: everyThird(1000, 0.7),
    x: [0.7, 0.48999999996480537, 0.8372407050714508, 0.7, 1.000000000508209, 1.0000000009908738], f: 19.46970604559159, nit: 60, nfev: 74,
  },
];

function problem(name: string): { fg: FG; x0: number[] } {
  if (name === "Extended Rosenbrock n=1000") return { fg: extendedRosenbrockFG, x0: extendedRosenbrockStart(1000) };
  const p = MGH_PROBLEMS.find((q) => q.name === name)!;
  return { fg: mghFG(p), x0: p.x0 };
}

/** fg that records whether it was ever called outside the box. */
function watched(fg: FG, bounds: Array<[number | null, number | null]>): { fg: FG; outside: () => number; calls: () => number } {
  let outside = 0;
  let calls = 0;
  return {
    fg: (x, g) => {
      calls += 1;
      bounds.forEach(([lo, hi], i) => {
        if (x[i]! < (lo ?? -Infinity) || x[i]! > (hi ?? Infinity)) outside += 1;
      });
      return fg(x, g);
    },
    outside: () => outside,
    calls: () => calls,
  };
}

const rosen: FG = (x, g) => {
  const t = x[1]! - x[0]! * x[0]!;
  g[0] = -400 * t * x[0]! - 2 * (1 - x[0]!);
  g[1] = 200 * t;
  return 100 * t * t + (1 - x[0]!) ** 2;
};

describeBackends("minimize lbfgs with bounds", (rt) => {
  it.each(SCIPY)("$problem: scipy's constrained minimizer, inside the box, in scipy's number of evaluations", (row) => {
    const { fg, x0 } = problem(row.problem);
    const w = watched(fg, row.bounds);
    const r = minimize(w.fg, x0, { bounds: row.bounds, gtol: 1e-8, runtime: rt });
    expect(w.outside(), "evaluations outside the box").toBe(0);
    // At gtol 1e-8 Wood's f (4.27) is flat to rounding before |P(x - g) - x| gets there on one backend.
    expect(["gtol", "line-search-failed"], `${r.status} after ${r.nit} iterations`).toContain(r.status);
    expect(Math.abs(r.f - row.f)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(row.f)));
    row.x.forEach((xi, i) => expect(Math.abs(r.x[i]! - xi), `x[${i}]`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(xi))));
    // At the default gtol (scipy's pgtol 1e-5): at most 3 evaluations more than scipy's L-BFGS-B.
    const atDefaults = minimize(fg, x0, { bounds: row.bounds, runtime: rt });
    expect(atDefaults.status).toBe("gtol");
    expect(atDefaults.nfev, `nfev ${atDefaults.nfev} vs scipy ${row.nfev}`).toBeLessThanOrEqual(row.nfev + 3);
  });

  it("gradNorm is the projected gradient: 0 at a minimizer on a bound where g is not", () => {
    const r = minimize(rosen, [-1.2, 1], { bounds: [[-2, 0.5], [-2, 2]], runtime: rt });
    const g = new Float64Array(2);
    rosen(Float64Array.from(r.x), g);
    expect(Math.abs(g[0]!)).toBeGreaterThan(0.9); // f' = -1 along x0 at (0.5, 0.25)
    expect(r.gradNorm).toBeLessThanOrEqual(1e-5);
    expect(r.grad[0]).toBe(g[0]); // the result's grad is the plain gradient
  });

  it("both forms of bounds, null and infinite sides, give the same run", () => {
    const a = minimize(rosen, [-1.2, 1], { bounds: [[null, 0.8], [-Infinity, 0.5]], runtime: rt });
    const b = minimize(rosen, [-1.2, 1], { bounds: { upper: [0.8, 0.5] }, runtime: rt });
    const c = minimize(rosen, [-1.2, 1], { bounds: { lower: [-Infinity, -Infinity], upper: [0.8, 0.5] }, runtime: rt });
    expect(b.x).toEqual(a.x);
    expect(c.x).toEqual(a.x);
    expect(a.x[1]).toBe(0.5);
    expect(a.x[0]).toBeCloseTo(0.7085595037613491, 7); // scipy, bounds [(-2, 0.8), (None, 0.5)]
  });

  it("bounds that are all infinite run the unconstrained method exactly", () => {
    const free = minimize(rosen, [-1.2, 1], { runtime: rt });
    const infinite = minimize(rosen, [-1.2, 1], { bounds: { lower: -Infinity, upper: Infinity }, runtime: rt });
    expect(infinite.x).toEqual(free.x);
    expect(infinite.nfev).toBe(free.nfev);
  });

  it("bounds never active reach the unconstrained minimizer", () => {
    const free = minimize(extendedRosenbrockFG, extendedRosenbrockStart(100), { gtol: 1e-9, runtime: rt });
    const boxed = minimize(extendedRosenbrockFG, extendedRosenbrockStart(100), { bounds: { lower: -5, upper: 5 }, gtol: 1e-9, runtime: rt });
    expect(boxed.converged).toBe(true);
    boxed.x.forEach((v, i) => expect(Math.abs(v - free.x[i]!)).toBeLessThanOrEqual(1e-8));
    expect(boxed.gradNorm).toBeLessThanOrEqual(1e-9);
  });

  it("an x0 outside the box starts from its projection; a fixed variable stays fixed", () => {
    const seen: number[][] = [];
    const fg: FG = (x, g) => {
      seen.push(Array.from(x));
      return rosen(x, g);
    };
    const r = minimize(fg, [-3, 7], { bounds: [[-2, -2], [-1, 2]], runtime: rt });
    expect(seen[0]).toEqual([-2, 2]);
    expect(seen.every((x) => x[0] === -2)).toBe(true);
    expect(r.x[0]).toBe(-2);
    expect(r.x[1]).toBe(2); // f = 100 (x1 - 4)^2 + 9 with x0 = -2: x1 stops at its upper bound
    expect(r.gradNorm).toBe(0);
  });

  it.each(["forward", "central"] as const)("finite differences (%s) stay inside the box", (gradient) => {
    const box: Array<[number, number]> = [[-2, 0.5], [0.25, 2]];
    const w = watched((x) => rosen(x, new Float64Array(2)), box);
    const r = minimize(w.fg, [0.5, 0.25], { bounds: box, gradient, runtime: rt });
    expect(w.outside()).toBe(0);
    expect(r.x[0]).toBeCloseTo(0.5, 6);
    expect(r.x[1]).toBeCloseTo(0.25, 6);
  });

  it("a 1000-variable box with many active bounds matches scipy and stays feasible on the way", () => {
    const row = SCIPY.at(-1)!;
    const lower = row.bounds.map(([lo]) => lo!);
    const upper = row.bounds.map(([, hi]) => hi!);
    const onIteration = vi.fn(({ x }: { x: Float64Array }) => {
      expect(x.every((v, i) => v >= lower[i]! && v <= upper[i]!)).toBe(true);
    });
    const r = minimize(extendedRosenbrockFG, extendedRosenbrockStart(1000), { bounds: { lower, upper }, runtime: rt, onIteration });
    expect(onIteration).toHaveBeenCalledTimes(r.nit);
    const active = r.x.filter((v, i) => v === lower[i] || v === upper[i]).length;
    expect(active).toBeGreaterThan(100);
    expect(Math.abs(r.f - row.f)).toBeLessThanOrEqual(1e-6 * row.f);
  });
});

describeBackends("minimize bounds: the error contract", (rt) => {
  const bad: Array<[string, Bounds | unknown, MinimizeOptions, typeof ValueError]> = [
    ["a method other than lbfgs", [[0, 1], [0, 1]], { method: "bfgs" }, ValueError],
    ["too few pairs", [[0, 1]], {}, ShapeError],
    ["a side of the wrong length", { lower: [0, 0, 0] }, {}, ShapeError],
    ["lower above upper", [[1, 0], [0, 1]], {}, ValueError],
    ["a NaN bound", { upper: [NaN, 1] }, {}, ValueError],
    ["lower = Infinity", [[Infinity, Infinity], [0, 1]], {}, ValueError],
    ["upper = -Infinity", { upper: -Infinity }, {}, ValueError],
    ["a pair that is not a pair", [[0, 1, 2], [0, 1]], {}, ValueError],
    ["a string bound", [["0", 1], [0, 1]], {}, ValueError],
    ["not an object", 5, {}, ValueError],
    ["an unknown side", { lb: [0, 0] }, {}, ValueError],
  ];
  it.each(bad)("%s: a typed error before any evaluation", (_what, bounds, options, type) => {
    const fg = vi.fn(rosen);
    expect(() => minimize(fg, [0.5, 0.5], { ...options, bounds: bounds as Bounds, runtime: rt })).toThrow(type);
    expect(fg).not.toHaveBeenCalled();
  });

  it("the exact line search is refused with bounds (its step may leave the box)", () => {
    rt.scope(() => {
      const objective = diagonalQuadratic(rt, [1, 2], [1, 1]);
      expect(() => minimize(objective, [0, 0], { lineSearch: "exact", bounds: { upper: 0.1 } })).toThrow(/exact.*box/);
      expect(minimize(objective, [0, 0], { bounds: { upper: 0.1 } }).x).toEqual(new Float64Array([0.1, 0.1]));
      objective.dispose();
    });
  });

  it("scipy's lb / ub get a did-you-mean", () => {
    expect(() => minimize(rosen, [0, 0], { bounds: { lb: [0, 0] } as unknown as Bounds, runtime: rt })).toThrow(/lower/);
  });
});
