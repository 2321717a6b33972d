import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValueError } from "../../src/runtime/errors";
import {
  chainSchedules,
  constantSchedule,
  cosineDecay,
  exponentialDecay,
  inverseTimeDecay,
  joinSchedules,
  linearSchedule,
  linearWarmup,
  multiStepDecay,
  oneCycle,
  oneCycleMomentum,
  polynomialDecay,
  sample,
  sgdr,
  stepDecay,
  warmupCosine,
  type Schedule,
} from "../../src/schedules/index";
import { sgdrCycle } from "../../src/schedules/schedule";

/** Asserts schedule(step) for each [step, value], to 1e-12 relative (1e-15 absolute near 0). */
function expectAt(schedule: Schedule, targets: Array<[number, number]>): void {
  for (const [step, value] of targets) {
    const got = schedule(step);
    const ok = Math.abs(got - value) <= Math.max(1e-15, 1e-12 * Math.abs(value));
    expect(ok, `step ${step}: expected ${value}, got ${got}`).toBe(true);
  }
}

const halfCos = (frac: number) => (1 + Math.cos(Math.PI * frac)) / 2;

describe("closed-form values at chosen steps", () => {
  it("constantSchedule", () => {
    expectAt(constantSchedule(0.1), [[0, 0.1], [1, 0.1], [1e6, 0.1]]);
  });

  it("linearSchedule: the book's eps_k = (1 - k/tau) eps_0 + (k/tau) eps_tau, then eps_tau", () => {
    // eps_0 = 0.1, eps_tau = 0.001, tau = 100
    expectAt(linearSchedule({ init: 0.1, end: 0.001, steps: 100 }), [
      [0, 0.1],
      [25, 0.75 * 0.1 + 0.25 * 0.001], // 0.07525
      [50, 0.0505],
      [99, 0.01 * 0.1 + 0.99 * 0.001],
      [100, 0.001], // k = tau: exactly eps_tau
      [101, 0.001], // constant afterwards
      [1e5, 0.001],
    ]);
    // end defaults to 1% of init (the book's advice for eps_tau)
    expectAt(linearSchedule({ init: 0.1, steps: 100 }), [
      [0, 0.1],
      [50, 0.0505],
      [100, 0.001],
      [200, 0.001],
    ]);
    // begin = 10 holds eps_0 until step 10, then the ramp runs from k = step - 10
    expectAt(linearSchedule({ init: 0.1, end: 0.001, steps: 100, begin: 10 }), [
      [5, 0.1],
      [10, 0.1],
      [60, 0.0505],
      [110, 0.001],
    ]);
  });

  it("linearWarmup: 0 -> peak over steps, then peak", () => {
    expectAt(linearWarmup({ peak: 0.1, steps: 10 }), [[0, 0], [5, 0.05], [9, 0.09], [10, 0.1], [500, 0.1]]);
  });

  it("exponentialDecay: eta_0 e^(-alpha t)", () => {
    expectAt(exponentialDecay({ init: 0.5, alpha: 0.1 }), [
      [0, 0.5],
      [7, 0.5 * 0.4965853037914095], // e^-0.7
      [10, 0.18393972058572117], // 0.5 e^-1
    ]);
  });

  it("inverseTimeDecay: eta_0 / (1 + alpha t)", () => {
    expectAt(inverseTimeDecay({ init: 1, alpha: 0.5 }), [[0, 1], [2, 0.5], [3, 0.4], [6, 0.25]]);
  });

  it("stepDecay: eta_0 gamma^floor(t / stepSize), both sides of each step", () => {
    // lr = 0.1 if t < 30; 0.01 if t < 60; 0.001 if t < 90
    expectAt(stepDecay({ init: 0.1, stepSize: 30 }), [
      [0, 0.1],
      [29, 0.1],
      [30, 0.1 * 0.1],
      [59, 0.1 * 0.1],
      [60, 0.1 * 0.1 * 0.1],
    ]);
  });

  it("multiStepDecay: gamma per milestone passed, the milestone itself included", () => {
    // lr = 0.05 if t < 30; 0.005 if 30 <= t < 80; 0.0005 if t >= 80 (PyTorch's MultiStepLR example)
    expectAt(multiStepDecay({ init: 0.05, milestones: [30, 80], gamma: 0.1 }), [
      [0, 0.05],
      [29, 0.05],
      [30, 0.05 * 0.1],
      [79, 0.05 * 0.1],
      [80, 0.05 * 0.1 * 0.1],
      [10000, 0.05 * 0.1 * 0.1],
    ]);
  });

  it("polynomialDecay: end + (init - end)(1 - k/steps)^power (optax's 10 + 15 (1 - n/10)^2)", () => {
    expectAt(polynomialDecay({ init: 25, end: 10, steps: 10, power: 2 }), [
      [0, 25],
      [3, 10 + 15 * 0.49],
      [5, 13.75],
      [10, 10],
      [20, 10],
    ]);
    // begin = 5: init held until step 5
    expectAt(polynomialDecay({ init: 25, end: 10, steps: 10, power: 2, begin: 5 }), [[4, 25], [5, 25], [10, 13.75], [15, 10]]);
  });

  it("cosineDecay: end + (init - end)(1 + cos(pi t/T))/2, then end", () => {
    expectAt(cosineDecay({ init: 1, steps: 100, end: 0.1 }), [
      [0, 1],
      [25, 0.1 + 0.9 * 0.8535533905932737], // (1 + cos(pi/4))/2
      [50, 0.55],
      [99, 0.1 + 0.9 * halfCos(0.99)],
      [100, 0.1],
      [150, 0.1], // held (PyTorch would climb back)
    ]);
  });

  it("sgdr, Tmult = 2: cycles [0,10) [10,30) [30,70) [70,150); both sides of every restart", () => {
    const s = sgdr({ init: 1, T0: 10, Tmult: 2 });
    expectAt(s, [
      [0, 1],
      [5, 0.5], // T_cur = 5 of T_0 = 10
      [9, 0.024471741852423234], // (1 + cos(0.9 pi))/2: last step of cycle 0
      [10, 1], // restart: T_cur = 0 of T_1 = 20
      [20, 0.5],
      [29, 0.006155829702431115], // (1 + cos(19 pi/20))/2
      [30, 1], // restart: T_2 = 40
      [50, 0.5],
      [69, halfCos(39 / 40)],
      [70, 1], // restart: T_3 = 80
      [149, halfCos(79 / 80)],
      [150, 1],
    ]);
  });

  it("sgdr with per-cycle eta_max and eta_min (arrays, the last entry repeating): eta_min^i + (eta_max^i - eta_min^i) halfCos(T_cur / T_i)", () => {
    // cycles [0,10) [10,30) [30,70) [70,150); peaks 1, 0.5, 0.25, 0.25; floors 0.1, 0.05, 0.05, ...
    const s = sgdr({ init: [1, 0.5, 0.25], end: [0.1, 0.05], T0: 10, Tmult: 2 });
    expectAt(s, [
      [0, 1],
      [5, 0.1 + 0.9 * halfCos(0.5)],
      [10, 0.5],
      [20, 0.05 + 0.45 * halfCos(0.5)],
      [29, 0.05 + 0.45 * halfCos(19 / 20)],
      [30, 0.25],
      [50, 0.05 + 0.2 * halfCos(0.5)],
      [70, 0.25],
      [149, 0.05 + 0.2 * halfCos(79 / 80)],
    ]);
  });

  it("sgdr with per-cycle values from functions of the cycle index", () => {
    const s = sgdr({ init: (i) => 1 / (i + 1), end: (i) => 0.01 * 2 ** -i, T0: 4 });
    expectAt(s, [
      [0, 1],
      [2, 0.01 + 0.99 * halfCos(0.5)],
      [4, 0.5],
      [6, 0.005 + 0.495 * halfCos(0.5)],
      [12, 0.25],
      [13, 0.00125 + (0.25 - 0.00125) * halfCos(0.25)], // cycle 3: peak 1/4, floor 0.01/8
    ]);
  });

  it("sgdr per-cycle values are validated: arrays at construction, functions at the step that reaches the cycle", () => {
    expect(() => sgdr({ init: [1, 0.5], end: [0.1, 0.6], T0: 2 })).toThrow(/Invalid end: 0.6 at cycle 1 \(expected <= init = 0.5 there\)/);
    expect(() => sgdr({ init: [1, 0.5], end: 0.7, T0: 2 })).toThrow(/Invalid end: 0.7 at cycle 1/);
    expect(() => sgdr({ init: [], T0: 2 })).toThrow(/Invalid init: \[\] \(expected at least one value per cycle\)/);
    expect(() => sgdr({ init: [1, Number.NaN], T0: 2 })).toThrow(/Invalid init\[1\]: NaN/);
    expect(() => sgdr({ init: [1, 0.5], T0: 2, peakDecay: 0.5 })).toThrow(/Invalid peakDecay: 0.5 \(expected 1 with a per-cycle init/);
    const s = sgdr({ init: (i) => (i < 2 ? 1 : -1), T0: 2 });
    expect(s(3)).toBeCloseTo(halfCos(0.5), 15);
    expect(() => s(4)).toThrow(/Invalid init: -1 from the function at cycle 2 \(expected a finite number >= 0\)/);
    const crossing = sgdr({ init: 0.5, end: (i) => i / 2, T0: 2 });
    expect(crossing(2)).toBe(0.5);
    expect(() => crossing(4)).toThrow(/Invalid end: 1 at cycle 2/);
    expect(() => sgdr({ init: (() => "x") as never, T0: 2 })(0)).toThrow(ValueError);
  });

  it("sgdr, Tmult = 1: a restart every T0 steps", () => {
    expectAt(sgdr({ init: 1, T0: 5 }), [
      [4, 0.09549150281252627], // (1 + cos(0.8 pi))/2
      [5, 1],
      [10, 1],
      [12, 0.6545084971874737], // (1 + cos(0.4 pi))/2
    ]);
  });

  it("sgdr with a floor and peak decay: peak_i = max(end, init decay^i)", () => {
    const s = sgdr({ init: 1, T0: 10, Tmult: 2, end: 0.1, peakDecay: 0.5 });
    expectAt(s, [
      [0, 1],
      [5, 0.1 + 0.9 * 0.5],
      [9, 0.1 + 0.9 * halfCos(0.9)],
      [10, 0.5], // cycle 1: peak 0.5
      [20, 0.1 + 0.4 * 0.5],
      [29, 0.1 + 0.4 * halfCos(19 / 20)],
      [30, 0.25], // cycle 2: peak 0.25
      [70, 0.125], // cycle 3: peak 0.125
      [150, 0.1], // cycle 4: 0.0625 < end, so the cycle is flat at end
      [200, 0.1],
    ]);
  });

  it("warmupCosine: linear to peak over w, cosine to end at T (T counts the warm-up)", () => {
    expectAt(warmupCosine({ peak: 1, warmupSteps: 10, steps: 110, end: 0.1 }), [
      [0, 0],
      [5, 0.5],
      [9, 0.9],
      [10, 1], // boundary: the cosine starts at its peak
      [11, 0.1 + 0.9 * halfCos(0.01)],
      [60, 0.55],
      [110, 0.1],
      [200, 0.1],
    ]);
  });

  it("oneCycle, linear: PyTorch's OneCycleLR test targets (max_lr 25, final_div_factor 2, 10 steps)", () => {
    // initial = 25/25 = 1, final = 1/2; the peak at step 0.3*10 - 1 = 2, the end at step 9
    const lr = oneCycle({ peak: 25, steps: 10, finalDivFactor: 2, anneal: "linear" });
    expectAt(lr, [1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5].map((v, t) => [t, v] as [number, number]));
    expect(lr(10)).toBe(0.5); // held after the last step
    // PyTorch's momentum targets [22, 11.5, 1, 4, ..., 22] (base 1, max 22) mapped affinely to
    // base 0.1, max 0.8, since momenta must be < 1 here: m -> 0.1 + 0.7 (m - 1)/21
    const momentum = oneCycleMomentum({ steps: 10, base: 0.1, max: 0.8, anneal: "linear" });
    expectAtLoose(momentum, [0.8, 0.45, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], 1e-15);
  });

  it("oneCycle, cos: lr0 -> peak over [0, pct T - 1], peak -> lr0/finalDiv over [pct T - 1, T - 1]", () => {
    // peak 1, T = 100: lr0 = 0.04, final = 4e-6, rise ends at 29
    expectAt(oneCycle({ peak: 1, steps: 100 }), [
      [0, 0.04],
      [14.5, 0.52],
      [29, 1],
      [64, 4e-6 + (1 - 4e-6) / 2], // halfway through [29, 99]
      [99, 4e-6],
      [150, 4e-6],
    ]);
    // three phases: ends 29, 58, 99
    expectAt(oneCycle({ peak: 1, steps: 100, threePhase: true }), [
      [29, 1],
      [43.5, 0.52],
      [58, 0.04],
      [78.5, (0.04 + 4e-6) / 2],
      [99, 4e-6],
    ]);
    expectAt(oneCycle({ peak: 1, steps: 100, anneal: "linear" }), [[10, 0.04 + (10 / 29) * 0.96]]);
    expectAt(oneCycleMomentum({ steps: 100, threePhase: true }), [[0, 0.95], [29, 0.85], [58, 0.95], [80, 0.95]]);
  });
});

function expectAtLoose(schedule: Schedule, values: number[], atol: number): void {
  values.forEach((value, step) => expect(Math.abs(schedule(step) - value), `step ${step}`).toBeLessThanOrEqual(atol));
}

describe("composition", () => {
  it("joinSchedules restarts each schedule's count at its boundary", () => {
    // 0.5 for t < 3; then 2^-(t - 3) for 3 <= t < 6; then 0.01 (t - 6)
    const s = joinSchedules(
      [constantSchedule(0.5), exponentialDecay({ init: 1, alpha: Math.LN2 }), linearSchedule({ init: 0, end: 1, steps: 100 })],
      [3, 6],
    );
    expectAt(s, [[0, 0.5], [2, 0.5], [3, 1], [4, 0.5], [5, 0.25], [6, 0], [7, 0.01], [106, 1]]);
  });

  it("chainSchedules multiplies: cosine decay times a 0 -> 1 warm-up factor", () => {
    const s = chainSchedules(cosineDecay({ init: 2, steps: 100 }), linearWarmup({ peak: 1, steps: 10 }));
    expectAt(s, [[0, 0], [5, 2 * halfCos(0.05) * 0.5], [10, 2 * halfCos(0.1)], [50, 1]]);
  });

  it("sample gives the curve from any start", () => {
    const s = stepDecay({ init: 1, stepSize: 2, gamma: 0.5 });
    expect(Array.from(sample(s, 6))).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
    expect(Array.from(sample(s, 3, 3))).toEqual([0.5, 0.25, 0.25]);
    expect(sample(s, 0).length).toBe(0);
  });
});

/**
 * PyTorch's chainable forms (each lr from the previous one), written independently of the
 * closed forms above, must agree with them along whole curves.
 */
describe("chainable (recursive) forms agree with the closed forms", () => {
  function chained(length: number, first: number, next: (previous: number, t: number) => number): number[] {
    const values = [first];
    for (let t = 1; t < length; t++) values.push(next(values[t - 1]!, t));
    return values;
  }

  function expectCurve(schedule: Schedule, want: number[], rtol = 1e-10): void {
    const got = sample(schedule, want.length);
    want.forEach((w, t) => {
      expect(Math.abs(got[t]! - w) <= Math.max(1e-15, rtol * Math.abs(w)), `t=${t}: closed ${got[t]} chained ${w}`).toBe(true);
    });
  }

  it("exponential: lr_t = lr_{t-1} e^(-alpha)", () => {
    expectCurve(exponentialDecay({ init: 0.3, alpha: 0.01 }), chained(300, 0.3, (lr) => lr * Math.exp(-0.01)));
  });

  it("inverse time: lr_t = lr_{t-1} (1 + alpha (t-1)) / (1 + alpha t)", () => {
    expectCurve(inverseTimeDecay({ init: 0.3, alpha: 0.05 }), chained(300, 0.3, (lr, t) => (lr * (1 + 0.05 * (t - 1))) / (1 + 0.05 * t)));
  });

  it("step and multi-step: multiply by gamma when t hits a step", () => {
    expectCurve(stepDecay({ init: 1, stepSize: 7, gamma: 0.5 }), chained(100, 1, (lr, t) => (t % 7 === 0 ? lr * 0.5 : lr)));
    const milestones = [3, 10, 11, 50];
    expectCurve(multiStepDecay({ init: 1, milestones, gamma: 0.3 }), chained(100, 1, (lr, t) => (milestones.includes(t) ? lr * 0.3 : lr)));
  });

  it("linear: lr_t = lr_{t-1} + (end - init)/tau until tau", () => {
    expectCurve(linearSchedule({ init: 0.5, end: 0.1, steps: 40 }), chained(80, 0.5, (lr, t) => (t <= 40 ? lr + (0.1 - 0.5) / 40 : lr)), 1e-9);
  });

  it("polynomial (PyTorch PolynomialLR): lr_t = lr_{t-1} ((1 - t/T)/(1 - (t-1)/T))^p", () => {
    const T = 50;
    expectCurve(
      polynomialDecay({ init: 0.2, steps: T, power: 1.7 }),
      chained(T + 20, 0.2, (lr, t) => (t <= T ? lr * ((1 - t / T) / (1 - (t - 1) / T)) ** 1.7 : lr)),
      1e-9,
    );
  });

  it("cosine (PyTorch CosineAnnealingLR): eta_t = min + (eta_{t-1} - min)(1 + cos(pi t/T))/(1 + cos(pi (t-1)/T))", () => {
    const T = 60;
    const min = 0.01;
    const want = chained(T + 1, 1, (lr, t) => min + ((lr - min) * (1 + Math.cos((Math.PI * t) / T))) / (1 + Math.cos((Math.PI * (t - 1)) / T)));
    expectCurve(cosineDecay({ init: 1, steps: T, end: min }), want, 1e-9);
  });

  it("SGDR (PyTorch CosineAnnealingWarmRestarts.step): T_cur += 1; at T_i: T_cur -= T_i, T_i *= T_mult", () => {
    for (const [T0, Tmult] of [[3, 1], [1, 2], [4, 3], [10, 2]] as const) {
      let Tcur = 0;
      let Ti: number = T0;
      const want = [1];
      for (let t = 1; t < 500; t++) {
        Tcur += 1;
        if (Tcur >= Ti) {
          Tcur -= Ti;
          Ti *= Tmult;
        }
        want.push(0.05 + (1 - 0.05) * halfCos(Tcur / Ti));
      }
      expectCurve(sgdr({ init: 1, T0, Tmult, end: 0.05 }), want, 1e-12);
    }
  });
});

describe("properties", () => {
  it("SGDR cycles tile the steps: start_i = T0 (Tmult^i - 1)/(Tmult - 1), length T0 Tmult^i", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1e7 }), (T0, Tmult, step) => {
        const { cycle, start, length } = sgdrCycle(step, T0, Tmult);
        expect(start <= step && step < start + length).toBe(true);
        expect(length).toBe(T0 * Tmult ** cycle);
        expect(start).toBe(Tmult === 1 ? cycle * T0 : (T0 * (Tmult ** cycle - 1)) / (Tmult - 1));
      }),
    );
  });

  it("SGDR stays within [end, init], is at the peak on each restart and falls within a cycle", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 3 }), fc.double({ min: 0, max: 0.5, noNaN: true }), (T0, Tmult, end) => {
        const s = sgdr({ init: 1, T0, Tmult, end });
        const curve = sample(s, 200);
        for (let t = 0; t < curve.length; t++) {
          expect(curve[t]!).toBeGreaterThanOrEqual(end);
          expect(curve[t]!).toBeLessThanOrEqual(1);
          const { start } = sgdrCycle(t, T0, Tmult);
          if (t === start) expect(curve[t]).toBe(1);
          else expect(curve[t]!).toBeLessThanOrEqual(curve[t - 1]!);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe("bad parameters throw ValueError at construction", () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ["negative value", () => constantSchedule(-1), /Invalid value: -1/],
    ["NaN init", () => linearSchedule({ init: NaN, end: 0, steps: 10 }), /Invalid init: NaN/],
    ["zero steps", () => linearSchedule({ init: 1, end: 0, steps: 0 }), /Invalid steps: 0 \(expected an integer >= 1\)/],
    ["fractional steps", () => cosineDecay({ init: 1, steps: 2.5 }), /Invalid steps: 2.5/],
    ["negative alpha", () => exponentialDecay({ init: 1, alpha: -0.1 }), /Invalid alpha: -0.1/],
    ["infinite init", () => inverseTimeDecay({ init: Infinity, alpha: 1 }), /Invalid init: Infinity/],
    ["gamma > 1", () => stepDecay({ init: 1, stepSize: 3, gamma: 1.5 }), /Invalid gamma: 1.5/],
    ["gamma 0", () => stepDecay({ init: 1, stepSize: 3, gamma: 0 }), /Invalid gamma: 0/],
    ["unsorted milestones", () => multiStepDecay({ init: 1, milestones: [5, 5] }), /Invalid milestones\[1\]: 5/],
    ["milestone 0", () => multiStepDecay({ init: 1, milestones: [0] }), /Invalid milestones\[0\]: 0/],
    ["power 0", () => polynomialDecay({ init: 1, steps: 3, power: 0 }), /Invalid power: 0/],
    ["T0 < 1", () => sgdr({ init: 1, T0: 0 }), /Invalid T0: 0/],
    ["Tmult fractional", () => sgdr({ init: 1, T0: 2, Tmult: 1.5 }), /Invalid Tmult: 1.5/],
    ["end above init", () => sgdr({ init: 0.1, T0: 2, end: 0.2 }), /Invalid end: 0.2/],
    ["peakDecay NaN", () => sgdr({ init: 1, T0: 2, peakDecay: NaN }), /Invalid peakDecay: NaN/],
    ["negative warm-up peak", () => linearWarmup({ peak: -0.1, steps: 10 }), /Invalid peak: -0.1/],
    ["NaN warmupCosine peak", () => warmupCosine({ peak: NaN, warmupSteps: 1, steps: 10 }), /Invalid peak: NaN/],
    ["warm-up as long as the run", () => warmupCosine({ peak: 1, warmupSteps: 10, steps: 10 }), /Invalid steps: 10/],
    ["one-cycle empty phase", () => oneCycle({ peak: 1, steps: 3 }), /Invalid pctStart: 0.3 .*empty/],
    ["one-cycle anneal", () => oneCycle({ peak: 1, steps: 100, anneal: "cosine" as "cos" }), /Invalid anneal: cosine/],
    ["momentum max < base", () => oneCycleMomentum({ steps: 100, base: 0.9, max: 0.8 }), /Invalid max: 0.8/],
    ["momentum >= 1", () => oneCycleMomentum({ steps: 100, max: 1 }), /Invalid max: 1/],
    ["join: boundaries count", () => joinSchedules([constantSchedule(1), constantSchedule(2)], []), /Invalid boundaries: 0 given for 2/],
    ["join: not a function", () => joinSchedules([constantSchedule(1), 2 as unknown as Schedule], [3]), /Invalid schedule at index 1/],
    ["chain: nothing", () => chainSchedules(), /Invalid schedules/],
    ["sample: negative length", () => sample(constantSchedule(1), -1), /Invalid length: -1/],
  ];
  it.each(cases)("%s", (_, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });

  it("a negative or NaN step throws", () => {
    const s = cosineDecay({ init: 1, steps: 10 });
    expect(() => s(-1)).toThrow(/Invalid step: -1/);
    expect(() => s(NaN)).toThrow(ValueError);
  });
});
