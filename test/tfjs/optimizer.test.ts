import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { DisposedError, ShapeError, StateError, ValueError, initSync } from "../../src/index";
import { jsBackend } from "../../src/js";
import {
  DescendOptimizer, descendAdaDelta, descendAdaGrad, descendAdam, descendAdamax, descendAdamW, descendDeltaBarDelta,
  descendNAdam, descendOptimizer, descendRMSProp, descendSGD,
} from "../../src/tfjs/index";

// descend's rules as tf.Optimizers, against tfjs's own optimizers on tfjs's cpu backend.

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** A small regression model whose initial weights depend only on `seed`. */
function regressionModel(seed: number): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 16, inputShape: [6], activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

/** Trains a fresh model with `optimizer` and returns the loss after each batch. */
async function batchLosses(optimizer: tf.Optimizer, epochs = 4): Promise<number[]> {
  const x = tf.randomNormal([96, 6], 0, 1, "float32", 11);
  const y = tf.tidy(() => x.mul(tf.tensor1d([1, -2, 0.5, 3, -1, 0.25])).sum(1, true).relu());
  const model = regressionModel(5);
  model.compile({ optimizer, loss: "meanSquaredError" });
  const losses: number[] = [];
  await model.fit(x, y, { epochs, batchSize: 16, shuffle: false, verbose: 0, callbacks: { onBatchEnd: async (_b, logs) => void losses.push(logs!.loss as number) } });
  model.dispose();
  tf.dispose([x, y]);
  optimizer.dispose();
  return losses;
}

/** Largest |a - b| / max(1, |b|): tfjs runs each update as separate f32 ops, descend fused. */
function maxRelativeGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let gap = 0;
  for (let i = 0; i < a.length; i += 1) gap = Math.max(gap, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return gap;
}

/** Two variables and a loss with a curved, coupled landscape. */
function problem() {
  const w = tf.variable(tf.tensor1d([0.5, -1.5, 2, 0.1, -0.3]));
  const b = tf.variable(tf.tensor2d([[1, -1], [0.5, 2], [-0.25, 0.75]]));
  const loss = () =>
    tf.tidy(() => w.sub(tf.tensor1d([1, 2, -1, 0, 0.5])).square().mul(tf.tensor1d([1, 3, 0.5, 2, 1])).sum().add(b.matMul(b.transpose()).square().sum().mul(0.1)).asScalar());
  return { w, b, loss };
}

/** The variables after `steps` minimize() calls with `optimizer`. */
function minimized(optimizer: tf.Optimizer, steps = 15): number[] {
  const { w, b, loss } = problem();
  for (let i = 0; i < steps; i += 1) optimizer.minimize(loss, false, [w, b]);
  const values = [...w.dataSync(), ...b.dataSync()];
  tf.dispose([w, b]);
  optimizer.dispose();
  return values;
}

