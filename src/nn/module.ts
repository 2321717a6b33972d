import { Ops } from "../autodiff/ops";
import { DisposedError, NonFiniteError, StateError, ValueError } from "../runtime/errors";
import { Param, Tensor, sizeOf, type DType } from "../runtime/tensor";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { mix32 } from "../runtime/runtime";
import type { Initializer } from "../init/initializers";

/**
 * A tensor as a state dict holds it: a live {@link Tensor} (what `stateDict()` returns in the
 * descend layout) or plain values with their dtype and shape (a file's contents). `dtype` 'i64'
 * is what PyTorch stores integer buffers in (`num_batches_tracked`); it loads into an i32 tensor.
 */
export interface StateTensor {
  /** Element type; 'i64' (PyTorch's integer buffers) loads into an i32 tensor. */
  readonly dtype: DType | "i64";
  /** Dimensions, row-major. */
  readonly shape: readonly number[];
  /** The values, row-major, as many as the shape's product. */
  readonly data: ArrayLike<number>;
}

/**
 * How a state dict lays out its tensors: 'descend' (as the modules store them) or 'pytorch'
 * (torch.nn's layout: a Linear weight is [out, in], the transpose of descend's [in, out]).
 */
export type StateLayout = "descend" | "pytorch";

/** Options of `Module.stateDict()`. */
export interface StateDictOptions {
  /**
   * The layout of the tensors. In the 'pytorch' layout the transposed entries are copies.
   * @defaultValue 'descend'
   */
  layout?: StateLayout;
}

/** Options of `Module.loadStateDict()`. */
export interface LoadStateDictOptions extends StateDictOptions {
  /**
   * What a NaN or infinity in a floating-point entry does: 'error' throws NonFiniteError naming
   * the key, with nothing loaded; 'allow' loads it.
   * @defaultValue 'error'
   */
  nonFinite?: "error" | "allow";
}

const STATE_DICT_OPTIONS = optionNames<StateDictOptions>({ layout: true });
const LOAD_OPTIONS = optionNames<LoadStateDictOptions>({ layout: true, nonFinite: true });

/** A registered tensor and whether descend stores it as the transpose of PyTorch's layout. */
interface Entry<T extends Tensor> {
  tensor: T | null;
  transposed: boolean;
  /** How resetParameters() fills it. */
  init?: Initializer;
}

/** One tensor of the state dict, where it lives, and its layout. */
interface StateSlot {
  tensor: Tensor;
  transposed: boolean;
}

/**
 * The base of every model part (after torch.nn.Module): a tree of named parameters, buffers
 * (state that is saved but not trained, such as running statistics) and child modules, with
 * a training/evaluation mode, `parameters()` for an optimizer and a `stateDict()` whose keys
 * are the tree's dotted paths (`0.weight`, `block.1.running_mean`), the keys PyTorch uses.
 *
 * Children and parameters are found in two ways: fields of the module that hold a Module, an
 * array of Modules (named `field.0`, `field.1`, ...) or a Param are registered under the
 * field's name, in the order the fields were set; `registerParameter`, `registerBuffer` and
 * `registerModule` name them explicitly (and come first). So a user-defined model reads like
 * its PyTorch twin:
 *
 * @example
 * class MLP extends Module {
 *   fc1 = new Linear(rt, 784, 256, { relu: true });
 *   fc2 = new Linear(rt, 256, 10);
 *   forward(ops: Ops, x: Tensor<"f32">) {
 *     return this.fc2.forward(ops, this.fc1.forward(ops, x));
 *   }
 * }
 * const model = new MLP();        // namedParameters(): fc1.weight, fc1.bias, fc2.weight, fc2.bias
 * const step = valueAndGrad(rt, (ops, x, y) => ops.softmaxCrossEntropy(model.forward(ops, x), y));
 */
export class Module {
  /** Training (true, the default) or evaluation mode; set with train() / eval(). */
  training = true;
  private readonly registeredParams = new Map<string, Entry<Param>>();
  private readonly registeredBuffers = new Map<string, Entry<Tensor>>();
  private readonly registeredModules = new Map<string, Module>();
  private disposedTree = false;

