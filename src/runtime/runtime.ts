import { Allocator } from "./memory";
import { DisposedError, ShapeError, ValueError } from "./errors";
import { checkFunction, checkNumber, checkOptions, checkValues, optionNames } from "./validate";
import { Heap } from "./heap";
import type { Kernels } from "./kernels";
import type { WasmTarget } from "./backend-wasm";
import { BYTES_PER_ELEMENT, Param, Tensor, isDType, pinValues, sizeOf, type DType, type FloatDType, type TensorOwner } from "./tensor";

/** Which implementation runs the kernels: the WebAssembly SIMD module or the plain-TS twins. */
export type Backend = "wasm" | "js";

/** Live memory of a runtime, for proving the absence of leaks. */
export interface MemoryStats {
  /** Bytes held by live tensors (rounded up to 16-byte blocks). */
  liveBytes: number;
  /** Live tensors, counting a Param and its gradient as two. */
  liveTensors: number;
  /** The most bytes ever live at once. */
  peakBytes: number;
  /** Size of the linear memory now. */
  capacityBytes: number;
}

/** What a runtime runs on, as `rt.info()` reports it (e.g. for a log line). */
export interface RuntimeInfo {
  /** 'wasm' or 'js' (the plain-TypeScript reference kernels). */
  backend: Backend;
  /**
   * The wasm build loaded: 'relaxed' (relaxed SIMD, fused multiply-add) or 'simd' (plain
   * SIMD128), with '-threads' when it runs on a shared memory; null on the 'js' backend.
   */
  variant: WasmTarget | null;
  /** Threads that run the kernels which split their work, counting the calling thread. */
  threads: number;
  /** Size of the linear memory now, in bytes. */
  memoryBytes: number;
}

/** Options of `rt.tensor` and `rt.fromArray`. */
export interface TensorOptions<D extends DType> {
  /**
   * Element type: 'f32', 'f64' or 'i32'.
   * @defaultValue 'f32'
   */
  dtype?: D;
}

/** Options of `rt.param`. */
export interface ParamOptions<D extends FloatDType> extends TensorOptions<D> {
  /**
   * Initial values (copied in).
   * @defaultValue zeros
   */
  values?: ArrayLike<number>;
  /**
   * Fills the new parameter in place, e.g. `glorotUniform()` (descend's init area); excludes `values`.
   * @defaultValue none (the values, or zeros)
   */
  init?: (param: Param<D>, seed: number) => unknown;
  /**
   * Seed handed to `init`: an integer in [0, 2^53). The default is a fresh seed per param
   * derived from the runtime's seed (so two params made alike differ, reproducibly).
   * @defaultValue `rt.nextSeed()`
   */
  seed?: number;
}

const TENSOR_OPTIONS = optionNames<TensorOptions<DType>>({ dtype: true });
const PARAM_OPTIONS = optionNames<ParamOptions<FloatDType>>({ dtype: true, values: true, init: true, seed: true });

/** What a live runtime holds; dropped by dispose() so the memory can be collected. */
interface Resources {
  heap: Heap;
  kernels: Kernels;
  allocator: Allocator;
}

/**
 * One WebAssembly.Memory, its allocator and the kernels of one backend. Tensors made
 * here live in this memory; both backends read and write the same layout, so the same
 * program runs on either. Create with `init()` or `initSync()`.
 */
export class Runtime implements TensorOwner {
  private resources: Resources | null;
  private readonly scopes: Set<Tensor>[] = [];
  private liveTensors = 0;
  private readonly onDispose: Array<() => void> = [];
  private seedsDrawn = 0;

  /** @internal Runtimes are made by `init()` or `initSync()`. */
  constructor(
    /** Which implementation runs the kernels. */
    readonly backend: Backend,

    heap: Heap,
    kernels: Kernels,
    heapBase: number,
    maxMemoryBytes: number,
    /** The seed of initSync/init: the default seeds of layers derive from it (nextSeed()). */
    readonly seed = 0,
    private readonly loaded: Pick<RuntimeInfo, "variant" | "threads"> = { variant: null, threads: 1 },
  ) {
    if (!(heap instanceof Heap) || typeof kernels !== "object" || kernels === null) {
      throw new ValueError("Invalid Runtime arguments (create a runtime with init() or initSync())");
    }
    this.resources = { heap, kernels, allocator: new Allocator(heap.memory, heapBase, maxMemoryBytes) };
  }

