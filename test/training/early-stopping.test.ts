import { expect, it } from "vitest";
import { DisposedError, EarlyStopping, SGD, StateError, ValueError, type Param, type Runtime } from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { seededRandom } from "../helpers/random";
import { expectThrowsUnchanged } from "../helpers/snapshot";

/**
 * A tiny overfitting problem: least squares on 6 noisy training points with 5 polynomial
 * features, validated on 20 clean points. SGD with momentum, so the optimizer has state.
 */
function problem(rt: Runtime) {
  const random = seededRandom(4);
  const features = (t: number) => [1, t, t * t, t ** 3, t ** 4];
  const truth = (t: number) => 1 - 2 * t + 0.5 * t * t;
  const train = Array.from({ length: 6 }, (_, i) => {
    const t = -1 + (2 * i) / 5;
    return { phi: features(t), y: truth(t) + 0.3 * (random() - 0.5) };
  });
  const valid = Array.from({ length: 20 }, (_, i) => {
    const t = -1 + (2 * i + 1) / 20;
    return { phi: features(t), y: truth(t) };
  });
  const w = rt.param([5], { dtype: "f64" });
  const opt = new SGD(rt, [w], { lr: 0.05, momentum: 0.9 });
  const predict = (phi: number[]) => phi.reduce((s, p, j) => s + p * w.data[j]!, 0);
  const trainEpoch = () => {
    const g = new Float64Array(5);
    for (const { phi, y } of train) {
      const r = predict(phi) - y;
      phi.forEach((p, j) => (g[j]! += (2 * r * p) / train.length));
    }
    w.grad.set(g);
    opt.step();
  };
  const validationLoss = () => valid.reduce((s, { phi, y }) => s + (predict(phi) - y) ** 2, 0) / valid.length;
  return { w, opt, trainEpoch, validationLoss };
}

/** Trains until the stopper says stop (at most `limit` epochs); returns the history of every evaluation. */
function run(stopper: EarlyStopping, p: ReturnType<typeof problem>, limit = 2000) {
  const history: Array<{ params: number[]; state: unknown; loss: number }> = [];
  for (let epoch = 0; epoch < limit; epoch++) {
    p.trainEpoch();
    const loss = p.validationLoss();
    history.push({ params: Array.from(p.w.data), state: p.opt.stateDict(), loss });
    if (stopper.step(loss)) break;
  }
  return history;
}

const scripted = (stopper: EarlyStopping, metrics: number[]) => metrics.map((m) => stopper.step(m));