  /**
   * The module's output for `x`, recorded on the tape of `ops` (inside a function given to
   * `valueAndGrad`), so that the gradient of a loss lands in `param.grad` of its parameters.
   * Subclasses define it; the base throws.
   * @throws ValueError when the module defines no forward through the tape.
   */
  forward(ops: Ops, x: Tensor<"f32">): Tensor<"f32">;
  forward(..._args: unknown[]): unknown {
    throw new ValueError(`${this.constructor.name} defines no forward(ops, x) through the tape`);
  }

  /**
   * Registers `param` under `name` (null: the name is taken, the slot empty, as a Linear
   * without bias). `transposed` says descend stores it as the transpose of PyTorch's layout;
   * `init` is how {@link resetParameters} fills it. Returns the param.
   * @throws ValueError for a name that is empty, holds a dot or is taken, or a value that is not a Param or null.
   */
  protected registerParameter<P extends Param | null>(name: string, param: P, options: { transposed?: boolean; init?: Initializer } = {}): P {
    this.checkName(name);
    if (param !== null && !(param instanceof Param)) throw new ValueError(`Invalid parameter '${name}': ${String(param)} (expected a Param or null)`);
    this.registeredParams.set(name, { tensor: param, transposed: options.transposed === true, init: options.init });
    return param;
  }

  /**
   * Registers `tensor` as a buffer under `name`: saved in the state dict, not trained.
   * @throws ValueError for a name that is empty, holds a dot or is taken, or a value that is not a Tensor or null.
   */
  protected registerBuffer<T extends Tensor | null>(name: string, tensor: T): T {
    this.checkName(name);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new ValueError(`Invalid buffer '${name}': ${String(tensor)} (expected a Tensor or null)`);
    this.registeredBuffers.set(name, { tensor, transposed: false });
    return tensor;
  }

