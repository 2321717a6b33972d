import { ShapeError, ValueError } from "../runtime/errors";
import { checkRuntime, runtimeOf, type Runtime } from "../runtime/runtime";
import { checkFloatTensor, type DType, type Tensor } from "../runtime/tensor";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { WordStream, uniform53 } from "../reference/random/core";

/** The largest seed, stream id or position: integers are exact in a JS number up to here. */
const MAX_INTEGER = Number.MAX_SAFE_INTEGER;
const TWO_32 = 4294967296;

/** Everything that determines what a {@link Philox} generator draws next. JSON-safe. */
export interface PhiloxState {
  /** The key: an integer in [0, 2^53). */
  seed: number;
  /** The stream id: an integer in [0, 2^53). */
  stream: number;
  /** 32-bit words consumed so far. */
  position: number;
}

/** Options of {@link Philox.uniform}: the interval [low, high). */
export interface UniformOptions {
  /**
   * Inclusive lower bound; default 0.
   * @defaultValue 0
   */
  low?: number;
  /**
   * Exclusive upper bound; default 1.
   * @defaultValue 1
   */
  high?: number;
}

/** Options of {@link Philox.normal}. */
export interface NormalOptions {
  /**
   * Mean of the distribution.
   * @defaultValue 0
   */
  mean?: number;
  /**
   * Standard deviation, >= 0; default 1.
   * @defaultValue 1
   */
  std?: number;
}

/**
 * A seeded, counter-based random generator: Philox4x32-10 (Salmon et al., SC 2011), the
 * generator of cuRAND, JAX and PyTorch's CUDA backend. Word w of a stream is a pure function
 * of (seed, stream, w): the key is the seed, the counter is (w / 4, stream). So
 *
 * - the same seed gives the same numbers on the wasm and js backends, in Node and browsers;
 * - streams with different ids are independent, and `spawn(id)` makes one without any state;
 * - a fill of n values equals two fills of k and n - k values: nothing depends on chunking.
 *
 * Fills write tensors in place through WebAssembly kernels (four Philox blocks per v128
 * pass) and advance `position` by the words they used: one per f32 uniform, two per f64
 * uniform, normal or integer (which start at an even position, skipping a word if needed).
 *
 * Transformations are exact, so the twins agree bit for bit: f32 uniforms are
 * (w >>> 8) 2^-24, f64 uniforms k 2^-53 with 53 random bits, normals are Phi^-1 of a 52-bit
 * uniform by Wichura's AS 241 (tails to 8.2 sigma), integers in a range use Lemire's
 * multiply-shift on 64 bits (bias below range / 2^64).
 *
 * @example
 * const rt = initSync();
 * const g = new Philox(42);
 * const x = g.normal(rt.tensor([1000]), { std: 0.01 });
 * const order = g.permutation(rt, 60000); // a Uint32Array
 */
export class Philox {
  /** The seed (the Philox key). */
  readonly seed: number;
  /** The stream id (counter words 2 and 3). */
  readonly stream: number;
  private words: number;

  /**
   * @param seed an integer in [0, 2^53); the Philox key.
   * @param stream an integer in [0, 2^53); independent sequences for one seed. Default 0.
   * @throws {@link ValueError} when seed or stream is not an integer in [0, 2^53)
   */
  constructor(seed = 0, stream = 0) {
    this.seed = checkNumber("seed", seed, { integer: true, min: 0, max: MAX_INTEGER });
    this.stream = checkNumber("stream", stream, { integer: true, min: 0, max: MAX_INTEGER });
    this.words = 0;
  }

  /** Words consumed so far. */
  get position(): number {
    return this.words;
  }

