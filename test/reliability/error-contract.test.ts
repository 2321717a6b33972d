// The error contract, entry point by entry point: every public call that can throw has rows
// here giving a bad call, the exact error class, a message pattern, and the proof that nothing
// changed: every byte of the linear memory (both runtimes), the memory statistics, and the
// JavaScript-side state (optimizer state dicts with their attached schedulers and averages,
// generator positions, epoch and step counters) are compared before and after, on both backends.
// The rows run against live state: optimizers that have stepped, norm modules with running
// statistics, a trained network, samplers mid-epoch. The last test checks that every runtime
// export of src/index.ts has a row or is listed as unable to throw.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as api from "../../src/index";
import { hessianVectorProduct, tapeObjective, valueAndGrad, type Ops } from "../../src/index";
import {
  BackendError, BatchNorm, CurriculumSampler, DisposedError, GaussianBlur, GroupNorm, InstanceNorm,
  LayerNorm, Linear, Minibatches, NonFiniteError, OutOfMemoryError, Philox, PolyakAverager, ReLU, ReduceOnPlateau,
  Runtime, Scheduler, Sequential, ShapeError, SoftmaxCrossEntropy, StateError, ValueError, Workspace,
  blurSchedule, calculateGain, chainSchedules, computeFans, constant, constantSchedule, cosineDecay, diagonalQuadratic,
  exponentialDecay, extendedRosenbrock, gemm, glorotNormal, glorotUniform, gradNorm, growingBatchSize, heNormal,
  heUniform, init, initSync, inverseTimeDecay, joinSchedules, leastSquares, lecunNormal, lecunUniform,
  linearHardFraction, linearSchedule, linearWarmup, logisticRegression, lstmForgetBias, marginalBias, matmul,
  minimize, multiStepDecay, oneCycle, oneCycleMomentum, ones, orthogonal, polynomialDecay, quadratic, reluBias,
  sample, sampleWithoutReplacement, sgdr, sparse, stepDecay, uniformFanIn, varianceScaling, warmupCosine, zeros,
  type FG, type Param, type Tensor,
} from "../../src/index";
import { Conv2d, Module, Residual, decodeSafetensors, encodeSafetensors, loadCheckpoint, saveCheckpoint } from "../../src/index";
import { EarlyStopping, HessianVectorProduct, Whitening, classifyCriticalPoint, hessianEigenvalues } from "../../src/index";
import { SwitchingOptimizer, freeze, lrRangeChart, lrRangeTest, unfreeze } from "../../src/index";
import { describeBackends } from "../helpers/backends";
import { jsBackend } from "../../src/js";
import { OPTIMIZERS, type AnyOptimizer, type OptimizerInfo } from "../helpers/optim-db";
import { expectRejectsUnchanged, expectThrowsUnchanged, expectUnchanged, snapshot } from "../helpers/snapshot";

type ErrorClass = new (message: string) => Error;

/** Not a runtime, a tensor, a function or an options object: what plain JavaScript may pass. */
const JUNK = { not: "a runtime" } as never;

// ---------------------------------------------------------------------------------------------
// The live state every row runs against.

interface OptimizerUnderTest {
  info: OptimizerInfo;
  opt: AnyOptimizer;
  w: Param<"f32">;
  b: Param<"f64">;
}

function buildFixture(rt: Runtime) {
  const other = initSync({ backend: rt.backend === "js" ? jsBackend : "wasm" });
  const owned: Array<{ dispose(): void }> = [];
  const own = <T extends { dispose(): void }>(x: T): T => {
    owned.push(x);
    return x;
  };
  const g = new Philox(11);
  const randomTensor = (shape: number[]) => own(g.normal(rt.tensor(shape)));

  // Tensors of every kind the rows pass around.
  const m23 = own(rt.fromArray([1, -2, 3, -4, 5, -6], [2, 3]));
  const m32 = own(rt.fromArray([1, 0, 0, 1, 1, 1], [3, 2]));
  const m22 = own(rt.fromArray([1, 2, 3, 4], [2, 2]));
  const m23d = own(rt.fromArray([1, 2, 3, 4, 5, 6], [2, 3], { dtype: "f64" }));
  const v2 = own(rt.fromArray([0.5, -0.5]));
  const v3 = own(rt.fromArray([1, 2, 3]));
  const u3 = own(rt.fromArray([-1, 0, 1]));
  const v3d = own(rt.fromArray([1, 2, 3], [3], { dtype: "f64" }));
  const i23 = own(rt.fromArray([7, 7, 7, 7, 7, 7], [2, 3], { dtype: "i32" }));
  const labels = own(rt.fromArray([0, 1], [2], { dtype: "i32" }));
  const badLabels = own(rt.fromArray([0, 3], [2], { dtype: "i32" }));
  const empty03 = own(rt.tensor([0, 3]));
  const image = own(rt.fromArray([1, -2, 3, -4, 5, -6, 7, -8, 9, 1, 2, 3], [2, 1, 2, 3]));
  const plain = own(rt.tensor([2, 3]));
  const disposed = rt.fromArray([9, 9, 9, 9, 9, 9], [2, 3]);
  disposed.dispose();
  const disposedParam = rt.param([3, 4]);
  disposedParam.dispose();
  const foreign = other.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
  const foreign32 = other.fromArray([1, 2, 3, 4, 5, 6], [3, 2]);
  const foreignParam = other.param([3, 4]);

  // One optimizer of every class, each with its own f32 and f64 parameters, two steps taken
  // and gradients pending; Adam drives a scheduler, SGD a plateau rule, AdamW an average.
  const opts: OptimizerUnderTest[] = OPTIMIZERS.map((info, i) => {
    const w = own(rt.param([3, 4], { init: glorotUniform(), seed: i + 1 }));
    const b = own(rt.param([4], { dtype: "f64", values: [0.1, -0.2, 0.3, -0.4] }));
    const opt = own(info.make(rt, [w, b], (info.configs[1] ?? info.configs[0]!).options));
    for (let t = 0; t < 3; t++) {
      g.normal(w.grad);
      g.normal(b.grad);
      if (t < 2) opt.step();
    }
    return { info, opt, w, b };
  });
  const byName = (name: string) => opts.find((o) => o.info.name === name)!;
  const [adam, sgd, adamw, rms] = ["Adam", "SGD", "AdamW", "RMSProp"].map(byName) as [OptimizerUnderTest, OptimizerUnderTest, OptimizerUnderTest, OptimizerUnderTest];
  const scheduler = new Scheduler(adam.opt, { lr: cosineDecay({ init: 0.01, steps: 10 }) });
  scheduler.step();
  scheduler.step();
  const plateau = new ReduceOnPlateau(sgd.opt, { patience: 1 });
  for (const metric of [3, 2, 2.5, 2.5]) plateau.step(metric);
  const average = own(new PolyakAverager(adamw.opt, { mode: "ema", decay: 0.9 }));
  average.update();
  average.update();
  const lateAverage = own(new PolyakAverager({ paramGroups: [{ params: [rms.w] }] }, { start: 100 }));
  // A user schedule that turns NaN at step 2: its scheduler has taken step 1.
  const nanScheduler = new Scheduler(rms.opt, { lr: (t: number) => (t < 2 ? 0.01 : Number.NaN) }, { key: "warm" });
  nanScheduler.step();

  // Normalization modules with running statistics and gradients accumulated.
  const x432 = randomTensor([4, 3, 2]);
  const dy432 = randomTensor([4, 3, 2]);
  const x243 = randomTensor([2, 4, 3]);
  const dy243 = randomTensor([2, 4, 3]);
  const bn = own(new BatchNorm(rt, 3));
  bn.forward(x432, { training: true });
  bn.backward(dy432);
  bn.forward(x432, { training: true });
  const layerNorm = own(new LayerNorm(rt, 2));
  layerNorm.forward(x432);
  layerNorm.backward(dy432);
  const groupNorm = own(new GroupNorm(rt, 2, 4));
  groupNorm.forward(x243);
  groupNorm.backward(dy243);
  const instanceNorm = own(new InstanceNorm(rt, 3, { affine: true }));
  instanceNorm.forward(x432);
  instanceNorm.backward(dy432);
  const freshBn = own(new BatchNorm(rt, 3));
  const deadBn = new BatchNorm(rt, 3);
  deadBn.dispose();

  // A network after one training step: Linear + ReLU + Linear, softmax cross-entropy.
  const hidden = new Linear(rt, 3, 4, { seed: 1 });
  const relu = new ReLU(rt);
  const head = new Linear(rt, 4, 2, { relu: true, seed: 2 });
  const net = own(new Sequential([hidden, relu, head]));
  const loss = own(new SoftmaxCrossEntropy(rt));
  const { grad: logitsGrad } = loss.forward(net.forward(m23, { training: true }), labels);
  net.backward(logitsGrad);
  const freshLinear = own(new Linear(rt, 3, 2));
  const freshRelu = own(new ReLU(rt));

  // Samplers mid-epoch; `staleBatch` is from the epoch before the current one.
  const rows6 = own(rt.fromArray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [6, 2]));
  const batches = own(new Minibatches(rt, 6, { batchSize: 4, rng: 3, shuffle: "everyEpoch" }));
  const staleBatch = batches.epoch().next().value!;
  const batch = batches.epoch().next().value!;
  own(batches.gather(rows6, batch));
  const zeroBatches = own(new Minibatches(rt, 4, { batchSize: (epoch) => (epoch === 0 ? 2 : 0) }));
  zeroBatches.epoch();
  const curriculum = new CurriculumSampler([5, 1, 4, 2, 8, 7], { batchSize: 2, rng: 5 });
  curriculum.next();
  const badCurriculum = new CurriculumSampler([5, 1, 4, 2], { batchSize: 2, hardFraction: (t) => (t < 1 ? 0.5 : 2) });
  badCurriculum.next();
  const bowl = (x: Tensor, grad: Tensor | null) => {
    const v = x.data;
    if (grad) grad.set(Array.from(v, (xi) => 2 * xi));
    return Array.from(v).reduce((s, xi) => s + xi * xi, 0);
  };
  const blur = new GaussianBlur(rt, bowl, { sigma: 0.3, samples: 2, rng: 9 });
  blur.valueAndGrad(v3, own(rt.tensor([3])));
  const scoreBlur = new GaussianBlur(rt, bowl, { sigma: 0, gradient: "score" });
  const workspace = own(new Workspace(rt));
  workspace.get("a", [3]).fill(2);
  const quad = own(quadratic(rt, [2, 0.5, 0.5, 1], [1, 1]));
  const rosen: FG = (x, grad) => {
    const t = x[1]! - x[0]! * x[0]!;
    grad[0] = -400 * t * x[0]! - 2 * (1 - x[0]!);
    grad[1] = 200 * t;
    return 100 * t * t + (1 - x[0]!) ** 2;
  };

  return {
    rt, other, g, m23, m32, m22, m23d, v2, v3, u3, v3d, i23, labels, badLabels, empty03, image, plain, disposed, disposedParam, foreign,
    foreign32, foreignParam, opts, adam, sgd, adamw, rms, scheduler, plateau, average, lateAverage, nanScheduler,
    x432, dy432, x243, dy243, bn, layerNorm, groupNorm, instanceNorm, freshBn, deadBn, hidden, relu, head, net, loss,
    freshLinear, freshRelu, rows6, batches, staleBatch, batch, zeroBatches, curriculum, badCurriculum, bowl,
    blur, scoreBlur, workspace, quad, rosen,
    dispose(): void {
      for (const x of owned.reverse()) x.dispose();
      for (const t of [foreign, foreign32, foreignParam]) t.dispose();
    },
  };
}

type Fixture = ReturnType<typeof buildFixture>;

/** State that lives in JavaScript objects rather than in the linear memory. */
function jsState(f: Fixture): unknown {
  return {
    optimizers: f.opts.map(({ opt }) => opt.stateDict()), // with the scheduler, plateau and average states attached
    lateAverage: [f.lateAverage.lastStep, f.lateAverage.swapped],
    generator: f.g.state(),
    epochs: [f.batches.epochsStarted, f.zeroBatches.epochsStarted],
    curriculum: [f.curriculum.step, f.badCurriculum.step],
    blur: [f.blur.sigma, f.scoreBlur.sigma],
    batchNorm: [f.bn.numBatchesTracked, f.freshBn.numBatchesTracked],
    average: f.average.swapped,
  };
}

// ---------------------------------------------------------------------------------------------
// The table.

interface Row {
  /** `name` for a function, `new Name` for a constructor, `Name.method`, `Name.prop=` for a setter. */
  entry: string;
  bad: string;
  error: ErrorClass;
  message: RegExp;
  call: (f: Fixture, prepared: any) => unknown;
  /** Runs before the snapshots (its tensors are freed after the row); `undo` reverts it. */
  prepare?: (f: Fixture) => any;
  undo?: (f: Fixture, prepared: any) => void;
  /** The call returns a promise that must reject. */
  async?: boolean;
}

const row = (entry: string, bad: string, error: ErrorClass, message: RegExp, call: Row["call"], more: Partial<Row> = {}): Row => ({
  entry, bad, error, message, call, ...more,
});

/** The same bad value handed to each entry point in `calls`. */
const each = (bad: string, error: ErrorClass, message: RegExp, calls: Record<string, Row["call"]>): Row[] =>
  Object.entries(calls).map(([entry, call]) => row(entry, bad, error, message, call));

const RUNTIME_ROWS: Row[] = [
  row("initSync", "an unknown backend", ValueError, /Invalid backend: gpu/, () => initSync({ backend: "gpu" as never })),
  row("initSync", "0 threads", ValueError, /Invalid threads: 0/, () => initSync({ threads: 0 })),
  row("initSync", "threads on the js backend", ValueError, /only the 'wasm' backend has threads/, () => initSync({ backend: jsBackend, threads: 2 })),
  row("initSync", "'js' without descend/js", BackendError, /pass jsBackend, exported by "descend\/js"/, () => initSync({ backend: "js" })),
  row("initSync", "a backend object that is not jsBackend", ValueError, /Invalid backend/, () => initSync({ backend: { name: "js" } as never })),
  row("initSync", "a maximum below two pages", ValueError, /Invalid maxMemoryBytes: 1000/, () => initSync({ maxMemoryBytes: 1000 })),
  row("initSync", "an unknown wasm variant", ValueError, /Invalid wasmVariant: avx/, () => initSync({ wasmVariant: "avx" as never })),
  row("initSync", "an engine without SIMD", BackendError, /lacks WebAssembly SIMD128/, () => initSync({ backend: "wasm" }), {
    prepare: () => vi.spyOn(WebAssembly, "validate").mockReturnValue(false),
    undo: (_f, spy) => spy.mockRestore(),
  }),
  row("init", "an unknown backend", ValueError, /Invalid backend: gpu/, () => init({ backend: "gpu" as never }), { async: true }),
  row("init", "an engine without relaxed SIMD", BackendError, /lacks relaxed SIMD/, () => init({ wasmVariant: "relaxed" }), {
    async: true,
    prepare: () => vi.spyOn(WebAssembly, "validate").mockReturnValue(false),
    undo: (_f, spy) => spy.mockRestore(),
  }),
  row("Runtime.tensor", "a negative dimension", ShapeError, /Invalid shape \[2, -1\]/, (f) => f.rt.tensor([2, -1])),
  row("Runtime.tensor", "a fractional dimension", ShapeError, /Invalid shape \[1.5\]/, (f) => f.rt.tensor([1.5])),
  row("Runtime.tensor", "a shape that is not a list", ShapeError, /Invalid shape/, (f) => f.rt.tensor(5 as never)),
  row("Runtime.tensor", "an unknown dtype", ValueError, /Invalid dtype: f16/, (f) => f.rt.tensor([3], { dtype: "f16" as never })),
  row("Runtime.tensor", "8 GiB", OutOfMemoryError, /Cannot allocate/, (f) => f.rt.tensor([2 ** 31])),
  row("Runtime.fromArray", "5 values for [2, 3]", ShapeError, /5 values do not fill shape \[2, 3\]/, (f) => f.rt.fromArray([1, 2, 3, 4, 5], [2, 3])),
  row("Runtime.fromArray", "an unknown dtype", ValueError, /Invalid dtype: u8/, (f) => f.rt.fromArray([1], [1], { dtype: "u8" as never })),
  row("Runtime.param", "an i32 param", ValueError, /Invalid dtype: i32/, (f) => f.rt.param([3], { dtype: "i32" as never })),
  row("Runtime.param", "values that do not fit", ShapeError, /2 values do not fill shape \[3\]/, (f) => f.rt.param([3], { values: [1, 2] })),
  row("Runtime.param", "an init that is not a function", ValueError, /Invalid init: string/, (f) => f.rt.param([3], { init: "glorot" as never })),
  row("Runtime.param", "a negative seed", ValueError, /Invalid seed: -1/, (f) => f.rt.param([3], { init: zeros(), seed: -1 })),
  row("Runtime.param", "too large", OutOfMemoryError, /Cannot allocate/, (f) => f.rt.param([2 ** 31])),
  row("Runtime.scope", "not a function", ValueError, /Invalid fn/, (f) => f.rt.scope(JUNK)),
  row("Tensor.set", "too few values", ShapeError, /Cannot set Tensor\(f32, \[2, 3\]\) from 2 values/, (f) => f.m23.set([1, 2])),
  row("Tensor.set", "a disposed tensor", DisposedError, /used after dispose/, (f) => f.disposed.set([1, 2, 3, 4, 5, 6])),
  row("Tensor.fill", "a disposed tensor", DisposedError, /used after dispose/, (f) => f.disposed.fill(1)),
  row("Tensor.fill", "a string", ValueError, /Invalid value: x/, (f) => f.m23.fill("x" as never)),
  row("Tensor.toArray", "a disposed tensor", DisposedError, /used after dispose/, (f) => f.disposed.toArray()),
  row("Tensor.data", "a disposed tensor", DisposedError, /used after dispose/, (f) => f.disposed.data),
  row("Tensor.assertLive", "a disposed tensor", DisposedError, /used after dispose/, (f) => f.disposed.assertLive()),
  row("Tensor.dispose", "a second dispose", DisposedError, /used after dispose/, (f) => f.disposed.dispose()),
  row("Tensor.reshape", "another element count", ShapeError, /Cannot view 6 elements as shape \[4, 2\]/, (f) => f.m23.reshape([4, 2])),
  row("Tensor.reshape", "two -1", ShapeError, /at most one dimension may be -1/, (f) => f.m23.reshape([-1, -1])),
  row("Tensor.reshape", "a disposed tensor", DisposedError, /used after dispose/, (f) => f.disposed.reshape([6])),
  row("runtimeOf", "not a tensor", ValueError, /Invalid tensor: 3 \(expected a Tensor\)/, () => api.runtimeOf(3 as never)),
  row("Param.zeroGrad", "a disposed param", DisposedError, /used after dispose/, (f) => f.disposedParam.zeroGrad()),
  row("Param.dispose", "a second dispose", DisposedError, /used after dispose/, (f) => f.disposedParam.dispose()),
  ...each("null options", ValueError, /Invalid options: null/, {
    initSync: () => initSync(null as never),
    "Runtime.tensor": (f) => f.rt.tensor([2], null as never),
    "Runtime.fromArray": (f) => f.rt.fromArray([1, 2], [2], null as never),
    "Runtime.param": (f) => f.rt.param([2], null as never),
  }),
  row("init", "null options", ValueError, /Invalid options: null/, () => init(null as never), { async: true }),
  row("new Workspace", "not a runtime", ValueError, /Invalid runtime/, () => new Workspace(JUNK)),
  row("Workspace.get", "a live name asked for with a bad shape", ShapeError, /Invalid shape \[-3\]/, (f) => f.workspace.get("a", [-3])),
  row("Workspace.get", "an unknown dtype", ValueError, /Invalid dtype: f16/, (f) => f.workspace.get("a", [4], "f16" as never)),
  row("Workspace.get", "after dispose()", DisposedError, /Workspace.get\(\) after dispose/, (_f, ws) => ws.get("a", [3]), {
    prepare: (f) => disposed(new Workspace(f.rt)),
  }),
];