  /**
   * Registers `module` as a child under `name`. Returns the module.
   * @throws ValueError for a name that is empty, holds a dot or is taken, or a value that is not a Module.
   */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    if (!(module instanceof Module)) throw new ValueError(`Invalid module '${name}': ${String(module)} (expected a Module)`);
    this.registeredModules.set(name, module);
    return module;
  }

  /**
   * The direct children with their names: the registered ones, then fields holding modules.
   * @throws DisposedError once the module was disposed.
   */
  namedChildren(): Array<[string, Module]> {
    this.assertTreeUsable();
    return this.children();
  }

  private children(): Array<[string, Module]> {
    const children = [...this.registeredModules];
    const seen = new Set<Module>(this.registeredModules.values());
    for (const [key, value] of Object.entries(this)) {
      const found: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [`${key}.${i}`, v]) : [[key, value]];
      for (const [name, module] of found) {
        if (module instanceof Module && module !== this && !seen.has(module)) {
          seen.add(module);
          children.push([name, module]);
        }
      }
    }
    return children;
  }

  /**
   * Every module of the tree, this one first (named ''), each once, depth first.
   * @throws DisposedError once the module was disposed.
   */
  namedModules(): Array<[string, Module]> {
    const all: Array<[string, Module]> = [];
    const seen = new Set<Module>();
    const visit = (prefix: string, module: Module) => {
      if (seen.has(module)) return;
      seen.add(module);
      all.push([prefix, module]);
      for (const [name, child] of module.namedChildren()) visit(prefix ? `${prefix}.${name}` : name, child);
    };
    visit("", this);
    return all;
  }

  /**
   * Every trainable parameter of the tree by dotted name (`0.weight`), each Param once (the first name of a shared one).
   * @throws DisposedError once the module (or, for tensors, one of them) was disposed.
   */
  namedParameters(): Array<[string, Param]> {
    const seen = new Set<Param>();
    return this.slots("params")
      .filter(([, slot]) => !seen.has(slot.tensor as Param) && seen.add(slot.tensor as Param))
      .map(([name, slot]) => [name, slot.tensor as Param]);
  }

  /**
   * The parameters of the tree, for an optimizer: `new Adam(rt, model.parameters())`.
   * @throws DisposedError once the module (or, for tensors, one of them) was disposed.
   */
  parameters(): Param[] {
    return this.namedParameters().map(([, param]) => param);
  }

  /**
   * Every buffer of the tree by dotted name (`1.running_mean`).
   * @throws DisposedError once the module (or, for tensors, one of them) was disposed.
   */
  namedBuffers(): Array<[string, Tensor]> {
    return this.slots("buffers").map(([name, slot]) => [name, slot.tensor]);
  }

  /**
   * Sets the training mode of this module and every module under it. Returns this.
   * @throws ValueError for a mode that is not a boolean.
   * @throws DisposedError once the module was disposed.
   */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new ValueError(`Invalid mode: ${String(mode)} (expected a boolean)`);
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /**
   * Evaluation mode for the whole tree: `train(false)`. Returns this.
   * @throws DisposedError once the module was disposed.
   */
  eval(): this {
    return this.train(false);
  }

  /**
   * Initializes every registered parameter of the tree afresh from one model seed: the
   * parameter named `name` (`0.weight`) draws from the Philox stream of
   *
   * ```
   * seed of name = FNV-1a(name) mixed with each half of seed (murmur3's finalizer)
   * ```
   *
   * so two identical layers differ, the same architecture and seed give the same bits on
   * both backends whatever else the runtime allocated before, and adding a layer does not
   * change the others. Each parameter keeps its own initializer (a Linear's, zeros for its
   * bias, ones and zeros for a norm's gamma and beta); Params held in plain fields are left
   * as they are. Returns this.
   * @throws ValueError for a seed that is not an integer in [0, 2^53).
   * @throws DisposedError once the module or one of its parameters was disposed.
   */
  resetParameters(seed: number): this {
    checkNumber("seed", seed, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
    const inits: Array<[string, Param, Initializer]> = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, { tensor, init }] of module.registeredParams) {
        const key = prefix ? `${prefix}.${name}` : name;
        if (tensor && tensor.disposed) throw new DisposedError(`${key}: ${tensor.describe()} was used after dispose()`);
        if (tensor && init) inits.push([key, tensor, init]);
      }
    }
    for (const [key, param, init] of inits) init(param, nameSeed(seed, key));
    return this;
  }

  /**
   * Sets the gradient of every parameter to zero.
   * @throws DisposedError once the module (or, for tensors, one of them) was disposed.
   */
  zeroGrad(): void {
    for (const param of this.parameters()) param.zeroGrad();
  }

  /**
   * Parameters and buffers by dotted name, as PyTorch's `state_dict()`: in the 'descend'
   * layout the live tensors themselves (read them, or copy what you keep); in the 'pytorch'
   * layout a transposed copy of each entry whose layouts differ (Linear weights).
   * @throws ValueError for an unknown option or layout.
   * @throws DisposedError once the module or one of its tensors was disposed.
   */
  stateDict(options: StateDictOptions = {}): Record<string, StateTensor> {
    const layout = checkLayout(checkOptions(options, { of: "Module.stateDict", known: STATE_DICT_OPTIONS }).layout);
    const state: Record<string, StateTensor> = {};
    for (const [name, slot] of this.slots("params", "buffers")) {
      state[name] = layout === "pytorch" && slot.transposed ? transposed(slot.tensor) : slot.tensor;
    }
    return state;
  }

  /**
   * Copies `state` into the parameters and buffers, all or nothing: every entry must name a
   * tensor of the module, of the same shape (in `layout`) and dtype ('i64' loads into i32),
   * with finite values unless `nonFinite` is 'allow', and every tensor of the module must
   * have an entry; otherwise nothing is written.
   * @throws StateError naming the key: a missing or unexpected key, another shape or dtype, a non-integer in an integer entry.
   * @throws NonFiniteError naming the key: a NaN or infinity with nonFinite 'error'.
   * @throws ValueError for an unknown option, or a state that is not an object.
   * @throws DisposedError once the module or one of its tensors was disposed.
   */
  loadStateDict(state: Record<string, StateTensor>, options: LoadStateDictOptions = {}): void {
    this.prepareLoad(state, options)();
  }

  /**
   * @internal Validates `state` as loadStateDict() does and returns the function that writes
   * it (which cannot throw), so a caller can validate several parts before writing any.
   */
  prepareLoad(state: Record<string, StateTensor>, options: LoadStateDictOptions = {}): () => void {
    const { layout, nonFinite = "error" } = checkOptions(options, { of: "Module.loadStateDict", known: LOAD_OPTIONS });
    const inLayout = checkLayout(layout);
    if (nonFinite !== "error" && nonFinite !== "allow") throw new ValueError(`Invalid nonFinite: ${String(nonFinite)} (expected 'error' or 'allow')`);
    if (state === null || typeof state !== "object" || Array.isArray(state)) throw new ValueError(`Invalid state: ${String(state)} (expected an object of tensors by name)`);
    const slots = new Map(this.slots("params", "buffers"));
    const missing = [...slots.keys()].filter((name) => !Object.hasOwn(state, name));
    if (missing.length) throw new StateError(`Cannot load state: missing key${missing.length > 1 ? "s" : ""} ${missing.map((k) => `'${k}'`).join(", ")}`);
    const writes: Array<() => void> = [];
    for (const [name, entry] of Object.entries(state)) {
      const slot = slots.get(name);
      if (!slot) throw new StateError(`Cannot load state: unexpected key '${name}' (the module has ${[...slots.keys()].join(", ") || "no tensors"})`);
      writes.push(checkEntry(name, entry, slot, inLayout === "pytorch" && slot.transposed, nonFinite === "error"));
    }
    return () => {
      for (const write of writes) write();
    };
  }

  /** @internal The state-dict keys whose tensors descend stores as the transpose of PyTorch's layout. */
  transposedKeys(): Set<string> {
    return new Set(this.slots("params", "buffers").filter(([, slot]) => slot.transposed).map(([key]) => key));
  }

  /**
   * Frees every parameter, buffer and child module of the tree; afterwards the tree's methods
   * throw DisposedError. Modules with buffers of their own (layers, norms) free those too. Idempotent.
   */
  dispose(): void {
    if (this.disposedTree) return;
    this.disposedTree = true;
    for (const [, child] of this.children()) child.dispose();
    for (const registry of [this.registeredParams, this.registeredBuffers]) {
      for (const { tensor } of registry.values()) if (tensor && !tensor.disposed) tensor.dispose();
    }
    for (const [, value] of Object.entries(this)) if (value instanceof Param && !value.disposed) value.dispose();
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.disposedTree;
  }

  /** Marks the module disposed (for subclasses that free their own tensors). */
  protected markDisposed(): void {
    this.disposedTree = true;
  }

  private assertTreeUsable(): void {
    if (this.disposedTree) throw new DisposedError(`${this.constructor.name} was used after dispose()`);
  }

  private checkName(name: string): void {
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new ValueError(`Invalid name: ${JSON.stringify(name)} (expected a non-empty string without dots)`);
    }
    if (this.registeredParams.has(name) || this.registeredBuffers.has(name) || this.registeredModules.has(name)) {
      throw new ValueError(`Invalid name: '${name}' is already registered`);
    }
  }

  /** This module's own params (registered, then Param fields) or buffers, by local name. */
  private ownSlots(kind: "params" | "buffers"): Array<[string, StateSlot]> {
    this.assertTreeUsable();
    const registry = kind === "params" ? this.registeredParams : this.registeredBuffers;
    const slots: Array<[string, StateSlot]> = [];
    for (const [name, { tensor, transposed }] of registry) if (tensor) slots.push([name, { tensor, transposed }]);
    if (kind === "buffers") return slots;
    const registered = new Set<Tensor | null>([...this.registeredParams.values(), ...this.registeredBuffers.values()].map((e) => e.tensor));
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Param && !registered.has(value)) {
        registered.add(value);
        slots.push([key, { tensor: value, transposed: false }]);
      }
    }
    return slots;
  }

  /**
   * The tensors of `kinds` in the whole tree by dotted name, module by module (params before
   * buffers within a module, as PyTorch orders a state dict), each checked live.
   */
  private slots(...kinds: Array<"params" | "buffers">): Array<[string, StateSlot]> {
    const all: Array<[string, StateSlot]> = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, slot] of kinds.flatMap((kind) => module.ownSlots(kind))) {
        const key = prefix ? `${prefix}.${name}` : name;
        if (slot.tensor.disposed) throw new DisposedError(`${key}: ${slot.tensor.describe()} was used after dispose()`);
        all.push([key, slot]);
      }
    }
    return all;
  }
}