  /**
   * The generator at `state`, e.g. one saved with {@link Philox.state}.
   *
   * @throws {@link ValueError} when `state` is not an object, or seed, stream or position is not an integer in [0, 2^53)
   */
  static fromState(state: PhiloxState): Philox {
    if (state === null || typeof state !== "object") throw new ValueError(`Invalid state: ${String(state)} (expected { seed, stream, position })`);
    // Checked here: the constructor's defaults would take a missing seed or stream as 0.
    checkNumber("seed", state.seed, { integer: true, min: 0, max: MAX_INTEGER });
    checkNumber("stream", state.stream, { integer: true, min: 0, max: MAX_INTEGER });
    const generator = new Philox(state.seed, state.stream);
    generator.words = checkNumber("position", state.position, { integer: true, min: 0, max: MAX_INTEGER });
    return generator;
  }

  /** A JSON-safe snapshot; `Philox.fromState(g.state())` continues exactly where g is. */
  state(): PhiloxState {
    return { seed: this.seed, stream: this.stream, position: this.words };
  }

  /**
   * A fresh generator for stream `stream` of the same seed, at position 0.
   *
   * @throws {@link ValueError} when `stream` is not an integer in [0, 2^53)
   */
  spawn(stream: number): Philox {
    return new Philox(this.seed, stream);
  }

  /**
   * Skips `words` words (the draws of a fill of that many f32 uniforms).
   *
   * @throws {@link ValueError} when `words` is not an integer >= 0, or the position would pass 2^53 (the position is kept)
   */
  skip(words: number): this {
    checkNumber("words", words, { integer: true, min: 0 });
    this.take(words, 1);
    return this;
  }

  /**
   * Fills `target` with independent U[low, high) values and returns it. The affine map
   * low + u (high - low) is rounded to the tensor's type, so a value may round to `high`.
   *
   * @throws {@link ValueError} for an unknown option, or unless low < high with a finite width (nothing drawn)
   * @throws {@link ValueError} when `target` is not a Tensor, or the stream would pass position 2^53
   * @throws {@link ShapeError} when `target` is not f32 or f64
   * @throws {@link DisposedError} when `target` or its runtime was disposed
   */
  uniform<T extends Tensor>(target: T, options: UniformOptions = {}): T {
    const { low = 0, high = 1 } = checkOptions(options, { of: "Philox.uniform", known: optionNames<UniformOptions>({ low: true, high: true }) });
    checkNumber("low", low);
    checkNumber("high", high);
    if (!(high > low && Number.isFinite(high - low))) {
      throw new ValueError(`Invalid high: ${high} (expected > low = ${low}, with a finite width)`);
    }
    checkFloatTensor("target", target);
    const k = runtimeOf(target).kernels;
    if (target.dtype === "f32") {
      const pos = this.take(target.length, 1);
      k.f32_philox_uniform(target.ptr, target.length, ...this.key(), pos, high - low, low);
    } else {
      const pos = this.take(target.length, 2);
      k.f64_philox_uniform(target.ptr, target.length, ...this.key(), pos, high - low, low);
    }
    return target;
  }

  /**
   * Fills `target` with independent N(mean, std^2) values and returns it.
   *
   * @throws {@link ValueError} for an unknown option, a non-finite mean, or std < 0 (nothing drawn)
   * @throws {@link ValueError} when `target` is not a Tensor, or the stream would pass position 2^53
   * @throws {@link ShapeError} when `target` is not f32 or f64
   * @throws {@link DisposedError} when `target` or its runtime was disposed
   */
  normal<T extends Tensor>(target: T, options: NormalOptions = {}): T {
    const { mean = 0, std = 1 } = checkOptions(options, { of: "Philox.normal", known: optionNames<NormalOptions>({ mean: true, std: true }) });
    checkNumber("mean", mean);
    checkNumber("std", std, { min: 0 });
    checkFloatTensor("target", target);
    const pos = this.take(target.length, 2);
    const { kernels } = runtimeOf(target);
    const fill = target.dtype === "f32" ? kernels.f32_philox_normal : kernels.f64_philox_normal;
    fill(target.ptr, target.length, ...this.key(), pos, mean, std);
    return target;
  }

