import { describe, expect, it } from "vitest";
import { describeBackends } from "../helpers/backends";
import { expectClose } from "../helpers/close";
import {
  AdaDelta, AdaGrad, Adam, Adamax, AdamW, DeltaBarDelta, NAdam, RMSProp, SGD,
  ADADELTA_CONVENTIONS, ADAGRAD_CONVENTIONS, ADAMAX_CONVENTIONS, ADAMW_CONVENTIONS, ADAM_CONVENTIONS, NADAM_CONVENTIONS,
  RMSPROP_CONVENTIONS, SGD_CONVENTIONS,
} from "../../src/optim/index";
import type { Optimizer } from "../../src/optim/index";
import type { Runtime } from "../../src/runtime/runtime";
import type { FloatDType, Param } from "../../src/runtime/tensor";

/**
 * Every rule and convention against its source's published update, transcribed below as a
 * per-element oracle in f64 (the expression order of the source, comments citing it), for
 * three steps on three weights. f64 parameters must match to 1e-12, f32 to 1e-5; a few
 * first steps are also worked out by hand in the comments.
 */
const THETA0 = [0.5, -1.5, 2];
const GRADS = [
  [0.1, -0.2, 0.3],
  [0.4, 0.1, -0.5],
  [-0.3, 0.2, 0.05],
];

/** One element's update: reads g and t, mutates its own state `s`, returns the new theta. */
type ElementRule = (theta: number, g: number, t: number, s: Record<string, number>) => number;

/** theta after each step, from the oracle applied to every element independently. */
function oracle(rule: ElementRule, init: Record<string, number> = {}): number[][] {
  const states = THETA0.map(() => ({ ...init }));
  let theta = [...THETA0];
  return GRADS.map((g, k) => (theta = theta.map((x, i) => rule(x, g[i]!, k + 1, states[i]!))));
}

type Make = (rt: Runtime, params: Param[]) => Optimizer<any>;

function run(rt: Runtime, make: Make, dtype: FloatDType): number[][] {
  const w = rt.param([3], { dtype, values: THETA0 });
  const opt = make(rt, [w]);
  const out = GRADS.map((g) => {
    w.grad.set(g);
    opt.step();
    return w.toArray();
  });
  opt.dispose();
  w.dispose();
  return out;
}

const sq = (x: number) => x * x;

