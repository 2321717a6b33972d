import { Allocator } from "./memory";
import { ShapeError, ValueError } from "./errors";
import { checkFunction, checkNumber, checkOptions } from "./validate";
import type { Heap } from "./heap";
import type { Kernels } from "./kernels";
import type { WasmTarget } from "./backend-wasm";
import { BYTES_PER_ELEMENT, Param, Tensor, isDType, sizeOf, type DType, type FloatDType } from "./tensor";

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

export interface TensorOptions<D extends DType> {
  /** Element type; default 'f32'. */
  dtype?: D;
}

export interface ParamOptions<D extends FloatDType> extends TensorOptions<D> {
  /** Initial values (copied in); default zeros. */
  values?: ArrayLike<number>;
  /** Fills the new parameter in place, e.g. `glorotUniform()` (descend's init area); excludes `values`. */
  init?: (param: Param<D>, seed: number) => unknown;
  /** Seed handed to `init`: an integer in [0, 2^53); default 0. */
  seed?: number;
}

/**
 * One WebAssembly.Memory, its allocator and the kernels of one backend. Tensors made
 * here live in this memory; both backends read and write the same layout, so the same
 * program runs on either. Create with `init()` or `initSync()`.
 */
export class Runtime {
  private readonly allocator: Allocator;
  private readonly scopes: Set<Tensor>[] = [];
  private liveTensors = 0;

  constructor(
    readonly backend: Backend,
    readonly heap: Heap,
    readonly kernels: Kernels,
    heapBase: number,
    maxMemoryBytes: number,
    private readonly loaded: Pick<RuntimeInfo, "variant" | "threads"> = { variant: null, threads: 1 },
  ) {
    this.allocator = new Allocator(heap.memory, heapBase, maxMemoryBytes);
  }

  /** The backend, wasm variant, thread count and memory size of this runtime. */
  info(): RuntimeInfo {
    return { backend: this.backend, ...this.loaded, memoryBytes: this.heap.memory.buffer.byteLength };
  }

  /** The linear memory every tensor of this runtime lives in. */
  get memory(): WebAssembly.Memory {
    return this.heap.memory;
  }

  /** A new tensor of zeros. */
  tensor<D extends DType = "f32">(shape: readonly number[], options: TensorOptions<D> = {}): Tensor<D> {
    const dtype = (checkOptions(options).dtype ?? "f32") as D;
    checkDType(dtype);
    return this.track(this.allocate(shape, dtype, (ptr, length) => new Tensor(this, ptr, dtype, [...shape], length)));
  }

  /** A new tensor holding a copy of `values` (the slow path); shape defaults to [values.length]. */
  fromArray<D extends DType = "f32">(
    values: ArrayLike<number>,
    shape: readonly number[] = [values.length],
    options: TensorOptions<D> = {},
  ): Tensor<D> {
    checkOptions(options);
    checkValuesFit(values, shape);
    return this.tensor(shape, options).set(values);
  }

  /** A new trainable parameter with a zeroed gradient of the same shape. */
  param<D extends FloatDType = "f32">(shape: readonly number[], options: ParamOptions<D> = {}): Param<D> {
    const dtype = (checkOptions(options).dtype ?? "f32") as D;
    checkDType(dtype);
    // Typed callers cannot ask for an i32 param; plain JavaScript callers get a clear error.
    if ((dtype as DType) === "i32") throw new ValueError("Invalid dtype: i32 (a param must be 'f32' or 'f64')");
    if (options.values) checkValuesFit(options.values, shape);
    const { init, seed = 0 } = options;
    if (init !== undefined && (typeof init !== "function" || options.values)) {
      throw new ValueError(`Invalid init: ${typeof init} (expected a function, and no values)`);
    }
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
    if (options.values) param.set(options.values);
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
   * tensor, or tensors inside arrays and plain objects), which move to the outer scope.
   * If `fn` throws, everything it allocated is disposed.
   */
  scope<T>(fn: () => T): T {
    checkFunction("fn", fn);
    const allocated = new Set<Tensor>();
    this.scopes.push(allocated);
    let result: T | undefined;
    try {
      result = fn();
      return result;
    } finally {
      this.scopes.pop();
      const kept = new Set<Tensor>();
      collectTensors(result, kept);
      for (const tensor of allocated) {
        if (kept.has(tensor)) this.scopes.at(-1)?.add(tensor);
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
   */
  allocateOwned<T>(fn: () => T): T {
    return this.keep(this.scope(fn));
  }

  memoryStats(): MemoryStats {
    const { liveBytes, peakBytes, capacityBytes } = this.allocator.stats();
    return { liveBytes, liveTensors: this.liveTensors, peakBytes, capacityBytes };
  }

  /** @internal Called by Tensor.dispose(). */
  release(tensor: Tensor): void {
    this.allocator.free(tensor.ptr);
    this.liveTensors -= 1;
    for (const scope of this.scopes) scope.delete(tensor);
  }

  private allocate<T extends Tensor>(
    shape: readonly number[],
    dtype: DType,
    make: (ptr: number, length: number) => T,
  ): T {
    const length = sizeOf(shape);
    const ptr = this.allocator.alloc(length * BYTES_PER_ELEMENT[dtype]);
    this.liveTensors += 1;
    const tensor = make(ptr, length);
    tensor.data.fill(0);
    return tensor;
  }

  private track<T extends Tensor>(tensor: T): T {
    this.scopes.at(-1)?.add(tensor);
    return tensor;
  }
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
  if (values.length !== sizeOf(shape)) {
    throw new ShapeError(`${values.length} values do not fill shape [${shape.join(", ")}]`);
  }
}

function collectTensors(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (value instanceof Tensor) {
    into.add(value);
    if (value instanceof Param) into.add(value.grad);
  } else if (depth < 4 && value !== null && typeof value === "object") {
    const items = Array.isArray(value) ? value : Object.values(value);
    for (const item of items) collectTensors(item, into, depth + 1);
  }
}
