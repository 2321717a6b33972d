// Adversarial suite, class "options and arguments": what plain JavaScript may pass where the
// types say otherwise. (1) Junk arguments (null, undefined, numbers, strings, bigints, BigInt
// arrays, plain objects) must give the library's typed errors, never a raw TypeError or
// RangeError from deep inside. (2) Every options object rejects a key it does not know, with a
// did-you-mean hint (and the other libraries' names: PyTorch's betas, tfjs's learningRate).
// Each case runs on both backends; add a new entry point to the tables below.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as api from "../../../src/index";
import {
  AdaDelta, AdaGrad, Adam, Adamax, AdamW, BatchNorm, CurriculumSampler, DeltaBarDelta, DescendError, GaussianBlur, GroupNorm,
  InstanceNorm, LayerNorm, Linear, Minibatches, NAdam, Philox, PolyakAverager, RMSProp, ReLU, ReduceOnPlateau, SGD, Scheduler,
  Sequential, SoftmaxCrossEntropy, ValueError, Workspace, blurSchedule, chainSchedules, constantSchedule, cosineDecay,
  exponentialDecay, gemm, glorotNormal, glorotUniform, growingBatchSize, heNormal, heUniform, init, initSync,
  inverseTimeDecay, joinSchedules, lecunNormal, lecunUniform, linearHardFraction, linearSchedule, linearWarmup,
  lstmForgetBias, marginalBias, matmul, minimize, multiStepDecay, oneCycle, oneCycleMomentum, orthogonal, polynomialDecay,
  sgdr, sparse, stepDecay, uniformFanIn, varianceScaling, warmupCosine, type Param, type Runtime, type Tensor,
} from "../../../src/index";
import { loadCheckpoint, saveCheckpoint } from "../../../src/index";
import { describeBackends } from "../../helpers/backends";
import { expectThrowsUnchanged } from "../../helpers/snapshot";

/** What plain JavaScript may pass in place of any argument. */
const JUNK: ReadonlyArray<[string, () => unknown]> = [
  ["null", () => null],
  ["undefined", () => undefined],
  ["0", () => 0],
  ["-1", () => -1],
  ["NaN", () => Number.NaN],
  ["a string", () => "x"],
  ["a bigint", () => 1n],
  ["a BigInt64Array", () => new BigInt64Array(2)],
  ["a plain object", () => ({ length: 2 })],
  ["an array of null", () => [null, null]],
];

/** The runtime exports of src/index.ts that are callable (functions and classes). */
const CALLABLE = Object.entries(api).filter(([, value]) => typeof value === "function") as Array<[string, (...args: unknown[]) => unknown]>;

function isClass(fn: unknown): boolean {
  return typeof fn === "function" && /^class\b/.test(Function.prototype.toString.call(fn));
}

/**
 * Calls `fn(...args)` (with new for classes) inside a scope and returns what escaped: null, or
 * the error (for init, whose result is a promise, its rejection).
 */
async function escaped(rt: Runtime, fn: (...args: unknown[]) => unknown, args: unknown[]): Promise<unknown> {
  let pending: Promise<unknown> | null = null;
  const error = rt.scope(() => {
    try {
      const result = isClass(fn) ? new (fn as unknown as new (...a: unknown[]) => unknown)(...args) : fn(...args);
      if (result instanceof Promise) pending = result;
      else release(result);
      return null;
    } catch (thrown) {
      return thrown;
    }
  });
  return pending ? (pending as Promise<unknown>).then(release, (thrown: unknown) => thrown).then((e) => e ?? null) : error;
}

/** Frees what a junk call that succeeded allocated (a tensor, an optimizer, a runtime ...). */
function release(value: unknown): void {
  const disposable = value as { dispose?: () => void; disposed?: boolean } | null;
  if (disposable && typeof disposable.dispose === "function" && disposable.disposed !== true) {
    try {
      disposable.dispose();
    } catch {
      // already released with its owner
    }
  }
}

