// The measuring core of the benchmark harness, free of Node APIs so the browser page can run
// it too. Contenders of one case run interleaved (A B A B ...) over several rounds, so drift in
// the machine's state hits all of them alike; each round yields one sample per contender (the
// tinybench median of that round) and the result is the median over rounds, with its spread.
import { Bench } from "tinybench";

/** One implementation of a case. `fn` runs one operation on inputs prepared beforehand. */
export interface Contender {
  name: string;
  fn: () => void;
  /** Runs before each of this contender's timed blocks (e.g. switching a peer's backend). */
  before?: () => void | Promise<void>;
  /** Frees what the contender allocated; called after the case. */
  dispose?: () => void;
}

/** A contender that could not run here (a peer not installed, a backend that failed). */
export interface Skipped {
  name: string;
  skipped: string;
}

/**
 * One benchmark case: the same operation on identical inputs for every contender. The first
 * contender is descend's wasm kernel; speed-ups are reported against it.
 */
export interface BenchCase {
  /** What `--only` selects on, e.g. 'adam', 'gemm'. */
  family: string;
  name: string;
  /** The x value of the family's chart (N for optimizers, n for square gemm). */
  size?: number;
  /** Elements processed per operation: reported as ns per element. */
  elements?: number;
  /** Floating-point operations per operation: reported as GFLOP/s. */
  flops?: number;
  /**
   * Name of the contender that measures the memory-bandwidth bound in the same run (a stream
   * loop moving the bytes the operation must move): adds "% of bound" = bound time / time.
   */
  bound?: string;
  /**
   * Name of the contender that measures the engine's SIMD multiply-add peak in the same run,
   * on the operation's flop count: adds "% of peak" = peak time / time.
   */
  peak?: string;
  /** Cases with the same chart key (default: the family) share one chart of figure vs size. */
  chart?: string;
  /** Label of the element in `ns/<unit>` (e.g. 'ns/param'); defaults to 'ns/element'. */
  unit?: string;
  contenders: () => Array<Contender | Skipped> | Promise<Array<Contender | Skipped>>;
}

export interface Sample {
  contender: string;
  /** Milliseconds per operation, one entry per round. */
  msPerOp: number[];
  /** Median of msPerOp. */
  median: number;
  /** (max - min) / median over the rounds. */
  spread: number;
}

export interface MeasureOptions {
  /** Rounds of interleaved runs; each yields one sample per contender. */
  rounds: number;
  /** Milliseconds of timing per contender per round (after a warm-up). */
  timeMs: number;
  /** Fewest timed calls per contender per round, however slow the call. */
  iterations: number;
}

// Warm-up runs for min(50 ms, timeMs) but at least once: fast operations warm up many times,
// a slow reference (seconds per call) only once, so a full run stays within minutes.
export const FULL: MeasureOptions = { rounds: 5, timeMs: 250, iterations: 3 };
export const QUICK: MeasureOptions = { rounds: 1, timeMs: 10, iterations: 1 };

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const isSkipped = (c: Contender | Skipped): c is Skipped => "skipped" in c;

/** Times every contender in interleaved rounds, warm-up excluded. */
export async function measure(contenders: Contender[], options: MeasureOptions): Promise<Sample[]> {
  const perRound = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    // Alternate the order each round so no contender always runs first.
    const order = round % 2 ? [...contenders].reverse() : contenders;
    for (const c of order) {
      await c.before?.();
      const bench = new Bench({
        time: options.timeMs,
        iterations: options.iterations,
        warmupTime: Math.min(50, options.timeMs),
        warmupIterations: 1,
      });
      bench.add(c.name, c.fn);
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (result.state !== "completed") {
        throw new Error(`${c.name} ended ${result.state}${"error" in result ? `: ${String(result.error)}` : ""}`);
      }
      perRound.get(c.name)!.push(result.latency.p50);
    }
  }
  return contenders.map((c) => {
    const msPerOp = perRound.get(c.name)!;
    const mid = median(msPerOp);
    return { contender: c.name, msPerOp, median: mid, spread: (Math.max(...msPerOp) - Math.min(...msPerOp)) / mid };
  });
}

/** The figures of one sample that the reports show, derived from the case's work per operation. */
export function metrics(c: BenchCase, s: Sample): { nsPerElement?: number; gflops?: number; us: number } {
  const ms = s.median;
  return {
    us: ms * 1e3,
    ...(c.elements ? { nsPerElement: (ms * 1e6) / c.elements } : {}),
    ...(c.flops ? { gflops: c.flops / (ms * 1e6) } : {}),
  };
}
