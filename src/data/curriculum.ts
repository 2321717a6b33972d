import { ValueError } from "../runtime/errors";
import { checkNumber, checkOptions, optionNames } from "../runtime/validate";
import { Philox, toGenerator } from "../random/philox";

/** The probability that a slot of batch `step` (0-based) holds a hard example. */
export type HardFraction = number | ((step: number) => number);

/** Options of {@link CurriculumSampler}. */
export interface CurriculumOptions {
  /** Examples per batch. */
  batchSize: number;
  /**
   * The expected share of hard examples in batch `step`: a constant or a schedule, e.g.
   * {@link linearHardFraction}. Default: from 0.1 to 1 over 1000 steps.
   * @defaultValue `linearHardFraction({ steps: 1000 })` (from 0.1 to 1 over 1000 steps)
   */
  hardFraction?: HardFraction;
  /**
   * Share of the examples, by increasing difficulty, that count as easy; default 0.5.
   * @defaultValue 0.5
   */
  easyShare?: number;
  /**
   * A generator or seed; default seed 0.
   * @defaultValue seed 0
   */
  rng?: Philox | number;
}

/**
 * A hard fraction rising linearly from `start` (default 0.1) to `end` (default 1) over `steps`
 * batches, then flat.
 *
 * ```text
 * hardFraction(step) = start + (end - start) * min(1, step / steps)
 * ```
 * @throws {ValueError} when `start` or `end` is outside [0, 1], `steps` is not an integer >= 1,
 *   or an option is unknown.
 */
export function linearHardFraction(options: { start?: number; end?: number; steps: number }): (step: number) => number {
  checkOptions(options, { required: true, of: "linearHardFraction", known: ["start", "end", "steps"] });
  const start = checkNumber("start", options.start ?? 0.1, { min: 0, max: 1 });
  const end = checkNumber("end", options.end ?? 1, { min: 0, max: 1 });
  const steps = checkNumber("steps", options.steps, { integer: true, min: 1 });
  return (step) => start + (end - start) * Math.min(1, step / steps);
}

/**
 * A stochastic curriculum (Goodfellow et al. 2016, sec. 8.7; Zaremba & Sutskever 2014):
 * every batch is a random mix of easy and hard examples, and the average proportion of hard
 * ones grows. Examples are ranked by `difficulty` (lower = easier); the easiest `easyShare`
 * form the easy pool, the rest the hard pool. Each slot of batch t is hard with probability
 * hardFraction(t), and then filled with an example drawn uniformly from its pool (with
 * replacement across batches). Draws come from the Philox stream, in JavaScript: a batch is a
 * handful of scalars.
 */
export class CurriculumSampler {
  /** Examples per batch. */
  readonly batchSize: number;
  private readonly easy: Uint32Array;
  private readonly hard: Uint32Array;
  private readonly hardMask: Uint8Array;
  private readonly fraction: (step: number) => number;
  private readonly generator: Philox;
  private steps = 0;

  /**
   * @param difficulty - One finite score per example; lower is easier.
   * @throws {ValueError} when a score is not a finite number, `batchSize` is not an integer >= 1,
   *   `easyShare` is outside (0, 1) or leaves a pool empty, `hardFraction` is neither a number in
   *   [0, 1] nor a function, the seed is invalid, or an option is unknown.
   */
  constructor(difficulty: ArrayLike<number>, options: CurriculumOptions) {
    const scores = Array.from(difficulty ?? [], (d, i) => checkNumber(`difficulty[${i}]`, d));
    checkOptions(options, { required: true, of: "CurriculumSampler", known: optionNames<CurriculumOptions>({ batchSize: true, hardFraction: true, easyShare: true, rng: true }) });
    this.batchSize = checkNumber("batchSize", options.batchSize, { integer: true, min: 1 });
    const easyShare = checkNumber("easyShare", options.easyShare ?? 0.5, { above: 0, below: 1 });
    const easyCount = Math.round(easyShare * scores.length);
    if (easyCount < 1 || easyCount >= scores.length) {
      throw new ValueError(`Invalid difficulty: ${scores.length} examples leave a pool empty at easyShare ${easyShare}`);
    }
    const hardFraction = options.hardFraction ?? linearHardFraction({ steps: 1000 });
    if (typeof hardFraction === "number") checkNumber("hardFraction", hardFraction, { min: 0, max: 1 });
    else if (typeof hardFraction !== "function") throw new ValueError(`Invalid hardFraction: ${String(hardFraction)}`);
    this.fraction = typeof hardFraction === "number" ? () => hardFraction : hardFraction;
    const ranked = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]! || a - b);
    this.easy = Uint32Array.from(ranked.slice(0, easyCount));
    this.hard = Uint32Array.from(ranked.slice(easyCount));
    this.hardMask = new Uint8Array(scores.length);
    for (const i of this.hard) this.hardMask[i] = 1;
    this.generator = toGenerator(options.rng);
  }

  /** Batches drawn so far. */
  get step(): number {
    return this.steps;
  }

  /** The hard fraction the next batch is drawn with. */
  get hardFraction(): number {
    return this.fraction(this.steps);
  }

  /**
   * The next batch of example indices; each slot uses two uniforms (pool, then member).
   * @throws {ValueError} when the hard-fraction schedule returns a value outside [0, 1].
   */
  next(): Uint32Array {
    const p = checkNumber(`hardFraction(${this.steps})`, this.fraction(this.steps), { min: 0, max: 1 });
    const u = this.generator.uniformArray(2 * this.batchSize);
    const batch = new Uint32Array(this.batchSize);
    for (let s = 0; s < this.batchSize; s++) {
      const pool = u[2 * s]! < p ? this.hard : this.easy;
      batch[s] = pool[Math.floor(u[2 * s + 1]! * pool.length)]!;
    }
    this.steps += 1;
    return batch;
  }

  /** Whether example `index` is in the hard pool. */
  isHard(index: number): boolean {
    return this.hardMask[index] === 1;
  }
}