/** `owner`, disposed: rows call it after dispose(). */
function disposed<T extends { dispose(): void }>(owner: T): T {
  owner.dispose();
  return owner;
}

/** Rows every optimizer class gets, run against its fixture instance (which has stepped twice). */
function optimizerRows(info: OptimizerInfo, index: number): Row[] {
  const name = info.name;
  const [desc, badOptions, badMessage] = info.errors.at(-1)!;
  const mine = (f: Fixture) => f.opts[index]!;
  const set = (target: (f: Fixture) => object, values: Record<string, unknown>) => ({
    prepare: (f: Fixture) => {
      const object = target(f) as Record<string, unknown>;
      const old = Object.fromEntries(Object.keys(values).map((k) => [k, object[k]]));
      Object.assign(object, values);
      return old;
    },
    undo: (f: Fixture, old: Record<string, unknown>) => Object.assign(target(f), old),
  });
  /** A second optimizer of this class over [w, extra], stepped once, then `extra` disposed. */
  const withDisposedParam = {
    prepare: (f: Fixture) => {
      const { w } = mine(f);
      const extra = f.rt.param([2], { values: [1, 2] });
      const opt = info.make(f.rt, [w, extra], {});
      extra.grad.set([0.5, 0.25]);
      opt.step();
      extra.dispose();
      return opt;
    },
    undo: (_f: Fixture, opt: AnyOptimizer) => opt.dispose(),
  };
  const saved = (f: Fixture) => JSON.parse(JSON.stringify(mine(f).opt.stateDict()));
  return [
    row(`new ${name}`, desc, ValueError, badMessage, (f) => info.make(f.rt, [mine(f).w], badOptions)),
    row(`new ${name}`, "a param of another runtime", ValueError, /belongs to another runtime/, (f) => info.make(f.rt, [mine(f).w, f.foreignParam], {})),
    row(`new ${name}`, "a disposed param", DisposedError, /used after dispose/, (f) => info.make(f.rt, [f.disposedParam], {})),
    row(`new ${name}`, "a tensor that is not a Param", ValueError, /expected a Param/, (f) => info.make(f.rt, [f.m23 as never], {})),
    row(`new ${name}`, "not a runtime", ValueError, /Invalid runtime/, (f) => info.make(JUNK, [mine(f).w], {})),
    row(`new ${name}`, "null options", ValueError, /Invalid options: null/, (f) => info.make(f.rt, [mine(f).w], null as never)),
    row(`${name}.step`, "a NaN lr set on a group", ValueError, /Invalid lr: NaN/, (f) => mine(f).opt.step(), set((f) => mine(f).opt.paramGroups[0]!, { lr: Number.NaN })),
    row(`${name}.step`, "a negative clipGlobalNorm", ValueError, /Invalid clipGlobalNorm: -1/, (f) => mine(f).opt.step(), set((f) => mine(f).opt, { clipGlobalNorm: -1 })),
    row(`${name}.step`, "a NaN gradient with nonFinite 'error'", NonFiniteError, /holds NaN or Infinity/, (f) => mine(f).opt.step(), {
      prepare: (f) => {
        const { opt, b } = mine(f);
        const old = [opt.nonFinite, b.grad.data[2]!] as const;
        opt.nonFinite = "error";
        b.grad.data[2] = Number.NaN;
        return old;
      },
      undo: (f, [policy, value]) => {
        mine(f).opt.nonFinite = policy;
        mine(f).b.grad.data[2] = value;
      },
    }),
    row(`${name}.step`, "a param of another runtime pushed into a group", ValueError, /belongs to another runtime/, (f) => mine(f).opt.step(), {
      prepare: (f) => mine(f).opt.paramGroups[0]!.params.push(f.foreignParam),
      undo: (f) => mine(f).opt.paramGroups[0]!.params.pop(),
    }),
    row(`${name}.zeroGrad`, "a param pushed into a group twice", ValueError, /appears more than once/, (f) => mine(f).opt.zeroGrad(), {
      prepare: (f) => mine(f).opt.paramGroups[0]!.params.push(mine(f).w),
      undo: (f) => mine(f).opt.paramGroups[0]!.params.pop(),
    }),
    row(`${name}.step`, "a disposed param", DisposedError, /used after dispose/, (_f, opt) => opt.step(), withDisposedParam),
    row(`${name}.zeroGrad`, "a disposed param", DisposedError, /used after dispose/, (_f, opt) => opt.zeroGrad(), withDisposedParam),
    row(`${name}.loadStateDict`, "state of another optimizer", StateError, /it was saved by/, (f) => mine(f).opt.loadStateDict(f.opts[(index + 1) % f.opts.length]!.opt.stateDict())),
    row(`${name}.loadStateDict`, "a negative step", StateError, /has step -1/, (f, s) => mine(f).opt.loadStateDict(s), {
      prepare: (f) => {
        const s = saved(f);
        s.state["1"].step = -1;
        return s;
      },
    }),
    row(`${name}.loadStateDict`, "a buffer of the wrong length", StateError, /has 2 values, expected 4/, (f, s) => mine(f).opt.loadStateDict(s), {
      prepare: (f) => {
        const s = saved(f);
        const buffers = s.state["1"].buffers;
        const [first] = Object.keys(buffers);
        if (first === undefined) throw new Error(`${name}'s fixture has no state buffers`);
        buffers[first] = [1, 2];
        return s;
      },
    }),
    row(`${name}.loadStateDict`, "not an object", StateError, /expected an object/, (f) => mine(f).opt.loadStateDict("state")),
    row(`${name}.loadStateBytes`, "garbage", StateError, /not descend optimizer state bytes/, (f) => mine(f).opt.loadStateBytes(new Uint8Array([1, 2, 3]))),
    row(`${name}.loadStateBytes`, "truncated bytes", StateError, /outside the data/, (f, bytes) => mine(f).opt.loadStateBytes(bytes), {
      prepare: (f) => mine(f).opt.stateBytes().slice(0, -8),
    }),
    row(`${name}.lr=`, "NaN", ValueError, /Invalid lr: NaN/, (f) => (mine(f).opt.lr = Number.NaN)),
    row(`${name}.attachState`, "an empty key", ValueError, /Invalid key/, (f) => mine(f).opt.attachState("", f.scheduler)),
    row(`${name}.attachState`, "an object without stateDict()", ValueError, /Invalid stateful/, (f) => mine(f).opt.attachState("x", JUNK)),
    row(`${name}.step`, "after dispose()", DisposedError, /step\(\) after dispose/, (_f, opt) => opt.step(), {
      prepare: (f) => disposed(info.make(f.rt, [mine(f).w], {})),
    }),
    row(`${name}.loadStateDict`, "param state under an alias key ('00')", StateError, /state for param "00"/, (f, s) => mine(f).opt.loadStateDict(s), {
      prepare: (f) => {
        const s = saved(f);
        s.state["00"] = s.state["0"];
        return s;
      },
    }),
    row(`${name}.addParamGroup`, "a param already in a group", ValueError, /appears more than once/, (f) => mine(f).opt.addParamGroup({ params: [mine(f).w] })),
    row(`${name}.addParamGroup`, "a misspelt option", ValueError, /unknown option 'learningRate'/, (f) => mine(f).opt.addParamGroup({ params: [], learningRate: 1 } as never)),
    row(`${name}.addParamGroup`, "a negative lr", ValueError, /Invalid lr: -1/, (f) => mine(f).opt.addParamGroup({ params: [], lr: -1 })),
    row(`${name}.addParamGroup`, "a param of another runtime", ValueError, /belongs to another runtime/, (f) => mine(f).opt.addParamGroup({ params: [f.foreignParam] })),
    row(`${name}.addParamGroup`, "no params array", ValueError, /Invalid group: params is undefined/, (f) => mine(f).opt.addParamGroup({} as never)),
  ];
}

const SCHEDULE_ROWS: Row[] = [
  row("constantSchedule", "a negative value", ValueError, /Invalid value: -1/, () => constantSchedule(-1)),
  row("linearSchedule", "0 steps", ValueError, /Invalid steps: 0/, () => linearSchedule({ init: 1, end: 0, steps: 0 })),
  row("linearWarmup", "a NaN peak", ValueError, /Invalid peak: NaN/, () => linearWarmup({ peak: Number.NaN, steps: 5 })),
  row("exponentialDecay", "a negative alpha", ValueError, /Invalid alpha: -1/, () => exponentialDecay({ init: 1, alpha: -1 })),
  row("inverseTimeDecay", "a negative init", ValueError, /Invalid init: -1/, () => inverseTimeDecay({ init: -1, alpha: 1 })),
  row("stepDecay", "gamma 2", ValueError, /Invalid gamma: 2/, () => stepDecay({ init: 1, stepSize: 10, gamma: 2 })),
  row("multiStepDecay", "decreasing milestones", ValueError, /Invalid milestones\[1\]: 3/, () => multiStepDecay({ init: 1, milestones: [5, 3] })),
  row("polynomialDecay", "power 0", ValueError, /Invalid power: 0/, () => polynomialDecay({ init: 1, steps: 10, power: 0 })),
  row("cosineDecay", "fractional steps", ValueError, /Invalid steps: 1.5/, () => cosineDecay({ init: 1, steps: 1.5 })),
  row("sgdr", "a floor above the peak", ValueError, /Invalid end: 1/, () => sgdr({ init: 0.1, T0: 10, end: 1 })),
  row("sgdr", "an empty per-cycle init", ValueError, /Invalid init: \[\]/, () => sgdr({ init: [], T0: 10 })),
  row("sgdr", "a per-cycle floor above cycle 1's peak", ValueError, /Invalid end: 0.6 at cycle 1/, () => sgdr({ init: [1, 0.5], end: [0.1, 0.6], T0: 10 })),
  row("sgdr", "peakDecay with a per-cycle init", ValueError, /Invalid peakDecay: 0.5/, () => sgdr({ init: [1, 0.5], T0: 10, peakDecay: 0.5 })),
  row("Schedule", "an sgdr per-cycle function turning negative", ValueError, /Invalid init: -1 from the function at cycle 1/, () => sgdr({ init: (i) => 1 - 2 * i, T0: 10 })(10)),
  row("warmupCosine", "no steps after the warm-up", ValueError, /Invalid steps: 10/, () => warmupCosine({ peak: 1, warmupSteps: 10, steps: 10 })),
  row("oneCycle", "an unknown anneal", ValueError, /Invalid anneal: cubic/, () => oneCycle({ peak: 1, steps: 10, anneal: "cubic" as never })),
  row("oneCycle", "an empty phase", ValueError, /Invalid pctStart: 0.05/, () => oneCycle({ peak: 1, steps: 10, pctStart: 0.05 })),
  row("oneCycleMomentum", "max below base", ValueError, /Invalid max: 0.8/, () => oneCycleMomentum({ steps: 10, base: 0.9, max: 0.8 })),
  row("joinSchedules", "a boundary too many", ValueError, /Invalid boundaries: 1 given for 1 schedules/, () => joinSchedules([constantSchedule(1)], [5])),
  row("chainSchedules", "no schedules", ValueError, /Invalid schedules/, () => chainSchedules()),
  row("chainSchedules", "a number for a schedule", ValueError, /Invalid schedule at index 0: 5/, () => chainSchedules(5 as never)),
  row("sample", "a negative length", ValueError, /Invalid length: -1/, () => sample(constantSchedule(1), -1)),
  row("Schedule", "a negative step", ValueError, /Invalid step: -1/, () => cosineDecay({ init: 1, steps: 10 })(-1)),
  row("Schedule", "a NaN step", ValueError, /Invalid step: NaN/, () => sgdr({ init: 1, T0: 10 })(Number.NaN)),
  ...each("undefined options", ValueError, /Invalid options: undefined/, {
    linearSchedule: () => linearSchedule(undefined as never),
    linearWarmup: () => linearWarmup(undefined as never),
    exponentialDecay: () => exponentialDecay(undefined as never),
    inverseTimeDecay: () => inverseTimeDecay(undefined as never),
    stepDecay: () => stepDecay(undefined as never),
    multiStepDecay: () => multiStepDecay(undefined as never),
    polynomialDecay: () => polynomialDecay(undefined as never),
    cosineDecay: () => cosineDecay(undefined as never),
    sgdr: () => sgdr(undefined as never),
    warmupCosine: () => warmupCosine(undefined as never),
    oneCycle: () => oneCycle(undefined as never),
    oneCycleMomentum: () => oneCycleMomentum(undefined as never),
  }),
  row("new Scheduler", "no bindings", ValueError, /Invalid bindings/, (f) => new Scheduler(f.adam.opt, {})),
  row("new Scheduler", "a field that is not a hyperparameter", ValueError, /Invalid field: 'betas'/, (f) => new Scheduler(f.adam.opt, { betas: constantSchedule(1) } as never)),
  row("new Scheduler", "two schedules for one group", ValueError, /Invalid lr schedules: 2 given for 1 groups/, (f) => new Scheduler(f.adam.opt, { lr: [constantSchedule(1), constantSchedule(2)] })),
  row("new Scheduler", "a key already attached", ValueError, /'scheduler' is already attached/, (f) => new Scheduler(f.adam.opt, { lr: constantSchedule(0.5) })),
  row("new Scheduler", "an empty key", ValueError, /Invalid key/, (f) => new Scheduler(f.adam.opt, { lr: constantSchedule(0.5) }, { key: "" })),
  row("new Scheduler", "null options", ValueError, /Invalid options: null/, (f) => new Scheduler(f.adam.opt, { lr: constantSchedule(0.5) }, null as never)),
  row("new Scheduler", "an optimizer without groups", ValueError, /Invalid optimizer/, () => new Scheduler({ paramGroups: [] }, { lr: constantSchedule(1) } as never)),
  row("Scheduler.step", "a schedule turning NaN", ValueError, /Invalid lr: NaN from the schedule of group 0 at step 2/, (f) => f.nanScheduler.step()),
  row("Scheduler.step", "a group added since construction", StateError, /now has 2 parameter groups/, (f) => f.scheduler.step(), {
    prepare: (f) => f.adam.opt.paramGroups.push({ ...f.adam.opt.paramGroups[0]!, params: [] }),
    undo: (f) => f.adam.opt.paramGroups.pop(),
  }),
  row("Scheduler.loadStateDict", "another kind of state", StateError, /kind is ReduceOnPlateau/, (f) => f.scheduler.loadStateDict(f.plateau.stateDict())),
  row("Scheduler.loadStateDict", "a negative step", StateError, /step is -1/, (f) => f.scheduler.loadStateDict({ kind: "Scheduler", version: 1, step: -1 })),
  row("Scheduler.loadStateDict", "another version", StateError, /Unsupported Scheduler state version: 2/, (f) => f.scheduler.loadStateDict({ kind: "Scheduler", version: 2, step: 1 })),
  row("new ReduceOnPlateau", "factor 1", ValueError, /Invalid factor: 1/, (f) => new ReduceOnPlateau(f.adam.opt, { factor: 1, key: "p" })),
  row("new ReduceOnPlateau", "an unknown mode", ValueError, /Invalid mode: up/, (f) => new ReduceOnPlateau(f.adam.opt, { mode: "up" as never, key: "p" })),
  row("new ReduceOnPlateau", "two floors for one group", ValueError, /Invalid minLr/, (f) => new ReduceOnPlateau(f.adam.opt, { minLr: [0, 0], key: "p" })),
  row("new ReduceOnPlateau", "a boolean field", ValueError, /Invalid field: 'amsgrad'/, (f) => new ReduceOnPlateau(f.adam.opt, { field: "amsgrad" as never, key: "p" })),
  row("new ReduceOnPlateau", "null options", ValueError, /Invalid options: null/, (f) => new ReduceOnPlateau(f.adam.opt, null as never)),
  row("ReduceOnPlateau.step", "a string metric", ValueError, /Invalid metric: x/, (f) => f.plateau.step("x" as never)),
  row("ReduceOnPlateau.step", "a group added since construction", StateError, /now has 2 parameter groups/, (f) => f.plateau.step(1), {
    prepare: (f) => f.sgd.opt.paramGroups.push({ ...f.sgd.opt.paramGroups[0]!, params: [] }),
    undo: (f) => f.sgd.opt.paramGroups.pop(),
  }),
  row("ReduceOnPlateau.loadStateDict", "a NaN best", StateError, /best is "NaN"/, (f, s) => f.plateau.loadStateDict(s), {
    prepare: (f) => ({ ...f.plateau.stateDict(), best: "NaN" }),
  }),
  row("ReduceOnPlateau.loadStateDict", "too few values", StateError, /values must be an array of 1/, (f, s) => f.plateau.loadStateDict(s), {
    prepare: (f) => ({ ...f.plateau.stateDict(), values: [] }),
  }),
  row("new PolyakAverager", "decay 1", ValueError, /Invalid decay: 1/, (f) => new PolyakAverager(f.adam.opt, { decay: 1, key: "a" })),
  row("new PolyakAverager", "an unknown mode", ValueError, /Invalid mode: median/, (f) => new PolyakAverager(f.adam.opt, { mode: "median" as never, key: "a" })),
  row("new PolyakAverager", "no parameters", ValueError, /no parameters to average/, () => new PolyakAverager({ paramGroups: [] })),
  row("new PolyakAverager", "a disposed param", DisposedError, /used after dispose/, (f) => new PolyakAverager({ paramGroups: [{ params: [f.disposedParam] }] })),
  row("new PolyakAverager", "a key already attached", ValueError, /'average' is already attached/, (f) => new PolyakAverager(f.adamw.opt)),
  row("new PolyakAverager", "null options", ValueError, /Invalid options: null/, (f) => new PolyakAverager(f.adam.opt, null as never)),
  row("PolyakAverager.update", "while swapped in", StateError, /update\(\) while the averaged weights are swapped in/, (f) => f.average.update(), {
    prepare: (f) => f.average.swapIn(),
    undo: (f) => f.average.swapOut(),
  }),
  row("PolyakAverager.swapIn", "nothing averaged yet", StateError, /Nothing averaged yet/, (f) => f.lateAverage.swapIn()),
  row("PolyakAverager.swapOut", "without swapIn", StateError, /swapOut\(\) without swapIn\(\)/, (f) => f.average.swapOut()),
  row("PolyakAverager.withAveraged", "not a function", ValueError, /Invalid fn/, (f) => f.average.withAveraged(JUNK)),
  row("PolyakAverager.withAveraged", "a callback that throws", RangeError, /evaluation failed/, (f) => f.average.withAveraged(() => {
    throw new RangeError("evaluation failed");
  })),
  row("PolyakAverager.loadStateDict", "another decay", StateError, /saved with decay = 0.5/, (f) => f.average.loadStateDict({ ...f.average.stateDict(), decay: 0.5 })),
  row("PolyakAverager.loadStateDict", "averages of the wrong size", StateError, /averages\[0\] must be 12 numbers/, (f, s) => f.average.loadStateDict(s), {
    prepare: (f) => {
      const s = f.average.stateDict();
      return { ...s, averages: [[1], s.averages[1]] };
    },
  }),
  row("PolyakAverager.loadStateDict", "while swapped in", StateError, /while swapped in/, (f) => f.average.loadStateDict(f.average.stateDict()), {
    prepare: (f) => f.average.swapIn(),
    undo: (f) => f.average.swapOut(),
  }),
  row("PolyakAverager.swapOut", "after dispose() while swapped in", DisposedError, /swapOut\(\) after dispose/, (_f, avg) => avg.swapOut(), {
    prepare: (f) => {
      const avg = new PolyakAverager({ paramGroups: [{ params: [f.rms.w] }] });
      avg.update();
      avg.swapIn();
      return disposed(avg);
    },
  }),
  row("PolyakAverager.commitAverage", "nothing averaged yet", StateError, /Nothing averaged yet/, (f) => f.lateAverage.commitAverage()),
  row("Scheduler.step", "after dispose()", DisposedError, /Scheduler.step\(\) after dispose/, (_f, sched) => sched.step(), {
    prepare: () => disposed(new Scheduler({ paramGroups: [{ lr: 1 }] }, { lr: constantSchedule(0.01) })),
  }),
  row("ReduceOnPlateau.step", "after dispose()", DisposedError, /ReduceOnPlateau.step\(\) after dispose/, (_f, p) => p.step(1), {
    prepare: () => disposed(new ReduceOnPlateau({ paramGroups: [{ lr: 1 }] })),
  }),
  row("gradNorm", "a tensor that is not a Param", ValueError, /expected a Param/, (f) => gradNorm([f.m23 as never])),
  row("gradNorm", "a disposed param", DisposedError, /used after dispose/, (f) => gradNorm([f.adam.w, f.disposedParam])),
];

