// The measuring core of the benchmark harness: tinybench underneath, contenders of one
// case run interleaved (A B A B ...) over several rounds so drift in the machine's state
// hits all of them alike, and each contender's result is the median over its samples.
import { Bench } from "tinybench";
import os from "node:os";

/** One implementation of a case. `fn` runs one operation; `setup` runs before timing starts. */
export interface Contender {
  name: string;
  fn: () => void;
}

export interface Sample {
  contender: string;
  /** Milliseconds per operation, one entry per round (each the tinybench median of that round). */
  msPerOp: number[];
  /** Median of msPerOp. */
  median: number;
  /** (max - min) / median over the rounds. */
  spread: number;
}

export interface MeasureOptions {
  /** Rounds of interleaved runs; each yields one sample per contender. */
  rounds: number;
  /** Milliseconds of timing per contender per round. */
  timeMs: number;
}

export const FULL: MeasureOptions = { rounds: 5, timeMs: 300 };
export const QUICK: MeasureOptions = { rounds: 1, timeMs: 20 };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Times every contender in interleaved rounds, warm-up excluded. */
export async function measure(contenders: Contender[], options: MeasureOptions): Promise<Sample[]> {
  const perRound = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    // Alternate the order each round so no contender always runs first.
    const order = round % 2 ? [...contenders].reverse() : contenders;
    for (const c of order) {
      const bench = new Bench({ time: options.timeMs, warmupTime: Math.min(100, options.timeMs), iterations: 3 });
      bench.add(c.name, c.fn);
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (result.state !== "completed") throw new Error(`benchmark ${c.name} ended ${result.state}`);
      perRound.get(c.name)!.push(result.latency.p50);
    }
  }
  return contenders.map((c) => {
    const msPerOp = perRound.get(c.name)!;
    const mid = median(msPerOp);
    return { contender: c.name, msPerOp, median: mid, spread: (Math.max(...msPerOp) - Math.min(...msPerOp)) / mid };
  });
}

/** The machine and engine line every report starts with. */
export function environment(): Record<string, string | number> {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}
