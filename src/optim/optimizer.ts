import { DisposedError, NonFiniteError, StateError, ValueError } from "../runtime/errors";
import type { Kernels } from "../runtime/kernels";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { Param, Tensor, type FloatDType } from "../runtime/tensor";
import { checkBoolean, checkEps, checkKeys, checkNumber, checkOptions, SMALLEST_POSITIVE } from "../runtime/validate";
import { decodeState, encodeState, type SavedParamState, type Snapshot, type StateDict } from "./state";
import { gradientNorms } from "./clip";
import type { Stateful } from "../schedules/state";

/** What to do when a gradient holds NaN or an infinity. */
export type NonFinitePolicy = "error" | "skip" | "propagate";

/**
 * How `weightDecay` (lambda) enters the update:
 * - 'l2': coupled L2, x = g + lambda theta (PyTorch's `weight_decay`);
 * - 'decoupled': theta <- (1 - lr lambda) theta before the update (AdamW, Loshchilov & Hutter 2019);
 * - 'l1': x = g + lambda sign(theta), the subgradient of lambda |theta|_1 (sign(0) = 0).
 */
export type WeightDecayMode = "l2" | "decoupled" | "l1";

/** Hyperparameters every optimizer has, per param group, mutable between steps. */
export interface BaseHyper {
  /**
   * Learning rate (the book's epsilon).
   * @defaultValue the optimizer's convention's (1e-3 for Adam in every convention; see each optimizer)
   */
  lr: number;
  /**
   * Weight decay strength lambda.
   * @defaultValue 0 (AdamW: 1e-2 'pytorch', 1e-4 'optax')
   */
  weightDecay: number;
  /**
   * How weightDecay applies.
   * @defaultValue 'l2' (AdamW: 'decoupled')
   */
  weightDecayMode: WeightDecayMode;
  /**
   * Ascend instead of descend: the gradient's sign is flipped.
   * @defaultValue false
   */
  maximize: boolean;
  /**
   * Clamp each gradient element to [-clipValue, clipValue].
   * @defaultValue Infinity (off)
   */
  clipValue: number;
  /**
   * Scale each tensor's gradient to L2 norm at most clipNorm.
   * @defaultValue Infinity (off)
   */
  clipNorm: number;
}

/** Options of the whole optimizer (not per group). */
export interface OptimizerOptions {
  /**
   * Scale all gradients together so their global L2 norm is at most this. As
   * torch.nn.utils.clip_grad_norm_: coef = min(1, max / (norm + 1e-6)).
   * @defaultValue Infinity (off)
   */
  clipGlobalNorm?: number;
  /**
   * Gradients with NaN/Inf: 'propagate' (as PyTorch and tfjs: no check, no cost), 'error'
   * (throw NonFiniteError, nothing changes) or 'skip' (nothing changes, step() reports
   * `skipped: true`). The check shares the norm pass with global clipping.
   * @defaultValue 'propagate'
   */
  nonFinite?: NonFinitePolicy;
}

/** The hyperparameters every optimizer shares, before a convention overrides them. */
export const BASE_DEFAULTS: Readonly<BaseHyper> = {
  lr: 1e-3,
  weightDecay: 0,
  weightDecayMode: "l2",
  maximize: false,
  clipValue: Number.POSITIVE_INFINITY,
  clipNorm: Number.POSITIVE_INFINITY,
};

/** A group of parameters sharing hyperparameters; unset ones fall back to the optimizer's defaults. */
export type ParamGroupInput<H> = {
  /** The parameters of the group. */
  params: Param[];
} & Partial<H>;

/** A group after merging with the defaults. Hyperparameters may be changed between steps. */
export type ParamGroup<H> = H & {
  /** The parameters of the group. */
  params: Param[];
};

/** The state of one parameter: its step count, its buffers and its scalar accumulators. */
export interface ParamState {
  /** Updates applied to this parameter. */
  step: number;
  /** The rule's per-element buffers by name (e.g. Adam's 's', 'r'). */
  buffers: Record<string, Tensor<FloatDType>>;
  /** The rule's per-parameter scalars by name (e.g. NAdam's momentum product). */
  scalars: Record<string, number>;
}