describeBackends("EarlyStopping", (rt) => {
  it("counts patience from the last improvement beyond minDelta ('min')", () => {
    const w = rt.param([2]);
    const stopper = new EarlyStopping(new SGD(rt, [w]), { patience: 3, minDelta: 0.05 });
    // 5 and 4 improve; 4.5 does not; 3.9 < 4 - 0.05 improves; then three evaluations of 4 do not.
    expect(scripted(stopper, [5, 4, 4.5, 3.9, 4, 4, 4])).toEqual([false, false, false, false, false, false, true]);
    expect([stopper.best, stopper.bestEvaluation, stopper.evaluations, stopper.stopped]).toEqual([3.9, 3, 7, true]);
    expect(stopper.step(0)).toBe(true); // stopped stays stopped, and records nothing
    expect(stopper.evaluations).toBe(7);
    stopper.dispose();
    w.dispose();
  });

  it("maximizes in mode 'max' and never counts NaN as an improvement", () => {
    const w = rt.param([2]);
    const stopper = new EarlyStopping(new SGD(rt, [w]), { patience: 2, mode: "max" });
    // 0.5, 0.7 improve; NaN does not; 0.8 improves; 0.79 and 0.8 (not > 0.8) do not: stop.
    expect(scripted(stopper, [0.5, 0.7, Number.NaN, 0.8, 0.79, 0.8])).toEqual([false, false, false, false, false, true]);
    expect([stopper.best, stopper.bestEvaluation]).toEqual([0.8, 3]);
    stopper.dispose();
    w.dispose();
  });

  it("on a tiny overfitting problem, stops and restores the best epoch's parameters and optimizer state exactly", () => {
    const p = problem(rt);
    const stopper = new EarlyStopping(p.opt, { patience: 20 });
    const history = run(stopper, p);
    expect(stopper.stopped).toBe(true);
    const best = history[stopper.bestEvaluation]!;
    expect(best.loss).toBe(Math.min(...history.map((h) => h.loss)));
    expect(history.length).toBe(stopper.bestEvaluation + 21);
    expect(Array.from(p.w.data)).toEqual(best.params);
    expect(p.opt.stateDict()).toEqual(best.state);
    // Training continues from there as it did then: the next step is the step after the best.
    p.trainEpoch();
    expect(Array.from(p.w.data)).toEqual(history[stopper.bestEvaluation + 1]!.params);
    stopper.dispose();
    p.opt.dispose();
    p.w.dispose();
  });

  it("with restoreBest false, leaves the last parameters in place; restore() brings the best back", () => {
    const p = problem(rt);
    const stopper = new EarlyStopping(p.opt, { patience: 20, restoreBest: false });
    const history = run(stopper, p);
    expect(Array.from(p.w.data)).toEqual(history.at(-1)!.params);
    stopper.restore();
    expect(Array.from(p.w.data)).toEqual(history[stopper.bestEvaluation]!.params);
    stopper.dispose();
    p.opt.dispose();
    p.w.dispose();
  });

  it("resumes from stateDict() through JSON: the same stopping evaluation and the same restored parameters", () => {
    const whole = problem(rt);
    const uninterrupted = new EarlyStopping(whole.opt, { patience: 20 });
    const wholeHistory = run(uninterrupted, whole);

    const first = problem(rt);
    const before = new EarlyStopping(first.opt, { patience: 20 });
    run(before, first, 30); // interrupted after 30 evaluations
    const saved = JSON.parse(JSON.stringify({ stopper: before.stateDict(), opt: first.opt.stateDict(), w: Array.from(first.w.data) }));

    const second = problem(rt);
    second.w.set(saved.w);
    second.opt.loadStateDict(saved.opt);
    const after = new EarlyStopping(second.opt, { patience: 20 });
    after.loadStateDict(saved.stopper);
    const rest = run(after, second);
    expect(30 + rest.length).toBe(wholeHistory.length);
    expect(after.bestEvaluation).toBe(uninterrupted.bestEvaluation);
    expect(Array.from(second.w.data)).toEqual(Array.from(whole.w.data));
    expect(second.opt.stateDict()).toEqual(whole.opt.stateDict());
    for (const x of [uninterrupted, before, after]) x.dispose();
    for (const q of [whole, first, second]) {
      q.opt.dispose();
      q.w.dispose();
    }
  });

  it("refuses a bad saved state whole, changing nothing", () => {
    const p = problem(rt);
    const stopper = new EarlyStopping(p.opt, { patience: 20 });
    run(stopper, p, 5);
    const good = stopper.stateDict();
    const other = rt.param([3], { dtype: "f64" });
    const otherOpt = new SGD(rt, [other], { lr: 0.05, momentum: 0.9 });
    other.grad.fill(1);
    otherOpt.step();
    const bad: Array<[string, unknown, RegExp]> = [
      ["not an object", 3, /expected an object from stateDict/],
      ["another kind", { ...good, kind: "Scheduler" }, /kind is Scheduler/],
      ["a newer version", { ...good, version: 2 }, /Unsupported EarlyStopping state version: 2/],
      ["a best evaluation after the last", { ...good, bestEvaluation: 5 }, /bestEvaluation is 5/],
      ["more bad evaluations than evaluations", { ...good, badEvaluations: 6 }, /badEvaluations is 6/],
      ["a string best", { ...good, best: "low" }, /best is "low"/],
      ["a param of the wrong length", { ...good, params: [[1, 2]] }, /params\[0\] must hold 5 numbers/],
      ["a param value that is not a number", { ...good, params: [[1, 2, 3, 4, "x"]] }, /params\[0\]\[4\] is x/],
      ["another optimizer's state", { ...good, optimizer: otherOpt.stateDict() }, /Invalid EarlyStopping state: optimizer:/],
    ];
    const params = Array.from(p.w.data);
    const optState = p.opt.stateDict();
    for (const [, state, message] of bad) {
      const mine = stopper.stateDict();
      expectThrowsUnchanged(rt, () => stopper.loadStateDict(state), StateError, message);
      expect(stopper.stateDict()).toEqual(mine);
    }
    expect(Array.from(p.w.data)).toEqual(params);
    expect(p.opt.stateDict()).toEqual(optState);
    stopper.dispose();
    for (const x of [p.opt, otherOpt]) x.dispose();
    for (const x of [p.w, other]) x.dispose();
  });

  it("rejects bad options and calls", () => {
    const w = rt.param([2]);
    const opt = new SGD(rt, [w]);
    expectThrowsUnchanged(rt, () => new EarlyStopping({} as never), ValueError, /Invalid optimizer/);
    expectThrowsUnchanged(rt, () => new EarlyStopping(opt, { patience: 0 }), ValueError, /Invalid patience: 0/);
    expectThrowsUnchanged(rt, () => new EarlyStopping(opt, { minDelta: -1 }), ValueError, /Invalid minDelta: -1/);
    expectThrowsUnchanged(rt, () => new EarlyStopping(opt, { mode: "down" as never }), ValueError, /Invalid mode: down/);
    expectThrowsUnchanged(rt, () => new EarlyStopping(opt, { restore: true } as never), ValueError, /Invalid options for EarlyStopping: unknown option 'restore'/);
    const stopper = new EarlyStopping(opt);
    expectThrowsUnchanged(rt, () => stopper.step("0.5" as never), ValueError, /Invalid metric: 0.5/);
    stopper.dispose();
    expectThrowsUnchanged(rt, () => stopper.step(1), DisposedError, /EarlyStopping was used after dispose/);
    w.dispose();
  });
});
