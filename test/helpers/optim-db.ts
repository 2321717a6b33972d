// The optimizer test database (after torch's common_optimizers.OptimizerInfo): per optimizer,
// its constructor and the option sets the parity, state and error suites cross with both
// backends and dtypes. Adding a config here adds it to every suite.
import { AdaDelta, AdaGrad, Adam, Adamax, AdamW, DeltaBarDelta, NAdam, Optimizer, RMSProp, SGD } from "../../src/optim/index";
import type { Runtime } from "../../src/runtime/runtime";
import type { Param } from "../../src/runtime/tensor";

export type AnyOptimizer = Optimizer<any>;
type Make = (rt: Runtime, params: Param[], options: Record<string, unknown>) => AnyOptimizer;

export interface OptimizerInfo {
  name: string;
  make: Make;
  /** Option sets: every convention, every variant flag, and the prologue options. */
  configs: Array<{ desc: string; options: Record<string, unknown> }>;
  /** Options the constructor must reject: [description, options, message pattern]. */
  errors: Array<[string, Record<string, unknown>, RegExp]>;
}

const around = [
  { desc: "L2 decay, maximize", options: { weightDecay: 0.1, maximize: true } },
  { desc: "decoupled decay, clipValue", options: { weightDecay: 0.1, weightDecayMode: "decoupled", clipValue: 0.3 } },
  { desc: "L1 decay, clipNorm, global clip", options: { weightDecay: 0.01, weightDecayMode: "l1", clipNorm: 0.5, clipGlobalNorm: 1 } },
];

const commonErrors: OptimizerInfo["errors"] = [
  ["negative lr", { lr: -1e-3 }, /Invalid lr: -0.001/],
  ["NaN lr", { lr: Number.NaN }, /Invalid lr: NaN/],
  ["negative weightDecay", { weightDecay: -1 }, /Invalid weightDecay: -1/],
  ["unknown weightDecayMode", { weightDecayMode: "l3" }, /Invalid weightDecayMode: l3 \(expected 'l2' or 'decoupled' or 'l1'\)/],
  ["non-boolean maximize", { maximize: 1 }, /Invalid maximize: 1 \(expected true or false\)/],
  ["zero clipValue", { clipValue: 0 }, /Invalid clipValue: 0/],
  ["negative clipNorm", { clipNorm: -1 }, /Invalid clipNorm: -1/],
  ["NaN clipGlobalNorm", { clipGlobalNorm: Number.NaN }, /Invalid clipGlobalNorm: NaN/],
  ["unknown nonFinite", { nonFinite: "ignore" }, /Invalid nonFinite: ignore/],
  ["unknown convention", { convention: "keras" }, /Invalid convention: keras/],
  ["a misspelt option", { learningRate: 0.1 }, /unknown option 'learningRate'/],
];

const betaErrors: OptimizerInfo["errors"] = [
  ["beta1 = 1", { beta1: 1 }, /Invalid beta1: 1 \(expected a finite number >= 0 and < 1\)/],
  ["negative beta2", { beta2: -0.1 }, /Invalid beta2/],
  ["eps = 0", { eps: 0 }, /Invalid eps: 0/],
  ["infinite eps", { eps: Number.POSITIVE_INFINITY }, /Invalid eps/],
];

