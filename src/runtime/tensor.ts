import { DisposedError, ShapeError, ValueError } from "./errors";
import { checkValues } from "./validate";
import type { Heap } from "./heap";

/** Element types a tensor can hold: floats for values, i32 for labels and indices. */
export type DType = "f32" | "f64" | "i32";

/** The floating-point dtypes: what parameters, modules and most kernels work on. */
export type FloatDType = "f32" | "f64";

/** The typed array a tensor of dtype D exposes through `data`. */
export type ArrayFor<D extends DType> = D extends "f64" ? Float64Array : D extends "i32" ? Int32Array : Float32Array;

/**
 * What a tensor needs from the runtime that made it: the memory its elements live in, whether
 * that memory is still there, and a way to free its own block. Declared here, and implemented by
 * `Runtime`, so that tensors depend on this contract and not on the runtime module (which
 * depends on tensors). Code that needs the whole runtime of a tensor gets it with
 * `runtimeOf(t)` from the runtime module, which checks instead of casting.
 */
export interface TensorOwner {
  /** @internal Typed views over the owner's linear memory; throws DisposedError once the owner is disposed. */
  readonly heap: Heap;
  /** Whether the owner, and so every tensor it made, has been disposed. */
  readonly disposed: boolean;
  /** @internal Frees the block of `tensor`, a tensor this owner allocated (never a view). */
  release(tensor: Tensor): void;
}

/** The typed array constructor of each dtype. */
const VIEWS = { f32: Float32Array, f64: Float64Array, i32: Int32Array } as const;

/** Bytes per element of each dtype. */
export const BYTES_PER_ELEMENT: Record<DType, number> = { f32: 4, f64: 8, i32: 4 };

/** Whether `dtype` names an element type. */
export function isDType(dtype: unknown): dtype is DType {
  return typeof dtype === "string" && Object.hasOwn(VIEWS, dtype);
}

/**
 * Returns `value` when it is a live tensor, of `runtime` when one is given. Not a tensor:
 * ValueError; disposed: DisposedError; of another runtime: ValueError (its address means
 * nothing in this runtime's memory).
 */
export function checkTensor(name: string, value: unknown, runtime?: TensorOwner): Tensor {
  if (!(value instanceof Tensor)) throw new ValueError(`Invalid ${name}: ${String(value)} (expected a Tensor)`);
  if (value.disposed) throw new DisposedError(`${name}: ${value.describe()} was used after dispose()`);
  if (runtime !== undefined && value.runtime !== runtime) {
    throw new ValueError(`Invalid ${name}: ${value.describe()} belongs to another runtime`);
  }
  return value;
}

/**
 * Returns `value` when it is a live f32 or f64 tensor (of `runtime` when one is given): the
 * checks of {@link checkTensor}, and another dtype (i32) is a ShapeError. For entry points whose
 * kernels read floats.
 */
export function checkFloatTensor(name: string, value: unknown, runtime?: TensorOwner): Tensor<FloatDType> {
  const t = checkTensor(name, value, runtime);
  if (t.dtype !== "f32" && t.dtype !== "f64") {
    throw new ShapeError(`Invalid ${name}: ${t.describe()} (expected dtype 'f32' or 'f64')`);
  }
  return t as Tensor<FloatDType>;
}

/**
 * Product of the dimensions, after checking that each is a non-negative safe integer (below
 * 2^53) and that so is the product; ShapeError otherwise. Every constructor goes through here,
 * so an absurd shape is a ShapeError before any allocation is attempted.
 */
/** Returns `shape` when it is a valid shape (see {@link sizeOf}); ShapeError otherwise. */
export function checkShape(shape: readonly number[]): readonly number[] {
  sizeOf(shape);
  return shape;
}

export function sizeOf(shape: readonly number[]): number {
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) {
    throw new ShapeError(`Invalid shape ${String(shape)} (expected a list of non-negative integers)`);
  }
  const bad = (why: string) => new ShapeError(`Invalid shape [${Array.from(shape, String).join(", ")}] (${why})`);
  let size = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw bad(`expected non-negative integers below 2^53`);
    size *= dim;
  }
  // With a zero dimension the product is 0 whatever came before (Infinity * 0 would be NaN).
  if (shape.includes(0)) return 0;
  if (!Number.isSafeInteger(size)) throw bad("more than 2^53 - 1 elements");
  return size;
}

/**
 * `values` in a form that allocating in `runtime` cannot invalidate, for entry points that
 * allocate before they read: a view over the runtime's own memory, which growing it would
 * detach, is copied now (one O(n) copy); anything else is kept as it is. Checked by
 * {@link checkValues} first.
 */