/** What step() did. */
export interface StepResult {
  /** True when nonFinite = 'skip' found a NaN/Inf gradient: nothing was changed. */
  skipped: boolean;
  /** Global L2 norm of the gradients before clipping, when a norm pass ran (else null). */
  gradNorm: number | null;
}

export type { Stateful } from "../schedules/state";

/** The gradient prologue every fused kernel takes last: gradScale, clip, l2, l1, pScale. */
export type Prologue = [gradScale: number, clip: number, l2: number, l1: number, pScale: number];

/** Kernel operations that exist for both dtypes, by their name without the dtype prefix. */
export type KernelOp = { [K in keyof Kernels]: K extends `f32_${infer O}` ? O : never }[keyof Kernels];

const NONE: ReadonlySet<string> = new Set();

/** Default hyperparameters per convention, and which convention applies when none is named. */
export interface Conventions<H> {
  /** The convention used when none is named. */
  default: string;
  /** Default hyperparameters by convention name. */
  defaults: Record<string, Readonly<H>>;
}

/** Options accepted by an optimizer's constructor: hyperparameter defaults, optimizer options and the convention. */
export type OptionsOf<H, C extends string> = Partial<H> & OptimizerOptions & {
  /**
   * Whose defaults (and, where they differ, formulas) to follow: 'book', 'pytorch', 'tfjs',
   * 'optax', ... as each optimizer lists.
   * @defaultValue each optimizer's (see its conventions table in docs/optim.md)
   */
  convention?: C;
};

/** Clipping coefficient of torch.nn.utils.clip_grad_norm_: min(1, max / (norm + 1e-6)). */
export function clipCoefficient(norm: number, maxNorm: number): number {
  if (typeof norm !== "number" || typeof maxNorm !== "number") throw new ValueError(`Invalid norms: ${String(norm)}, ${String(maxNorm)} (expected numbers)`);
  return maxNorm === Number.POSITIVE_INFINITY ? 1 : Math.min(1, maxNorm / (norm + 1e-6));
}

/** Throws ValueError unless value is one of `allowed`. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new ValueError(`Invalid ${name}: ${String(value)} (expected ${allowed.map((a) => `'${a}'`).join(" or ")})`);
  }
  return value as T;
}

export { checkBoolean } from "../runtime/validate";

/** A positive number or Infinity (a bound that is off). */
function checkBound(name: string, value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  return checkNumber(name, value, { above: 0 });
}

/**
 * The shell every optimizer shares (after torch.optim): parameter groups with defaults
 * merged in, per-parameter state created lazily and keyed by the Param object itself, the
 * gradient prologue (clipping, weight decay, maximize, the non-finite check), state
 * save/load, and a step() that validates everything before the first byte changes, so a
 * throwing step leaves parameters and state untouched.
 *
 * Subclasses supply the hyperparameter check, the names of the state buffers and the
 * update: one fused kernel call per parameter.
 */
export abstract class Optimizer<H extends BaseHyper> {
  /** The parameter groups with their hyperparameters; change these between steps (schedules do). */
  readonly paramGroups: ParamGroup<H>[];

  /** Global-norm clipping bound (Infinity: off); mutable between steps. */
  clipGlobalNorm: number;
  /** Policy for NaN/Inf gradients; mutable between steps. */
  nonFinite: NonFinitePolicy;
  protected readonly state = new Map<Param, ParamState>();
  protected readonly runtime: Runtime;
  private readonly attached = new Map<string, Stateful>();
  private isDisposed = false;
  /** The runtime's kernels by dtype and operation, looked up once. */
  private readonly kernels: Record<FloatDType, Record<string, unknown>>;

  /** The optimizer's name in saved state; loading state saved by another optimizer throws. */
  abstract readonly name: string;
  /** Hyperparameters a group falls back to: the convention's defaults overridden by the options. */
  readonly defaults: Readonly<H>;
  /** The convention the defaults come from ('book', 'pytorch', 'tfjs', ...), saved with the state. */
  readonly convention: string;