describe("descend/tfjs: a tf.Optimizer", () => {
  it("is a tf.Optimizer that model.compile accepts and model.fit trains with", async () => {
    const optimizer = descendAdam({ lr: 0.01 });
    expect(optimizer).toBeInstanceOf(tf.Optimizer);
    const losses = await batchLosses(optimizer);
    expect(losses).toHaveLength(24);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.7);
  });

  it.each([
    ["Adam", () => tf.train.adam(0.01), () => descendAdam({ lr: 0.01, convention: "tfjs" })],
    ["SGD", () => tf.train.sgd(0.02), () => descendSGD({ lr: 0.02 })],
    ["momentum", () => tf.train.momentum(0.01, 0.9), () => descendSGD({ lr: 0.01, momentum: 0.9 })],
  ] as const)("model.fit with %s: the per-batch losses equal tfjs's within 1e-4 (relative)", async (_name, theirs, ours) => {
    const expected = await batchLosses(theirs());
    const actual = await batchLosses(ours());
    expect(maxRelativeGap(actual, expected)).toBeLessThan(1e-4);
  });

  it.each([
    ["sgd", () => tf.train.sgd(0.05), () => descendSGD({ lr: 0.05 })],
    ["momentum", () => tf.train.momentum(0.02, 0.9), () => descendSGD({ lr: 0.02, momentum: 0.9 })],
    ["nesterov momentum", () => tf.train.momentum(0.02, 0.9, true), () => descendSGD({ lr: 0.02, momentum: 0.9, nesterov: true })],
    ["adam", () => tf.train.adam(0.05), () => descendAdam({ lr: 0.05, convention: "tfjs" })],
    ["adamax", () => tf.train.adamax(0.05), () => descendAdamax({ lr: 0.05, convention: "tfjs" })],
    ["adagrad", () => tf.train.adagrad(0.2), () => descendAdaGrad({ lr: 0.2, convention: "tfjs" })],
    ["adadelta", () => tf.train.adadelta(0.1, 0.95), () => descendAdaDelta({ lr: 0.1, rho: 0.95, convention: "tfjs" })],
    ["rmsprop", () => tf.train.rmsprop(0.01), () => descendRMSProp({ lr: 0.01, convention: "tfjs" })],
    ["rmsprop with momentum", () => tf.train.rmsprop(0.01, 0.9, 0.8), () => descendRMSProp({ lr: 0.01, momentum: 0.8, convention: "tfjs" })],
  ] as const)("minimize with %s follows tfjs's own optimizer within 1e-4 over 15 steps", (_name, theirs, ours) => {
    const expected = minimized(theirs());
    expect(maxRelativeGap(minimized(ours()), expected)).toBeLessThan(1e-4);
  });

  it("offers every descend rule, each of which lowers the loss through minimize()", () => {
    const made = [descendSGD({ lr: 0.01 }), descendAdam(), descendAdamW(), descendNAdam(), descendAdamax(), descendAdaGrad(), descendRMSProp(), descendAdaDelta({ lr: 1 }), descendDeltaBarDelta()];
    expect(made.map((o) => o.rule).sort()).toEqual(["AdaDelta", "AdaGrad", "Adam", "AdamW", "Adamax", "DeltaBarDelta", "NAdam", "RMSProp", "SGD"]);
    for (const optimizer of made) {
      const { w, b, loss } = problem();
      const before = loss().dataSync()[0]!;
      for (let i = 0; i < 5; i += 1) optimizer.minimize(loss, false, [w, b]);
      expect(loss().dataSync()[0]!, optimizer.rule).toBeLessThan(before);
      tf.dispose([w, b]);
      optimizer.dispose();
    }
  });

  it("runs on a given runtime of either backend, the js twins giving the wasm kernels' results", () => {
    const runtimes = [initSync(), initSync({ backend: jsBackend })];
    const [wasm, js] = runtimes.map((runtime) => minimized(descendAdam({ lr: 0.05, amsgrad: true, runtime })));
    expect(maxRelativeGap(js!, wasm!)).toBeLessThan(1e-6);
    for (const rt of runtimes) {
      expect(rt.memoryStats().liveTensors).toBe(0);
      rt.dispose();
    }
  });

  it("skips null gradients and re-reads a variable assigned elsewhere since its last step", () => {
    const optimizer = descendSGD({ lr: 0.5 });
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([3]));
    optimizer.applyGradients({ [a.name]: tf.tensor1d([1, 1]), [b.name]: null as unknown as tf.Tensor });
    expect(Array.from(a.dataSync())).toEqual([0.5, 1.5]);
    expect(Array.from(b.dataSync())).toEqual([3]);
    a.assign(tf.tensor1d([10, 20]));
    optimizer.applyGradients([{ name: a.name, tensor: tf.tensor1d([2, 2]) }]);
    expect(Array.from(a.dataSync())).toEqual([9, 19]);
    expect(optimizer.iterations).toBe(2);
    tf.dispose([a, b]);
    optimizer.dispose();
  });
});