export function pinValues(name: string, values: unknown, runtime: TensorOwner): ArrayLike<number> {
  const checked = checkValues(name, values);
  const ownMemory = ArrayBuffer.isView(checked) && checked.buffer === runtime.heap.buffer;
  return ownMemory ? (checked as unknown as Float64Array).slice() : checked;
}

/**
 * `shape` with its -1 (if any) replaced by the dimension that makes it hold `length` elements.
 * ShapeError when it has more than one -1, a -1 that no dimension fits (the others multiply to
 * 0, or do not divide `length`), or another element count.
 */
function inferShape(shape: readonly number[], length: number): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`Invalid shape ${String(shape)} (expected a list of integers)`);
  const text = `[${shape.join(", ")}]`;
  const unknown = shape.flatMap((dim, i) => (dim === -1 ? [i] : []));
  if (unknown.length > 1) throw new ShapeError(`Invalid shape ${text} (at most one dimension may be -1)`);
  const dims = [...shape];
  if (unknown.length === 1) {
    const known = sizeOf(shape.filter((dim) => dim !== -1));
    if (known === 0 || length % known !== 0) throw new ShapeError(`Cannot infer the -1 of shape ${text} for ${length} elements`);
    dims[unknown[0]!] = length / known;
  }
  if (sizeOf(dims) !== length) throw new ShapeError(`Cannot view ${length} elements as shape ${text}`);
  return dims;
}

/** Numbers given either way: an array-like (copied) or a tensor of any runtime (read). */
export type Values = ArrayLike<number> | Tensor;

/**
 * A handle to `length` elements of `dtype` at byte address `ptr` in the runtime's
 * linear memory. Kernels receive `ptr`; users read and write through `data`, a
 * zero-copy view that is rebuilt whenever the memory has grown, so read `data` again
 * after any call that may allocate instead of keeping the view.
 */
export class Tensor<D extends DType = DType> {
  private view: ArrayFor<D> | null = null;
  private released = false;

  /** @internal Tensors are made by a runtime: `rt.tensor`, `rt.fromArray`, `rt.param`. */
  constructor(
    /**
     * The runtime whose memory holds this tensor, typed by the contract a tensor needs from it
     * ({@link TensorOwner}); `runtimeOf(t)` returns it as a Runtime, checked.
     */
    readonly runtime: TensorOwner,
    /** Byte address of the first element in the runtime's linear memory. */
    readonly ptr: number,
    /** Element type: 'f32', 'f64' or 'i32'. */
    readonly dtype: D,
    /** Dimensions, outermost first (row-major). */
    readonly shape: readonly number[],
    /** Number of elements: the product of `shape`. */
    readonly length: number = sizeOf(shape),
    /**
     * For a view (made by {@link Tensor.reshape}), the tensor that owns the memory it shares;
     * null for a tensor that owns its block.
     */
    readonly base: Tensor<D> | null = null,
  ) {}

  /**
   * A zero-copy typed view of the elements.
   *
   * @throws {@link DisposedError} after dispose(), or after the runtime's dispose()
   */
  get data(): ArrayFor<D> {
    this.assertLive();
    const buffer = this.runtime.heap.buffer;
    if (this.view === null || this.view.buffer !== buffer) {
      this.view = new VIEWS[this.dtype](buffer as ArrayBuffer, this.ptr, this.length) as ArrayFor<D>;
    }
    return this.view;
  }

  /** Size in bytes: length times the element size. */
  get byteLength(): number {
    return this.length * BYTES_PER_ELEMENT[this.dtype];
  }

  /** Whether this tensor, its runtime, or (for a view) the tensor it views has been disposed. */
  get disposed(): boolean {
    return this.released || this.runtime.disposed || (this.base?.disposed ?? false);
  }

  /**
   * Checks the tensor can be used, as every entry point taking it does.
   *
   * @throws {@link DisposedError} if this tensor, its runtime, or (for a view) the tensor it views has been disposed
   */
  assertLive(): void {
    if (this.released) throw new DisposedError(`${this.describe()} was used after dispose()`);
    if (this.runtime.disposed) throw new DisposedError(`${this.describe()} was used after its runtime's dispose()`);
    if (this.base?.disposed) {
      throw new DisposedError(`${this.describe()}, a view of ${this.base.describe()}, was used after that tensor's dispose()`);
    }
  }

