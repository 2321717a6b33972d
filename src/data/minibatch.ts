import { ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, type Runtime } from "../runtime/runtime";
import { BYTES_PER_ELEMENT, checkTensor, type Tensor } from "../runtime/tensor";
import { checkNoOverlap } from "../runtime/overlap";
import { checkBoolean, checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { Philox, toGenerator } from "../random/philox";

/**
 * How the examples are ordered:
 * - 'once': shuffle once, then visit that fixed order every epoch (Goodfellow et al. 2016,
 *   sec. 8.1.3: enough for most uses, and reproducible);
 * - 'everyEpoch': a fresh permutation each epoch;
 * - 'none': 0, 1, ..., n - 1 (evaluation, or data already shuffled on disk).
 */
export type ShuffleMode = "once" | "everyEpoch" | "none";

/** A batch size, or a schedule giving the batch size of each epoch (0-based). */
export type BatchSize = number | ((epoch: number) => number);

/** Options of {@link Minibatches}. */
export interface MinibatchOptions {
  /** Examples per batch (an integer >= 1), or a schedule giving it per epoch, e.g. {@link growingBatchSize}. */
  batchSize: BatchSize;
  /**
   * How the examples are ordered (see {@link ShuffleMode}).
   * @defaultValue 'once'
   */
  shuffle?: ShuffleMode;
  /**
   * A generator or seed for the shuffles; default seed 0.
   * @defaultValue seed 0
   */
  rng?: Philox | number;
  /**
   * Skip the last batch of an epoch when it is smaller than the batch size; default false.
   * @defaultValue false
   */
  dropLast?: boolean;
}

/** One minibatch: which examples, and where it sits in training. */
export interface Batch {
  /** The example indices (a copy; the sampler keeps its own order in wasm memory). */
  readonly indices: Uint32Array;
  /** The 0-based epoch the batch belongs to. */
  readonly epoch: number;
  /** Position of the batch within its epoch. */
  readonly index: number;
  /** @internal Byte address of the indices inside the runtime's memory. */
  readonly ptr: number;
}

/**
 * A batch size that grows geometrically with the epoch: initial * factor^floor(epoch / every),
 * capped at `max`. Larger batches late in training reduce the gradient noise as a decaying
 * learning rate would (Smith et al. 2018, "Don't decay the learning rate, increase the batch
 * size"; Goodfellow et al. sec. 8.1.3 on batch size and gradient variance).
 *
 * ```text
 * batchSize(epoch) = min(max, floor(initial * factor^floor(epoch / every)))
 * ```
 * Defaults: factor 2, every 1, max Number.MAX_SAFE_INTEGER.
 * @throws {ValueError} when `initial` or `every` is not an integer >= 1, `factor` < 1, `max` <
 *   `initial`, or an option is unknown.
 */
export function growingBatchSize(options: { initial: number; factor?: number; every?: number; max?: number }): (epoch: number) => number {
  checkOptions(options, { required: true, of: "growingBatchSize", known: ["initial", "factor", "every", "max"] });
  const initial = checkNumber("initial", options.initial, { integer: true, min: 1 });
  const factor = checkNumber("factor", options.factor ?? 2, { min: 1 });
  const every = checkNumber("every", options.every ?? 1, { integer: true, min: 1 });
  const max = checkNumber("max", options.max ?? Number.MAX_SAFE_INTEGER, { integer: true, min: initial });
  return (epoch) => Math.min(max, Math.floor(initial * factor ** Math.floor(epoch / every)));
}

/**
 * Minibatches of n examples without replacement: each epoch visits every index exactly once
 * (the last batch may be smaller unless `dropLast`). The order lives in wasm memory as u32,
 * shuffled there by Fisher-Yates on the Philox stream, and `gather` copies the rows of a
 * batch into a batch tensor in wasm. Call `dispose()` to free the order.
 *
 * @example
 * const batches = new Minibatches(rt, 60000, { batchSize: 128, rng: 1 });
 * for (const batch of batches.epoch()) {
 *   const x = batches.gather(images, batch); // [batch, 784]
 *   // ... forward, backward, opt.step()
 *   x.dispose();
 * }
 */
export class Minibatches {
  /** Number of examples, indices 0..n-1. */
  readonly n: number;
  /** How the examples are ordered. */
  readonly shuffle: ShuffleMode;
  /** Whether an epoch's last, smaller batch is skipped. */
  readonly dropLast: boolean;
  private readonly generator: Philox;
  private readonly batchSize: BatchSize;
  private readonly order: Tensor<"f32">; // n 4-byte slots holding u32 indices
  private epochs = 0;

  /**
   * @param n - Number of examples (an integer in [1, 2^30]).
   * @throws {ValueError} when `runtime` is not a Runtime, `n` or the batch size is not an integer
   *   in range, `shuffle` or the seed is invalid, or an option is unknown.
   */
  constructor(
    /** The runtime whose memory holds the order and the gathered batches. */
    readonly runtime: Runtime,
    n: number,
    options: MinibatchOptions,
  ) {
    checkRuntime(runtime);
    this.n = checkNumber("n", n, { integer: true, min: 1, max: 2 ** 30 });
    checkOptions(options, { required: true, of: "Minibatches", known: optionNames<MinibatchOptions>({ batchSize: true, shuffle: true, rng: true, dropLast: true }) });
    const batchSize = options.batchSize;
    if (typeof batchSize !== "function") checkNumber("batchSize", batchSize, { integer: true, min: 1 });
    this.batchSize = batchSize;
    const shuffle = options.shuffle ?? "once";
    if (shuffle !== "once" && shuffle !== "everyEpoch" && shuffle !== "none") {
      throw new ValueError(`Invalid shuffle: ${String(shuffle)} (expected 'once', 'everyEpoch' or 'none')`);
    }
    this.shuffle = shuffle;
    this.dropLast = checkBoolean("dropLast", options.dropLast ?? false);
    this.generator = toGenerator(options.rng);
    // The sampler owns its order: it outlives scopes; dispose() frees it.
    this.order = runtime.keep(runtime.tensor([this.n]));
    if (shuffle === "none") runtime.kernels.u32_range(this.order.ptr, this.n, 0);
    else this.generator.permuteInto(runtime, this.order.ptr, this.n);
  }

  /** Epochs started so far. */
  get epochsStarted(): number {
    return this.epochs;
  }

  /**
   * The batch size of `epoch` (validated when the schedule is a function).
   * @throws {ValueError} when the schedule returns something other than an integer >= 1.
   */
  batchSizeAt(epoch: number): number {
    const size = typeof this.batchSize === "function" ? this.batchSize(epoch) : this.batchSize;
    return checkNumber(`batchSize(${epoch})`, size, { integer: true, min: 1 });
  }

  /**
   * Batches in this epoch's order: a fresh permutation first when shuffle is 'everyEpoch'.
   * @throws {ValueError} when the batch-size schedule returns something other than an integer >= 1.
   * @throws {DisposedError} after dispose() (also while iterating).
   */
  epoch(): IterableIterator<Batch> {
    const epoch = this.epochs;
    const size = this.batchSizeAt(epoch);
    this.order.assertLive();
    if (this.shuffle === "everyEpoch" && epoch > 0) this.generator.permuteInto(this.runtime, this.order.ptr, this.n);
    this.epochs += 1;
    return this.batches(epoch, size);
  }

  /**
   * Copies the rows of `batch` from `source` (row-major, shape [n, ...]) into `into`
   * (shape [batch size, ...], same dtype), or into a new tensor the caller disposes.
   * `into` must not overlap `source` (ValueError: the copy would read rows it already wrote).
   * @throws {ValueError} when `source` or `into` is not a Tensor of this runtime, `batch` is not
   *   from this sampler's current epoch, or `into` overlaps `source`.
   * @throws {ShapeError} when `source` does not have n rows, or `into` has another dtype or size.
   * @throws {DisposedError} when a tensor or the sampler was disposed.
   */
  gather<T extends Tensor>(source: T, batch: Batch, into?: T): T {
    checkTensor("source", source, this.runtime);
    if (into !== undefined) checkTensor("into", into, this.runtime);
    this.order.assertLive();
    if (source.shape.length < 1 || source.shape[0] !== this.n) {
      throw new ShapeError(`${source.describe()} does not hold ${this.n} rows`);
    }
    const offset = batch?.ptr - this.order.ptr;
    if (!(offset >= 0 && offset + 4 * batch.indices.length <= 4 * this.n) || batch.epoch !== this.epochs - 1) {
      throw new ValueError("Invalid batch: not from this sampler's current epoch (gather a batch before starting the next epoch)");
    }
    const rowShape = source.shape.slice(1);
    const cols = rowShape.reduce((a, b) => a * b, 1);
    const count = batch.indices.length;
    if (into !== undefined) {
      if (into.dtype !== source.dtype || into.length !== count * cols) {
        throw new ShapeError(`${into.describe()} cannot hold ${count} rows of ${source.describe()}`);
      }
      checkNoOverlap("Minibatches.gather", [["into", into]], [["source", source]]);
    }
    const out = into ?? (this.runtime.tensor([count, ...rowShape], { dtype: source.dtype }) as T);
    // Gathering copies bits: every 4-byte dtype (f32, i32 labels) shares the f32 kernel.
    const kernel = BYTES_PER_ELEMENT[source.dtype] === 4 ? this.runtime.kernels.f32_gather_rows : this.runtime.kernels.f64_gather_rows;
    kernel(out.ptr, source.ptr, batch.ptr, count, cols);
    return out;
  }

  /**
   * Frees the order kept in wasm memory.
   * @throws {DisposedError} when already disposed.
   */
  dispose(): void {
    this.order.dispose();
  }

  private *batches(epoch: number, size: number): IterableIterator<Batch> {
    const base = this.order.ptr;
    for (let start = 0, index = 0; start < this.n; start += size, index++) {
      const count = Math.min(size, this.n - start);
      if (count < size && this.dropLast) return;
      this.order.assertLive();
      const ptr = base + 4 * start;
      yield { indices: new Uint32Array(this.runtime.heap.buffer, ptr, count).slice(), epoch, index, ptr };
    }
  }
}

/**
 * k distinct indices drawn uniformly from 0..n-1 (sampling without replacement), in random
 * order: the first k entries of a Fisher-Yates permutation made in wasm.
 * @param rng - A generator or seed (default seed 0).
 * @throws {ValueError} when `runtime` is not a Runtime, `n` is not an integer in [0, 2^30], `k`
 *   not an integer in [0, n], or the seed is invalid.
 */
export function sampleWithoutReplacement(runtime: Runtime, n: number, k: number, rng?: Philox | number): Uint32Array {
  checkRuntime(runtime);
  checkNumber("n", n, { integer: true, min: 0, max: 2 ** 30 });
  checkNumber("k", k, { integer: true, min: 0, max: n });
  return toGenerator(rng).permutation(runtime, n).subarray(0, k).slice();
}