const LINALG_ROWS: Row[] = [
  row("gemm", "inner dimensions that differ", ShapeError, /Inner dimensions differ: A \[2, 3\] times B \[2, 3\]/, (f) => gemm(f.m23, f.m23, f.m22)),
  row("gemm", "C of the wrong shape", ShapeError, /C has shape \[2, 3\], expected \[2, 2\]/, (f) => gemm(f.m23, f.m32, f.plain)),
  row("gemm", "a disposed C", DisposedError, /C: Tensor\(f32, \[2, 3\]\) was used after dispose/, (f) => gemm(f.m22, f.m23, f.disposed)),
  row("gemm", "B of another runtime", ValueError, /different runtimes/, (f) => gemm(f.m23, f.foreign32, f.m22)),
  row("gemm", "C of another runtime", ValueError, /C belongs to a different runtime/, (f) => gemm(f.m32, f.m23, f.foreign32)),
  row("gemm", "an i32 matrix", ShapeError, /Invalid A: Tensor\(i32, \[2, 3\]\) \(expected dtype 'f32' or 'f64'\)/, (f) => gemm(f.i23 as never, f.m32, f.m22)),
  row("gemm", "mixed dtypes", ShapeError, /A is f32 but B is f64/, (f) => gemm(f.m32, f.m23d as never, f.m22)),
  row("gemm", "a NaN alpha", ValueError, /Invalid alpha: NaN/, (f) => gemm(f.m23, f.m32, f.m22, { alpha: Number.NaN })),
  row("gemm", "a non-boolean transA", ValueError, /Invalid transA: yes/, (f) => gemm(f.m23, f.m32, f.m22, { transA: "yes" as never })),
  row("gemm", "a bias of the wrong length", ShapeError, /bias has shape \[3\], expected \[2\] or \[1, 2\]/, (f) => gemm(f.m23, f.m32, f.m22, { bias: f.v3 })),
  row("gemm", "C overlapping A", ValueError, /C overlaps A or B/, (f) => gemm(f.m22, f.m22, f.m22)),
  row("gemm", "a vector", ShapeError, /A must be a matrix/, (f) => gemm(f.v3, f.m32, f.m22)),
  row("gemm", "a string for A", ValueError, /Invalid A: x \(expected a Tensor\)/, (f) => gemm("x" as never, f.m32, f.m22)),
  row("gemm", "null options", ValueError, /Invalid options: null/, (f) => gemm(f.m23, f.m32, f.m22, null as never)),
  row("matmul", "inner dimensions that differ", ShapeError, /Inner dimensions differ/, (f) => matmul(f.m23, f.m23)),
  row("matmul", "a disposed A", DisposedError, /used after dispose/, (f) => matmul(f.disposed, f.m32)),
  row("matmul", "B of another runtime", ValueError, /different runtimes/, (f) => matmul(f.m23, f.foreign32)),
  row("matmul", "null options", ValueError, /Invalid options: null/, (f) => matmul(f.m23, f.m32, null as never)),
];