  /**
   * The k-th default seed of this runtime (k = 0, 1, ... in call order), derived from
   * (seed, k) by a bijective integer hash, so layers made without a seed differ from each
   * other and rebuild identically on a fresh runtime of the same seed. In [0, 2^53).
   */
  nextSeed(): number {
    const k = this.seedsDrawn++;
    const lo = this.seed % 2 ** 32;
    const hi = Math.floor(this.seed / 2 ** 32);
    return mix32(lo ^ mix32(k)) * 2 ** 21 + (mix32(hi ^ mix32(k + 0x9e3779b9)) >>> 11);
  }

  /**
   * The backend, wasm variant, thread count and memory size of this runtime.
   *
   * @throws {@link DisposedError} after dispose()
   */
  info(): RuntimeInfo {
    return { backend: this.backend, ...this.loaded, memoryBytes: this.heap.memory.buffer.byteLength };
  }

  /** @internal Typed views over the linear memory. Throws DisposedError after dispose(). */
  get heap(): Heap {
    return this.live().heap;
  }

  /** @internal The kernels of this runtime's backend. Throws DisposedError after dispose(). */
  get kernels(): Kernels {
    return this.live().kernels;
  }

  /**
   * The linear memory every tensor of this runtime lives in.
   *
   * @throws {@link DisposedError} after dispose()
   */
  get memory(): WebAssembly.Memory {
    return this.live().heap.memory;
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.resources === null;
  }

  /**
   * Releases the runtime: stops its worker threads (a runtime made with `threads > 1`) and drops
   * its memory and kernels, so the memory can be collected while references to the runtime or its
   * tensors remain. Every later use of the runtime, its tensors, or objects built on them throws
   * DisposedError. Calling it again does nothing.
   */
  dispose(): void {
    if (this.resources === null) return;
    this.resources = null;
    this.scopes.length = 0;
    for (const release of this.onDispose.splice(0)) release();
  }

  /** @internal Runs `release` when the runtime is disposed (init uses it to stop the worker pool). */
  whenDisposed(release: () => void): void {
    this.onDispose.push(release);
  }

  /**
   * A new tensor of zeros.
   * @throws {@link ShapeError} for a shape that is not a list of non-negative integers.
   * @throws {@link ValueError} for a bad dtype, or unknown options.
   * @throws {@link OutOfMemoryError} when the memory cannot grow to hold it.
   * @throws {@link DisposedError} after dispose().
   */
  tensor<D extends DType = "f32">(shape: readonly number[], options: TensorOptions<D> = {}): Tensor<D> {
    const dtype = (checkOptions(options, { of: "rt.tensor", known: TENSOR_OPTIONS }).dtype ?? "f32") as D;
    checkDType(dtype);
    return this.track(this.allocate(shape, dtype, (ptr, length) => new Tensor(this, ptr, dtype, [...shape], length)));
  }

  /**
   * A new tensor holding a copy of `values` (the slow path); shape defaults to [values.length].
   * `values` may be a view of this runtime's memory (`t.data`): it is read before anything is
   * allocated, so the allocation growing the memory cannot detach it.
   *
   * @throws {@link ShapeError} when `shape` does not hold `values.length` elements.
   * @throws {@link ValueError} when `values` is not an array of numbers, or for a bad dtype.
   * @throws {@link OutOfMemoryError} when the memory cannot grow to hold it.
   * @throws {@link DisposedError} after dispose().
   */
  fromArray<D extends DType = "f32">(
    values: ArrayLike<number>,
    shape?: readonly number[],
    options: TensorOptions<D> = {},
  ): Tensor<D> {
    checkOptions(options, { of: "rt.fromArray", known: TENSOR_OPTIONS });
    const source = pinValues("values", values, this);
    const dims = shape ?? [source.length];
    checkValuesFit(source, dims);
    return this.filled(this.tensor(dims, options), source);
  }