/** Each junk value at each argument position, the others undefined or (with a prefix) given. */
function junkCalls(prefix: unknown[], arity = 4): Array<[string, unknown[]]> {
  const calls: Array<[string, unknown[]]> = [];
  for (let position = prefix.length; position < arity; position++) {
    for (const [label, make] of JUNK) {
      const args: unknown[] = [...prefix];
      args[position] = make();
      calls.push([`${label} at ${position}`, args]);
    }
  }
  return calls;
}

/**
 * The public methods of every class in src/, by class name, with its base class: those a user
 * may call (not private, protected or @internal), read from the source.
 */
function publicMethods(): Map<string, { base: string | null; methods: string[] }> {
  const classes = new Map<string, { base: string | null; methods: string[] }>();
  const files = readdirSync("src", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(join("src", file), "utf8"), ts.ScriptTarget.Latest, true);
    source.forEachChild(function visit(node): void {
      if (ts.isClassDeclaration(node) && node.name) {
        const base = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression.getText() ?? null;
        const methods = node.members
          .filter((m) => ts.isMethodDeclaration(m) && !ts.getCombinedModifierFlags(m as ts.Declaration) && !/@internal/.test(m.getFullText()))
          .map((m) => m.name!.getText())
          .filter((name) => name !== "dispose");
        classes.set(node.name.text, { base, methods });
      }
      node.forEachChild(visit);
    });
  }
  return classes;
}

/** The public methods of `target`'s class and its bases (dispose excepted: it would end the object). */
function methodsOf(target: object, classes: ReturnType<typeof publicMethods>): string[] {
  const names: string[] = [];
  for (let name: string | null = target.constructor.name; name; name = classes.get(name)?.base ?? null) {
    names.push(...(classes.get(name)?.methods ?? []));
  }
  return [...new Set(names)];
}

/** A live object of every class with methods, built on `rt`; `dispose` frees them all. */
function receivers(rt: Runtime) {
  const w = rt.param([2, 3]);
  const opt = new Adam(rt, [w]);
  const linear = new Linear(rt, 3, 2);
  const objects = {
    rt,
    tensor: rt.tensor([2, 3]),
    param: w,
    optimizer: opt,
    scheduler: new Scheduler(opt, { lr: constantSchedule(0.1) }),
    plateau: new ReduceOnPlateau(opt, { key: "plateau2" }),
    averager: new PolyakAverager(opt),
    linear,
    relu: new ReLU(rt),
    sequential: new Sequential([new Linear(rt, 3, 3), new ReLU(rt)]),
    loss: new SoftmaxCrossEntropy(rt),
    batchNorm: new BatchNorm(rt, 3),
    layerNorm: new LayerNorm(rt, 3),
    minibatches: new Minibatches(rt, 4, { batchSize: 2 }),
    curriculum: new CurriculumSampler([1, 2, 3, 4], { batchSize: 2 }),
    philox: new Philox(1),
    blur: new GaussianBlur(rt, () => 0, { sigma: 0.1 }),
    workspace: new Workspace(rt),
  };
  const dispose = () => {
    for (const [name, object] of Object.entries(objects)) if (name !== "rt") release(object);
  };
  return { objects, dispose };
}

/** Calls whose first arguments are valid, so that junk reaches the later positions. */
function prefixedCalls(rt: Runtime, a: Tensor): Array<[string, (...args: unknown[]) => unknown, unknown[]]> {
  const s = constantSchedule(1);
  return [
    ["joinSchedules", joinSchedules as never, [[s, s]]],
    ["chainSchedules", chainSchedules as never, [[s, s]]],
    ["gemm", gemm as never, [a, a]],
    ["matmul", matmul as never, [a, a]],
    ["minimize", minimize as never, [(x: Float64Array, g: Float64Array) => (g.fill(0), x[0]!)]],
    ["Linear", Linear as never, [rt, 2]],
    ["Minibatches", Minibatches as never, [rt, 4]],
  ];
}

function untyped(error: unknown): boolean {
  return error !== null && !(error instanceof DescendError);
}