const NORM_ROWS: Row[] = [
  // WeightNorm: a Linear reparameterized as w = g v / ||v||.
  row("new WeightNorm", "not a Linear", ValueError, /Invalid linear/, (f) => new api.WeightNorm(f.rt, f.bn as never)),
  row("WeightNorm.backward", "before forward()", StateError, /needs a forward\(\) first/, (f, m) => m.backward(f.m23), {
    prepare: (f) => new api.WeightNorm(f.rt, new Linear(f.rt, 2, 3)),
    undo: (_f, m) => m.dispose(),
  }),
  row("WeightNorm.forward", "an input of the wrong width", ShapeError, /Linear expects an f32 \[batch, 2\] input/, (f, m) => m.forward(f.m23), {
    prepare: (f) => new api.WeightNorm(f.rt, new Linear(f.rt, 2, 3)),
    undo: (_f, m) => m.dispose(),
  }),
  row("WeightNorm.forward", "after dispose()", DisposedError, /WeightNorm was used after dispose/, (f, m) => m.forward(f.m23), {
    prepare: (f) => disposed(new api.WeightNorm(f.rt, new Linear(f.rt, 3, 3))),
  }),
  row("new BatchNorm", "0 channels", ValueError, /Invalid numChannels: 0/, (f) => new BatchNorm(f.rt, 0)),
  row("new BatchNorm", "momentum 2", ValueError, /Invalid momentum: 2/, (f) => new BatchNorm(f.rt, 3, { momentum: 2 })),
  row("new BatchNorm", "a cumulative average in keras", ValueError, /Invalid momentum: null/, (f) => new BatchNorm(f.rt, 3, { convention: "keras", momentum: null })),
  row("new BatchNorm", "an unknown convention", ValueError, /Invalid convention: tf/, (f) => new BatchNorm(f.rt, 3, { convention: "tf" as never })),
  row("new BatchNorm", "eps 0", ValueError, /Invalid eps: 0/, (f) => new BatchNorm(f.rt, 3, { eps: 0 })),
  row("new BatchNorm", "an unknown epsPlacement", ValueError, /Invalid epsPlacement: root/, (f) => new BatchNorm(f.rt, 3, { epsPlacement: "root" as never })),
  row("new BatchNorm", "eps 0 in the book's form", ValueError, /Invalid eps: 0/, (f) => new BatchNorm(f.rt, 3, { epsPlacement: "outside", eps: 0 })),
  row("new BatchNorm", "an i32 dtype", ValueError, /Invalid dtype: i32/, (f) => new BatchNorm(f.rt, 3, { dtype: "i32" as never })),
  row("new BatchNorm", "a non-boolean affine", ValueError, /Invalid affine: 1/, (f) => new BatchNorm(f.rt, 3, { affine: 1 as never })),
  row("new BatchNorm", "a non-boolean trackRunningStats", ValueError, /Invalid trackRunningStats: yes/, (f) => new BatchNorm(f.rt, 3, { trackRunningStats: "yes" as never })),
  row("new BatchNorm", "not a runtime", ValueError, /Invalid runtime/, () => new BatchNorm(JUNK, 3)),
  row("new BatchNorm", "null options", ValueError, /Invalid options: null/, (f) => new BatchNorm(f.rt, 3, null as never)),
  row("BatchNorm.forward", "the wrong channel count", ShapeError, /expected 3 channels in dimension 1/, (f) => f.bn.forward(f.x243, { training: true })),
  row("BatchNorm.forward", "a non-boolean training", ValueError, /Invalid training: yes/, (f) => f.bn.forward(f.x432, { training: "yes" as never })),
  row("BatchNorm.forward", "no options", ValueError, /Invalid forward options: undefined/, (f) => f.bn.forward(f.x432, undefined as never)),
  row("BatchNorm.forward", "a disposed input", DisposedError, /used after dispose/, (f) => f.bn.forward(f.disposed, { training: true })),
  row("BatchNorm.forward", "an input of another runtime", ValueError, /belongs to another runtime/, (f) => f.bn.forward(f.foreign, { training: true })),
  row("BatchNorm.forward", "an f64 input to an f32 module", ShapeError, /expected dtype 'f32'/, (f) => f.bn.forward(f.m23d as never, { training: true })),
  row("BatchNorm.forward", "one value per channel when training", ValueError, /more than 1 value per channel/, (f, x) => f.bn.forward(x, { training: true }), {
    prepare: (f) => f.rt.tensor([1, 3]),
  }),
  row("BatchNorm.forward", "a vector", ShapeError, /expected at least 2 dimensions/, (f) => f.bn.forward(f.v3, { training: false })),
  row("BatchNorm.forward", "a disposed module", DisposedError, /BatchNorm was used after dispose/, (f) => f.deadBn.forward(f.x432, { training: true })),
  row("BatchNorm.backward", "dy of another shape", ShapeError, /expected the forward input's shape \[4, 3, 2\]/, (f) => f.bn.backward(f.x243)),
  row("BatchNorm.backward", "no forward yet", StateError, /needs a forward\(\) first/, (f) => f.freshBn.backward(f.dy432)),
  row("BatchNorm.backward", "a disposed dy", DisposedError, /used after dispose/, (f) => f.bn.backward(f.disposed)),
  row("BatchNorm.backward", "the forward input disposed", DisposedError, /the input of forward\(\) was disposed/, (f, bn) => bn.backward(f.dy432), {
    prepare: (f) => {
      const bn = new BatchNorm(f.rt, 3);
      const x = f.rt.fromArray(Array.from({ length: 24 }, (_, i) => i % 5), [4, 3, 2]);
      bn.forward(x, { training: false });
      x.dispose();
      return bn;
    },
    undo: (_f, bn) => bn.dispose(),
  }),
  row("BatchNorm.lastStatistics", "a disposed module", DisposedError, /used after dispose/, (f) => f.deadBn.lastStatistics()),
  row("BatchNorm.resetRunningStats", "a disposed module", DisposedError, /used after dispose/, (f) => f.deadBn.resetRunningStats()),
  row("new LayerNorm", "an empty shape", ValueError, /Invalid normalizedShape/, (f) => new LayerNorm(f.rt, [])),
  row("new LayerNorm", "a zero size", ValueError, /Invalid normalizedShape: 0/, (f) => new LayerNorm(f.rt, [3, 0])),
  row("new LayerNorm", "not a runtime", ValueError, /Invalid runtime/, () => new LayerNorm(JUNK, 3)),
  row("LayerNorm.forward", "other trailing dimensions", ShapeError, /expected trailing dimensions \[2\]/, (f) => f.layerNorm.forward(f.m23)),
  row("LayerNorm.forward", "a non-boolean training", ValueError, /Invalid training: 1/, (f) => f.layerNorm.forward(f.x432, { training: 1 as never })),
  row("LayerNorm.forward", "an input of another runtime", ValueError, /belongs to another runtime/, (f) => f.layerNorm.forward(f.foreign)),
  row("LayerNorm.backward", "dy of another shape", ShapeError, /expected the forward input's shape/, (f) => f.layerNorm.backward(f.dy243)),
  row("new GroupNorm", "groups that do not divide the channels", ValueError, /Invalid numGroups: 3 \(expected a divisor of numChannels = 4\)/, (f) => new GroupNorm(f.rt, 3, 4)),
  row("new GroupNorm", "0 groups", ValueError, /Invalid numGroups: 0/, (f) => new GroupNorm(f.rt, 0, 4)),
  row("GroupNorm.forward", "the wrong channel count", ShapeError, /expected \[N, 4, \.\.\.\]/, (f) => f.groupNorm.forward(f.x432)),
  row("GroupNorm.backward", "a disposed dy", DisposedError, /used after dispose/, (f) => f.groupNorm.backward(f.disposed)),
  ...each("null options", ValueError, /Invalid options: null/, {
    "new LayerNorm": (f) => new LayerNorm(f.rt, 2, null as never),
    "new GroupNorm": (f) => new GroupNorm(f.rt, 2, 4, null as never),
    "new InstanceNorm": (f) => new InstanceNorm(f.rt, 3, null as never),
  }),
  row("new InstanceNorm", "fractional channels", ValueError, /Invalid numChannels: 1.5/, (f) => new InstanceNorm(f.rt, 1.5)),
  row("InstanceNorm.forward", "one spatial element", ValueError, /more than 1 spatial element/, (f, x) => f.instanceNorm.forward(x), {
    prepare: (f) => f.rt.tensor([2, 3, 1]),
  }),
  row("InstanceNorm.backward", "dy of another dtype", ShapeError, /expected dtype 'f32'/, (f, dy) => f.instanceNorm.backward(dy), {
    prepare: (f) => f.rt.tensor([4, 3, 2], { dtype: "f64" }),
  }),
];

const MINIMIZE_ROWS: Row[] = [
  row("minimize", "fg that is not a function", ValueError, /Invalid fg: f/, () => minimize("f" as never, [1])),
  row("minimize", "an empty x0", ShapeError, /x0 is empty/, (f) => minimize(f.rosen, [], { runtime: f.rt })),
  row("minimize", "x0 holding NaN", ValueError, /Invalid x0\[1\]: NaN/, (f) => minimize(f.rosen, [1, Number.NaN], { runtime: f.rt })),
  row("minimize", "a tensor x0 holding Infinity", ValueError, /Invalid x0\[0\]: Infinity/, (f, x) => minimize(f.rosen, x, { runtime: f.rt }), {
    prepare: (f) => f.rt.fromArray([Infinity, 1], [2], { dtype: "f64" }),
  }),
  row("minimize", "a disposed x0", DisposedError, /used after dispose/, (f) => minimize(f.rosen, f.disposed, { runtime: f.rt })),
  row("minimize", "an unknown method", ValueError, /Invalid method: adam/, (f) => minimize(f.rosen, [1, 2], { method: "adam" as never, runtime: f.rt })),
  row("minimize", "c2 below c1", ValueError, /Invalid c2: 0.00001/, (f) => minimize(f.rosen, [1, 2], { c2: 1e-5, runtime: f.rt })),
  row("minimize", "an exact line search on a callback", ValueError, /expected an objective with curvature/, (f) => minimize(f.rosen, [1, 2], { lineSearch: "exact", runtime: f.rt })),
  row("minimize", "an unknown option", ValueError, /Invalid options for minimize: unknown option .tol. \(did you mean .gtol.\?\)/, (f) => minimize(f.rosen, [1, 2], { tol: 1 } as never)),
  row("minimize", "newton without a Hessian", ValueError, /Invalid method: newton/, (f) => minimize(f.rosen, [1, 2], { method: "newton", runtime: f.rt })),
  row("minimize", "an L-BFGS memory of 0", ValueError, /Invalid memory: 0/, (f) => minimize(f.rosen, [1, 2], { memory: 0, runtime: f.rt })),
  row("minimize", "a negative maxIter", ValueError, /Invalid maxIter: -1/, (f) => minimize(f.rosen, [1, 2], { maxIter: -1, runtime: f.rt })),
  // Every option of minimize(), the line searches' included.
  ...(
    [
      ["c1 = 0", { c1: 0 }, /Invalid c1: 0/],
      ["maxLineSearch = 0", { maxLineSearch: 0 }, /Invalid maxLineSearch: 0/],
      ["an unknown CG beta", { method: "cg", beta: "fletcher" }, /Invalid beta: fletcher/],
      ["a fractional restart", { method: "cg", restart: 2.5 }, /Invalid restart: 2.5/],
      ["ftol = 1", { ftol: 1 }, /Invalid ftol: 1/],
      ["a negative xtol", { xtol: -1 }, /Invalid xtol: -1/],
      ["a negative gtol", { gtol: -1 }, /Invalid gtol: -1/],
      ["maxEval = 0", { maxEval: 0 }, /Invalid maxEval: 0/],
      ["a negative maxTime", { maxTime: -1 }, /Invalid maxTime: -1/],
      ["a signal that is not one", { signal: 5 }, /Invalid signal: 5/],
      ["an onIteration that is not a function", { onIteration: 5 }, /Invalid onIteration: 5/],
      ["a hess that is not a function", { method: "newton", hess: 5 }, /Invalid hess: 5/],
      ["a hessp that is not a function", { method: "newton", hessp: 5 }, /Invalid hessp: 5/],
      ["an unknown line search", { lineSearch: "wolfe" }, /Invalid lineSearch: wolfe/],
    ] as const
  ).map(([bad, options, message]) => row("minimize", bad, ValueError, message, (f) => minimize(f.rosen, [1, 2], { ...options, runtime: f.rt } as never))),
  // minimize's options for f alone, bounds, Newton's damping and the classification of x.
  row("minimize", "an unknown gradient rule", ValueError, /Invalid gradient: 2-point/, (f) => minimize(f.rosen, [1, 2], { gradient: "2-point" as never, runtime: f.rt })),
  row("minimize", "finite differences for an Objective", ValueError, /Invalid gradient: forward \(an Objective computes its own gradient/, (f) => minimize(f.quad, [1, 2], { gradient: "forward" })),
  row("minimize", "a negative damping", ValueError, /Invalid damping: -1/, (f) => minimize(f.rosen, [1, 2], { method: "newton", hess: () => {}, damping: -1, runtime: f.rt })),
  row("minimize", "a damping that is no number", ValueError, /Invalid damping: lm \(expected 'adaptive' or a finite number >= 0\)/, (f) => minimize(f.rosen, [1, 2], { method: "newton", hess: () => {}, damping: "lm" as never, runtime: f.rt })),
  row("minimize", "damping for a method other than newton", ValueError, /only 'newton' is damped/, (f) => minimize(f.rosen, [1, 2], { damping: 0, runtime: f.rt })),
  row("minimize", "a classify that is no boolean", ValueError, /Invalid classify: 1/, (f) => minimize(f.rosen, [1, 2], { classify: 1 as never, runtime: f.rt })),
  row("minimize", "classify with finite differences", ValueError, /Invalid classify: true \(not with finite-difference gradients/, (f) => minimize(f.rosen, [1, 2], { classify: true, gradient: "central", runtime: f.rt })),
  row("minimize", "classify with n = 1001", ShapeError, /classify: n = 1001 is too large/, (f, x0) => minimize(f.rosen, x0, { classify: true, runtime: f.rt }), {
    prepare: () => new Float64Array(1001),
  }),
  row("minimize", "bfgs with n = 20001", ShapeError, /bfgs keeps a dense n x n inverse Hessian/, (f, x0) => minimize(f.rosen, x0, { method: "bfgs", runtime: f.rt }), {
    prepare: () => new Float64Array(20001),
  }),
  row("minimize", "an objective of another size", ShapeError, /x0 has 3 values but the objective has 2 variables/, (f) => minimize(f.quad, [1, 2, 3])),
  row("minimize", "an objective of another runtime", ValueError, /the objective lives in another runtime/, (f) => minimize(f.quad, [1, 2], { runtime: f.other })),
  row("minimize", "a runtime that is not one", ValueError, /Invalid runtime/, (f) => minimize(f.rosen, [1, 2], { runtime: JUNK })),
  row("minimize", "null options", ValueError, /Invalid options: null/, (f) => minimize(f.rosen, [1, 2], null as never)),
  row("quadratic", "A of the wrong size", ShapeError, /A has 3 values \(expected 4\)/, (f) => quadratic(f.rt, [1, 2, 3], [1, 2])),
  row("quadratic", "A holding NaN", ValueError, /Invalid A\[1\]: NaN/, (f) => quadratic(f.rt, [1, Number.NaN, 0, 1], [1, 2])),
  row("quadratic", "b holding Infinity", ValueError, /Invalid b\[0\]: Infinity/, (f) => quadratic(f.rt, [1, 0, 0, 1], [Infinity, 2])),
  row("quadratic", "not a runtime", ValueError, /Invalid runtime/, () => quadratic(JUNK, [1], [1])),
  row("diagonalQuadratic", "a of the wrong size", ShapeError, /a has 1 values \(expected 2\)/, (f) => diagonalQuadratic(f.rt, [1], [1, 2])),
  row("leastSquares", "n = 0", ValueError, /Invalid n: 0/, (f) => leastSquares(f.rt, [1, 2], [1, 2], 0)),
  row("leastSquares", "a tensor b holding NaN", ValueError, /Invalid b\[2\]: NaN/, (f, b) => leastSquares(f.rt, [1, 2, 3], b, 1), {
    prepare: (f) => f.rt.fromArray([1, 2, Number.NaN], [3], { dtype: "f64" }),
  }),
  row("logisticRegression", "a label 2", ValueError, /Invalid y\[1\]: 2/, (f) => logisticRegression(f.rt, [1, 2, 3, 4], [0, 2], 2)),
  row("logisticRegression", "a negative lambda", ValueError, /Invalid lambda: -1/, (f) => logisticRegression(f.rt, [1, 2], [0, 1], 1, -1)),
  row("extendedRosenbrock", "an odd n", ShapeError, /needs an even n, got 3/, (f) => extendedRosenbrock(f.rt, 3)),
  // Views that detach and objectives used after dispose() (test/reliability/adversarial/).
  row("Runtime.tensor", "[1e300, 1e300, 0]", ShapeError, /Invalid shape \[1e\+300, 1e\+300, 0\]/, (f) => f.rt.tensor([1e300, 1e300, 0])),
  row("Runtime.fromArray", "null values", ValueError, /Invalid values: null/, (f) => f.rt.fromArray(null as never, [2])),
  row("Runtime.fromArray", "a stale view", ValueError, /stale view/, (f, view) => f.rt.fromArray(view, [6]), { prepare: staleView }),
  row("Runtime.param", "a stale view as values", ValueError, /stale view/, (f, view) => f.rt.param([6], { values: view }), { prepare: staleView }),
  row("Tensor.set", "a stale view", ValueError, /stale view/, (f, view) => f.m23.set(view), { prepare: staleView }),
  row("Tensor.set", "a BigInt64Array", ValueError, /Invalid values: BigInt64Array/, (f) => f.m23.set(new BigInt64Array(6) as never)),
  row("minimize", "a stale view as x0", ValueError, /Invalid x0: a stale view/, (f, view) => minimize(f.rosen, view, { runtime: f.rt }), { prepare: staleView }),
  row("minimize", "a disposed objective", DisposedError, /objective was used after dispose/, (f, q) => minimize(q, [1, 2]), { prepare: disposedQuadratic }),
  row("quadratic", "a stale view as A", ValueError, /Invalid A: a stale view/, (f, view) => quadratic(f.rt, view, [1, 2]), { prepare: staleView }),
  row("Objective", "evaluate() after dispose()", DisposedError, /objective was used after dispose/, (f, q) => q.evaluate(f.v3d.ptr, f.v3d.ptr), { prepare: disposedQuadratic }),
  row("Objective", "hessian() after dispose()", DisposedError, /objective was used after dispose/, (f, q) => q.hessian(f.v3d.ptr, f.v3d.ptr), { prepare: disposedQuadratic }),
];

/** A view of six f64 that the memory's growth has detached (a tensor of it is disposed). */
function staleView(f: Fixture): Float64Array {
  const t = f.rt.tensor([6], { dtype: "f64" });
  const view = t.data;
  f.rt.tensor([f.rt.memoryStats().capacityBytes / 4]).dispose();
  t.dispose();
  return view;
}

/** A quadratic objective of two variables, already disposed. */
function disposedQuadratic(f: Fixture) {
  const q = quadratic(f.rt, [2, 0, 0, 1], [1, 1]);
  q.dispose();
  return q;
}

const INIT_ROWS: Row[] = [
  row("computeFans", "an empty shape", ShapeError, /Invalid shape \[\]/, () => computeFans([])),
  row("calculateGain", "an unknown nonlinearity", ValueError, /Invalid nonlinearity: swish/, () => calculateGain("swish" as never)),
  row("calculateGain", "a NaN slope", ValueError, /Invalid slope: NaN/, () => calculateGain("leaky_relu", Number.NaN)),
  row("varianceScaling", "scale 0", ValueError, /Invalid scale: 0/, () => varianceScaling({ scale: 0 })),
  row("varianceScaling", "an unknown mode", ValueError, /Invalid mode: fanMax/, () => varianceScaling({ mode: "fanMax" as never })),
  row("varianceScaling", "an unknown distribution", ValueError, /Invalid distribution: cauchy/, () => varianceScaling({ distribution: "cauchy" as never })),
  row("uniformFanIn", "a negative fanIn", ValueError, /Invalid fans.fanIn: -1/, () => uniformFanIn({ fans: { fanIn: -1, fanOut: 1 } })),
  row("glorotUniform", "gain 0", ValueError, /Invalid gain: 0/, () => glorotUniform({ gain: 0 })),
  row("glorotNormal", "a negative gain", ValueError, /Invalid gain: -1/, () => glorotNormal({ gain: -1 })),
  row("heNormal", "an unknown nonlinearity", ValueError, /Invalid nonlinearity: swish/, () => heNormal({ nonlinearity: "swish" as never })),
  row("heUniform", "a NaN slope", ValueError, /Invalid slope: NaN/, () => heUniform({ nonlinearity: "leaky_relu", slope: Number.NaN })),
  row("lecunNormal", "fractional fans", ValueError, /Invalid fans.fanIn: 1.5/, () => lecunNormal({ fans: { fanIn: 1.5, fanOut: 2 } })),
  row("lecunUniform", "null fans", ValueError, /Invalid fans.fanIn: undefined/, () => lecunUniform({ fans: null as never })),
  row("orthogonal", "gain 0", ValueError, /Invalid gain: 0/, () => orthogonal({ gain: 0 })),
  row("sparse", "k = 0", ValueError, /Invalid k: 0/, () => sparse({ k: 0 })),
  row("constant", "NaN", ValueError, /Invalid value: NaN/, () => constant(Number.NaN)),
  row("reluBias", "0", ValueError, /Invalid value: 0/, () => reluBias(0)),
  row("lstmForgetBias", "gate 4", ValueError, /Invalid gate: 4/, () => lstmForgetBias({ gate: 4 })),
  row("marginalBias", "no classes", ValueError, /Invalid frequencies: empty/, () => marginalBias([])),
  row("marginalBias", "a negative frequency", ValueError, /Invalid frequencies\[1\]: -1/, () => marginalBias([0.5, -1])),
  row("marginalBias", "an unknown activation", ValueError, /Invalid activation: tanh/, () => marginalBias([0.2, 0.8], { activation: "tanh" as never })),
  row("marginalBias", "a sigmoid frequency of 1.5", ValueError, /Invalid frequencies\[0\]: 1.5/, () => marginalBias([1.5], { activation: "sigmoid" })),
  ...each("null options", ValueError, /Invalid options: null/, {
    varianceScaling: () => varianceScaling(null as never),
    uniformFanIn: () => uniformFanIn(null as never),
    glorotUniform: () => glorotUniform(null as never),
    glorotNormal: () => glorotNormal(null as never),
    heNormal: () => heNormal(null as never),
    heUniform: () => heUniform(null as never),
    lecunNormal: () => lecunNormal(null as never),
    lecunUniform: () => lecunUniform(null as never),
    orthogonal: () => orthogonal(null as never),
    sparse: () => sparse(null as never),
    lstmForgetBias: () => lstmForgetBias(null as never),
    marginalBias: () => marginalBias([1, 2], null as never),
    growingBatchSize: () => growingBatchSize(null as never),
    linearHardFraction: () => linearHardFraction(null as never),
    blurSchedule: () => blurSchedule(null as never),
  }),
  // The initializers these factories return, applied to fixture tensors.
  ...each("an i32 target", ShapeError, /Invalid target: Tensor\(i32, \[2, 3\]\) \(expected dtype 'f32' or 'f64'\)/, {
    Initializer: (f) => glorotUniform()(f.i23),
    orthogonal: (f) => orthogonal()(f.i23),
    sparse: (f) => sparse({ k: 1 })(f.i23),
  }),
  ...each("a disposed target", DisposedError, /used after dispose/, {
    Initializer: (f) => heNormal()(f.disposed),
    orthogonal: (f) => orthogonal()(f.disposed),
    sparse: (f) => sparse({ k: 1 })(f.disposed),
    constant: (f) => constant(1)(f.disposed),
    zeros: (f) => zeros()(f.disposed),
    ones: (f) => ones()(f.disposed),
    lstmForgetBias: (f) => lstmForgetBias()(f.disposed),
    marginalBias: (f) => marginalBias([1, 2])(f.disposed),
  }),
  ...each("a target that is not a tensor", ValueError, /Invalid target: x \(expected a Tensor\)/, {
    Initializer: () => lecunUniform()("x" as never),
    orthogonal: () => orthogonal()("x" as never),
    constant: () => constant(1)("x" as never),
  }),
  row("Initializer", "a fan of 0", ShapeError, /Cannot scale by a fanIn of 0/, (f) => lecunNormal()(f.empty03)),
  row("orthogonal", "a vector", ShapeError, /at least 2 dimensions/, (f) => orthogonal()(f.v3)),
  row("sparse", "more non-zeros than inputs", ValueError, /Invalid k: 5 \(expected <= 2 inputs per unit\)/, (f) => sparse({ k: 5 })(f.m23)),
  row("sparse", "a vector", ShapeError, /sparse needs a 2-D/, (f) => sparse()(f.v3)),
  row("lstmForgetBias", "3 entries", ShapeError, /An LSTM bias has 4 h entries, got 3/, (f) => lstmForgetBias()(f.v3)),
  row("marginalBias", "a target of another size", ShapeError, /cannot hold 2 class biases/, (f) => marginalBias([1, 2])(f.v3)),
  row("new Philox", "a negative seed", ValueError, /Invalid seed: -1/, () => new Philox(-1)),
  row("new Philox", "a fractional stream", ValueError, /Invalid stream: 1.5/, () => new Philox(0, 1.5)),
  row("Philox.fromState", "a negative position", ValueError, /Invalid position: -1/, () => Philox.fromState({ seed: 1, stream: 0, position: -1 })),
  row("Philox.fromState", "no seed", ValueError, /Invalid seed: undefined/, () => Philox.fromState({ position: 0 } as never)),
  row("Philox.fromState", "null", ValueError, /Invalid state: null/, () => Philox.fromState(null as never)),
  row("Philox.spawn", "a negative stream", ValueError, /Invalid stream: -1/, (f) => f.g.spawn(-1)),
  row("Philox.skip", "a fractional count", ValueError, /Invalid words: 0.5/, (f) => f.g.skip(0.5)),
  row("Philox.skip", "past the end of the stream", ValueError, /stream exhausted/, (f) => f.g.skip(2 ** 53 - 1)),
  row("Philox.uniform", "high below low", ValueError, /Invalid high: 0/, (f) => f.g.uniform(f.v3, { low: 1, high: 0 })),
  row("Philox.uniform", "an i32 target", ShapeError, /expected dtype 'f32' or 'f64'/, (f) => f.g.uniform(f.i23)),
  row("Philox.uniform", "a disposed target", DisposedError, /used after dispose/, (f) => f.g.uniform(f.disposed)),
  row("Philox.uniform", "null options", ValueError, /Invalid options: null/, (f) => f.g.uniform(f.v3, null as never)),
  row("Philox.normal", "null options", ValueError, /Invalid options: null/, (f) => f.g.normal(f.v3, null as never)),
  row("Philox.normal", "a negative std", ValueError, /Invalid std: -1/, (f) => f.g.normal(f.v3, { std: -1 })),
  row("Philox.normal", "a string target", ValueError, /Invalid target: x/, (f) => f.g.normal("x" as never)),
  row("Philox.integers", "a range beyond 2^32", ValueError, /Invalid high: 8589934592/, (f) => f.g.integers(f.v3d, 0, 2 ** 33)),
  row("Philox.integers", "a fractional low", ValueError, /Invalid low: 0.5/, (f) => f.g.integers(f.v3, 0.5, 3)),
  row("Philox.uniformArray", "a negative count", ValueError, /Invalid count: -1/, (f) => f.g.uniformArray(-1)),
  row("Philox.permutation", "a negative n", ValueError, /Invalid n: -1/, (f) => f.g.permutation(f.rt, -1)),
  row("Philox.permutation", "not a runtime", ValueError, /Invalid runtime/, (f) => f.g.permutation(JUNK, 3)),
  row("new Minibatches", "n = 0", ValueError, /Invalid n: 0/, (f) => new Minibatches(f.rt, 0, { batchSize: 2 })),
  row("new Minibatches", "batch size 0", ValueError, /Invalid batchSize: 0/, (f) => new Minibatches(f.rt, 4, { batchSize: 0 })),
  row("new Minibatches", "an unknown shuffle", ValueError, /Invalid shuffle: random/, (f) => new Minibatches(f.rt, 4, { batchSize: 2, shuffle: "random" as never })),
  row("new Minibatches", "a negative seed", ValueError, /Invalid seed: -1/, (f) => new Minibatches(f.rt, 4, { batchSize: 2, rng: -1 })),
  row("new Minibatches", "a non-boolean dropLast", ValueError, /Invalid dropLast: yes/, (f) => new Minibatches(f.rt, 4, { batchSize: 2, dropLast: "yes" as never })),
  row("new Minibatches", "no options", ValueError, /Invalid options: undefined \(expected an object\)/, (f) => new Minibatches(f.rt, 4, undefined as never)),
  row("new Minibatches", "not a runtime", ValueError, /Invalid runtime/, () => new Minibatches(JUNK, 4, { batchSize: 2 })),
  row("Minibatches.batchSizeAt", "a schedule giving 0", ValueError, /Invalid batchSize\(1\): 0/, (f) => f.zeroBatches.batchSizeAt(1)),
  row("Minibatches.epoch", "a schedule giving 0", ValueError, /Invalid batchSize\(1\): 0/, (f) => f.zeroBatches.epoch()),
  row("Minibatches.gather", "a source of another length", ShapeError, /does not hold 6 rows/, (f) => f.batches.gather(f.m23, f.batch)),
  row("Minibatches.gather", "a batch of the previous epoch", ValueError, /Invalid batch: not from this sampler's current epoch/, (f) => f.batches.gather(f.rows6, f.staleBatch)),
  row("Minibatches.gather", "into of the wrong size", ShapeError, /cannot hold 4 rows/, (f) => f.batches.gather(f.rows6, f.batch, f.m23)),
  row("Minibatches.gather", "a disposed source", DisposedError, /used after dispose/, (f) => f.batches.gather(f.disposed, f.batch)),
  row("Minibatches.gather", "a source of another runtime", ValueError, /belongs to another runtime/, (f, src) => f.batches.gather(src, f.batch), {
    prepare: (f) => f.other.tensor([6, 2]),
    undo: (_f, src) => src.dispose(),
  }),
  row("Minibatches.gather", "into of another runtime", ValueError, /belongs to another runtime/, (f, into) => f.batches.gather(f.rows6, f.batch, into), {
    prepare: (f) => f.other.tensor([4, 2]),
    undo: (_f, into) => into.dispose(),
  }),
  row("Minibatches.gather", "a string source", ValueError, /Invalid source: x/, (f) => f.batches.gather("x" as never, f.batch)),
  row("Minibatches.dispose", "a second dispose", DisposedError, /used after dispose/, (_f, sampler) => sampler.dispose(), {
    prepare: (f) => {
      const sampler = new Minibatches(f.rt, 4, { batchSize: 2 });
      sampler.dispose();
      return sampler;
    },
  }),
  row("growingBatchSize", "initial 0", ValueError, /Invalid initial: 0/, () => growingBatchSize({ initial: 0 })),
  row("growingBatchSize", "max below initial", ValueError, /Invalid max: 2/, () => growingBatchSize({ initial: 4, max: 2 })),
  row("sampleWithoutReplacement", "k above n", ValueError, /Invalid k: 6/, (f) => sampleWithoutReplacement(f.rt, 5, 6)),
  row("sampleWithoutReplacement", "not a runtime", ValueError, /Invalid runtime/, () => sampleWithoutReplacement(JUNK, 5, 2)),
  row("new CurriculumSampler", "a pool left empty", ValueError, /leave a pool empty/, () => new CurriculumSampler([1], { batchSize: 1 })),
  row("new CurriculumSampler", "easyShare 1", ValueError, /Invalid easyShare: 1/, () => new CurriculumSampler([1, 2], { batchSize: 1, easyShare: 1 })),
  row("new CurriculumSampler", "a hard fraction of 2", ValueError, /Invalid hardFraction: 2/, () => new CurriculumSampler([1, 2], { batchSize: 1, hardFraction: 2 })),
  row("new CurriculumSampler", "a NaN difficulty", ValueError, /Invalid difficulty\[1\]: NaN/, () => new CurriculumSampler([1, Number.NaN], { batchSize: 1 })),
  row("CurriculumSampler.next", "a schedule giving 2", ValueError, /Invalid hardFraction\(1\): 2/, (f) => f.badCurriculum.next()),
  row("linearHardFraction", "a start above 1", ValueError, /Invalid start: 2/, () => linearHardFraction({ start: 2, steps: 5 })),
  row("new GaussianBlur", "an objective that is not a function", ValueError, /Invalid objective: number/, (f) => new GaussianBlur(f.rt, 5 as never, { sigma: 1 })),
  row("new GaussianBlur", "a negative sigma", ValueError, /Invalid sigma: -1/, (f) => new GaussianBlur(f.rt, f.bowl, { sigma: -1 })),
  row("new GaussianBlur", "no options", ValueError, /Invalid options: undefined \(expected an object\)/, (f) => new GaussianBlur(f.rt, f.bowl, undefined as never)),
  row("new GaussianBlur", "an unknown gradient", ValueError, /Invalid gradient: finite/, (f) => new GaussianBlur(f.rt, f.bowl, { sigma: 1, gradient: "finite" as never })),
  row("new GaussianBlur", "a non-boolean antithetic", ValueError, /Invalid antithetic: 1/, (f) => new GaussianBlur(f.rt, f.bowl, { sigma: 1, antithetic: 1 as never })),
  row("new GaussianBlur", "not a runtime", ValueError, /Invalid runtime/, (f) => new GaussianBlur(JUNK, f.bowl, { sigma: 1 })),
  row("GaussianBlur.sigma=", "NaN", ValueError, /Invalid sigma: NaN/, (f) => (f.blur.sigma = Number.NaN)),
  row("GaussianBlur.value", "a disposed theta", DisposedError, /used after dispose/, (f) => f.blur.value(f.disposed)),
  row("GaussianBlur.value", "a theta of another runtime", ValueError, /belongs to another runtime/, (f) => f.blur.value(f.foreign)),
  row("GaussianBlur.valueAndGrad", "a gradient of another size", ShapeError, /cannot hold the gradient/, (f) => f.blur.valueAndGrad(f.v3, f.v2)),
  row("GaussianBlur.valueAndGrad", "a gradient of another runtime", ValueError, /belongs to another runtime/, (f, grad) => f.blur.valueAndGrad(f.v3, grad), {
    prepare: (f) => f.other.tensor([3]),
    undo: (_f, grad) => grad.dispose(),
  }),
  row("GaussianBlur.valueAndGrad", "the score estimator at sigma 0", ValueError, /Invalid sigma: 0/, (f) => f.scoreBlur.valueAndGrad(f.v3, f.u3)),
  row("blurSchedule", "initial 0", ValueError, /Invalid initial: 0/, () => blurSchedule({ initial: 0 })),
  row("blurSchedule", "ratio 1", ValueError, /Invalid ratio: 1/, () => blurSchedule({ initial: 1, ratio: 1 })),
];

const NN_ROWS: Row[] = [
  row("new Linear", "0 inputs", ValueError, /Invalid inFeatures: 0/, (f) => new Linear(f.rt, 0, 3)),
  row("new Linear", "an init that is not a function", ValueError, /Invalid init/, (f) => new Linear(f.rt, 3, 2, { init: "he" as never })),
  row("new Linear", "a negative seed", ValueError, /Invalid seed: -1/, (f) => new Linear(f.rt, 3, 2, { seed: -1 })),
  row("new Linear", "a non-boolean relu", ValueError, /Invalid relu: yes/, (f) => new Linear(f.rt, 3, 2, { relu: "yes" as never })),
  row("new Linear", "a non-boolean bias", ValueError, /Invalid bias: 0/, (f) => new Linear(f.rt, 3, 2, { bias: 0 as never })),
  row("new Linear", "not a runtime", ValueError, /Invalid runtime/, () => new Linear(JUNK, 3, 2)),
  row("Linear.forward", "the wrong feature count", ShapeError, /Linear expects an f32 \[batch, 3\] input, got Tensor\(f32, \[2, 2\]\)/, (f) => f.hidden.forward(f.m22)),
  row("Linear.forward", "an f64 input", ShapeError, /Linear expects an f32/, (f) => f.hidden.forward(f.m23d as never)),
  row("Linear.forward", "a disposed input", DisposedError, /used after dispose/, (f, x) => f.hidden.forward(x), {
    prepare: (f) => {
      const x = f.rt.tensor([5, 3]);
      x.dispose();
      return x;
    },
  }),
  row("Linear.forward", "an input of another runtime", ValueError, /belongs to another runtime/, (f, x) => f.hidden.forward(x), {
    prepare: (f) => f.other.tensor([5, 3]),
    undo: (_f, x) => x.dispose(),
  }),
  row("Linear.forward", "a string", ValueError, /Invalid x: x \(expected a Tensor\)/, (f) => f.hidden.forward("x" as never)),
  row("Linear.backward", "no forward yet", StateError, /Linear.backward\(\) needs a forward\(\) first/, (f) => f.freshLinear.backward(f.m22)),
  row("Linear.backward", "dy of the wrong width", ShapeError, /expects an f32 \[batch, 2\] input/, (f) => f.head.backward(f.m23)),
  row("Linear.backward", "dy of another batch", ShapeError, /dy has 3 rows, the input had 2/, (f) => f.head.backward(f.m32)),
  row("Linear.backward", "a disposed dy", DisposedError, /used after dispose/, (f, dy) => f.head.backward(dy), {
    prepare: (f) => {
      const dy = f.rt.tensor([2, 2]);
      dy.dispose();
      return dy;
    },
  }),
  row("Linear.backward", "dy of another runtime", ValueError, /belongs to another runtime/, (f, dy) => f.head.backward(dy), {
    prepare: (f) => f.other.fromArray([1, -1, 1, -1], [2, 2]),
    undo: (_f, dy) => dy.dispose(),
  }),
  row("Linear.backward", "the forward input disposed", DisposedError, /the input of forward\(\) was disposed/, (_f, { layer, dy }) => layer.backward(dy), {
    prepare: (f) => {
      const layer = new Linear(f.rt, 3, 2);
      const x = f.rt.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
      layer.forward(x);
      x.dispose();
      return { layer, dy: f.rt.fromArray([1, -1, 1, -1], [2, 2]) };
    },
    undo: (_f, { layer }) => layer.dispose(),
  }),
  row("new ReLU", "not a runtime", ValueError, /Invalid runtime/, () => new ReLU(JUNK)),
  row("ReLU.forward", "an f64 input", ShapeError, /ReLU expects an f32 input/, (f) => f.relu.forward(f.m23d as never)),
  row("ReLU.forward", "a disposed input", DisposedError, /used after dispose/, (f) => f.relu.forward(f.disposed)),
  row("ReLU.forward", "an input of another runtime", ValueError, /belongs to another runtime/, (f) => f.relu.forward(f.foreign)),
  row("ReLU.backward", "no forward yet", StateError, /ReLU.backward\(\) needs a forward\(\) first/, (f) => f.freshRelu.backward(f.m23)),
  row("ReLU.backward", "dy of another shape", ShapeError, /expected the forward output's shape \[2, 4\]/, (f) => f.relu.backward(f.m23)),
  row("ReLU.backward", "a disposed dy", DisposedError, /used after dispose/, (f) => f.relu.backward(f.disposed)),
  row("new Sequential", "not a list", ValueError, /Invalid layers/, () => new Sequential(JUNK)),
  row("new Sequential", "a layer without forward()", ValueError, /Invalid layer at index 1/, (f) => new Sequential([f.relu, {} as never])),
  row("Sequential.forward", "the wrong feature count", ShapeError, /Linear expects an f32 \[batch, 3\] input/, (f) => f.net.forward(f.m22, { training: true })),
  row("Sequential.backward", "dy of the wrong width", ShapeError, /expects an f32 \[batch, 2\] input/, (f) => f.net.backward(f.m23)),
  row("new SoftmaxCrossEntropy", "not a runtime", ValueError, /Invalid runtime/, () => new SoftmaxCrossEntropy(JUNK)),
  row("SoftmaxCrossEntropy.forward", "f32 labels", ShapeError, /SoftmaxCrossEntropy expects f32 \[batch, classes\] logits and \[batch\] i32 labels/, (f) => f.loss.forward(f.m22, f.v2 as never)),
  row("SoftmaxCrossEntropy.forward", "a label outside [0, classes)", ValueError, /Invalid label 3 at row 1 \(expected 0 <= label < 3\)/, (f) => f.loss.forward(f.m23, f.badLabels)),
  row("SoftmaxCrossEntropy.forward", "labels for another batch", ShapeError, /\[batch\] i32 labels/, (f) => f.loss.forward(f.m32, f.labels)),
  row("SoftmaxCrossEntropy.forward", "f64 logits", ShapeError, /f32 \[batch, classes\] logits/, (f) => f.loss.forward(f.m23d as never, f.labels)),
  row("SoftmaxCrossEntropy.forward", "disposed logits", DisposedError, /used after dispose/, (f) => f.loss.forward(f.disposed, f.labels)),
  row("SoftmaxCrossEntropy.forward", "logits of another runtime", ValueError, /belongs to another runtime/, (f) => f.loss.forward(f.foreign, f.labels)),
  // Aliasing, call order, use after dispose and seeds of the layers and modules (adversarial/aliasing, layers).
  row("initSync", "a fractional seed", ValueError, /Invalid seed: 1.5/, () => initSync({ backend: jsBackend, seed: 1.5 })),
  row("Linear.forward", "its own output", ValueError, /Linear.forward: y overlaps x/, (_f, { layer, y }) => layer.forward(y), {
    prepare: (f) => {
      const layer = new Linear(f.rt, 2, 2, { seed: 3 });
      return { layer, y: layer.forward(f.m22) };
    },
    undo: (_f, { layer }) => layer.dispose(),
  }),
  ...(["its own dx", "its weight.grad"] as const).map((bad) =>
    row("Linear.backward", `dy = ${bad}`, ValueError, bad === "its own dx" ? /Linear.backward: dx overlaps dy/ : /weight.grad overlaps dy/, (_f, { layer, dy }) => layer.backward(dy), {
      prepare: (f) => {
        const layer = new Linear(f.rt, 2, 2, { seed: 3 });
        layer.forward(f.m22);
        const dx = layer.backward(f.rt.fromArray([1, 2, 3, 4], [2, 2]));
        return { layer, dy: bad === "its own dx" ? dx : layer.weight.grad };
      },
      undo: (_f, { layer }) => layer.dispose(),
    }),
  ),
  row("Linear.forward", "a disposed layer", DisposedError, /Linear was used after dispose/, (_f, layer) => layer.forward(_f.m23), {
    prepare: (f) => {
      const layer = new Linear(f.rt, 3, 2, { seed: 3 });
      layer.dispose();
      return layer;
    },
  }),
  row("LayerNorm.forward", "its own output", ValueError, /LayerNorm.forward: the module's output overlaps x/, (f, y) => f.layerNorm.forward(y), {
    prepare: (f) => f.layerNorm.forward(f.x432),
  }),
  row("LayerNorm.backward", "dy = gamma.grad", ValueError, /gamma.grad overlaps dy/, (_f, ln) => ln.backward(ln.gamma.grad), {
    prepare: (f) => {
      const ln = new LayerNorm(f.rt, 2);
      ln.forward(f.v2);
      return ln;
    },
    undo: (_f, ln) => ln.dispose(),
  }),
  row("BatchNorm.parameters", "a disposed module", DisposedError, /BatchNorm was used after dispose/, (f) => f.deadBn.parameters()),
  row("ReLU.forward", "a disposed layer", DisposedError, /ReLU was used after dispose/, (f, relu) => relu.forward(f.m23), {
    prepare: (f) => {
      const relu = new ReLU(f.rt);
      relu.dispose();
      return relu;
    },
  }),
  row("new Sequential", "the same layer twice", ValueError, /Invalid layer at index 1: the same layer as at index 0/, (f) => new Sequential([f.relu, f.relu])),
  row("Sequential.forward", "an input a later layer rejects", ShapeError, /Linear expects an f32 \[batch, 3\] input, got shape \[2, 4\]/, (f, net) => net.forward(f.m23, { training: true }), {
    prepare: (f) => new Sequential([new Linear(f.rt, 3, 4, { seed: 3 }), new Linear(f.rt, 3, 2, { seed: 4 })]),
    undo: (_f, net) => net.dispose(),
  }),
  row("Sequential.forward", "a disposed model", DisposedError, /Sequential was used after dispose/, (f, net) => net.forward(f.m23, { training: true }), {
    prepare: (f) => {
      const net = new Sequential([new ReLU(f.rt)]);
      net.dispose();
      return net;
    },
  }),
  row("SoftmaxCrossEntropy.forward", "logits = its own gradient", ValueError, /grad overlaps logits/, (f, { loss, grad }) => loss.forward(grad, f.labels), {
    prepare: (f) => {
      const loss = new SoftmaxCrossEntropy(f.rt);
      return { loss, grad: loss.forward(f.m23, f.labels).grad };
    },
    undo: (_f, { loss }) => loss.dispose(),
  }),
  row("SoftmaxCrossEntropy.forward", "a disposed loss", DisposedError, /SoftmaxCrossEntropy was used after dispose/, (f, loss) => loss.forward(f.m23, f.labels), {
    prepare: (f) => {
      const loss = new SoftmaxCrossEntropy(f.rt);
      loss.dispose();
      return loss;
    },
  }),
  row("Minibatches.gather", "into = source", ValueError, /Minibatches.gather: into overlaps source/, (f, { sampler, batch }) => sampler.gather(f.rows6, batch, f.rows6), {
    prepare: (f) => {
      const sampler = new Minibatches(f.rt, 6, { batchSize: 6, rng: 3 });
      return { sampler, batch: sampler.epoch().next().value! };
    },
    undo: (_f, { sampler }) => sampler.dispose(),
  }),
  row("GaussianBlur.valueAndGrad", "grad = theta", ValueError, /grad overlaps theta/, (f) => f.blur.valueAndGrad(f.v3, f.v3)),
];

// Curvature diagnostics: rows that need a live product get one from `withHvp` (freed after the row).
const withHvp: Partial<Row> = {
  prepare: (f) => new HessianVectorProduct(f.rt, f.rosen, 2),
  undo: (_f, hvp) => hvp.dispose(),
};
const withDisposedHvp: Partial<Row> = {
  prepare: (f) => {
    const hvp = new HessianVectorProduct(f.rt, f.rosen, 2);
    hvp.dispose();
    return hvp;
  },
};
const DIAGNOSTICS_ROWS: Row[] = [
  row("new HessianVectorProduct", "a grad that is not a function", ValueError, /Invalid grad: g/, (f) => new HessianVectorProduct(f.rt, "g" as never, 2)),
  row("new HessianVectorProduct", "n = 0", ValueError, /Invalid n: 0/, (f) => new HessianVectorProduct(f.rt, f.rosen, 0)),
  row("new HessianVectorProduct", "an objective of another size", ShapeError, /n is 3 but the objective has 2 variables/, (f) => new HessianVectorProduct(f.rt, f.quad, 3)),
  row("new HessianVectorProduct", "an objective of another runtime", ValueError, /the objective lives in another runtime/, (f) => new HessianVectorProduct(f.other, f.quad, 2)),
  row("new HessianVectorProduct", "an unknown option", ValueError, /Invalid options for HessianVectorProduct: unknown option 'step'/, (f) => new HessianVectorProduct(f.rt, f.rosen, 2, { step: 1 } as never)),
  row("new HessianVectorProduct", "relativeStep 0", ValueError, /Invalid relativeStep: 0/, (f) => new HessianVectorProduct(f.rt, f.rosen, 2, { relativeStep: 0 })),
  row("new HessianVectorProduct", "null options", ValueError, /Invalid options: null/, (f) => new HessianVectorProduct(f.rt, f.rosen, 2, null as never)),
  row("new HessianVectorProduct", "not a runtime", ValueError, /Invalid runtime/, (f) => new HessianVectorProduct(JUNK, f.rosen, 2)),
  row("HessianVectorProduct.apply", "x of the wrong length", ShapeError, /x has 3 values \(expected 2\)/, (_f, hvp) => hvp.apply([1, 2, 3], [1, 0]), withHvp),
  row("HessianVectorProduct.apply", "v holding NaN", ValueError, /Invalid v\[1\]: NaN/, (_f, hvp) => hvp.apply([1, 2], [1, Number.NaN]), withHvp),
  row("HessianVectorProduct.apply", "v that is not an array", ValueError, /Invalid v: 3/, (_f, hvp) => hvp.apply([1, 2], 3 as never), withHvp),
  row("HessianVectorProduct.apply", "an out of the wrong length", ShapeError, /out must be a Float64Array of length 2/, (_f, hvp) => hvp.apply([1, 2], [1, 0], new Float64Array(3)), withHvp),
  row("HessianVectorProduct.apply", "a disposed tensor x", DisposedError, /used after dispose/, (f, hvp) => hvp.apply(f.disposed, [1, 0]), withHvp),
  row("HessianVectorProduct.apply", "a tensor of another runtime", ValueError, /belongs to another runtime/, (f, hvp) => hvp.apply(f.foreign, [1, 0]), withHvp),
  row("HessianVectorProduct.apply", "a disposed product", DisposedError, /HessianVectorProduct was used after dispose/, (_f, hvp) => hvp.apply([1, 2], [1, 0]), withDisposedHvp),
  row("HessianVectorProduct.dispose", "a second dispose", DisposedError, /HessianVectorProduct was used after dispose/, (_f, hvp) => hvp.dispose(), withDisposedHvp),
  ...each("not a HessianVectorProduct", ValueError, /Invalid hvp: \[object Object\]/, {
    hessianEigenvalues: () => hessianEigenvalues(JUNK, [1, 2]),
    classifyCriticalPoint: () => classifyCriticalPoint(JUNK, [1, 2]),
  }),
  row("hessianEigenvalues", "more steps than variables", ValueError, /Invalid steps: 3 \(expected an integer >= 1 and <= 2\)/, (_f, hvp) => hessianEigenvalues(hvp, [1, 1], { steps: 3 }), withHvp),
  row("hessianEigenvalues", "a negative seed", ValueError, /Invalid seed: -1/, (_f, hvp) => hessianEigenvalues(hvp, [1, 1], { seed: -1 }), withHvp),
  row("hessianEigenvalues", "an unknown option", ValueError, /Invalid options for hessianEigenvalues: unknown option 'k'/, (_f, hvp) => hessianEigenvalues(hvp, [1, 1], { k: 2 } as never), withHvp),
  row("hessianEigenvalues", "x of the wrong length", ShapeError, /x has 1 values \(expected 2\)/, (_f, hvp) => hessianEigenvalues(hvp, [1]), withHvp),
  row("hessianEigenvalues", "a disposed product", DisposedError, /used after dispose/, (_f, hvp) => hessianEigenvalues(hvp, [1, 1]), withDisposedHvp),
  row("classifyCriticalPoint", "tol 1", ValueError, /Invalid tol: 1/, (_f, hvp) => classifyCriticalPoint(hvp, [1, 1], { tol: 1 }), withHvp),
  row("classifyCriticalPoint", "a negative atol", ValueError, /Invalid atol: -1/, (_f, hvp) => classifyCriticalPoint(hvp, [1, 1], { atol: -1 }), withHvp),
  row("classifyCriticalPoint", "a NaN gtol", ValueError, /Invalid gtol: NaN/, (_f, hvp) => classifyCriticalPoint(hvp, [1, 1], { gtol: Number.NaN }), withHvp),
  row("classifyCriticalPoint", "an unknown option", ValueError, /Invalid options for classifyCriticalPoint: unknown option 'rtol'/, (_f, hvp) => classifyCriticalPoint(hvp, [1, 1], { rtol: 1 } as never), withHvp),
  row("classifyCriticalPoint", "x holding Infinity", ValueError, /Invalid x\[0\]: Infinity/, (_f, hvp) => classifyCriticalPoint(hvp, [Infinity, 1]), withHvp),
  row("classifyCriticalPoint", "null options", ValueError, /Invalid options: null/, (_f, hvp) => classifyCriticalPoint(hvp, [1, 1], null as never), withHvp),
];

// Whitening: rows that need a fitted one get it from `withWhitening` (fitted on m23d, freed after the row).
const withWhitening: Partial<Row> = {
  prepare: (f) => new Whitening(f.m23d),
  undo: (_f, white) => white.dispose(),
};
const WHITENING_ROWS: Row[] = [
  row("new Whitening", "an f32 dataset", ShapeError, /expected dtype 'f64'/, (f) => new Whitening(f.m23 as never)),
  row("new Whitening", "a vector", ShapeError, /expected a non-empty matrix/, (f) => new Whitening(f.v3d as never)),
  row("new Whitening", "a disposed dataset", DisposedError, /used after dispose/, (f) => new Whitening(f.disposed as never)),
  row("new Whitening", "not a tensor", ValueError, /Invalid x/, () => new Whitening(JUNK)),
  row("new Whitening", "an unknown method", ValueError, /Invalid method: pcaa/, (f) => new Whitening(f.m23d, { method: "pcaa" as never })),
  row("new Whitening", "a negative epsilon", ValueError, /Invalid epsilon: -1/, (f) => new Whitening(f.m23d, { epsilon: -1 })),
  row("new Whitening", "fewer ZCA components than features", ValueError, /Invalid components: 2 \(ZCA keeps all 3/, (f) => new Whitening(f.m23d, { components: 2 })),
  row("new Whitening", "more PCA components than features", ValueError, /Invalid components: 4/, (f) => new Whitening(f.m23d, { method: "pca", components: 4 })),
  row("new Whitening", "an unknown option", ValueError, /Invalid options for Whitening: unknown option 'eps'/, (f) => new Whitening(f.m23d, { eps: 1 } as never)),
  row("new Whitening", "null options", ValueError, /Invalid options: null/, (f) => new Whitening(f.m23d, null as never)),
  row("Whitening.transform", "columns that do not fit", ShapeError, /x has 2 columns \(expected 3\)/, (_f, p) => p.white.transform(p.m22), {
    prepare: (f) => ({ white: new Whitening(f.m23d), m22: f.rt.tensor([2, 2], { dtype: "f64" }) }),
    undo: (_f, p) => p.white.dispose(),
  }),
  row("Whitening.transform", "an out of the wrong shape", ShapeError, /out has shape \[2, 2\] \(expected \[2, 3\]\)/, (f, p) => p.white.transform(f.m23d, p.m22), {
    prepare: (f) => ({ white: new Whitening(f.m23d), m22: f.rt.tensor([2, 2], { dtype: "f64" }) }),
    undo: (_f, p) => p.white.dispose(),
  }),
  row("Whitening.transform", "a vector out", ShapeError, /Invalid out: .* \(expected a non-empty matrix/, (f, white) => white.transform(f.m23d, f.v3d), withWhitening),
  row("Whitening.transform", "a dataset of another runtime", ValueError, /belongs to another runtime/, (f, white) => white.transform(f.foreign as never), withWhitening),
  row("Whitening.inverseTransform", "out aliasing y", ValueError, /out overlaps y/, (f, white) => white.inverseTransform(f.m23d, f.m23d), withWhitening),
  row("Whitening.inverseTransform", "an f32 y", ShapeError, /expected dtype 'f64'/, (f, white) => white.inverseTransform(f.m23 as never), withWhitening),
  row("Whitening.dispose", "a second dispose", DisposedError, /Whitening was used after dispose/, (_f, white) => white.dispose(), {
    prepare: (f) => {
      const white = new Whitening(f.m23d);
      white.dispose();
      return white;
    },
  }),
];

// EarlyStopping on the fixture's SGD (which has stepped): `withStopper` makes one with two evaluations recorded.
const withStopper: Partial<Row> = {
  prepare: (f) => {
    const stopper = new EarlyStopping(f.sgd.opt, { patience: 3 });
    stopper.step(2);
    stopper.step(3);
    return stopper;
  },
  undo: (_f, stopper) => stopper.dispose(),
};
const disposedStopper: Partial<Row> = {
  prepare: (f) => {
    const stopper = new EarlyStopping(f.sgd.opt);
    stopper.dispose();
    return stopper;
  },
};
const EARLY_STOPPING_ROWS: Row[] = [
  row("new EarlyStopping", "not an optimizer", ValueError, /Invalid optimizer/, () => new EarlyStopping(JUNK)),
  row("new EarlyStopping", "patience 0", ValueError, /Invalid patience: 0/, (f) => new EarlyStopping(f.sgd.opt, { patience: 0 })),
  row("new EarlyStopping", "a negative minDelta", ValueError, /Invalid minDelta: -1/, (f) => new EarlyStopping(f.sgd.opt, { minDelta: -1 })),
  row("new EarlyStopping", "an unknown mode", ValueError, /Invalid mode: down/, (f) => new EarlyStopping(f.sgd.opt, { mode: "down" as never })),
  row("new EarlyStopping", "a non-boolean restoreBest", ValueError, /Invalid restoreBest: 1/, (f) => new EarlyStopping(f.sgd.opt, { restoreBest: 1 as never })),
  row("new EarlyStopping", "an unknown option", ValueError, /Invalid options for EarlyStopping: unknown option 'restore'/, (f) => new EarlyStopping(f.sgd.opt, { restore: true } as never)),
  row("new EarlyStopping", "null options", ValueError, /Invalid options: null/, (f) => new EarlyStopping(f.sgd.opt, null as never)),
  row("EarlyStopping.step", "a string metric", ValueError, /Invalid metric: 0.5/, (_f, stopper) => stopper.step("0.5"), withStopper),
  row("EarlyStopping.step", "after dispose", DisposedError, /EarlyStopping was used after dispose/, (_f, stopper) => stopper.step(1), disposedStopper),
  row("EarlyStopping.restore", "after dispose", DisposedError, /EarlyStopping was used after dispose/, (_f, stopper) => stopper.restore(), disposedStopper),
  row("EarlyStopping.stateDict", "after dispose", DisposedError, /EarlyStopping was used after dispose/, (_f, stopper) => stopper.stateDict(), disposedStopper),
  row("EarlyStopping.dispose", "a second dispose", DisposedError, /EarlyStopping was used after dispose/, (_f, stopper) => stopper.dispose(), disposedStopper),
  row("EarlyStopping.loadStateDict", "not a state", StateError, /expected an object from stateDict/, (_f, stopper) => stopper.loadStateDict(3), withStopper),
  row("EarlyStopping.loadStateDict", "another version", StateError, /Unsupported EarlyStopping state version: 9/, (_f, stopper) => stopper.loadStateDict({ ...stopper.stateDict(), version: 9 }), withStopper),
  row("EarlyStopping.loadStateDict", "params of the wrong count", StateError, /params must hold 2 arrays/, (_f, stopper) => stopper.loadStateDict({ ...stopper.stateDict(), params: [] }), withStopper),
  row("EarlyStopping.loadStateDict", "another optimizer's state", StateError, /Invalid EarlyStopping state: optimizer:/, (f, stopper) => stopper.loadStateDict({ ...stopper.stateDict(), optimizer: f.adam.opt.stateDict() }), withStopper),
];

// Running training: the learning-rate range test on the fixture's SGD, rejected before any trial step.
const lossOfSgd = (f: Fixture) => () => (f.sgd.w.grad.fill(0.1), 1);
/** A SwitchingOptimizer from SGD to Adam over the fixture's SGD params, one step taken (its optimizers are its own). */
const switching = (f: Fixture) =>
  new SwitchingOptimizer(new api.SGD(f.rt, [f.sgd.w, f.sgd.b], { momentum: 0.9 }), new api.Adam(f.rt, [f.sgd.w, f.sgd.b]), { at: 1 });
const withPair: Partial<Row> = {
  prepare: (f) => [new api.SGD(f.rt, [f.sgd.w, f.sgd.b]), new api.Adam(f.rt, [f.sgd.w, f.sgd.b])],
  undo: (_f, pair) => pair.forEach((o: { dispose(): void }) => o.dispose()),
};
const withSwitching: Partial<Row> = {
  prepare: (f) => {
    const s = switching(f);
    s.step();
    return s;
  },
  undo: (_f, s) => s.dispose(),
};
const disposedSwitching: Partial<Row> = {
  prepare: (f) => {
    const s = switching(f);
    s.dispose();
    return s;
  },
};
const TRAINING_ROWS: Row[] = [
  row("lrRangeTest", "not an optimizer", ValueError, /Invalid optimizer/, () => lrRangeTest(JUNK, () => 0)),
  row("lrRangeTest", "lossAndGrad not a function", ValueError, /Invalid lossAndGrad: 3/, (f) => lrRangeTest(f.sgd.opt, 3 as never)),
  row("lrRangeTest", "minLr = maxLr", ValueError, /Invalid maxLr: 1 \(expected a finite number > 1\)/, (f) => lrRangeTest(f.sgd.opt, lossOfSgd(f), { minLr: 1, maxLr: 1 })),
  row("lrRangeTest", "2 steps", ValueError, /Invalid steps: 2/, (f) => lrRangeTest(f.sgd.opt, lossOfSgd(f), { steps: 2 })),
  row("lrRangeTest", "smoothing 1", ValueError, /Invalid smoothing: 1/, (f) => lrRangeTest(f.sgd.opt, lossOfSgd(f), { smoothing: 1 })),
  row("lrRangeTest", "divergence 1", ValueError, /Invalid divergence: 1/, (f) => lrRangeTest(f.sgd.opt, lossOfSgd(f), { divergence: 1 })),
  row("lrRangeTest", "an unknown rule", ValueError, /Invalid rule: fast/, (f) => lrRangeTest(f.sgd.opt, lossOfSgd(f), { rule: "fast" as never })),
  row("lrRangeTest", "an unknown option", ValueError, /unknown option 'max_lr'/, (f) => lrRangeTest(f.sgd.opt, lossOfSgd(f), { max_lr: 1 } as never)),
  row("lrRangeTest", "a buffer of another runtime", ValueError, /buffers\[0\]/, (f) => lrRangeTest(f.sgd.opt, lossOfSgd(f), { buffers: [f.foreign] })),
  row("lrRangeChart", "not a result", ValueError, /Invalid result/, () => lrRangeChart({ lrs: [1] } as never)),
  row("new SwitchingOptimizer", "not an optimizer", ValueError, /Invalid first/, (f) => new SwitchingOptimizer(JUNK, f.sgd.opt, { at: 1 })),
  row("new SwitchingOptimizer", "optimizers over other params", ValueError, /must hold the same params/, (f) => new SwitchingOptimizer(f.sgd.opt, f.adam.opt, { at: 1 })),
  row("new SwitchingOptimizer", "the same optimizer twice", ValueError, /it is the first optimizer/, (f) => new SwitchingOptimizer(f.sgd.opt, f.sgd.opt, { at: 1 })),
  row("new SwitchingOptimizer", "both at and when", ValueError, /exactly one of at and when/, (_f, [a, b]) => new SwitchingOptimizer(a, b, { at: 1, when: () => true }), withPair),
  row("new SwitchingOptimizer", "a negative at", ValueError, /Invalid at: -1/, (_f, [a, b]) => new SwitchingOptimizer(a, b, { at: -1 }), withPair),
  row("new SwitchingOptimizer", "an unknown option", ValueError, /unknown option 'after'/, (_f, [a, b]) => new SwitchingOptimizer(a, b, { after: 1 } as never), withPair),
  row("SwitchingOptimizer.loadStateDict", "an unknown active optimizer", StateError, /active is third/, (_f, s) => s.loadStateDict({ ...s.stateDict(), active: "third" }), withSwitching),
  row("SwitchingOptimizer.loadStateDict", "a state of another optimizer inside", StateError, /first: Cannot load state/, (f, s) => s.loadStateDict({ ...s.stateDict(), first: f.rms.opt.stateDict() }), withSwitching),
  row("SwitchingOptimizer.loadStateDict", "another version", StateError, /Unsupported SwitchingOptimizer state version: 2/, (_f, s) => s.loadStateDict({ ...s.stateDict(), version: 2 }), withSwitching),
  row("SwitchingOptimizer.step", "after dispose", DisposedError, /SwitchingOptimizer was used after dispose/, (_f, s) => s.step(), disposedSwitching),
  row("SwitchingOptimizer.zeroGrad", "after dispose", DisposedError, /SwitchingOptimizer was used after dispose/, (_f, s) => s.zeroGrad(), disposedSwitching),
  row("SwitchingOptimizer.stateDict", "after dispose", DisposedError, /SwitchingOptimizer was used after dispose/, (_f, s) => s.stateDict(), disposedSwitching),
  row("SwitchingOptimizer.dispose", "a second dispose", DisposedError, /SwitchingOptimizer was used after dispose/, (_f, s) => s.dispose(), disposedSwitching),
  row("SwitchingOptimizer.lr=", "a negative rate", ValueError, /Invalid lr: -1/, (_f, s) => (s.lr = -1), withSwitching),
  row("freeze", "not a layer or params", ValueError, /Invalid target/, () => freeze(JUNK)),
  row("freeze", "an array holding a tensor", ValueError, /Invalid target/, (f) => freeze([f.sgd.w, f.m23] as never)),
  row("unfreeze", "not a layer or params", ValueError, /Invalid target/, () => unfreeze(null as never)),
];

/** Junk where the types say otherwise, misspelt option keys, and a disposed runtime. */
const API_SAFETY_ROWS: Row[] = [
  row("Runtime.fromArray", "null values", ValueError, /Invalid values: null/, (f) => f.rt.fromArray(null as never)),
  row("Tensor.set", "null", ValueError, /Invalid values: null/, (f) => f.m23.set(null as never)),
  row("Tensor.set", "a BigInt64Array", ValueError, /Invalid values: BigInt64Array/, (f) => f.v2.set(new BigInt64Array(2) as never)),
  row("Tensor.set", "an array with a bigint last", ValueError, /Invalid values\[2\]: 3n \(expected a number\)/, (f) => f.v3.set([7, 7, 3n] as never)),
  row("Runtime.fromArray", "a string", ValueError, /Invalid values: abc/, (f) => f.rt.fromArray("abc" as never, [3])),
  row("gradNorm", "null", ValueError, /Invalid params: null/, () => gradNorm(null as never)),
  row("new Scheduler", "a null optimizer", ValueError, /Invalid optimizer/, () => new Scheduler(null as never, { lr: constantSchedule(1) })),
  row("new ReduceOnPlateau", "a null optimizer", ValueError, /Invalid optimizer/, () => new ReduceOnPlateau(null as never)),
  row("computeFans", "null", ShapeError, /Invalid shape null/, () => computeFans(null as never)),
  row("joinSchedules", "null boundaries", ValueError, /Invalid boundaries: null/, () => joinSchedules([constantSchedule(1), constantSchedule(2)], null as never)),
  row("gemm", "a null C", ValueError, /Invalid C: null/, (f) => gemm(f.m22, f.m22, null as never)),
  row("Runtime.scope", "an async function", ValueError, /synchronous functions only/, (f) => f.rt.scope((async () => 1) as never)),
  row("Runtime.scope", "a returned promise", ValueError, /synchronous functions only/, (f) => f.rt.scope(() => Promise.resolve(1))),
  row("initSync", "a misspelt option", ValueError, /unknown option 'backnd' \(did you mean 'backend'\?\)/, () => initSync({ backnd: "js" } as never)),
  row("Runtime.tensor", "a misspelt option", ValueError, /unknown option 'dtpye' \(did you mean 'dtype'\?\)/, (f) => f.rt.tensor([2], { dtpye: "f64" } as never)),
  row("new BatchNorm", "a misspelt option", ValueError, /Invalid options for BatchNorm: unknown option 'momentun' \(did you mean 'momentum'\?\)/, (f) => new BatchNorm(f.rt, 2, { momentun: 0.1 } as never)),
  row("gemm", "a misspelt option", ValueError, /unknown option 'transa' \(did you mean 'transA'\?\)/, (f) => gemm(f.m22, f.m22, f.plain, { transa: true } as never)),
  row("new Adam", "PyTorch's betas", ValueError, /unknown option 'betas' \(did you mean beta1\/beta2 \(PyTorch's betas\)\?\)/, (f) => new api.Adam(f.rt, [f.adam.w], { betas: [0.9, 0.99] } as never)),
  row("Runtime.tensor", "a disposed runtime", DisposedError, /Runtime\(\w+\) was used after dispose/, (f) => disposedRuntime(f.rt).tensor([2])),
  row("Tensor.data", "a tensor of a disposed runtime", DisposedError, /used after its runtime's dispose/, (f) => {
    const rt = initSync({ backend: f.rt.backend === "js" ? jsBackend : "wasm" });
    const t = rt.tensor([2]);
    rt.dispose();
    return t.data;
  }),
];

function disposedRuntime(like: Runtime): Runtime {
  const rt = initSync({ backend: like.backend === "js" ? jsBackend : "wasm" });
  rt.dispose();
  return rt;
}

/** Runs one call of a differentiated function whose first op fails (so nothing is allocated). */
const differentiate = (f: Fixture, fn: (ops: Ops) => unknown) => valueAndGrad(f.rt, fn as (ops: Ops) => Tensor)();
let keptOps: Ops | null = null;
/** One exact Hessian-vector product of `fn` in Adam's f32 weight along `directions` (the step freed after). */
const curvature = (f: Fixture, fn: (ops: Ops) => unknown, directions: unknown = [f.adam.w.grad]) => {
  const step = hessianVectorProduct(f.rt, fn as (ops: Ops) => Tensor, [f.adam.w]);
  try {
    return step(directions as Tensor<"f32">[]);
  } finally {
    step.dispose();
  }
};

const AUTODIFF_ROWS: Row[] = [
  row("hessianVectorProduct", "not a runtime", ValueError, /Invalid runtime/, (f) => hessianVectorProduct(JUNK, () => f.v3, [])),
  row("hessianVectorProduct", "fn that is not a function", ValueError, /Invalid fn: 3 \(expected a function\)/, (f) => hessianVectorProduct(f.rt, 3 as never, [])),
  row("hessianVectorProduct", "params that are not an array", ValueError, /Invalid params: w \(expected an array of f32 Params\)/, (f) => hessianVectorProduct(f.rt, () => f.v3, "w" as never)),
  row("hessianVectorProduct", "a plain tensor for a param", ValueError, /Invalid params\[0\]: expected an f32 Param/, (f) => hessianVectorProduct(f.rt, () => f.v3, [f.m23 as never])),
  row("hessianVectorProduct", "an f64 param", ValueError, /Invalid params\[0\]: expected an f32 Param/, (f) => hessianVectorProduct(f.rt, () => f.v3, [f.adam.b])),
  row("hessianVectorProduct", "a param listed twice", ValueError, /is listed twice/, (f) => hessianVectorProduct(f.rt, () => f.v3, [f.adam.w, f.adam.w])),
  row("hessianVectorProduct", "a param of another runtime", ValueError, /belongs to another runtime/, (f) => hessianVectorProduct(f.rt, () => f.v3, [f.foreignParam as never])),
  row("hessianVectorProduct", "an op without an exact rule", ValueError, /ops\.gelu has no exact Hessian-vector rule/, (f) => curvature(f, (ops) => ops.sum(ops.gelu(f.adam.w)))),
  row("hessianVectorProduct", "directions of another shape", ShapeError, /Invalid directions\[0\]/, (f) => curvature(f, (ops) => ops.sum(f.adam.w), [f.m23])),
  row("hessianVectorProduct", "one direction too many", ShapeError, /expected an array of 1 f32 tensors/, (f) => curvature(f, (ops) => ops.sum(f.adam.w), [f.adam.w.grad, f.adam.w.grad])),
  row("tapeObjective", "not a runtime", ValueError, /Invalid runtime/, (f) => tapeObjective(JUNK, () => f.v3, [])),
  row("tapeObjective", "a param listed twice", ValueError, /is listed twice/, (f) => tapeObjective(f.rt, () => f.v3, [f.adam.w, f.adam.w])),
  row("valueAndGrad", "not a runtime", ValueError, /Invalid runtime/, () => valueAndGrad(JUNK, () => null as never)),
  row("valueAndGrad", "fn that is not a function", ValueError, /Invalid fn: 3 \(expected a function\)/, (f) => valueAndGrad(f.rt, 3 as never)),
  row("valueAndGrad", "a loss that is not a tensor", ValueError, /Invalid loss: 1 \(expected a Tensor\)/, (f) => differentiate(f, () => 1)),
  row("valueAndGrad", "a loss no op returned", ValueError, /expected a tensor returned by an op of this call/, (f) => differentiate(f, () => f.v3)),
  row("valueAndGrad", "the step called from its own function", StateError, /called from inside its own function/, (f) => {
    const step: () => number = valueAndGrad(f.rt, () => (step(), f.v3));
    return step();
  }),
  row("valueAndGrad", "ops kept past their call", StateError, /Ops can only be used inside the function/, (f) => keptOps!.relu(f.v3), {
    prepare: (f) => expect(() => differentiate(f, (ops) => { keptOps = ops; throw new Error("stop"); })).toThrow("stop"),
  }),
  row("valueAndGrad", "matmul with inner dimensions that differ", ShapeError, /inner dimensions differ \(3 and 2\)/, (f) => differentiate(f, (ops) => ops.matmul(f.m23, f.m23))),
  row("valueAndGrad", "matmul with a bias of the wrong length", ShapeError, /bias has 3 values, expected 2/, (f) => differentiate(f, (ops) => ops.matmul(f.m23, f.m32, { bias: f.v3 }))),
  row("valueAndGrad", "matmul with a non-boolean relu", ValueError, /Invalid relu: yes/, (f) => differentiate(f, (ops) => ops.matmul(f.m23, f.m32, { relu: "yes" as never }))),
  row("valueAndGrad", "a vector for matmul", ShapeError, /expected rank 2/, (f) => differentiate(f, (ops) => ops.matmul(f.v3, f.m32))),
  row("valueAndGrad", "a disposed param", DisposedError, /used after dispose/, (f) => differentiate(f, (ops) => ops.sum(f.disposedParam as never))),
  row("valueAndGrad", "a tensor of another runtime", ValueError, /belongs to another runtime/, (f) => differentiate(f, (ops) => ops.relu(f.foreign32))),
  row("valueAndGrad", "an f64 tensor", ShapeError, /expected dtype 'f32'/, (f) => differentiate(f, (ops) => ops.tanh(f.m23d as never))),
  row("valueAndGrad", "a string for a tensor", ValueError, /Invalid a: x \(expected a Tensor\)/, (f) => differentiate(f, (ops) => ops.sigmoid("x" as never))),
  row("valueAndGrad", "add of shapes that do not broadcast", ShapeError, /must have the shape of a \[3\] or of its trailing dimensions/, (f) => differentiate(f, (ops) => ops.add(f.v3, f.m23))),
  row("valueAndGrad", "mse of two shapes", ShapeError, /must have one shape/, (f) => differentiate(f, (ops) => ops.mse(f.m23, f.m32))),
  row("valueAndGrad", "scale by NaN", ValueError, /Invalid c: NaN/, (f) => differentiate(f, (ops) => ops.scale(f.v3, Number.NaN))),
  row("valueAndGrad", "the mean of nothing", ShapeError, /the input is empty/, (f) => differentiate(f, (ops) => ops.mean(f.empty03))),
  row("valueAndGrad", "a label outside [0, classes)", ValueError, /Invalid label 3 at row 1 \(expected 0 <= label < 3\)/, (f) => differentiate(f, (ops) => ops.softmaxCrossEntropy(f.m23, f.badLabels))),
  row("valueAndGrad", "f32 labels", ShapeError, /expected \[2\] i32 labels/, (f) => differentiate(f, (ops) => ops.softmaxCrossEntropy(f.m23, f.v2 as never))),
  row("valueAndGrad", "sub of shapes that do not broadcast", ShapeError, /sub: b \[2, 3\] must have the shape of a \[3\]/, (f) => differentiate(f, (ops) => ops.sub(f.v3, f.m23))),
  row("valueAndGrad", "mul of shapes that do not broadcast", ShapeError, /mul: b \[2\] must have the shape of a \[2, 3\]/, (f) => differentiate(f, (ops) => ops.mul(f.m23, f.v2))),
  row("valueAndGrad", "div of shapes that do not broadcast", ShapeError, /div: b \[3, 2\] must have the shape of a \[2, 3\]/, (f) => differentiate(f, (ops) => ops.div(f.m23, f.m32))),
  row("valueAndGrad", "gelu with an unknown approximation", ValueError, /Invalid approximate: erf \(expected 'none' or 'tanh'\)/, (f) => differentiate(f, (ops) => ops.gelu(f.v3, { approximate: "erf" as never }))),
  row("valueAndGrad", "softmax of a string", ValueError, /Invalid a: x \(expected a Tensor\)/, (f) => differentiate(f, (ops) => ops.softmax("x" as never))),
  row("valueAndGrad", "logSoftmax of an f64 tensor", ShapeError, /expected dtype 'f32'/, (f) => differentiate(f, (ops) => ops.logSoftmax(f.m23d as never))),
  row("valueAndGrad", "dropout with p above 1", ValueError, /Invalid p: 2/, (f) => differentiate(f, (ops) => ops.dropout(f.v3, { p: 2 }))),
  row("valueAndGrad", "dropout with a fractional seed", ValueError, /Invalid seed: 0.5/, (f) => differentiate(f, (ops) => ops.dropout(f.v3, { seed: 0.5 }))),
  row("valueAndGrad", "dropout with a non-boolean training", ValueError, /Invalid training: 1/, (f) => differentiate(f, (ops) => ops.dropout(f.v3, { training: 1 as never }))),
  row("valueAndGrad", "embedding of an id outside [0, vocab)", ValueError, /Invalid id 2 at position 1 \(expected 0 <= id < 2\)/, (f) => differentiate(f, (ops) => ops.embedding(f.m23, Int32Array.of(1, 2)))),
  row("valueAndGrad", "embedding of f32 ids", ShapeError, /embedding: expected i32 ids/, (f) => differentiate(f, (ops) => ops.embedding(f.m23, f.v2 as never))),
  row("valueAndGrad", "embedding of ids that are an array", ValueError, /Invalid ids: 0 \(expected an i32 Tensor or an Int32Array\)/, (f) => differentiate(f, (ops) => ops.embedding(f.m23, [0] as never))),
  row("valueAndGrad", "slice past the end of the axis", ValueError, /Invalid end: 4/, (f) => differentiate(f, (ops) => ops.slice(f.m23, 1, 0, 4))),
  row("valueAndGrad", "slice of an axis the tensor lacks", ValueError, /Invalid axis: -3/, (f) => differentiate(f, (ops) => ops.slice(f.m23, -3, 0, 1))),
  row("valueAndGrad", "concat of tensors that do not fit", ShapeError, /concat: tensors\[1\] \[3, 2\] does not fit/, (f) => differentiate(f, (ops) => ops.concat([f.m23, f.m32]))),
  row("valueAndGrad", "concat of nothing", ValueError, /expected a non-empty array of tensors/, (f) => differentiate(f, (ops) => ops.concat([]))),
  row("valueAndGrad", "transpose of a vector", ShapeError, /transpose: expected rank 2 or 3/, (f) => differentiate(f, (ops) => ops.transpose(f.v3))),
];

/** Sets `values` on the first group of an optimizer under test before the row, restores them after. */
const onGroup = (pick: (f: Fixture) => OptimizerUnderTest, values: Record<string, unknown>) => ({
  prepare: (f: Fixture) => {
    const group = pick(f).opt.paramGroups[0]! as Record<string, unknown>;
    const old = Object.fromEntries(Object.keys(values).map((k) => [k, group[k]]));
    Object.assign(group, values);
    return old;
  },
  undo: (f: Fixture, old: Record<string, unknown>) => Object.assign(pick(f).opt.paramGroups[0]!, old),
});

// The formula-variant options (momentumForm 'ema', eps = 0 for RMSProp, Adam's epsPlacement,
// biasCorrection and amsgradMax 'fed-back'), at construction and set on a live group.
const OPTIMIZER_VARIANT_ROWS: Row[] = [
  row("new SGD", "momentumForm 'ema' with dampening", ValueError, /Invalid dampening: 0.5 \(momentumForm 'ema'/, (f) => new api.SGD(f.rt, [f.sgd.w], { momentum: 0.9, momentumForm: "ema", dampening: 0.5 })),
  row("new RMSProp", "eps = 0 with centered", ValueError, /Invalid eps: 0 \(expected > 0 with centered: true/, (f) => new api.RMSProp(f.rt, [f.rms.w], { eps: 0, centered: true })),
  row("new Adam", "an unknown amsgradMax", ValueError, /Invalid amsgradMax: fed \(expected 'raw' or 'corrected' or 'fed-back'\)/, (f) => new api.Adam(f.rt, [f.adam.w], { amsgradMax: "fed" as never })),
  row("SGD.step", "momentumForm 'ema' set with momentum 1", ValueError, /Invalid momentum: 1 \(expected a finite number >= 0 and < 1\)/, (f) => f.sgd.opt.step(), onGroup((f) => f.sgd, { momentumForm: "ema", momentum: 1 })),
  row("RMSProp.step", "eps = 0 set on a centered group", ValueError, /Invalid eps: 0 \(expected > 0 with centered/, (f) => f.rms.opt.step(), onGroup((f) => f.rms, { eps: 0 })),
  row("Adam.step", "an unknown epsPlacement set on a group", ValueError, /Invalid epsPlacement: root/, (f) => f.adam.opt.step(), onGroup((f) => f.adam, { epsPlacement: "root" })),
  row("Adam.step", "a non-boolean biasCorrection set on a group", ValueError, /Invalid biasCorrection: 1/, (f) => f.adam.opt.step(), onGroup((f) => f.adam, { biasCorrection: 1 })),
];

/** The trained network's state dict as plain values, to be spoiled one entry at a time. */
const netState = (f: Fixture) =>
  Object.fromEntries(Object.entries(f.net.stateDict()).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data) }]));

const MODULE_ROWS: Row[] = [
  row("new Residual", "f that is not a Module", ValueError, /Invalid f: 3 \(expected a Module\)/, () => new Residual(3 as never)),
  row("new Conv2d", "a kernel size of 0", ValueError, /kernelSize/, (f) => new Conv2d(f.rt, 1, 8, 0)),
  row("Module.loadStateDict", "a missing key", StateError, /missing key '2.bias'/, (f) => {
    const { ["2.bias"]: _bias, ...rest } = netState(f);
    f.net.loadStateDict(rest);
  }),
  row("Module.loadStateDict", "an unexpected key", StateError, /unexpected key '1.weight'/, (f) => f.net.loadStateDict({ ...netState(f), "1.weight": netState(f)["0.weight"]! })),
  row("Module.loadStateDict", "a transposed weight", StateError, /'0.weight' has shape \[4, 3\], expected \[3, 4\]/, (f) => f.net.loadStateDict(f.net.stateDict({ layout: "pytorch" }))),
  row("Module.loadStateDict", "another dtype", StateError, /'0.bias' has dtype f64, expected f32/, (f) => f.net.loadStateDict({ ...netState(f), "0.bias": { ...netState(f)["0.bias"]!, dtype: "f64" } })),
  row("Module.loadStateDict", "a NaN", NonFiniteError, /'2.bias' holds NaN at 1/, (f) => f.net.loadStateDict({ ...netState(f), "2.bias": { dtype: "f32", shape: [2], data: [0, Number.NaN] } })),
  row("Module.loadStateDict", "not an object", ValueError, /Invalid state: 3/, (f) => f.net.loadStateDict(3 as never)),
  row("Module.loadStateDict", "an unknown nonFinite", ValueError, /Invalid nonFinite: skip/, (f) => f.net.loadStateDict(netState(f), { nonFinite: "skip" as never })),
  row("Module.stateDict", "an unknown layout", ValueError, /Invalid layout: torch/, (f) => f.net.stateDict({ layout: "torch" as never })),
  row("Module.resetParameters", "a negative seed", ValueError, /Invalid seed: -1/, (f) => f.net.resetParameters(-1)),
  row("Module.train", "a mode that is not a boolean", ValueError, /Invalid mode: 1/, (f) => f.net.train(1 as never)),
  row("encodeSafetensors", "a u8 tensor", ValueError, /Invalid dtype of 'x': u8/, () => encodeSafetensors({ x: { dtype: "u8" as never, shape: [1], data: [1] } })),
  row("encodeSafetensors", "values that do not fill the shape", ValueError, /Invalid 'x': 1 values for shape \[2\]/, () => encodeSafetensors({ x: { dtype: "f32", shape: [2], data: [1] } })),
  row("encodeSafetensors", "metadata that is not strings", ValueError, /Invalid metadata/, () => encodeSafetensors({}, { n: 1 as never })),
  row("decodeSafetensors", "too few bytes", StateError, /fewer than the 8 of the header length/, () => decodeSafetensors(new Uint8Array(3))),
  row("decodeSafetensors", "a header past the end", StateError, /a header of 100 bytes in a file of 8/, () => decodeSafetensors(new Uint8Array([100, 0, 0, 0, 0, 0, 0, 0]))),
  row("saveCheckpoint", "a model that is not a Module", ValueError, /Invalid model: 3/, () => saveCheckpoint(3 as never)),
  row("saveCheckpoint", "an optimizer of other parameters", ValueError, /not a parameter of the model/, (f) => saveCheckpoint(f.net, { optimizer: f.opts[0]!.opt as never })),
  row("loadCheckpoint", "bytes that are not a file", StateError, /Cannot read safetensors/, (f) => loadCheckpoint(new Uint8Array(8), f.net)),
  row("loadCheckpoint", "a file of another model", StateError, /missing keys '0.weight'/, (f) => loadCheckpoint(encodeSafetensors({}), f.net)),
  row("loadCheckpoint", "not bytes", ValueError, /Invalid bytes: 3/, (f) => loadCheckpoint(3 as never, f.net)),
  row("Module.forward", "a module without forward(ops, x)", ValueError, /Module defines no forward\(ops, x\)/, (f) => new Module().forward(null as never, f.m23)),
];

// The convolution, pooling and normalization ops: each bad call throws before the tape writes.
const SPATIAL_OP_ROWS: Row[] = [
  row("valueAndGrad", "conv2d of a matrix", ShapeError, /Invalid x: .* \(expected rank 4\)/, (f) => differentiate(f, (ops) => ops.conv2d(f.m23, f.image))),
  row("valueAndGrad", "conv2d with a bias of the wrong length", ShapeError, /must have the weight's 2 output channels/, (f) => differentiate(f, (ops) => ops.conv2d(f.image, f.image, { bias: f.v3 }))),
  row("valueAndGrad", "conv2d with a window larger than the input", ShapeError, /does not fit the input/, (f) => differentiate(f, (ops) => ops.conv2d(f.image, f.image, { dilation: 2 }))),
  row("valueAndGrad", "conv2d with stride 0", ValueError, /Invalid stride: 0/, (f) => differentiate(f, (ops) => ops.conv2d(f.image, f.image, { stride: 0 }))),
  row("valueAndGrad", "conv2d with a misspelt option", ValueError, /strides/, (f) => differentiate(f, (ops) => ops.conv2d(f.image, f.image, { strides: 1 } as never))),
  row("valueAndGrad", "maxPool2d with padding over half the kernel", ValueError, /Invalid padding: 2 x 2/, (f) => differentiate(f, (ops) => ops.maxPool2d(f.image, 2, { padding: 2 }))),
  row("valueAndGrad", "avgPool2d with a kernel of 1.5", ValueError, /Invalid kernel: 1.5/, (f) => differentiate(f, (ops) => ops.avgPool2d(f.image, 1.5))),
  row("valueAndGrad", "flatten of a vector", ShapeError, /must have a batch dimension/, (f) => differentiate(f, (ops) => ops.flatten(f.v3))),
  row("valueAndGrad", "reshape to another element count", ShapeError, /Cannot view 3 elements as shape \[2, 2\]/, (f) => differentiate(f, (ops) => ops.reshape(f.v3, [2, 2]))),
  row("valueAndGrad", "batchNorm of a vector", ShapeError, /must be a non-empty \[N, C, \.\.\.\]/, (f) => differentiate(f, (ops) => ops.batchNorm(f.v3))),
  row("valueAndGrad", "batchNorm with runningMean alone", ValueError, /give runningMean and runningVar together/, (f) => differentiate(f, (ops) => ops.batchNorm(f.m23, { runningMean: f.v3 }))),
  row("valueAndGrad", "batchNorm with momentum 2", ValueError, /Invalid momentum: 2/, (f) => differentiate(f, (ops) => ops.batchNorm(f.m23, { momentum: 2 }))),
  row("valueAndGrad", "batchNorm with gamma of the wrong shape", ShapeError, /gamma .* must have shape \[3\]/, (f) => differentiate(f, (ops) => ops.batchNorm(f.m23, { gamma: f.v2 }))),
  row("valueAndGrad", "batchNorm with runningMean on gamma", ValueError, /runningMean overlaps gamma/, (f) => differentiate(f, (ops) => ops.batchNorm(f.m23, { gamma: f.v3, runningMean: f.v3, runningVar: f.u3 }))),
  row("valueAndGrad", "layerNorm over dimensions x does not end in", ShapeError, /must end in the dimensions \[2\]/, (f) => differentiate(f, (ops) => ops.layerNorm(f.m23, 2))),
  row("valueAndGrad", "groupNorm with groups that do not divide the channels", ValueError, /Invalid numGroups: 2/, (f) => differentiate(f, (ops) => ops.groupNorm(f.m23, 2))),
  row("valueAndGrad", "instanceNorm of one position per channel", ValueError, /more than 1 position per channel/, (f) => differentiate(f, (ops) => ops.instanceNorm(f.m23))),
  row("valueAndGrad", "layerNorm with eps 0", ValueError, /Invalid eps: 0/, (f) => differentiate(f, (ops) => ops.layerNorm(f.m23, 3, { eps: 0 }))),
];

const OPTIMIZER_ROWS = [...OPTIMIZERS.flatMap(optimizerRows), ...OPTIMIZER_VARIANT_ROWS];
const ROWS: Row[] = [...RUNTIME_ROWS, ...OPTIMIZER_ROWS, ...SCHEDULE_ROWS, ...LINALG_ROWS, ...NORM_ROWS, ...MINIMIZE_ROWS, ...INIT_ROWS, ...NN_ROWS, ...MODULE_ROWS, ...DIAGNOSTICS_ROWS, ...WHITENING_ROWS, ...EARLY_STOPPING_ROWS, ...TRAINING_ROWS, ...API_SAFETY_ROWS, ...AUTODIFF_ROWS, ...SPATIAL_OP_ROWS];


// ---------------------------------------------------------------------------------------------

describe("the snapshot helper", () => {
  it("names the first byte that changed, and a change in the statistics", () => {
    const rt = initSync({ backend: jsBackend });
    const t = rt.tensor([64]);
    const before = snapshot(rt);
    new Uint8Array(rt.memory.buffer)[t.ptr + 37] = 1;
    expect(() => expectUnchanged(rt, before)).toThrow(new RegExp(`memory changed at byte ${t.ptr + 37} `));
    new Uint8Array(rt.memory.buffer)[t.ptr + 37] = 0;
    expectUnchanged(rt, before);
    const extra = rt.tensor([1]);
    expect(() => expectUnchanged(rt, before)).toThrow(/memoryStats\(\) changed/);
    extra.dispose();
    t.dispose();
  });

  it("fails a call that throws another class, or nothing", () => {
    const rt = initSync({ backend: jsBackend });
    expect(() => expectThrowsUnchanged(rt, () => rt.tensor([-1]), ValueError, /shape/)).toThrow(/expected ValueError.*got ShapeError/);
    expect(() => expectThrowsUnchanged(rt, () => 1, ValueError, /x/)).toThrow(/nothing was thrown/);
  });
});

describeBackends("error contract", (rt) => {
  let f: Fixture;
  beforeAll(() => {
    f = buildFixture(rt);
  });
  afterAll(() => f.dispose());

  for (const c of ROWS) {
    const name = `${c.entry}: ${c.bad} -> ${c.error.name}`;
    if (c.async) {
      it(name, async () => {
        const prepared = c.prepare?.(f);
        try {
          const state = jsState(f);
          await expectRejectsUnchanged([f.rt, f.other], () => c.call(f, prepared) as Promise<unknown>, c.error, c.message);
          expect(jsState(f), "state held in JavaScript objects").toEqual(state);
        } finally {
          c.undo?.(f, prepared);
        }
      });
      continue;
    }
    it(name, () => {
      // Tensors the row prepares are freed when the scope ends, after the checks.
      rt.scope(() => {
        const prepared = c.prepare?.(f);
        try {
          const state = jsState(f);
          expectThrowsUnchanged([f.rt, f.other], () => c.call(f, prepared), c.error, c.message);
          expect(jsState(f), "state held in JavaScript objects").toEqual(state);
        } finally {
          c.undo?.(f, prepared);
        }
      });
    });
  }
});

/** Exports that cannot throw, with the reason. Error classes are recognized by their prototype. */
const CANNOT_THROW: Record<string, string> = {
  Runtime: "internal", // made by init() / initSync()
  Tensor: "internal", // made by rt.tensor() / rt.fromArray()
  Param: "internal", // made by rt.param()
  Optimizer: "abstract",
  NormModule: "abstract",
  RowNorm: "abstract",
  clipCoefficient: "arithmetic",
  groupNormStatsLength: "arithmetic",
  Module: "takes no arguments", // the base of user-defined models
  Flatten: "takes no arguments",
  MaxPool2d: "stores its sizes; ops.maxPool2d checks them in forward",
  threadCount: "total", // 1 for anything that is not a threaded runtime
};

/** Entries that name something other than an export: what exported factories return. */
const RETURNED = new Set(["Schedule", "Initializer", "Objective"]);

describe("the error table covers the public API", () => {
  const covered = new Set(ROWS.map((r) => r.entry));

  it("has a row for every exported function and class constructor, or says why it cannot throw", () => {
    const missing: string[] = [];
    for (const [name, value] of Object.entries(api)) {
      if (typeof value !== "function") continue;
      if (value.prototype instanceof Error || value === Error) continue;
      const isClass = /^class\b/.test(Function.prototype.toString.call(value));
      const key = isClass ? `new ${name}` : name;
      if (name in CANNOT_THROW) {
        expect(covered.has(key), `${key} is listed as unable to throw but has rows`).toBe(false);
        continue;
      }
      if (!covered.has(key)) missing.push(key);
    }
    expect(missing, "exports with no row in the error table").toEqual([]);
    for (const name of Object.keys(CANNOT_THROW)) expect(api, `CANNOT_THROW lists ${name}, which is not exported`).toHaveProperty(name);
  });

  it("names only methods and setters that exist", () => {
    for (const entry of covered) {
      const match = /^(\w+)\.(\w+)(=?)$/.exec(entry);
      if (!match) {
        const name = entry.replace(/^new /, "");
        if (!RETURNED.has(name)) expect(api, `${entry} is not an export`).toHaveProperty(name);
        continue;
      }
      const [, owner, member, setter] = match as unknown as [string, string, string, string];
      const cls = (api as Record<string, unknown>)[owner] as { prototype: object } & Record<string, unknown>;
      expect(cls, `${entry}: ${owner} is not exported`).toBeTypeOf("function");
      if (member in cls) continue; // a static method
      let descriptor: PropertyDescriptor | undefined;
      for (let p: object | null = cls.prototype; p && !descriptor; p = Object.getPrototypeOf(p)) descriptor = Object.getOwnPropertyDescriptor(p, member);
      expect(descriptor, `${entry}: no such member`).toBeDefined();
      if (setter) expect(descriptor!.set, `${entry}: not a setter`).toBeTypeOf("function");
      else expect(typeof descriptor!.value === "function" || typeof descriptor!.get === "function", `${entry}: not a method or getter`).toBe(true);
    }
  });
});