/** [description, optimizer, oracle of its source] */
const CASES: Array<[string, Make, ElementRule, Record<string, number>?]> = [
  // --- SGD (book Alg. 8.1; 8.2; PyTorch SGD docs; tfjs momentum_optimizer.ts) ---
  // Alg. 8.1, lr = 0.1: theta1 = [0.5 - 0.01, -1.5 - 0.02, 2 - 0.03] = [0.49, -1.48, 1.97]
  ["book SGD (Alg. 8.1)", (rt, p) => new SGD(rt, p, { convention: "book", lr: 0.1 }), (x, g) => x - 0.1 * g],
  // Alg. 8.2: v <- alpha v - eps g; theta <- theta + v. Step 1: v = -0.1 * 0.1 = -0.01, theta = 0.49;
  // step 2: v = 0.9 * -0.01 - 0.1 * 0.4 = -0.049, theta = 0.441.
  [
    "book momentum (Alg. 8.2)",
    (rt, p) => new SGD(rt, p, { convention: "book", lr: 0.1, momentum: 0.9 }),
    (x, g, _t, s) => ((s.v = 0.9 * s.v! - 0.1 * g), x + s.v),
    { v: 0 },
  ],
  // PyTorch: b_1 = g_1; b_t = mu b + (1 - dampening) g; nesterov: g + mu b; theta -= lr * that.
  [
    "pytorch momentum with dampening",
    (rt, p) => new SGD(rt, p, { lr: 0.1, momentum: 0.9, dampening: 0.3 }),
    (x, g, t, s) => ((s.b = t === 1 ? g : 0.9 * s.b! + 0.7 * g), x - 0.1 * s.b),
  ],
  [
    "pytorch nesterov",
    (rt, p) => new SGD(rt, p, { lr: 0.1, momentum: 0.9, nesterov: true }),
    (x, g, t, s) => ((s.b = t === 1 ? g : 0.9 * s.b! + g), x - 0.1 * (g + 0.9 * s.b)),
  ],
  // Momentum as an exponential moving average: v = beta v + (1 - beta) g from v = 0; theta -= lr v.
  // Step 1, element 0: v = 0.1 * 0.1 = 0.01, theta = 0.5 - 0.001 = 0.499.
  [
    "momentum in EMA form",
    (rt, p) => new SGD(rt, p, { lr: 0.1, momentum: 0.9, momentumForm: "ema" }),
    (x, g, _t, s) => ((s.v = 0.9 * s.v! + 0.1 * g), x - 0.1 * s.v),
    { v: 0 },
  ],
  // Nesterov in EMA form, the look-ahead iterate: theta -= lr (beta v + (1 - beta) g), v updated first.
  // Step 1, element 0: v = 0.01, theta = 0.5 - 0.1 (0.009 + 0.01) = 0.4981.
  [
    "Nesterov in EMA form",
    (rt, p) => new SGD(rt, p, { lr: 0.1, momentum: 0.9, momentumForm: "ema", nesterov: true }),
    (x, g, _t, s) => ((s.v = 0.9 * s.v! + 0.1 * g), x - 0.1 * (0.9 * s.v + 0.1 * g)),
    { v: 0 },
  ],
  // tfjs: accumulation = m * accumulation + g; value += -lr * (nesterov ? g + m * accumulation : accumulation)
  [
    "tfjs nesterov momentum",
    (rt, p) => new SGD(rt, p, { convention: "tfjs", lr: 0.1, momentum: 0.5, nesterov: true }),
    (x, g, _t, s) => ((s.a = 0.5 * s.a! + g), x + -0.1 * (g + 0.5 * s.a)),
    { a: 0 },
  ],
  // --- weight decay, maximize, clipping (PyTorch semantics) ---
  // maximize then L2: g' = -g + wd theta. Step 1, element 0: g' = -0.1 + 0.5 * 0.5 = 0.15, theta = 0.5 - 0.015 = 0.485.
  ["L2 weight decay with maximize", (rt, p) => new SGD(rt, p, { lr: 0.1, weightDecay: 0.5, maximize: true }), (x, g) => x - 0.1 * (-g + 0.5 * x)],
  ["L1 weight decay", (rt, p) => new SGD(rt, p, { lr: 0.1, weightDecay: 0.5, weightDecayMode: "l1" }), (x, g) => x - 0.1 * (g + 0.5 * Math.sign(x))],
  ["decoupled weight decay on SGD", (rt, p) => new SGD(rt, p, { lr: 0.1, weightDecay: 0.5, weightDecayMode: "decoupled" }), (x, g) => x * (1 - 0.05) - 0.1 * g],
  // clip_grad_value_(0.25): step 2 element 2: g = -0.5 -> -0.25.
  ["clipValue", (rt, p) => new SGD(rt, p, { lr: 0.1, clipValue: 0.25 }), (x, g) => x - 0.1 * Math.min(Math.max(g, -0.25), 0.25)],
  // --- AdaGrad (book Alg. 8.4; PyTorch Adagrad docs; tfjs adagrad_optimizer.ts) ---
  // Alg. 8.4: r += g^2; theta -= eps g / (delta + sqrt(r)). Step 1, element 0: r = 0.01,
  // theta = 0.5 - 0.1 * 0.1 / (1e-7 + 0.1) = 0.40000010 (0.1 / 0.1000001 = 0.999999).
  [
    "book AdaGrad (Alg. 8.4)",
    (rt, p) => new AdaGrad(rt, p, { convention: "book", lr: 0.1 }),
    (x, g, _t, s) => ((s.r! += g * g), x - (0.1 / (1e-7 + Math.sqrt(s.r!))) * g),
    { r: 0 },
  ],
  [
    "pytorch AdaGrad with lr_decay",
    (rt, p) => new AdaGrad(rt, p, { lr: 0.1, lrDecay: 0.5 }),
    (x, g, t, s) => ((s.r! += g * g), x - (0.1 / (1 + (t - 1) * 0.5)) * (g / (Math.sqrt(s.r!) + 1e-10))),
    { r: 0 },
  ],
  // tfjs: accumulated (starts 0.1) += g^2; value += -lr * g / sqrt(accumulated + epsilon()), epsilon() = 1e-7.
  [
    "tfjs AdaGrad",
    (rt, p) => new AdaGrad(rt, p, { convention: "tfjs", lr: 0.1 }),
    (x, g, _t, s) => ((s.r! += g * g), x + -0.1 * (g / Math.sqrt(s.r! + 1e-7))),
    { r: 0.1 },
  ],
  // --- RMSProp (book Alg. 8.5; PyTorch RMSprop docs; tfjs rmsprop_optimizer.ts) ---
  // Alg. 8.5: r = rho r + (1 - rho) g^2; theta -= eps g / sqrt(delta + r). Step 1, element 0:
  // r = 0.1 * 0.01 = 0.001, theta = 0.5 - 0.01 * 0.1 / sqrt(0.001001) = 0.5 - 0.0316070 = 0.4683930.
  // Alg. 8.6 as written (no delta), look-ahead form: r = rho r + (1 - rho) g^2; v = alpha v - lr g / sqrt(r);
  // stored theta += alpha v - lr g / sqrt(r). Step 1, element 0: r = 0.001, g / sqrt(r) = 3.16227766,
  // v = -0.0316227766, theta = 0.5 + 0.9 v - 0.0316227766 = 0.439915...
  [
    "RMSProp with Nesterov momentum, no delta (Alg. 8.6 as written)",
    (rt, p) => new RMSProp(rt, p, { convention: "book", lr: 0.01, momentum: 0.9, nesterov: true, eps: 0 }),
    (x, g, _t, s) => {
      s.r = 0.9 * s.r! + 0.1 * g * g;
      const u = g / Math.sqrt(s.r);
      s.v = 0.9 * s.v! - 0.01 * u;
      return x + 0.9 * s.v - 0.01 * u;
    },
    { r: 0, v: 0 },
  ],
  [
    "RMSProp with EMA momentum",
    (rt, p) => new RMSProp(rt, p, { lr: 0.01, momentum: 0.9, momentumForm: "ema" }),
    (x, g, _t, s) => ((s.r = 0.99 * s.r! + 0.01 * g * g), (s.b = 0.9 * s.b! + 0.1 * (g / (Math.sqrt(s.r) + 1e-8))), x - 0.01 * s.b),
    { r: 0, b: 0 },
  ],
  [
    "book RMSProp (Alg. 8.5)",
    (rt, p) => new RMSProp(rt, p, { convention: "book", lr: 0.01 }),
    (x, g, _t, s) => ((s.r = 0.9 * s.r! + 0.1 * g * g), x - (0.01 / Math.sqrt(1e-6 + s.r)) * g),
    { r: 0 },
  ],
  // PyTorch centered with momentum: v = alpha v + (1 - alpha) g^2; ga = alpha ga + (1 - alpha) g;
  // avg = sqrt(v - ga^2) + eps; b = mu b + g / avg; theta -= lr b.
  [
    "pytorch centered RMSProp with momentum",
    (rt, p) => new RMSProp(rt, p, { lr: 0.01, centered: true, momentum: 0.9 }),
    (x, g, _t, s) => {
      s.v = 0.99 * s.v! + 0.01 * g * g;
      s.ga = 0.99 * s.ga! + 0.01 * g;
      s.b = 0.9 * s.b! + g / (Math.sqrt(s.v - s.ga * s.ga) + 1e-8);
      return x - 0.01 * s.b;
    },
    { v: 0, ga: 0, b: 0 },
  ],
  // tfjs: ms = decay ms + (1 - decay) g^2; mom = momentum mom + lr g / sqrt(ms + eps); value -= mom.
  [
    "tfjs RMSProp with momentum",
    (rt, p) => new RMSProp(rt, p, { convention: "tfjs", lr: 0.01, momentum: 0.5 }),
    (x, g, _t, s) => ((s.ms = 0.9 * s.ms! + 0.1 * g * g), (s.m = 0.5 * s.m! + (0.01 * g) / Math.sqrt(s.ms + 1e-7)), x - s.m),
    { ms: 0, m: 0 },
  ],
  // tfjs centered computes sqrt(ms - (mg^2 + eps)); we add eps: sqrt(ms - mg^2 + eps).
  [
    "tfjs centered RMSProp (eps added, not subtracted)",
    (rt, p) => new RMSProp(rt, p, { convention: "tfjs", lr: 0.01, centered: true }),
    (x, g, _t, s) => {
      s.ms = 0.9 * s.ms! + 0.1 * g * g;
      s.mg = 0.9 * s.mg! + 0.1 * g;
      s.m = 0 * s.m! + (0.01 * g) / Math.sqrt(s.ms - s.mg * s.mg + 1e-7);
      return x - s.m;
    },
    { ms: 0, mg: 0, m: 0 },
  ],
  // --- AdaDelta (Zeiler 2012 Alg. 1 / PyTorch; tfjs adadelta_optimizer.ts) ---
  [
    "pytorch AdaDelta",
    (rt, p) => new AdaDelta(rt, p, { lr: 1 }),
    (x, g, _t, s) => {
      s.eg = 0.9 * s.eg! + 0.1 * g * g;
      const dx = (Math.sqrt(s.edx! + 1e-6) / Math.sqrt(s.eg + 1e-6)) * g;
      s.edx = 0.9 * s.edx! + 0.1 * dx * dx;
      return x - dx;
    },
    { eg: 0, edx: 0 },
  ],
  // Zeiler's rho = 0.95, eps = 1e-6; step 1, element 0: eg = 0.05 * 0.01 = 5e-4,
  // dx = sqrt(1e-6) / sqrt(5.01e-4) * 0.1 = 0.0044676705, theta = 0.4955323295.
  [
    "book (Zeiler) AdaDelta",
    (rt, p) => new AdaDelta(rt, p, { convention: "book" }),
    (x, g, _t, s) => {
      s.eg = 0.95 * s.eg! + 0.05 * g * g;
      const dx = (Math.sqrt(s.edx! + 1e-6) / Math.sqrt(s.eg + 1e-6)) * g;
      s.edx = 0.95 * s.edx! + 0.05 * dx * dx;
      return x - dx;
    },
    { eg: 0, edx: 0 },
  ],
  // tfjs divides by the accumulated gradient from before this step:
  // updates = sqrt(accUpdate + eps) / sqrt(accGrad_old + eps) * g.
  [
    "tfjs AdaDelta",
    (rt, p) => new AdaDelta(rt, p, { convention: "tfjs", lr: 0.5 }),
    (x, g, _t, s) => {
      const updates = (Math.sqrt(s.edx! + 1e-7) / Math.sqrt(s.eg! + 1e-7)) * g;
      s.eg = 0.95 * s.eg! + 0.05 * g * g;
      s.edx = 0.95 * s.edx! + 0.05 * updates * updates;
      return x + updates * -0.5;
    },
    { eg: 0, edx: 0 },
  ],
  // --- Adam family (book Alg. 8.7; PyTorch Adam/AdamW/NAdam/Adamax; tfjs adam/adamax; optax) ---
  [
    "tfjs Adam (eps = 1e-7)",
    (rt, p) => new Adam(rt, p, { convention: "tfjs", lr: 0.1 }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.999 * s.v! + 0.001 * g * g;
      return x + (s.m / (1 - 0.9 ** t) / (Math.sqrt(s.v / (1 - 0.999 ** t)) + 1e-7)) * -0.1;
    },
    { m: 0, v: 0 },
  ],
  // PyTorch AMSGrad: vmax = max(vmax, v); denom = sqrt(vmax) / sqrt(bc2) + eps; theta -= lr / bc1 * m / denom.
  [
    "pytorch AMSGrad (max over raw v)",
    (rt, p) => new Adam(rt, p, { lr: 0.1, amsgrad: true, beta2: 0.9 }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.9 * s.v! + 0.1 * g * g;
      s.vmax = Math.max(s.vmax!, s.v);
      return x - (0.1 / (1 - 0.9 ** t)) * (s.m / (Math.sqrt(s.vmax) / Math.sqrt(1 - 0.9 ** t) + 1e-8));
    },
    { m: 0, v: 0, vmax: 0 },
  ],
  // optax amsgrad: nu_hat = v / bc2; nu_max = max(nu_max, nu_hat); update = m_hat / (sqrt(nu_max) + eps).
  [
    "optax AMSGrad (max over corrected v)",
    (rt, p) => new Adam(rt, p, { lr: 0.1, amsgrad: true, amsgradMax: "corrected", beta2: 0.9 }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.9 * s.v! + 0.1 * g * g;
      s.vmax = Math.max(s.vmax!, s.v / (1 - 0.9 ** t));
      return x - 0.1 * (s.m / (1 - 0.9 ** t) / (Math.sqrt(s.vmax) + 1e-8));
    },
    { m: 0, v: 0, vmax: 0 },
  ],
  // The notes' AMSGrad: r <- max(rho2 r + (1 - rho2) g^2, r), the maximum fed back into r,
  // then bias correction: theta -= lr s_hat / (sqrt(r / bc2) + delta).
  [
    "AMSGrad with the maximum fed back into r",
    (rt, p) => new Adam(rt, p, { lr: 0.1, amsgrad: true, amsgradMax: "fed-back", beta2: 0.9 }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = Math.max(0.9 * s.v! + 0.1 * g * g, s.v!);
      return x - 0.1 * (s.m / (1 - 0.9 ** t) / (Math.sqrt(s.v / (1 - 0.9 ** t)) + 1e-8));
    },
    { m: 0, v: 0 },
  ],
  // Reddi et al. 2018, Algorithm 2: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
  // v_hat = max(v_hat, v); theta -= lr m / sqrt(v_hat) (delta added outside), no bias correction.
  [
    "Reddi et al.'s AMSGrad (no bias correction)",
    (rt, p) => new Adam(rt, p, { lr: 0.1, amsgrad: true, biasCorrection: false, beta2: 0.9 }),
    (x, g, _t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.9 * s.v! + 0.1 * g * g;
      s.vhat = Math.max(s.vhat!, s.v);
      return x - (0.1 * s.m) / (Math.sqrt(s.vhat) + 1e-8);
    },
    { m: 0, v: 0, vhat: 0 },
  ],
  // delta inside the root: theta -= lr s_hat / sqrt(r_hat + delta); a large delta makes the
  // placement visible (step 1, element 0: s_hat = 0.1, r_hat = 0.01, 0.1 / sqrt(0.01 + 0.01)).
  [
    "Adam with delta inside the square root",
    (rt, p) => new Adam(rt, p, { lr: 0.1, eps: 0.01, epsPlacement: "inside" }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.999 * s.v! + 0.001 * g * g;
      return x - (0.1 * (s.m / (1 - 0.9 ** t))) / Math.sqrt(s.v / (1 - 0.999 ** t) + 0.01);
    },
    { m: 0, v: 0 },
  ],
  [
    "AMSGrad (corrected max) with delta inside the square root",
    (rt, p) => new Adam(rt, p, { lr: 0.1, eps: 0.01, epsPlacement: "inside", amsgrad: true, amsgradMax: "corrected", beta2: 0.9 }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.9 * s.v! + 0.1 * g * g;
      s.vmax = Math.max(s.vmax!, s.v / (1 - 0.9 ** t));
      return x - (0.1 * (s.m / (1 - 0.9 ** t))) / Math.sqrt(s.vmax + 0.01);
    },
    { m: 0, v: 0, vmax: 0 },
  ],
  // PyTorch AdamW: theta *= 1 - lr wd; then the Adam step.
  [
    "pytorch AdamW",
    (rt, p) => new AdamW(rt, p, { lr: 0.1, weightDecay: 0.5 }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.999 * s.v! + 0.001 * g * g;
      return x * (1 - 0.05) - (0.1 / (1 - 0.9 ** t)) * (s.m / (Math.sqrt(s.v) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
    },
    { m: 0, v: 0 },
  ],
  // PyTorch NAdam: mu_t = b1 (1 - 0.5 * 0.96^(t psi)); theta -= lr (1 - mu_t) / (1 - prod mu) g / denom
  // + lr mu_{t+1} / (1 - prod mu * mu_{t+1}) m / denom, denom = sqrt(v / bc2) + eps.
  [
    "pytorch NAdam",
    (rt, p) => new NAdam(rt, p, { lr: 0.1 }),
    (x, g, t, s) => {
      const mu = 0.9 * (1 - 0.5 * 0.96 ** (t * 0.004));
      const muNext = 0.9 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.004));
      s.prod! *= mu;
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.999 * s.v! + 0.001 * g * g;
      const denom = Math.sqrt(s.v / (1 - 0.999 ** t)) + 1e-8;
      return x - ((0.1 * (1 - mu)) / (1 - s.prod!)) * (g / denom) - ((0.1 * muNext) / (1 - s.prod! * muNext)) * (s.m / denom);
    },
    { m: 0, v: 0, prod: 1 },
  ],
  // optax nadam: m_hat = b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t).
  [
    "optax NAdam",
    (rt, p) => new NAdam(rt, p, { convention: "optax", lr: 0.1 }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.v = 0.999 * s.v! + 0.001 * g * g;
      const mHat = (0.9 * s.m) / (1 - 0.9 ** (t + 1)) + (0.1 * g) / (1 - 0.9 ** t);
      return x - (0.1 * mHat) / (Math.sqrt(s.v / (1 - 0.999 ** t)) + 1e-8);
    },
    { m: 0, v: 0 },
  ],
  // PyTorch Adamax: u = max(b2 u, |g| + eps); theta -= lr / bc1 * m / u.
  [
    "pytorch Adamax",
    (rt, p) => new Adamax(rt, p, { lr: 0.1 }),
    (x, g, t, s) => ((s.m = 0.9 * s.m! + 0.1 * g), (s.u = Math.max(0.999 * s.u!, Math.abs(g) + 1e-8)), x - (0.1 / (1 - 0.9 ** t)) * (s.m / s.u)),
    { m: 0, u: 0 },
  ],
  // tfjs Adamax: lr_t = -lr / (iteration decay + 1); u = max(b2 u, |g|); value += lr_t / (1 - b1^t) * m / (u + eps).
  [
    "tfjs Adamax with decay",
    (rt, p) => new Adamax(rt, p, { convention: "tfjs", lr: 0.1, lrDecay: 0.5 }),
    (x, g, t, s) => {
      s.m = 0.9 * s.m! + 0.1 * g;
      s.u = Math.max(0.999 * s.u!, Math.abs(g));
      return x + (-0.1 / ((t - 1) * 0.5 + 1) / (1 - 0.9 ** t)) * (s.m / (s.u + 1e-7));
    },
    { m: 0, u: 0 },
  ],
  // --- delta-bar-delta (Jacobs 1988) ---
  // Step 1: bar = 0, so eta stays 0.05: theta = 0.5 - 0.005 = 0.495; bar = 0.3 * 0.1 = 0.03.
  // Step 2, element 0: bar g = 0.012 > 0, eta = 0.05 + 0.01 = 0.06, theta = 0.495 - 0.024 = 0.471.
  // Step 2, element 2: bar g = 0.09 * -0.5 < 0, eta = 0.5 * 0.05 = 0.025.
  [
    "delta-bar-delta",
    (rt, p) => new DeltaBarDelta(rt, p, { lr: 0.05, kappa: 0.01, phi: 0.5, theta: 0.7 }),
    (x, g, _t, s) => {
      if (s.bar! * g > 0) s.eta! += 0.01;
      else if (s.bar! * g < 0) s.eta! *= 0.5;
      s.bar = 0.3 * g + 0.7 * s.bar!;
      return x - s.eta! * g;
    },
    { eta: 0.05, bar: 0 },
  ],
];