  /**
   * Fills `target` with integers uniform on [low, high), high - low <= 2^32. Values must be
   * exact in the tensor's type: |low|, |high| <= 2^24 for f32.
   *
   * @throws {@link ValueError} when low or high is not an integer within those bounds, or unless low < high <= low + 2^32 (nothing drawn)
   * @throws {@link ValueError} when `target` is not a Tensor, or the stream would pass position 2^53
   * @throws {@link ShapeError} when `target` is not f32 or f64
   * @throws {@link DisposedError} when `target` or its runtime was disposed
   */
  integers<T extends Tensor>(target: T, low: number, high: number): T {
    const limit = target?.dtype === "f32" ? 2 ** 24 : MAX_INTEGER;
    checkNumber("low", low, { integer: true, min: -limit, max: limit });
    checkNumber("high", high, { integer: true, min: -limit, max: limit });
    if (!(high > low && high - low <= TWO_32)) {
      throw new ValueError(`Invalid high: ${high} (expected low < high <= low + 2^32, low = ${low})`);
    }
    checkFloatTensor("target", target);
    const pos = this.take(target.length, 2);
    const { kernels } = runtimeOf(target);
    const fill = target.dtype === "f32" ? kernels.f32_philox_integer : kernels.f64_philox_integer;
    fill(target.ptr, target.length, ...this.key(), pos, low, high - low);
    return target;
  }

  /**
   * `count` U[0, 1) values computed in JavaScript, for small scalar draws (sampling a few
   * indices, coin flips): the same numbers, at the same positions, as an f64 `uniform` fill.
   *
   * @throws {@link ValueError} when `count` is not an integer in [0, 2^24], or the position would pass 2^53
   */
  uniformArray(count: number): Float64Array {
    checkNumber("count", count, { integer: true, min: 0, max: 2 ** 24 });
    const pos = this.take(count, 2);
    const words = new WordStream(...this.key());
    return Float64Array.from({ length: count }, (_, i) => uniform53(words.at(pos + 2 * i), words.at(pos + 2 * i + 1)));
  }

  /**
   * A uniformly random permutation of 0..n-1 (Fisher-Yates in wasm), copied out as a
   * Uint32Array. Uses 2(n - 1) words.
   *
   * @throws {@link ValueError} when `runtime` is not a Runtime, `n` is not an integer in [0, 2^30], or the position would pass 2^53
   * @throws {@link DisposedError} when the runtime was disposed
   * @throws {@link OutOfMemoryError} when the scratch buffer does not fit
   */
  permutation(runtime: Runtime, n: number): Uint32Array {
    checkRuntime(runtime);
    checkNumber("n", n, { integer: true, min: 0, max: 2 ** 30 });
    return runtime.scope(() => {
      const buffer = runtime.tensor([n]); // 4-byte slots, read as u32
      this.permuteInto(runtime, buffer.ptr, n);
      return new Uint32Array(runtime.heap.buffer, buffer.ptr, n).slice();
    });
  }

  /** @internal Writes a permutation of 0..n-1 as u32 at byte address `ptr` of `runtime`. */
  permuteInto(runtime: Runtime, ptr: number, n: number): void {
    const pos = this.take(Math.max(n - 1, 0), 2);
    runtime.kernels.u32_permutation(ptr, n, ...this.key(), pos);
  }

  /**
   * @internal Reserves words for `count` values of `wordsPerValue` words each, aligned to the value
   * size, and returns the first word's position.
   */
  take(count: number, wordsPerValue: 1 | 2 | 4): number {
    const start = Math.ceil(this.words / wordsPerValue) * wordsPerValue;
    if (start + count * wordsPerValue > MAX_INTEGER) throw new ValueError(`Philox stream exhausted at position ${start}`);
    this.words = start + count * wordsPerValue;
    return start;
  }

  /** @internal (k0, k1, s0, s1): the seed as the Philox key, the stream as counter words 2 and 3. */
  key(): [number, number, number, number] {
    return [this.seed % TWO_32, Math.floor(this.seed / TWO_32), this.stream % TWO_32, Math.floor(this.stream / TWO_32)];
  }
}

/** Accepts a generator or a seed; a seed starts a fresh generator on stream 0. */
export function toGenerator(rng: Philox | number | undefined): Philox {
  return rng instanceof Philox ? rng : new Philox(rng ?? 0);
}