describe("descend/tfjs: getWeights / setWeights and serialization", () => {
  /** Runs `steps` Adam steps on the problem's variables from their current values. */
  function run(optimizer: tf.Optimizer, vars: { w: tf.Variable; b: tf.Variable; loss: () => tf.Scalar }, steps: number): void {
    for (let i = 0; i < steps; i += 1) optimizer.minimize(vars.loss, false, [vars.w, vars.b]);
  }

  it("names the state as tfjs does (iter, <variable>/m, <variable>/v) plus each position's step", async () => {
    const optimizer = descendAdam({ lr: 0.05 });
    const vars = problem();
    run(optimizer, vars, 3);
    const weights = await optimizer.getWeights();
    expect(weights.map((w) => w.name)).toEqual(["iter", `${vars.w.name}/m`, `${vars.b.name}/m`, `${vars.w.name}/v`, `${vars.b.name}/v`, `${vars.w.name}/step`, `${vars.b.name}/step`]);
    expect(weights[0]!.tensor.dataSync()[0]).toBe(3);
    expect(weights[2]!.tensor.shape).toEqual([3, 2]);
    tf.dispose([vars.w, vars.b]);
    optimizer.dispose();
  });

  it.each([
    ["Adam (AMSGrad)", () => descendAdam({ lr: 0.05, amsgrad: true })],
    ["NAdam", () => descendNAdam({ lr: 0.05 })],
    ["RMSProp (centered, momentum)", () => descendRMSProp({ lr: 0.01, centered: true, momentum: 0.5 })],
    ["SGD", () => descendSGD({ lr: 0.01 })],
  ] as const)("%s: a fresh optimizer given getWeights() resumes bit for bit", async (_name, make) => {
    const first = make();
    const a = problem();
    run(first, a, 4);
    const b = problem();
    b.w.assign(a.w);
    b.b.assign(a.b);
    const second = make();
    await second.setWeights(await first.getWeights());
    expect(second.iterations).toBe(4);
    run(first, a, 5);
    run(second, b, 5);
    expect(Array.from(b.w.dataSync())).toEqual(Array.from(a.w.dataSync()));
    expect(Array.from(b.b.dataSync())).toEqual(Array.from(a.b.dataSync()));
    tf.dispose([a.w, a.b, b.w, b.b]);
    first.dispose();
    second.dispose();
  });

  it("takes tfjs Adam's weights and continues as tfjs Adam would", async () => {
    const theirs = tf.train.adam(0.05);
    const a = problem();
    run(theirs, a, 4);
    const b = problem();
    b.w.assign(a.w);
    b.b.assign(a.b);
    const ours = descendAdam({ lr: 0.05, convention: "tfjs" });
    await ours.setWeights(await theirs.getWeights());
    run(theirs, a, 6);
    run(ours, b, 6);
    expect(maxRelativeGap([...b.w.dataSync(), ...b.b.dataSync()], [...a.w.dataSync(), ...a.b.dataSync()])).toBeLessThan(1e-5);
    tf.dispose([a.w, a.b, b.w, b.b]);
    theirs.dispose();
    ours.dispose();
  });

  it("round-trips through model.save / tf.loadLayersModel with the optimizer included", async () => {
    const x = tf.randomNormal([32, 6], 0, 1, "float32", 3);
    const y = x.sum(1, true);
    const model = regressionModel(9);
    model.compile({ optimizer: descendAdam({ lr: 0.01, beta2: 0.99 }), loss: "meanSquaredError" });
    await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }), { includeOptimizer: true });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const optimizer = loaded.optimizer as DescendOptimizer<"Adam">;
    expect(optimizer).toBeInstanceOf(DescendOptimizer);
    expect(optimizer.getConfig()).toEqual({ rule: "Adam", lr: 0.01, beta2: 0.99 });
    expect(optimizer.iterations).toBe(8);
    const [next, again] = [await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 }), await loaded.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 })];
    expect(again.history.loss).toEqual(next.history.loss);
    model.dispose();
    loaded.dispose();
    tf.dispose([x, y]);
  });
});