  protected constructor(
    runtime: Runtime,
    params: Param[] | ParamGroupInput<H>[],
    conventions: Conventions<H>,
    options: OptionsOf<H, string> = {} as OptionsOf<H, string>,
  ) {
    this.runtime = checkRuntime(runtime);
    if (typeof conventions?.defaults !== "object" || conventions.defaults === null) {
      throw new ValueError(`Invalid conventions: ${String(conventions)} (expected { default, defaults })`);
    }
    this.kernels = { f32: {}, f64: {} };
    for (const [name, fn] of Object.entries(runtime.kernels)) {
      const [dtype, op] = [name.slice(0, 3), name.slice(4)];
      if (dtype === "f32" || dtype === "f64") this.kernels[dtype][op] = fn;
    }
    const { clipGlobalNorm, nonFinite, convention = conventions.default, ...hyper } = checkOptions(options);
    this.convention = checkOneOf("convention", convention, Object.keys(conventions.defaults));
    const base = conventions.defaults[this.convention]!;
    const of = new.target.name;
    checkKeys(hyper, [...Object.keys(base), "clipGlobalNorm", "nonFinite", "convention"], of);
    this.defaults = { ...base, ...hyper } as H;
    this.clipGlobalNorm = clipGlobalNorm ?? Number.POSITIVE_INFINITY;
    this.nonFinite = nonFinite ?? "propagate";
    this.checkOptions();
    this.checkGroup(this.defaults);
    const groups = toGroups(params);
    for (const [g, { params: _params, ...groupHyper }] of groups.entries()) checkKeys(groupHyper, Object.keys(base), `${of} group ${g}`);
    this.paramGroups = groups.map((group) => ({ ...this.defaults, ...group, params: [...group.params] }) as ParamGroup<H>);
    this.checkParams();
    for (const group of this.paramGroups) this.checkGroup(group, group.params);
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0]?.lr ?? this.defaults.lr;
  }

  /**
   * Sets the learning rate of every group.
   * @throws {@link ValueError} unless `value` is a finite number >= 0.
   */
  set lr(value: number) {

    this.assertLive("lr = value");
    checkNumber("lr", value, { min: 0 });
    for (const group of this.paramGroups) group.lr = value;
  }

  /**
   * Applies one update to every parameter from its current gradient (frozen ones, with
   * requiresGrad false, are skipped: no update, no state). Validates every
   * hyperparameter and parameter first; with clipping or a non-finite policy other than
   * 'propagate' it reads the gradients once more (one fused sum-of-squares pass) before
   * the update kernels run.
   *
   * @throws {@link ValueError} when a hyperparameter or group is invalid (nothing changes).
   * @throws {@link NonFiniteError} when a gradient holds NaN/Inf and `nonFinite` is 'error' (nothing changes).
   * @throws {@link DisposedError} after dispose(), or when a parameter was disposed.
   * @throws {@link OutOfMemoryError} when the first step cannot allocate the state (nothing is kept).
   */
  step(): StepResult {
    this.assertLive("step()");
    this.checkOptions();
    const groups = this.paramGroups;
    // Groups are mutable between steps: their params are checked again as in the constructor.
    this.checkParams();
    for (const [g, group] of groups.entries()) {
      const missing = Object.keys(this.defaults).filter((key) => !(key in group));
      if (missing.length) throw new ValueError(`Invalid group ${g}: it lacks ${missing.join(", ")} (add groups with addParamGroup(), which fills in the defaults)`);
      this.checkGroup(group, group.params);
    }

    // The one extra read of the gradients: f64 sums of squares, which also reveal NaN/Inf.
    let norms: number[] | null = null;
    let gradNorm: number | null = null;
    if (this.needsNorms()) {
      const trainable = this.params().filter((param) => param.requiresGrad);
      ({ norms, global: gradNorm } = gradientNorms(trainable.map((param) => param.grad)));
      const bad = norms.findIndex(Number.isNaN);
      if (bad >= 0 && this.nonFinite !== "propagate") {
        if (this.nonFinite === "skip") return { skipped: true, gradNorm: Number.NaN };
        throw new NonFiniteError(`The gradient of ${trainable[bad]!.describe()} holds NaN or Infinity (nonFinite: 'error')`);
      }
    }
    const globalScale = gradNorm === null ? 1 : clipCoefficient(gradNorm, this.clipGlobalNorm);

    const fresh = this.allocateState();
    let index = 0;
    for (const group of groups) {
      const { weightDecay: wd, weightDecayMode: mode, clipNorm } = group;
      const sign = group.maximize ? -globalScale : globalScale;
      const [l2, l1, pScale] = [mode === "l2" ? wd : 0, mode === "l1" ? wd : 0, mode === "decoupled" ? 1 - group.lr * wd : 1];
      for (const param of group.params) {
        if (!param.requiresGrad) continue;
        const scale = clipNorm === Number.POSITIVE_INFINITY ? sign : sign * clipCoefficient(norms![index]!, clipNorm);
        index += 1;
        this.update(param, group, this.state.get(param)!, [scale, group.clipValue, l2, l1, pScale], fresh.get(param) ?? NONE);
      }
    }
    return { skipped: false, gradNorm };
  }

  /**
   * Sets every parameter's gradient to zero.
   * @throws {@link DisposedError} after dispose(), or when a parameter was disposed (then no gradient changes).
   */
  zeroGrad(): void {
    this.assertLive("zeroGrad()");
    this.checkParams();
    for (const param of this.params()) param.zeroGrad();
  }

  /**
   * Frees the optimizer's state tensors and forgets the attached states; afterwards every
   * method throws DisposedError. The parameters stay the caller's. Idempotent, also after
   * the runtime's dispose() (its buffers went with the runtime's memory).
   */
  dispose(): void {
    this.freeState();
    this.attached.clear();
    this.isDisposed = true;
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /**
   * Adds a group of parameters (torch's add_param_group), e.g. layers unfrozen while
   * fine-tuning. Hyperparameters the group leaves out take the optimizer's defaults; it is
   * checked as at construction: known keys, valid values, live params of this runtime that
   * are in no other group. Schedulers and averagers made before see a group count or
   * parameter list they were not made for and throw StateError: make them after adding groups.
   *
   * @throws {@link ValueError} for unknown keys, bad values, or params that are not live Params of
   * this runtime or already in a group (nothing is added).
   * @throws {@link DisposedError} after dispose().
   */
  addParamGroup(group: ParamGroupInput<H>): void {
    this.assertLive("addParamGroup()");
    const { params, ...hyper } = checkOptions(group, { required: true, name: "group" });
    if (!Array.isArray(params)) throw new ValueError(`Invalid group: params is ${String(params)} (expected an array of Params)`);
    checkKeys(hyper, Object.keys(this.defaults), `group ${this.paramGroups.length}`);
    const merged = { ...this.defaults, ...hyper, params: [...params] } as ParamGroup<H>;
    this.checkParams([...this.paramGroups, merged]);
    this.checkGroup(merged, merged.params);
    this.paramGroups.push(merged);
  }

  /**
   * Saves `stateful`'s state inside this optimizer's: stateDict() stores it under
   * `extras[key]` and loadStateDict() hands it back (an LR scheduler, a Polyak average).
   *
   * @throws {@link ValueError} for an empty or taken key, or an object without stateDict()/loadStateDict().
   * @throws {@link DisposedError} after dispose().
   */
  attachState(key: string, stateful: Stateful): void {
    this.assertLive("attachState()");
    if (typeof key !== "string" || key === "") throw new ValueError(`Invalid key: ${String(key)} (expected a non-empty string)`);
    if (this.attached.has(key)) throw new ValueError(`Invalid key: '${key}' is already attached`);
    if (typeof stateful?.stateDict !== "function" || typeof stateful?.loadStateDict !== "function") {
      throw new ValueError(`Invalid stateful for '${key}' (expected an object with stateDict() and loadStateDict())`);
    }
    this.attached.set(key, stateful);
  }

  /**
   * Undoes attachState(key): the optimizer's state no longer carries that object's. Given
   * `stateful`, detaches only if that object is the one attached under `key`. A no-op after
   * dispose() (an attached object's own dispose() calls it, in either order).
   */
  detachState(key: string, stateful?: Stateful): void {
    if (stateful === undefined || this.attached.get(key) === stateful) this.attached.delete(key);
  }

  /**
   * The whole state as a plain, versioned, JSON-safe object: hyperparameters per group,
   * per-parameter step counts, buffers and scalars (parameters by position, as torch), and
   * the state of attached objects. Non-finite numbers and -0 are kept as strings, so a
   * JSON round trip restores every bit.
   *
   * @throws {@link DisposedError} after dispose().
   */
  stateDict(): StateDict {
    this.assertLive("stateDict()");
    return encodeState(this.snapshot(), "json");
  }

  /**
   * The same state in a compact binary form: a JSON header and the raw buffer bytes.
   * @throws {@link DisposedError} after dispose().
   */
  stateBytes(): Uint8Array {
    this.assertLive("stateBytes()");
    return encodeState(this.snapshot(), "binary");
  }

  /**
   * Restores a state saved by stateDict() of the same optimizer class, convention and
   * param layout, with the state of every attached object. All or nothing: every part
   * (hyperparameters, each parameter's state, each attached scheduler, average or plateau
   * rule) is validated before any is written. Throws StateError, changing nothing, when the
   * format, version, optimizer, groups, keys, lengths, dtypes or hyperparameters do not fit.
   * A state saved before the optimizer gained an option loads with the option's old behaviour.
   *
   * @throws {@link StateError} when the saved state does not fit (nothing changes).
   * @throws {@link DisposedError} after dispose().
   */
  loadStateDict(saved: unknown): void {
    this.assertLive("loadStateDict()");
    this.restore(decodeState(saved, "json"));
  }

  /**
   * Restores a state saved by stateBytes(); same checks as loadStateDict().
   * @throws {@link StateError} when the bytes are not a state that fits (nothing changes).
   * @throws {@link DisposedError} after dispose().
   */
  loadStateBytes(bytes: Uint8Array): void {
    this.assertLive("loadStateBytes()");
    this.restore(decodeState(bytes, "binary"));
  }

  /** Throws ValueError when a hyperparameter of `hyper` (beyond the shared ones) is out of range. */
  protected abstract checkHyper(hyper: H): void;

  /** The state buffers a parameter of `group` needs now (allocated lazily, zero-filled unless initialValue says). */
  protected abstract bufferNames(group: H): readonly string[];

  /** Every buffer name this optimizer may ever hold (for checking saved state). */
  protected abstract readonly allBufferNames: readonly string[];

  /** Initial value of a new buffer (default 0). */
  protected initialValue(_buffer: string, _group: H): number {
    return 0;
  }

  /**
   * Hyperparameters added after this optimizer's saved-state format was first written, each
   * with the value that reproduces how a state saved without it behaved. loadStateDict() fills
   * these, and only these, into saved groups that lack them; any other missing field is a
   * StateError.
   */
  protected readonly addedHyperparameters: Partial<H> = {};

  /** Scalar accumulators of a new state and their initial values (default none). */
  protected initialScalars(): Record<string, number> {
    return {};
  }

  /** Updates one parameter in place: a single fused kernel call. `fresh` names buffers created this step. */
  protected abstract update(param: Param, group: ParamGroup<H>, state: ParamState, prologue: Prologue, fresh: ReadonlySet<string>): void;

  /** The kernel `op` for a parameter's dtype. */
  protected kernel<O extends KernelOp>(dtype: FloatDType, op: O): Kernels[`f32_${O}`] {
    return (dtype === "f64" ? this.kernels.f64 : this.kernels.f32)[op] as Kernels[`f32_${O}`];
  }

  private assertLive(call: string): void {
    if (this.isDisposed) throw new DisposedError(`${this.name}.${call} after dispose()`);
  }

  private freeState(): void {
    // After the runtime's dispose() the buffers are gone already: nothing is left to free.
    for (const state of this.state.values()) for (const buffer of Object.values(state.buffers)) if (!buffer.disposed) buffer.dispose();
    this.state.clear();
  }

  private checkOptions(): void {
    checkBound("clipGlobalNorm", this.clipGlobalNorm);
    checkOneOf("nonFinite", this.nonFinite, ["error", "skip", "propagate"] as const);
  }

  /** Checks a group's hyperparameters; with its params, also that eps stays > 0 in their dtypes. */
  private checkGroup(group: H, params: readonly Param[] = []): void {
    checkNumber("lr", group.lr, { min: 0 });
    checkNumber("weightDecay", group.weightDecay, { min: 0 });
    checkOneOf("weightDecayMode", group.weightDecayMode, ["l2", "decoupled", "l1"] as const);
    checkBoolean("maximize", group.maximize);
    checkBound("clipValue", group.clipValue);
    checkBound("clipNorm", group.clipNorm);
    this.checkHyper(group);
    if ("eps" in group && group.eps !== 0 && params.some((p) => p.dtype === "f32")) {
      // eps is added in the parameters' dtype; one that rounds to 0 makes 0/0 of a zero gradient
      // (eps = 0 itself passes only the optimizers that define that case: checkHyper above).
      checkEps(group.eps, SMALLEST_POSITIVE.f32, "smaller rounds to 0 in f32, the dtype of the params");
    }
  }

  /** Whether clipping or the non-finite check need the gradients' sums of squares. */
  private needsNorms(): boolean {
    return (
      this.nonFinite !== "propagate" ||
      this.clipGlobalNorm !== Number.POSITIVE_INFINITY ||
      this.paramGroups.some((group) => group.clipNorm !== Number.POSITIVE_INFINITY)
    );
  }

  /** Allocates every missing state buffer before any kernel runs; on failure frees what it made. */
  private allocateState(): Map<Param, Set<string>> {
    const made: Array<{ param: Param; name: string; tensor: Tensor<FloatDType> }> = [];
    try {
      for (const group of this.paramGroups) {
        for (const param of group.params) {
          if (!param.requiresGrad) continue;
          const existing = this.state.get(param)?.buffers ?? {};
          for (const name of this.bufferNames(group)) {
            if (existing[name]) continue;
            const tensor = this.runtime.keep(this.runtime.tensor(param.shape, { dtype: param.dtype }));
            made.push({ param, name, tensor });
            const init = this.initialValue(name, group);
            if (init !== 0) tensor.fill(init);
          }
        }
      }
    } catch (error) {
      for (const { tensor } of made) tensor.dispose();
      throw error;
    }
    const fresh = new Map<Param, Set<string>>();
    for (const { param, name, tensor } of made) {
      let state = this.state.get(param);
      if (!state) {
        state = { step: 0, buffers: {}, scalars: this.initialScalars() };
        this.state.set(param, state);
      }
      state.buffers[name] = tensor;
      if (!fresh.has(param)) fresh.set(param, new Set());
      fresh.get(param)!.add(name);
    }
    for (const group of this.paramGroups) {
      for (const param of group.params) {
        if (param.requiresGrad && !this.state.has(param)) this.state.set(param, { step: 0, buffers: {}, scalars: this.initialScalars() });
      }
    }
    return fresh;
  }

  private params(): Param[] {
    return this.paramGroups.flatMap((group) => group.params);
  }

  private snapshot(): Snapshot {
    const params = this.params();
    const state: Record<string, SavedParamState> = {};
    params.forEach((param, index) => {
      const s = this.state.get(param);
      if (!s) return;
      const buffers: Record<string, Float32Array | Float64Array> = {};
      for (const [name, tensor] of Object.entries(s.buffers)) buffers[name] = tensor.data.slice();
      state[index] = { step: s.step, dtype: param.dtype, length: param.length, buffers, scalars: { ...s.scalars } };
    });
    let next = 0;
    const paramGroups = this.paramGroups.map(({ params: groupParams, ...hyper }) => ({
      ...(hyper as unknown as Record<string, unknown>),
      params: groupParams.map(() => next++),
    }));
    const extras: Record<string, unknown> = {};
    for (const [key, stateful] of this.attached) extras[key] = stateful.stateDict();
    return {
      optimizer: this.name,
      convention: this.convention,
      options: { clipGlobalNorm: this.clipGlobalNorm, nonFinite: this.nonFinite },
      paramGroups,
      state,
      extras,
    };
  }

  private restore(saved: Snapshot): void {
    const fail = (why: string): never => {
      throw new StateError(`Cannot load state: ${why}`);
    };
    if (saved.optimizer !== this.name) fail(`it was saved by ${String(saved.optimizer)}, not ${this.name}`);
    if (saved.convention !== this.convention) fail(`it was saved with convention '${String(saved.convention)}', this optimizer uses '${this.convention}'`);
    const params = this.params();
    if (!Array.isArray(saved.paramGroups) || saved.paramGroups.length !== this.paramGroups.length) {
      fail(`it has ${saved.paramGroups?.length} param groups, this optimizer ${this.paramGroups.length}`);
    }
    // Validate every group's hyperparameters on copies.
    let next = 0;
    const hypers = saved.paramGroups.map((savedGroup, g) => {
      const group = this.paramGroups[g]!;
      const indices = savedGroup?.params;
      const expected = group.params.map(() => next++);
      if (!Array.isArray(indices) || indices.length !== expected.length || Array.from(indices).some((v, i) => v !== expected[i])) {
        fail(`group ${g} holds params ${JSON.stringify(indices)}, expected ${JSON.stringify(expected)}`);
      }
      const { params: _ignored, ...savedHyper } = savedGroup as Record<string, unknown>;
      const hyper: Record<string, unknown> = { ...this.addedHyperparameters, ...savedHyper };
      // Every hyperparameter must be there; extra fields (a scheduler's initialLr) ride along.
      const missing = Object.keys(this.defaults).filter((key) => !(key in hyper) || hyper[key] === undefined);
      if (missing.length) fail(`group ${g} lacks ${missing.join(", ")}`);
      // JSON.parse makes "__proto__" an own key; assigning it would replace the group's prototype.
      if (Object.hasOwn(hyper, "__proto__")) fail(`group ${g} has a field '__proto__'`);
      try {
        this.checkGroup(hyper as unknown as H, group.params);
      } catch (error) {
        fail(`group ${g}: ${(error as Error).message}`);
      }
      return hyper as unknown as H;
    });
    const options = saved.options ?? {};
    try {
      checkBound("clipGlobalNorm", options.clipGlobalNorm);
      checkOneOf("nonFinite", options.nonFinite, ["error", "skip", "propagate"] as const);
    } catch (error) {
      fail((error as Error).message);
    }
    // Validate every parameter's state.
    const entries = Object.entries(saved.state ?? {});
    for (const [key, s] of entries) {
      const index = Number(key);
      const param = params[index];
      // Only the canonical spelling: "00" or "" would name param 0 a second time.
      if (String(index) !== key || !param) fail(`state for param ${JSON.stringify(key)}, which does not exist`);
      if (!Number.isInteger(s.step) || s.step < 0) fail(`param ${key} has step ${String(s.step)}`);
      if (s.dtype !== param!.dtype || s.length !== param!.length) {
        fail(`param ${key} was ${s.dtype}[${s.length}], is ${param!.dtype}[${param!.length}]`);
      }
      for (const [name, data] of Object.entries(s.buffers)) {
        if (!this.allBufferNames.includes(name)) fail(`param ${key} has an unknown buffer '${name}'`);
        if (data.length !== param!.length) fail(`buffer '${name}' of param ${key} has ${data.length} values, expected ${param!.length}`);
      }
      const scalarNames = Object.keys(this.initialScalars()).sort();
      if (JSON.stringify(Object.keys(s.scalars).sort()) !== JSON.stringify(scalarNames)) {
        fail(`param ${key} has scalars ${Object.keys(s.scalars).join(", ")}, expected ${scalarNames.join(", ")}`);
      }
      for (const [name, value] of Object.entries(s.scalars)) if (typeof value !== "number") fail(`scalar '${name}' is not a number`);
    }
    const extras = saved.extras ?? {};
    for (const key of this.attached.keys()) if (!(key in extras)) fail(`it lacks the attached state '${key}'`);
    for (const key of Object.keys(extras)) if (!this.attached.has(key)) fail(`it holds state '${key}', which nothing is attached to`);
    // Every attached state is validated before anything is written.
    const commits = [...this.attached].map(([key, stateful]) => stateful.prepareLoad?.(extras[key]));

    // Allocate the new state in full before touching the old.
    const made: Tensor[] = [];
    const next_ = new Map<Param, ParamState>();
    // Attached objects without prepareLoad() load directly; their state before, to undo that.
    const loaded: Array<[Stateful, unknown]> = [];
    try {
      for (const [key, s] of entries) {
        const param = params[Number(key)]!;
        const buffers: Record<string, Tensor<FloatDType>> = {};
        for (const [name, data] of Object.entries(s.buffers)) {
          const tensor = this.runtime.keep(this.runtime.tensor(param.shape, { dtype: param.dtype }));
          made.push(tensor);
          tensor.data.set(data);
          buffers[name] = tensor;
        }
        next_.set(param, { step: s.step, buffers, scalars: { ...s.scalars } });
      }
      for (const [key, stateful] of this.attached) {
        if (stateful.prepareLoad) continue;
        const before = stateful.stateDict();
        stateful.loadStateDict(extras[key]);
        loaded.push([stateful, before]);
      }
    } catch (error) {
      for (const [stateful, before] of loaded.reverse()) stateful.loadStateDict(before);
      for (const tensor of made) tensor.dispose();
      throw error;
    }
    for (const commit of commits) commit?.();
    this.freeState();
    for (const [param, s] of next_) this.state.set(param, s);
    // Each group becomes exactly the saved one: fields an earlier load brought and this state lacks go.
    hypers.forEach((hyper, g) => {
      const group = this.paramGroups[g]! as unknown as Record<string, unknown>;
      for (const key of Object.keys(group)) if (key !== "params" && !(key in hyper)) delete group[key];
      Object.assign(group, hyper);
    });
    this.clipGlobalNorm = options.clipGlobalNorm;
    this.nonFinite = options.nonFinite as NonFinitePolicy;
  }

  /** Checks that every group's params are live Params of this runtime, each in one group only. */
  private checkParams(groups: readonly ParamGroup<H>[] = this.paramGroups): void {
    const seen = new Set<Param>();
    for (const [g, group] of groups.entries()) {
      if (!Array.isArray(group.params)) throw new ValueError(`Invalid params of group ${g}: ${String(group.params)} (expected an array)`);
      for (const param of group.params) {
        if (!(param instanceof Param)) throw new ValueError(`Invalid param: ${String(param)} (expected a Param from rt.param())`);
        if (seen.has(param)) throw new ValueError(`Invalid params: ${param.describe()} appears more than once`);
        if (param.runtime !== this.runtime) throw new ValueError(`Invalid param: ${param.describe()} belongs to another runtime`);
        assertUsable(param);
        if (typeof param.requiresGrad !== "boolean") throw new ValueError(`Invalid requiresGrad of ${param.describe()}: ${String(param.requiresGrad)} (expected true or false)`);
        seen.add(param);
      }
    }
  }
}

/** A list of tensors is one group; otherwise every entry must be a `{ params: [...] }` group. */
function toGroups<H>(params: Param[] | ParamGroupInput<H>[]): ParamGroupInput<H>[] {
  if (!Array.isArray(params)) throw new ValueError(`Invalid params: ${String(params)} (expected an array)`);
  if (params.every((entry) => entry instanceof Tensor)) return [{ params } as ParamGroupInput<H>];
  for (const group of params) {
    if (group instanceof Tensor || !Array.isArray((group as ParamGroupInput<H>)?.params)) {
      throw new ValueError("Invalid params: expected an array of Params or an array of { params: Param[] } groups");
    }
  }
  return params as ParamGroupInput<H>[];
}

function assertUsable(param: Param): void {
  if (param.disposed || param.grad.disposed) throw new DisposedError(`${param.describe()} was used after dispose()`);
}