describeBackends("junk arguments", (rt) => {
  it("every callable export of src/index.ts gives a typed error (or none) for junk at any position", async () => {
    const found: string[] = [];
    for (const [name, fn] of CALLABLE) {
      for (const prefix of [[], [rt]]) {
        for (const [label, args] of junkCalls(prefix)) {
          const error = await escaped(rt, fn, args);
          if (untyped(error)) found.push(`${name}(${prefix.length ? "rt, " : ""}${label}): ${String(error)}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it("every method of every public class gives a typed error (or none) for junk at any position", async () => {
    const { objects, dispose } = receivers(rt);
    const classes = publicMethods();
    const found: string[] = [];
    try {
      for (const [receiver, object] of Object.entries(objects)) {
        for (const method of methodsOf(object, classes)) {
          const call = (...args: unknown[]) => (object as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args);
          for (const [label, args] of junkCalls([], 3)) {
            const error = await escaped(rt, call, args);
            if (untyped(error)) found.push(`${receiver}.${method}(${label}): ${String(error)}`);
          }
        }
      }
    } finally {
      dispose();
    }
    expect(found).toEqual([]);
  });

  it("calls with valid first arguments give a typed error (or none) for junk after them", async () => {
    const found: string[] = [];
    const a = rt.fromArray([1, 2, 3, 4], [2, 2]);
    try {
      for (const [name, fn, prefix] of prefixedCalls(rt, a)) {
        for (const [label, args] of junkCalls(prefix, prefix.length + 2)) {
          const error = await escaped(rt, fn, args);
          if (untyped(error)) found.push(`${name}(${label}): ${String(error)}`);
        }
      }
    } finally {
      a.dispose();
    }
    expect(found).toEqual([]);
  });
});

/** What the rows below run against: a runtime's parameter, optimizer, tensors and modules. */
interface World {
  rt: Runtime;
  w: Param<"f32">;
  opt: Adam;
  x: Tensor<"f32">;
  c: Tensor<"f32">;
  bn: BatchNorm;
  ln: LayerNorm;
  net: Sequential;
}

/** [entry point, call with options, the misspelt key, the hint the message must give]. */
type OptionRow = [string, (world: World, options: Record<string, unknown>) => unknown, Record<string, unknown>, string];

/** One row per options-taking entry point of the public API; the options hold one misspelt key. */
const OPTION_ROWS: OptionRow[] = [
  ["initSync", (_, o) => initSync(o), { backnd: "js" }, "did you mean 'backend'?"],
  ["rt.tensor", ({ rt }, o) => rt.tensor([2], o), { dtpye: "f64" }, "did you mean 'dtype'?"],
  ["rt.fromArray", ({ rt }, o) => rt.fromArray([1, 2], [2], o), { DType: "f64" }, "did you mean 'dtype'?"],
  ["rt.param", ({ rt }, o) => rt.param([2], o), { valeus: [1, 2] }, "did you mean 'values'?"],
  ["BatchNorm", ({ rt }, o) => new BatchNorm(rt, 2, o), { momentun: 0.1 }, "did you mean 'momentum'?"],
  ["BatchNorm", ({ rt }, o) => new BatchNorm(rt, 2, o), { track_running_stats: false }, "did you mean 'trackRunningStats'?"],
  ["LayerNorm", ({ rt }, o) => new LayerNorm(rt, 2, o), { afine: false }, "did you mean 'affine'?"],
  ["GroupNorm", ({ rt }, o) => new GroupNorm(rt, 1, 2, o), { epsilon: 1e-3 }, "did you mean eps (tfjs's and Keras's epsilon)?"],
  ["InstanceNorm", ({ rt }, o) => new InstanceNorm(rt, 2, o), { Affine: true }, "did you mean 'affine'?"],
  ["BatchNorm.forward", ({ bn, x }, o) => bn.forward(x, { training: true, ...o }), { trainig: false }, "did you mean 'training'?"],
  ["LayerNorm.forward", ({ ln, x }, o) => ln.forward(x, { training: true, ...o }), { mode: "eval" }, "expected one of training"],
  ["Sequential.forward", ({ net, x }, o) => net.forward(x, { training: true, ...o }), { train: true }, "did you mean 'training'?"],
  ["gemm", ({ x, c }, o) => gemm(x, x, c, o), { transa: true }, "did you mean 'transA'?"],
  ["gemm", ({ x, c }, o) => gemm(x, x, c, o), { transpose_b: true }, "did you mean transB (TensorFlow's transpose_b)?"],
  ["matmul", ({ x }, o) => matmul(x, x, o), { beta: 1 }, "expected one of transA, transB, alpha, bias, relu"],
  ["linearSchedule", (_, o) => linearSchedule({ init: 1, end: 0, steps: 10, ...o }), { begn: 2 }, "did you mean 'begin'?"],
  ["linearWarmup", (_, o) => linearWarmup({ peak: 1, steps: 10, ...o }), { step: 2 }, "did you mean 'steps'?"],
  ["exponentialDecay", (_, o) => exponentialDecay({ init: 1, alpha: 0.1, ...o }), { gamma: 0.5 }, "expected one of init, alpha"],
  ["inverseTimeDecay", (_, o) => inverseTimeDecay({ init: 1, alpha: 0.1, ...o }), { alfa: 0.5 }, "did you mean 'alpha'?"],
  ["stepDecay", (_, o) => stepDecay({ init: 1, stepSize: 5, ...o }), { step_size: 5 }, "did you mean 'stepSize'?"],
  ["multiStepDecay", (_, o) => multiStepDecay({ init: 1, milestones: [5], ...o }), { milestone: [5] }, "did you mean 'milestones'?"],
  ["polynomialDecay", (_, o) => polynomialDecay({ init: 1, steps: 10, ...o }), { pwer: 2 }, "did you mean 'power'?"],
  ["cosineDecay", (_, o) => cosineDecay({ init: 1, steps: 10, ...o }), { ends: 0 }, "did you mean 'end'?"],
  ["sgdr", (_, o) => sgdr({ init: 1, T0: 10, ...o }), { T_mult: 2 }, "did you mean 'Tmult'?"],
  ["warmupCosine", (_, o) => warmupCosine({ peak: 1, warmupSteps: 2, steps: 10, ...o }), { warmup_steps: 2 }, "did you mean 'warmupSteps'?"],
  ["oneCycle", (_, o) => oneCycle({ peak: 1, steps: 10, ...o }), { pct_start: 0.3 }, "did you mean 'pctStart'?"],
  ["oneCycleMomentum", (_, o) => oneCycleMomentum({ steps: 10, ...o }), { three_phase: true }, "did you mean 'threePhase'?"],
  ["Scheduler", ({ opt }, o) => new Scheduler(opt, { lr: constantSchedule(1) }, o), { kye: "s" }, "did you mean 'key'?"],
  ["ReduceOnPlateau", ({ opt }, o) => new ReduceOnPlateau(opt, o), { patiense: 2 }, "did you mean 'patience'?"],
  ["PolyakAverager", ({ opt }, o) => new PolyakAverager(opt, o), { decya: 0.9 }, "did you mean 'decay'?"],
  ["Linear", ({ rt }, o) => new Linear(rt, 2, 2, o), { biass: false }, "did you mean 'bias'?"],
  ["Module.stateDict", ({ net }, o) => net.stateDict(o), { layot: "pytorch" }, "did you mean 'layout'?"],
  ["Module.loadStateDict", ({ net }, o) => net.loadStateDict(net.stateDict(), o), { nonfinite: "allow" }, "did you mean 'nonFinite'?"],
  ["saveCheckpoint", ({ net }, o) => saveCheckpoint(net, o), { metdata: {} }, "did you mean 'metadata'?"],
  ["loadCheckpoint", ({ net }, o) => loadCheckpoint(saveCheckpoint(net), net, o), { optimiser: null }, "did you mean 'optimizer'?"],
  ["Minibatches", ({ rt }, o) => new Minibatches(rt, 4, { batchSize: 2, ...o }), { shufle: "none" }, "did you mean 'shuffle'?"],
  ["CurriculumSampler", (_, o) => new CurriculumSampler([1, 2], { batchSize: 1, ...o }), { easyshare: 0.5 }, "did you mean 'easyShare'?"],
  ["growingBatchSize", (_, o) => growingBatchSize({ initial: 1, ...o }), { evry: 2 }, "did you mean 'every'?"],
  ["linearHardFraction", (_, o) => linearHardFraction({ steps: 1, ...o }), { strat: 0 }, "did you mean 'start'?"],
  ["blurSchedule", (_, o) => blurSchedule({ initial: 1, ...o }), { ratoi: 0.5 }, "did you mean 'ratio'?"],
  ["GaussianBlur", ({ rt }, o) => new GaussianBlur(rt, () => 0, { sigma: 1, ...o }), { sampels: 2 }, "did you mean 'samples'?"],
  ["varianceScaling", (_, o) => varianceScaling(o), { scal: 2 }, "did you mean 'scale'?"],
  ["uniformFanIn", (_, o) => uniformFanIn(o), { fan: { fanIn: 1, fanOut: 1 } }, "did you mean 'fans'?"],
  ["glorotUniform", (_, o) => glorotUniform(o), { gian: 1 }, "did you mean 'gain'?"],
  ["glorotNormal", (_, o) => glorotNormal(o), { scale: 1 }, "expected one of fans, gain"],
  ["heNormal", (_, o) => heNormal(o), { nonlinearty: "relu" }, "did you mean 'nonlinearity'?"],
  ["heUniform", (_, o) => heUniform(o), { slop: 0.1 }, "did you mean 'slope'?"],
  ["lecunNormal", (_, o) => lecunNormal(o), { Fans: { fanIn: 1, fanOut: 1 } }, "did you mean 'fans'?"],
  ["lecunUniform", (_, o) => lecunUniform(o), { gain: 2 }, "expected one of fans"],
  ["orthogonal", (_, o) => orthogonal(o), { gian: 2 }, "did you mean 'gain'?"],
  ["sparse", (_, o) => sparse(o), { stdd: 0.1 }, "did you mean 'std'?"],
  ["lstmForgetBias", (_, o) => lstmForgetBias(o), { gat: 1 }, "did you mean 'gate'?"],
  ["marginalBias", (_, o) => marginalBias([0.5, 0.5], o), { activaton: "softmax" }, "did you mean 'activation'?"],
  ["Philox.uniform", ({ x }, o) => new Philox(1).uniform(x, o), { hight: 2 }, "did you mean 'high'?"],
  ["Philox.normal", ({ x }, o) => new Philox(1).normal(x, o), { mena: 0 }, "did you mean 'mean'?"],
  ["minimize", (_, o) => minimize((x, g) => (g.fill(0), 0), [1], o), { maxiter: 5 }, "did you mean 'maxIter'?"],
  // Optimizers, and the dialects of PyTorch, tfjs and Keras users.
  ["Adam", ({ rt, w }, o) => new Adam(rt, [w], o), { betas: [0.9, 0.999] }, "did you mean beta1/beta2 (PyTorch's betas)?"],
  ["Adam", ({ rt, w }, o) => new Adam(rt, [w], o), { learningRate: 0.1 }, "did you mean lr (tfjs's learningRate)?"],
  ["Adam", ({ rt, w }, o) => new Adam(rt, [w], o), { amsGrad: true }, "did you mean amsgrad (tfjs's amsGrad)?"],
  ["Adam group 0", ({ rt, w }, o) => new Adam(rt, [{ params: [w], ...o }]), { weight_decay: 0.1 }, "did you mean weightDecay (PyTorch's weight_decay)?"],
  ["AdamW", ({ rt, w }, o) => new AdamW(rt, [w], o), { epsilon: 1e-7 }, "did you mean eps (tfjs's and Keras's epsilon)?"],
  ["NAdam", ({ rt, w }, o) => new NAdam(rt, [w], o), { momentum_decay: 0.004 }, "did you mean momentumDecay (PyTorch's momentum_decay)?"],
  ["Adamax", ({ rt, w }, o) => new Adamax(rt, [w], o), { beta_1: 0.9 }, "did you mean beta1 (Keras's beta_1)?"],
  ["AdaGrad", ({ rt, w }, o) => new AdaGrad(rt, [w], o), { lr_decay: 0.1 }, "did you mean lrDecay (PyTorch's lr_decay)?"],
  ["AdaGrad", ({ rt, w }, o) => new AdaGrad(rt, [w], o), { initial_accumulator_value: 0.1 }, "did you mean initialAccumulator (PyTorch's initial_accumulator_value)?"],
  ["RMSProp", ({ rt, w }, o) => new RMSProp(rt, [w], o), { alpha: 0.99 }, "did you mean rho (PyTorch's RMSprop alpha)?"],
  ["AdaDelta", ({ rt, w }, o) => new AdaDelta(rt, [w], o), { learning_rate: 1 }, "did you mean lr (Keras's learning_rate)?"],
  ["SGD", ({ rt, w }, o) => new SGD(rt, [w], o), { nestrov: true }, "did you mean 'nesterov'?"],
  ["SGD", ({ rt, w }, o) => new SGD(rt, [w], o), { use_nesterov: true }, "did you mean nesterov (TensorFlow's use_nesterov)?"],
  ["DeltaBarDelta", ({ rt, w }, o) => new DeltaBarDelta(rt, [w], o), { kapa: 0.1 }, "did you mean 'kappa'?"],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describeBackends("unknown options", (rt) => {
  let world: World;
  beforeAll(() => {
    const w = rt.param([2, 2]);
    const opt = new Adam(rt, [w]);
    const x = rt.fromArray([1, 2, 3, 4], [2, 2]);
    const c = rt.tensor([2, 2]);
    const bn = new BatchNorm(rt, 2);
    const ln = new LayerNorm(rt, 2);
    const net = new Sequential([new Linear(rt, 2, 2)]);
    world = { rt, w, opt, x, c, bn, ln, net };
  });
  afterAll(() => {
    for (const owner of [world.opt, world.w, world.x, world.c, world.bn, world.ln, world.net]) owner.dispose();
  });

  for (const [of, call, options, hint] of OPTION_ROWS) {
    const [key] = Object.keys(options);
    it(`${of}: unknown option '${key}' -> ValueError (${hint}), nothing changed`, () => {
      const message = new RegExp(`^Invalid options for ${escapeRegExp(of)}: unknown option '${escapeRegExp(key!)}' \\(${escapeRegExp(hint)}`);
      expectThrowsUnchanged(rt, () => call(world, options), ValueError, message);
    });
  }

  it("init: unknown option -> a rejected promise with ValueError", async () => {
    await expect(init({ thraeds: 2 } as never)).rejects.toThrow(/Invalid options for init: unknown option 'thraeds' \(did you mean 'threads'\?\)/);
  });
});

describe("every options check names its keys", () => {
  // The shared checker rejects unknown keys only when it is told the known ones; a call without
  // them lets a misspelt option through. The two listed check their keys another way.
  const CHECKED_ELSEWHERE = new Set([
    "src/optim/optimizer.ts", // checkKeys against the convention's hyperparameters
    "src/norm/module.ts", // each norm module's constructor checks its keys before super()
  ]);
  it("every checkOptions(...) call in src/ passes known, except the listed ones", () => {
    const files = readdirSync("src", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const unchecked: string[] = [];
    for (const file of files) {
      const path = join("src", file);
      if (path === join("src", "runtime", "validate.ts") || CHECKED_ELSEWHERE.has(path)) continue;
      const calls = readFileSync(path, "utf8").match(/\bcheckOptions\([^;]*/g) ?? [];
      for (const call of calls) if (!call.includes("known")) unchecked.push(`${path}: ${call.slice(0, 80)}`);
    }
    expect(unchecked).toEqual([]);
  });
});