/**
 * The seed of the parameter `name` in a model of seed `seed`: FNV-1a of the name, mixed with
 * each half of the seed (murmur3's finalizer), in [0, 2^53).
 */
export function nameSeed(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  const lo = seed % 2 ** 32;
  const hi = Math.floor(seed / 2 ** 32);
  return mix32(lo ^ h) * 2 ** 21 + (mix32(hi ^ mix32(h ^ 0x9e3779b9)) >>> 11);
}

function checkLayout(layout: unknown): StateLayout {
  if (layout === undefined) return "descend";
  if (layout !== "descend" && layout !== "pytorch") throw new ValueError(`Invalid layout: ${String(layout)} (expected 'descend' or 'pytorch')`);
  return layout;
}

/** @internal A copy of a matrix entry [r, c] as [c, r], in a typed array of its dtype. */
export function transposed(t: StateTensor): StateTensor {
  const [rows, cols] = t.shape as [number, number];
  const source = t.data;
  const data = t.dtype === "f32" ? new Float32Array(source.length) : t.dtype === "i32" ? new Int32Array(source.length) : new Float64Array(source.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[j * rows + i] = source[i * cols + j]!;
  return { dtype: t.dtype, shape: [cols, rows], data };
}

const describeShape = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/**
 * Checks one entry against the tensor it loads into and returns the write. `transpose`: the
 * entry is in PyTorch's layout, the transpose of the tensor's.
 */
function checkEntry(name: string, entry: StateTensor, slot: StateSlot, transpose: boolean, finite: boolean): () => void {
  const fail = (why: string): never => {
    throw new StateError(`Cannot load state: '${name}' ${why}`);
  };
  const target = slot.tensor;
  if (entry === null || typeof entry !== "object") return fail(`is ${String(entry)}, not a tensor`);
  const { dtype, shape, data } = entry;
  if (!Array.isArray(shape)) fail("has no shape list");
  let length: number;
  try {
    length = sizeOf(shape);
  } catch {
    return fail(`has an invalid shape ${String(shape)}`);
  }
  const expected = transpose ? [...target.shape].reverse() : target.shape;
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    fail(`has shape ${describeShape(shape)}, expected ${describeShape(expected)}${transpose ? " (PyTorch's layout)" : ""}`);
  }
  const integer = target.dtype === "i32";
  if (dtype !== target.dtype && !(integer && dtype === "i64")) fail(`has dtype ${String(dtype)}, expected ${target.dtype}`);
  if (data === null || typeof data !== "object" || typeof (data as ArrayLike<number>).length !== "number" || data.length !== length) {
    fail(`holds ${(data as ArrayLike<number> | null)?.length ?? "no"} values, expected ${length}`);
  }
  for (let i = 0; i < length; i++) {
    const v = data[i];
    if (typeof v !== "number") fail(`holds ${String(v)} at ${i}, not a number`);
    if (integer ? !(Number.isInteger(v) && v! >= -(2 ** 31) && v! < 2 ** 31) : finite && !Number.isFinite(v)) {
      if (integer) fail(`holds ${v} at ${i}, not an i32`);
      throw new NonFiniteError(`Cannot load state: '${name}' holds ${v} at ${i} (nonFinite: 'error')`);
    }
  }
  // Copied now: the entry may be a view that changes (or a tensor that is freed) before the write.
  const values = new (target.data.constructor as Float64ArrayConstructor)(data);
  return () => {
    const out = target.data;
    if (!transpose) {
      out.set(values);
      return;
    }
    const [rows, cols] = target.shape as [number, number];
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = values[j * rows + i]!;
  };
}

/** Whether `x` is the tape's ops (a module's forward through the tape) rather than an input tensor. */
export function isOps(x: unknown): x is Ops {
  return x instanceof Ops;
}