describeBackends("update rules against their sources", (rt) => {
  for (const [desc, make, rule, init] of CASES) {
    it(desc, () => {
      const want = oracle(rule, init);
      run(rt, make, "f64").forEach((got, k) => expectClose(got, want[k]!, { rtol: 1e-12, atol: 1e-15, context: `f64 step ${k + 1}` }));
      run(rt, make, "f32").forEach((got, k) => expectClose(got, want[k]!, { rtol: 1e-5, atol: 1e-6, context: `f32 step ${k + 1}` }));
    });
  }

  it("hand-computed first steps agree with the oracles", () => {
    // Spot checks of the arithmetic written in the comments above.
    const first = (desc: string) => oracle(CASES.find((c) => c[0] === desc)![2], CASES.find((c) => c[0] === desc)![3]);
    expectClose(first("book SGD (Alg. 8.1)")[0]!, [0.49, -1.48, 1.97], { rtol: 1e-15 });
    expect(first("book momentum (Alg. 8.2)")[1]![0]).toBeCloseTo(0.441, 12);
    expect(first("L2 weight decay with maximize")[0]![0]).toBeCloseTo(0.485, 12);
    expect(first("book RMSProp (Alg. 8.5)")[0]![0]).toBeCloseTo(0.468393, 6);
    expect(first("book (Zeiler) AdaDelta")[0]![0]).toBeCloseTo(0.4955323295, 10);
    expect(first("delta-bar-delta")[1]![0]).toBeCloseTo(0.471, 12);
    expect(first("momentum in EMA form")[0]![0]).toBeCloseTo(0.499, 12);
    expect(first("Nesterov in EMA form")[0]![0]).toBeCloseTo(0.4981, 12);
    expect(first("Adam with delta inside the square root")[0]![0]).toBeCloseTo(0.5 - 0.1 * (0.1 / Math.sqrt(0.02)), 12);
    expect(first("RMSProp with Nesterov momentum, no delta (Alg. 8.6 as written)")[0]![0]).toBeCloseTo(0.5 - 1.9 * 0.01 * Math.sqrt(10), 12);
  });

  /** A quadratic f = sum_i c_i theta_i^2 / 2 whose gradient the literal algorithm evaluates anywhere. */
  const C = [1, 3, 0.5];
  const gradAt = (theta: number[]) => theta.map((x, i) => C[i]! * x);

  it("book Nesterov (Alg. 8.3): the stored params are the look-ahead points of the literal algorithm", () => {
    // Literal Alg. 8.3: theta~ = theta + alpha v; g = grad(theta~); v = alpha v - eps g; theta += v.
    let theta = [...THETA0];
    let v = [0, 0, 0];
    const w = rt.param([3], { dtype: "f64", values: THETA0 });
    const opt = new SGD(rt, [w], { convention: "book", lr: 0.1, momentum: 0.9, nesterov: true });
    for (let t = 0; t < 5; t++) {
      const g = gradAt(theta.map((x, i) => x + 0.9 * v[i]!));
      v = v.map((vi, i) => 0.9 * vi - 0.1 * g[i]!);
      theta = theta.map((x, i) => x + v[i]!);
      w.grad.set(gradAt(w.toArray())); // our gradient: at the stored (look-ahead) point
      opt.step();
      expectClose(w.data, theta.map((x, i) => x + 0.9 * v[i]!), { rtol: 1e-12, atol: 1e-15, context: `step ${t + 1}` });
    }
    opt.dispose();
    w.dispose();
  });

  it.each([1e-6, 0])("book RMSProp with Nesterov momentum (Alg. 8.6), same change of variables, delta = %s", (delta) => {
    let theta = [...THETA0];
    let v = [0, 0, 0];
    const r = [0, 0, 0];
    const w = rt.param([3], { dtype: "f64", values: THETA0 });
    const opt = new RMSProp(rt, [w], { convention: "book", lr: 0.01, momentum: 0.9, nesterov: true, eps: delta });
    for (let t = 0; t < 5; t++) {
      const g = gradAt(theta.map((x, i) => x + 0.9 * v[i]!));
      g.forEach((gi, i) => (r[i] = 0.9 * r[i]! + 0.1 * gi * gi));
      v = v.map((vi, i) => 0.9 * vi - (0.01 / Math.sqrt(r[i]! + delta)) * g[i]!);
      theta = theta.map((x, i) => x + v[i]!);
      w.grad.set(gradAt(w.toArray()));
      opt.step();
      expectClose(w.data, theta.map((x, i) => x + 0.9 * v[i]!), { rtol: 1e-12, atol: 1e-15, context: `step ${t + 1}` });
    }
    opt.dispose();
    w.dispose();
  });

  it("Nesterov in EMA form: the stored params are the look-ahead points of the literal algorithm", () => {
    // Literal: theta~ = theta - lr beta v; g = grad(theta~); v = beta v + (1 - beta) g; theta -= lr v.
    let theta = [...THETA0];
    let v = [0, 0, 0];
    const w = rt.param([3], { dtype: "f64", values: THETA0 });
    const opt = new SGD(rt, [w], { lr: 0.1, momentum: 0.9, momentumForm: "ema", nesterov: true });
    for (let t = 0; t < 5; t++) {
      const g = gradAt(theta.map((x, i) => x - 0.1 * 0.9 * v[i]!));
      v = v.map((vi, i) => 0.9 * vi + 0.1 * g[i]!);
      theta = theta.map((x, i) => x - 0.1 * v[i]!);
      w.grad.set(gradAt(w.toArray()));
      opt.step();
      expectClose(w.data, theta.map((x, i) => x - 0.1 * 0.9 * v[i]!), { rtol: 1e-12, atol: 1e-15, context: `step ${t + 1}` });
    }
    opt.dispose();
    w.dispose();
  });

  it("tfjs' own centered formula would give NaN here; ours stays finite", () => {
    // A constant gradient drives the variance estimate ms - mg^2 to 0: tfjs takes sqrt(0 - eps).
    const w = rt.param([1], { dtype: "f64", values: [1] });
    const opt = new RMSProp(rt, [w], { convention: "tfjs", lr: 0.01, centered: true });
    let ms = 0;
    let mg = 0;
    for (let t = 0; t < 3; t++) {
      w.grad.set([0.5]);
      opt.step();
      ms = 0.9 * ms + 0.1 * 0.25;
      mg = 0.9 * mg + 0.1 * 0.5;
    }
    expect(Math.sqrt(ms - (mg * mg + 1e-7))).not.toBeNaN(); // not yet: the variance is still large
    for (let t = 0; t < 200; t++) {
      w.grad.set([0.5]);
      opt.step();
      ms = 0.9 * ms + 0.1 * 0.25;
      mg = 0.9 * mg + 0.1 * 0.5;
    }
    expect(Math.sqrt(ms - (mg * mg + 1e-7))).toBeNaN(); // tfjs
    expect(Number.isFinite(w.data[0]!)).toBe(true); // descend
    opt.dispose();
    w.dispose();
  });
});