const TABLE: OptimizerInfo[] = [
  {
    name: "SGD",
    make: (rt, params, options) => new SGD(rt, params, options),
    configs: [
      { desc: "plain", options: { lr: 0.1 } },
      { desc: "pytorch momentum, dampening", options: { lr: 0.1, momentum: 0.9, dampening: 0.1 } },
      { desc: "pytorch nesterov", options: { lr: 0.1, momentum: 0.9, nesterov: true } },
      { desc: "book momentum", options: { convention: "book", lr: 0.1, momentum: 0.9 } },
      { desc: "book nesterov", options: { convention: "book", lr: 0.1, momentum: 0.9, nesterov: true } },
      { desc: "tfjs nesterov", options: { convention: "tfjs", lr: 0.1, momentum: 0.5, nesterov: true } },
      { desc: "ema momentum", options: { lr: 0.1, momentum: 0.9, momentumForm: "ema" } },
      { desc: "ema nesterov", options: { lr: 0.1, momentum: 0.9, momentumForm: "ema", nesterov: true } },
      ...around.map((a) => ({ desc: a.desc, options: { lr: 0.1, momentum: 0.9, ...a.options } })),
    ],
    errors: [
      ["negative momentum", { momentum: -0.5 }, /Invalid momentum: -0.5/],
      ["dampening 2", { dampening: 2 }, /Invalid dampening: 2/],
      ["nesterov without momentum", { nesterov: true }, /Invalid nesterov: true \(expected momentum > 0 and dampening = 0/],
      ["unknown momentumForm", { momentumForm: "inside" }, /Invalid momentumForm: inside/],
      ["ema with dampening", { momentum: 0.9, momentumForm: "ema", dampening: 0.1 }, /Invalid dampening: 0.1 \(momentumForm 'ema'/],
      ["ema with momentum 1", { momentum: 1, momentumForm: "ema" }, /Invalid momentum: 1 \(expected a finite number >= 0 and < 1\)/],
    ],
  },
  {
    name: "Adam",
    make: (rt, params, options) => new Adam(rt, params, options),
    configs: [
      { desc: "pytorch", options: { lr: 0.01 } },
      { desc: "tfjs", options: { convention: "tfjs", lr: 0.01 } },
      { desc: "amsgrad raw", options: { lr: 0.01, amsgrad: true } },
      { desc: "amsgrad corrected", options: { lr: 0.01, amsgrad: true, amsgradMax: "corrected" } },
      { desc: "amsgrad fed back", options: { lr: 0.01, amsgrad: true, amsgradMax: "fed-back" } },
      { desc: "amsgrad without bias correction (Reddi et al.)", options: { lr: 0.01, amsgrad: true, biasCorrection: false } },
      { desc: "eps inside the root", options: { lr: 0.01, epsPlacement: "inside" } },
      { desc: "amsgrad corrected, eps inside", options: { lr: 0.01, amsgrad: true, amsgradMax: "corrected", epsPlacement: "inside" } },
      ...around.map((a) => ({ desc: a.desc, options: { lr: 0.01, ...a.options } })),
    ],
    errors: [
      ...betaErrors,
      ["non-boolean amsgrad", { amsgrad: "yes" }, /Invalid amsgrad: yes/],
      ["unknown amsgradMax", { amsgradMax: "max" }, /Invalid amsgradMax: max \(expected 'raw' or 'corrected' or 'fed-back'\)/],
      ["unknown epsPlacement", { epsPlacement: "root" }, /Invalid epsPlacement: root \(expected 'outside' or 'inside'\)/],
      ["non-boolean biasCorrection", { biasCorrection: 0 }, /Invalid biasCorrection: 0 \(expected true or false\)/],
    ],
  },
  {
    name: "AdamW",
    make: (rt, params, options) => new AdamW(rt, params, options),
    configs: [
      { desc: "pytorch", options: { lr: 0.01 } },
      { desc: "optax amsgrad", options: { convention: "optax", lr: 0.01, amsgrad: true } },
    ],
    errors: betaErrors,
  },
  {
    name: "NAdam",
    make: (rt, params, options) => new NAdam(rt, params, options),
    configs: [
      { desc: "pytorch", options: { lr: 0.01 } },
      { desc: "optax", options: { convention: "optax", lr: 0.01 } },
      { desc: "decoupled decay", options: { lr: 0.01, weightDecay: 0.1, weightDecayMode: "decoupled" } },
    ],
    errors: [...betaErrors, ["negative momentumDecay", { momentumDecay: -1 }, /Invalid momentumDecay: -1/]],
  },
  {
    name: "Adamax",
    make: (rt, params, options) => new Adamax(rt, params, options),
    configs: [
      { desc: "pytorch", options: { lr: 0.01 } },
      { desc: "tfjs with lrDecay", options: { convention: "tfjs", lr: 0.01, lrDecay: 0.1 } },
      ...around.slice(0, 1).map((a) => ({ desc: a.desc, options: { lr: 0.01, ...a.options } })),
    ],
    errors: [...betaErrors, ["unknown epsPlacement", { epsPlacement: "inside" }, /Invalid epsPlacement: inside/]],
  },
  {
    name: "AdaGrad",
    make: (rt, params, options) => new AdaGrad(rt, params, options),
    configs: [
      { desc: "pytorch with lrDecay", options: { lr: 0.1, lrDecay: 0.01 } },
      { desc: "book", options: { convention: "book", lr: 0.1 } },
      { desc: "tfjs", options: { convention: "tfjs", lr: 0.1 } },
      ...around.slice(1, 2).map((a) => ({ desc: a.desc, options: { lr: 0.1, ...a.options } })),
    ],
    errors: [
      ["negative initialAccumulator", { initialAccumulator: -1 }, /Invalid initialAccumulator: -1/],
      ["eps = 0", { eps: 0 }, /Invalid eps: 0/],
    ],
  },
  {
    name: "RMSProp",
    make: (rt, params, options) => new RMSProp(rt, params, options),
    configs: [
      { desc: "pytorch", options: {} },
      { desc: "pytorch centered momentum", options: { centered: true, momentum: 0.9 } },
      { desc: "book", options: { convention: "book" } },
      { desc: "book nesterov (Alg. 8.6)", options: { convention: "book", momentum: 0.9, nesterov: true } },
      { desc: "tfjs centered", options: { convention: "tfjs", centered: true } },
      { desc: "tfjs momentum", options: { convention: "tfjs", momentum: 0.5 } },
      { desc: "book nesterov without delta (Alg. 8.6 as written)", options: { convention: "book", momentum: 0.9, nesterov: true, eps: 0 } },
      { desc: "ema nesterov", options: { momentum: 0.9, momentumForm: "ema", nesterov: true } },
      ...around.slice(2).map((a) => ({ desc: a.desc, options: { momentum: 0.9, ...a.options } })),
    ],
    errors: [
      ["rho = 1", { rho: 1 }, /Invalid rho: 1/],
      ["non-boolean centered", { centered: 0 }, /Invalid centered: 0/],
      ["nesterov without momentum", { nesterov: true }, /Invalid nesterov: true \(expected momentum > 0/],
      ["negative eps", { eps: -1e-8 }, /Invalid eps: -1e-8 \(expected a finite number >= 0\)/],
      ["eps = 0 centered", { eps: 0, centered: true }, /Invalid eps: 0 \(expected > 0 with centered: true/],
      ["ema with momentum 1", { momentum: 1, momentumForm: "ema" }, /Invalid momentum: 1 \(expected a finite number >= 0 and < 1\)/],
    ],
  },
  {
    name: "AdaDelta",
    make: (rt, params, options) => new AdaDelta(rt, params, options),
    configs: [
      { desc: "pytorch", options: {} },
      { desc: "book", options: { convention: "book" } },
      { desc: "tfjs", options: { convention: "tfjs", lr: 0.1 } },
    ],
    errors: [["unknown denominator", { denominator: "old" }, /Invalid denominator: old/]],
  },
  {
    name: "DeltaBarDelta",
    make: (rt, params, options) => new DeltaBarDelta(rt, params, options),
    configs: [
      { desc: "defaults", options: { lr: 0.05 } },
      { desc: "fast growth", options: { lr: 0.01, kappa: 0.01, phi: 0.5, theta: 0.3, weightDecay: 0.01 } },
    ],
    errors: [
      ["phi > 1", { phi: 1.5 }, /Invalid phi: 1.5/],
      ["theta = 1", { theta: 1 }, /Invalid theta: 1/],
    ],
  },
];

export const OPTIMIZERS: OptimizerInfo[] = TABLE.map((info) => ({ ...info, errors: [...commonErrors, ...info.errors] }));
