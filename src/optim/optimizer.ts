import { DisposedError, ValueError } from "../runtime/errors";
import { Param, Tensor } from "../runtime/tensor";
import type { Runtime } from "../runtime/runtime";
import { checkNumber } from "../runtime/validate";

/** Hyperparameters every optimizer has. */
export interface BaseHyper {
  /** Learning rate (the book's epsilon). */
  lr: number;
}

/** A group of parameters sharing hyperparameters; unset ones fall back to the optimizer's defaults. */
export type ParamGroupInput<H> = { params: Param[] } & Partial<H>;

/** A group after merging with the defaults. Hyperparameters may be changed between steps. */
export type ParamGroup<H> = H & { params: Param[] };

/**
 * The shell every optimizer shares (after torch.optim): parameter groups with defaults
 * merged in, per-parameter state created lazily and keyed by the Param object itself,
 * and a step() that validates everything before the first byte changes, so a throwing
 * step leaves parameters and state untouched.
 *
 * Subclasses supply the hyperparameter check, the state constructor and the update.
 */
export abstract class Optimizer<H extends BaseHyper, S> {
  readonly paramGroups: ParamGroup<H>[];
  protected readonly state = new Map<Param, S>();
  protected readonly runtime: Runtime;

  protected constructor(
    runtime: Runtime,
    params: Param[] | ParamGroupInput<H>[],
    readonly defaults: Readonly<H>,
  ) {
    this.runtime = runtime;
    this.checkHyper(defaults);
    const groups = toGroups(params);
    this.paramGroups = groups.map((group) => ({ ...defaults, ...group, params: [...group.params] }) as ParamGroup<H>);
    this.checkParams();
    for (const group of this.paramGroups) this.checkHyper(group);
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0]?.lr ?? this.defaults.lr;
  }

  /** Sets the learning rate of every group. */
  set lr(value: number) {
    checkNumber("lr", value, { min: 0 });
    for (const group of this.paramGroups) group.lr = value;
  }

  /** Applies one update to every parameter from its current gradient. */
  step(): void {
    for (const group of this.paramGroups) this.checkHyper(group);
    for (const group of this.paramGroups) for (const param of group.params) assertUsable(param);
    for (const group of this.paramGroups) {
      for (const param of group.params) {
        let state = this.state.get(param);
        if (state === undefined) {
          // The optimizer owns its state: it must outlive any scope step() runs in.
          state = this.runtime.keep(this.createState(param));
          this.state.set(param, state);
        }
        this.update(param, group, state);
      }
    }
  }

  /** Sets every parameter's gradient to zero. */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const param of group.params) param.zeroGrad();
  }

  /** Frees the optimizer's state tensors. The parameters stay the caller's. */
  dispose(): void {
    for (const state of this.state.values()) this.disposeState(state);
    this.state.clear();
  }

  /** Throws ValueError when a hyperparameter of `hyper` is out of range. */
  protected abstract checkHyper(hyper: H): void;

  /** Allocates the state of one parameter (zeroed buffers, step 0). */
  protected abstract createState(param: Param): S;

  /** Frees the tensors of one state. */
  protected abstract disposeState(state: S): void;

  /** Updates one parameter in place: a single fused kernel call. */
  protected abstract update(param: Param, group: ParamGroup<H>, state: S): void;

  private checkParams(): void {
    const seen = new Set<Param>();
    for (const group of this.paramGroups) {
      for (const param of group.params) {
        if (!(param instanceof Param)) throw new ValueError(`Invalid param: ${String(param)} (expected a Param from rt.param())`);
        if (seen.has(param)) throw new ValueError(`Invalid params: ${param.describe()} appears more than once`);
        if (param.dtype !== "f32") {
          throw new ValueError(`Invalid param: ${param.describe()} (expected dtype 'f32')`);
        }
        assertUsable(param);
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