describe("convention defaults", () => {
  it("are the sources' documented defaults", () => {
    const pick = (h: object, keys: string[]) => Object.fromEntries(keys.map((k) => [k, (h as Record<string, unknown>)[k]]));
    const d = <H>(c: { defaults: Record<string, H> }, name: string) => c.defaults[name]!;
    expect(pick(d(SGD_CONVENTIONS, "pytorch"), ["lr", "momentum", "dampening", "nesterov"])).toEqual({ lr: 1e-3, momentum: 0, dampening: 0, nesterov: false });
    expect(pick(d(ADAM_CONVENTIONS, "book"), ["lr", "beta1", "beta2", "eps"])).toEqual({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(d(ADAM_CONVENTIONS, "tfjs").eps).toBe(1e-7);
    expect(pick(d(ADAMW_CONVENTIONS, "pytorch"), ["weightDecay", "weightDecayMode"])).toEqual({ weightDecay: 1e-2, weightDecayMode: "decoupled" });
    expect(d(ADAMW_CONVENTIONS, "optax").weightDecay).toBe(1e-4);
    expect(pick(d(NADAM_CONVENTIONS, "pytorch"), ["lr", "momentumDecay"])).toEqual({ lr: 2e-3, momentumDecay: 4e-3 });
    expect(pick(d(ADAMAX_CONVENTIONS, "tfjs"), ["lr", "eps", "epsPlacement"])).toEqual({ lr: 2e-3, eps: 1e-7, epsPlacement: "denominator" });
    expect(pick(d(ADAGRAD_CONVENTIONS, "pytorch"), ["lr", "eps", "epsPlacement", "initialAccumulator"])).toEqual({ lr: 1e-2, eps: 1e-10, epsPlacement: "outside", initialAccumulator: 0 });
    expect(pick(d(ADAGRAD_CONVENTIONS, "tfjs"), ["eps", "epsPlacement", "initialAccumulator"])).toEqual({ eps: 1e-7, epsPlacement: "inside", initialAccumulator: 0.1 });
    expect(d(ADAGRAD_CONVENTIONS, "book").eps).toBe(1e-7);
    expect(pick(d(RMSPROP_CONVENTIONS, "pytorch"), ["lr", "rho", "eps", "epsPlacement", "momentumForm"])).toEqual({ lr: 1e-2, rho: 0.99, eps: 1e-8, epsPlacement: "outside", momentumForm: "lr-outside" });
    expect(pick(d(RMSPROP_CONVENTIONS, "tfjs"), ["rho", "eps", "epsPlacement", "momentumForm"])).toEqual({ rho: 0.9, eps: 1e-7, epsPlacement: "inside", momentumForm: "lr-inside" });
    expect(d(RMSPROP_CONVENTIONS, "book").eps).toBe(1e-6);
    expect(pick(d(ADADELTA_CONVENTIONS, "pytorch"), ["lr", "rho", "eps"])).toEqual({ lr: 1, rho: 0.9, eps: 1e-6 });
    expect(pick(d(ADADELTA_CONVENTIONS, "tfjs"), ["lr", "rho", "eps", "denominator"])).toEqual({ lr: 1e-3, rho: 0.95, eps: 1e-7, denominator: "previous" });
  });
});