  /**
   * A view of the same elements with another shape (row-major order, as torch's `view`): no
   * copy, the view shares this tensor's memory, so a write through either is seen by both.
   * One dimension may be -1: it is inferred from the element count. Ownership:
   * - the view owns nothing: disposing it frees no memory and leaves this tensor usable;
   * - disposing the tensor that owns the memory, or the runtime, disposes every view of it (a
   *   view of a view shares the first tensor's memory and follows it too);
   * - scopes do not track views (there is nothing to free); returning a view from `rt.scope`,
   *   or passing it to `rt.keep`, keeps the tensor that owns its memory alive with it.
   *
   * @throws {@link ShapeError} when `shape` is not a shape (at most one -1) or does not hold
   * `length` elements; nothing is made.
   * @throws {@link DisposedError} after dispose().
   */
  reshape(shape: readonly number[]): Tensor<D> {
    this.assertLive();
    const dims = inferShape(shape, this.length);
    return new Tensor(this.runtime, this.ptr, this.dtype, dims, this.length, this.base ?? this);
  }

  /**
   * Copies `values` in (the slow path: O(n) copy from JS). Faster: write into `data`.
   * Throws ShapeError, changing nothing, when the length differs; ValueError when `values` is
   * not an array of numbers or is a stale view (a typed array over memory that has since grown).
   *
   * @throws {@link ShapeError} when `values.length` differs from `length`.
   * @throws {@link ValueError} when `values` is not an array of numbers, or is a stale view.
   * @throws {@link DisposedError} after dispose().
   */
  set(values: ArrayLike<number>): this {
    this.assertLive();
    checkValues("values", values);
    if (values.length !== this.length) {
      throw new ShapeError(`Cannot set ${this.describe()} from ${values.length} values`);
    }
    this.data.set(values);
    return this;
  }

  /**
   * Sets every element to `value` (a number; NaN and infinities included).
   *
   * @throws {@link ValueError} when `value` is not a number (nothing changes)
   * @throws {@link DisposedError} after dispose(), or after the runtime's dispose()
   */
  fill(value: number): this {
    this.assertLive();
    if (typeof value !== "number") throw new ValueError(`Invalid value: ${String(value)} (expected a number)`);
    this.data.fill(value);
    return this;
  }

  /**
   * A plain array copy of the elements.
   *
   * @throws {@link DisposedError} after dispose(), or after the runtime's dispose()
   */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /**
   * Frees the memory (a view frees nothing: see {@link Tensor.reshape}). Using the tensor
   * afterwards, or disposing it twice, throws DisposedError.
   *
   * @throws {@link DisposedError} when already disposed, or after the runtime's dispose()
   */
  dispose(): void {
    this.assertLive();
    this.released = true;
    this.view = null;
    if (this.base === null) this.runtime.release(this);
  }

  /** A short description for messages, e.g. `Tensor(f32, [3, 4])`. */
  describe(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(", ")}])`;
  }
}

/**
 * A trainable tensor with a gradient of the same shape. Write gradients straight into
 * `param.grad.data` (or have a kernel write them at `param.grad.ptr`); optimizers read them.
 */
export class Param<D extends FloatDType = FloatDType> extends Tensor<D> {
  /**
   * Whether optimizers update this parameter. A frozen one (false) is skipped by step(): its
   * values stay, its optimizer state is neither created nor advanced (step counts, moments), and
   * its gradient counts in no clipping norm or non-finite check (as a PyTorch parameter with
   * requires_grad = False, whose grad is None). Layers still write its gradient.
   * @defaultValue true
   */
  requiresGrad = true;

  /** @internal Params are made by a runtime: `rt.param`. */
  constructor(
    runtime: TensorOwner,
    ptr: number,
    dtype: D,
    shape: readonly number[],
    /** The gradient, of the same shape and dtype: optimizers read it, backward passes write it. */
    readonly grad: Tensor<D>,
  ) {
    super(runtime, ptr, dtype, shape);
  }

  /**
   * Sets the gradient to zero.
   *
   * @throws {@link DisposedError} when the gradient or the runtime was disposed
   */
  zeroGrad(): void {
    this.grad.fill(0);
  }

  /**
   * Frees the parameter and its gradient.
   *
   * @throws {@link DisposedError} when the parameter is already disposed, or after the runtime's dispose()
   */
  override dispose(): void {
    super.dispose();
    if (!this.grad.disposed) this.grad.dispose();
  }

  /** A short description for messages, e.g. `Param(f32, [3, 4])`. */
  override describe(): string {
    return `Param(${this.dtype}, [${this.shape.join(", ")}])`;
  }
}