  /**
   * A new trainable parameter with a zeroed gradient of the same shape.
   * @throws {@link ShapeError} when `values` does not fit `shape`.
   * @throws {@link ValueError} for a bad dtype (i32), seed or init, or unknown options.
   * @throws {@link OutOfMemoryError} when the memory cannot grow to hold it (nothing is kept).
   * @throws {@link DisposedError} after dispose().
   */
  param<D extends FloatDType = "f32">(shape: readonly number[], options: ParamOptions<D> = {}): Param<D> {
    const dtype = (checkOptions(options, { of: "rt.param", known: PARAM_OPTIONS }).dtype ?? "f32") as D;
    checkDType(dtype);
    // Typed callers cannot ask for an i32 param; plain JavaScript callers get a clear error.
    if ((dtype as DType) === "i32") throw new ValueError("Invalid dtype: i32 (a param must be 'f32' or 'f64')");
    // Read before allocating: the values may be a view of this memory, which growing it detaches.
    const values = options.values === undefined ? undefined : pinValues("values", options.values, this);
    if (values) checkValuesFit(values, shape);
    const { init } = options;
    if (init !== undefined && (typeof init !== "function" || values)) {
      throw new ValueError(`Invalid init: ${typeof init} (expected a function, and no values)`);
    }
    // Without a seed, each initialized param draws its own (nextSeed), so two are not alike.
    const seed = options.seed ?? (init !== undefined ? this.nextSeed() : 0);
    checkNumber("seed", seed, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
    const grad = this.tensor(shape, { dtype });
    this.scopes.at(-1)?.delete(grad); // owned by the param from here on
    let param: Param<D>;
    try {
      param = this.allocate(shape, dtype, (ptr) => new Param(this, ptr, dtype, [...shape], grad));
    } catch (error) {
      grad.dispose();
      throw error;
    }
    if (values) this.filled(param, values);
    try {
      init?.(param, seed);
    } catch (error) {
      param.dispose();
      throw error;
    }
    return this.track(param);
  }

  /**
   * Runs `fn` and disposes every tensor it allocated, except those in its result (a
   * tensor, or tensors inside arrays and objects, at any depth), which move to the outer scope.
   * If `fn` throws, everything it allocated is disposed. `fn` must be synchronous: an async
   * function is a ValueError before it runs, and a function that returns a promise is a
   * ValueError that frees nothing (its tensors move to the outer scope), since the work after
   * an await would otherwise find its tensors freed.
   *
   * @throws {@link ValueError} when `fn` is not a function, is async, or returns a promise.
   * @throws {@link DisposedError} after dispose().
   */
  scope<T>(fn: () => T): T {
    checkFunction("fn", fn);
    if (isAsyncFunction(fn)) throw new ValueError(SYNC_ONLY);
    this.live();
    const allocated = new Set<Tensor>();
    this.scopes.push(allocated);
    let result: T | undefined;
    let keepAll = false;
    try {
      result = fn();
      keepAll = isThenable(result);
      if (keepAll) throw new ValueError(SYNC_ONLY);
      return result;
    } finally {
      this.scopes.pop();
      const kept = new Set<Tensor>();
      collectTensors(result, kept);
      for (const tensor of allocated) {
        if (keepAll || kept.has(tensor)) this.scopes.at(-1)?.add(tensor);
        else if (!tensor.disposed) tensor.dispose();
      }
    }
  }

  /**
   * Takes the tensors in `value` (a tensor, or tensors inside arrays and plain objects) out of
   * every active scope, so they outlive it, and returns `value`. Objects that own tensors
   * (optimizers, layers, modules) keep what they allocate and free it in their dispose().
   */
  keep<T>(value: T): T {
    const tensors = new Set<Tensor>();
    collectTensors(value, tensors);
    for (const scope of this.scopes) for (const tensor of tensors) scope.delete(tensor);
    return value;
  }

  /**
   * Allocates the tensors an object will own all or nothing: runs `fn` in a scope and keeps
   * (see keep()) what it returns. When an allocation fails part-way (OutOfMemoryError), the
   * tensors already made are freed with the scope, so a failed constructor leaves nothing.
   *
   * @throws the errors of {@link Runtime.scope}, and whatever `fn` throws (often {@link OutOfMemoryError})
   */
  allocateOwned<T>(fn: () => T): T {
    return this.keep(this.scope(fn));
  }

  /**
   * Live bytes and tensors, peak bytes and capacity: for proving the absence of leaks.
   * @throws {@link DisposedError} after dispose().
   */
  memoryStats(): MemoryStats {
    const { liveBytes, peakBytes, capacityBytes } = this.live().allocator.stats();
    return { liveBytes, liveTensors: this.liveTensors, peakBytes, capacityBytes };
  }

  /** @internal Called by Tensor.dispose(). */
  release(tensor: Tensor): void {
    this.live().allocator.free(tensor.ptr);
    this.liveTensors -= 1;
    for (const scope of this.scopes) scope.delete(tensor);
  }

  private allocate<T extends Tensor>(
    shape: readonly number[],
    dtype: DType,
    make: (ptr: number, length: number) => T,
  ): T {
    const length = sizeOf(shape);
    const ptr = this.live().allocator.alloc(length * BYTES_PER_ELEMENT[dtype]);
    this.liveTensors += 1;
    const tensor = make(ptr, length);
    tensor.data.fill(0);
    return tensor;
  }

  /** `tensor` with `values` copied in; disposed if the copy throws (a getter of a user's array-like), so nothing leaks. */
  private filled<T extends Tensor>(tensor: T, values: ArrayLike<number>): T {
    try {
      return tensor.set(values);
    } catch (error) {
      tensor.dispose();
      throw error;
    }
  }

  private live(): Resources {
    if (this.resources === null) throw new DisposedError(`Runtime(${this.backend}) was used after dispose()`);
    return this.resources;
  }

  private track<T extends Tensor>(tensor: T): T {
    this.scopes.at(-1)?.add(tensor);
    return tensor;
  }
}

/**
 * The runtime that made `tensor`, as a Runtime: a tensor only knows its owner through the
 * {@link TensorOwner} contract (so that the tensor module does not depend on this one).
 * Prefer the runtime the caller already holds; use this where the tensor is all there is.
 *
 * @throws {@link ValueError} when `tensor` is not a Tensor, or its owner is not a Runtime (a
 * TensorOwner implemented elsewhere).
 */
export function runtimeOf(tensor: Tensor): Runtime {
  if (!(tensor instanceof Tensor)) throw new ValueError(`Invalid tensor: ${String(tensor)} (expected a Tensor)`);
  return checkRuntime(tensor.runtime, `owner of ${tensor.describe()}`);
}

/** Returns `value` when it is a Runtime (from init() or initSync()); otherwise ValueError. */
export function checkRuntime(value: unknown, name = "runtime"): Runtime {
  if (!(value instanceof Runtime)) throw new ValueError(`Invalid ${name}: ${String(value)} (expected a Runtime from init() or initSync())`);
  return value;
}

function checkDType(dtype: unknown): asserts dtype is DType {
  if (!isDType(dtype)) throw new ValueError(`Invalid dtype: ${String(dtype)} (expected 'f32', 'f64' or 'i32')`);
}

function checkValuesFit(values: ArrayLike<number>, shape: readonly number[]): void {
  if (checkValues("values", values).length !== sizeOf(shape)) {
    throw new ShapeError(`${values.length} values do not fill shape [${shape.join(", ")}]`);
  }
}

/** A 32-bit finalizer (MurmurHash3's fmix32): a bijection that spreads every input bit. */
/** @internal A 32-bit integer mix (murmur3 finalizer): a bijection that spreads every input bit. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const SYNC_ONLY =
  "Invalid fn: rt.scope runs synchronous functions only (after an await, the tensors it allocated would be freed); " +
  "scope the synchronous parts inside the async function, or dispose its tensors yourself";

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === "function" && (fn.constructor?.name === "AsyncFunction" || fn.constructor?.name === "AsyncGeneratorFunction");
}

function isThenable(value: unknown): boolean {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Adds the tensors in `value` to `into`: tensors nested in arrays, Maps, Sets and objects at any
 * depth, each object visited once (cycles end), a view as the tensor that owns its memory. Typed arrays and runtimes hold no tensors to keep.
 */
function collectTensors(value: unknown, into: Set<Tensor>, seen = new Set<object>()): void {
  if (value instanceof Tensor) {
    // A view owns nothing: keeping it means keeping the tensor whose memory it shares.
    const owner = value.base ?? value;
    into.add(owner);
    if (owner instanceof Param) into.add(owner.grad);
  } else if (value !== null && typeof value === "object" && !seen.has(value) && !ArrayBuffer.isView(value) && !(value instanceof Runtime)) {
    seen.add(value);
    const items = value instanceof Map ? value.values() : value instanceof Set || Array.isArray(value) ? value : Object.values(value);
    for (const item of items) collectTensors(item, into, seen);
  }
}