describe("descend/tfjs: bad calls get typed errors and change nothing", () => {
  it("rejects unknown rules, options and runtimes when made", () => {
    expect(() => descendOptimizer("Adadelta" as "AdaDelta")).toThrow(ValueError);
    expect(() => descendAdam({ learningRate: 0.1 } as never)).toThrow(ValueError);
    expect(() => descendAdam({ beta1: 1.5 })).toThrow(ValueError);
    expect(() => descendAdam(null as never)).toThrow(ValueError);
    expect(() => descendSGD({ runtime: {} as never })).toThrow(ValueError);
    expect(() => DescendOptimizer.fromConfig(DescendOptimizer, { rule: "Lion" })).toThrow(ValueError);
  });

  it("rejects bad gradients before changing any variable", () => {
    const optimizer = descendAdam({ lr: 0.1 });
    const v = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
    const ints = tf.variable(tf.tensor1d([1, 2], "int32"));
    const disposed = tf.ones([2, 2]);
    disposed.dispose();
    const good = { name: v.name, tensor: tf.ones([2, 2]) };
    const cases: Array<[unknown, new (...args: never[]) => Error]> = [
      [null, ValueError],
      [42, ValueError],
      [[{ tensor: tf.ones([2, 2]) }], ValueError],
      [{ "no such variable": tf.ones([2]) }, ValueError],
      [[good, good], ValueError],
      [{ [v.name]: [[1, 1], [1, 1]] }, ValueError],
      [{ [v.name]: tf.ones([2, 2], "int32") }, ValueError],
      [{ [ints.name]: tf.ones([2], "int32") }, ValueError],
      [{ [v.name]: tf.ones([4]) }, ShapeError],
      [{ [v.name]: disposed }, DisposedError],
    ];
    for (const [bad, type] of cases) {
      expect(() => optimizer.applyGradients(bad as tf.NamedTensorMap), JSON.stringify(bad)).toThrow(type);
      expect(Array.from(v.dataSync())).toEqual([1, 2, 3, 4]);
    }
    expect(optimizer.iterations).toBe(0);
    tf.dispose([v, ints]);
    optimizer.dispose();
  });

  it("rejects a variable whose size differs from the one its position was made for", () => {
    const optimizer = descendSGD({ lr: 0.1 });
    const small = tf.variable(tf.tensor1d([1, 2]));
    const large = tf.variable(tf.tensor1d([1, 2, 3]));
    optimizer.applyGradients({ [small.name]: tf.ones([2]) });
    expect(() => optimizer.applyGradients({ [large.name]: tf.ones([3]) })).toThrow(ShapeError);
    expect(Array.from(large.dataSync())).toEqual([1, 2, 3]);
    tf.dispose([small, large]);
    optimizer.dispose();
  });

  it("rejects weights that do not fit, keeping its state", async () => {
    const optimizer = descendAdam({ lr: 0.1 });
    const { w, b, loss } = problem();
    optimizer.minimize(loss, false, [w, b]);
    const before = await optimizer.getWeights();
    const bad: unknown[] = [
      null,
      [],
      [{ name: `${w.name}/m`, tensor: tf.zeros([5]) }],
      [before[0], { name: `${w.name}/momentum`, tensor: tf.zeros([5]) }],
      [before[0], { name: `${w.name}/m`, tensor: tf.zeros([5]) }, { name: `${w.name}/v`, tensor: tf.zeros([4]) }],
      [before[0], { name: `${w.name}/step`, tensor: tf.scalar(-1, "int32") }],
    ];
    for (const weights of bad) await expect(optimizer.setWeights(weights as never), JSON.stringify(weights)).rejects.toThrow(StateError);
    const after = await optimizer.getWeights();
    expect(after.map((t) => [t.name, Array.from(t.tensor.dataSync())])).toEqual(before.map((t) => [t.name, Array.from(t.tensor.dataSync())]));
    tf.dispose([w, b]);
    optimizer.dispose();
  });

  it("rejects weights for a variable of another shape at its next step, changing nothing", async () => {
    const optimizer = descendAdam({ lr: 0.1 });
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    await optimizer.setWeights([{ name: "iter", tensor: tf.scalar(2, "int32") }, { name: "x/m", tensor: tf.zeros([2]) }, { name: "x/v", tensor: tf.zeros([2]) }]);
    expect(() => optimizer.applyGradients({ [v.name]: tf.ones([3]) })).toThrow(StateError);
    expect(Array.from(v.dataSync())).toEqual([1, 2, 3]);
    tf.dispose(v);
    optimizer.dispose();
  });

  it("throws DisposedError after dispose(), which frees its runtime (or leaves a given one live)", async () => {
    const own = descendAdam();
    own.dispose();
    own.dispose();
    expect(own.disposed).toBe(true);
    const v = tf.variable(tf.tensor1d([1]));
    expect(() => own.applyGradients({ [v.name]: tf.ones([1]) })).toThrow(DisposedError);
    await expect(own.getWeights()).rejects.toThrow(DisposedError);
    await expect(own.setWeights([])).rejects.toThrow(DisposedError);
    const rt = initSync();
    const shared = descendSGD({ lr: 0.1, runtime: rt });
    shared.applyGradients({ [v.name]: tf.ones([1]) });
    shared.dispose();
    expect(rt.disposed).toBe(false);
    expect(rt.memoryStats().liveTensors).toBe(0);
    rt.dispose();
    tf.dispose(v);
  });
});
