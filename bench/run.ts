// The benchmark run behind `descend bench` and `npm run bench` (flags parsed by src/cli/bench.ts).
// Runs the selected cases of bench/registry.ts for descend wasm, its reference twin and the
// peers, in one process; prints one summary line per case, and writes latest.json (every
// sample), latest.md (every contender's table) and SVG charts to the output folder.
import { mkdirSync, writeFileSync } from "node:fs";
import v8 from "node:v8";
import { join } from "node:path";
import { FULL, isSkipped, measure, QUICK, type BenchCase, type Contender } from "./harness";
import { describeEnvironment, environment } from "./environment";
import { familyCharts, markdown, skippedNotes, speedupCharts, summaryLine, SUMMARY_LEGEND, type CaseResult } from "./report";
import { ALL_CASES } from "./registry";

export type { BenchCase } from "./harness";

export interface BenchOptions {
  /** Families to run; empty runs every one. */
  only: readonly string[];
  quick: boolean;
  out: string;
}

/** Parts joined by " | " in lines of at most `width` characters (a part longer stays whole). */
function columnsOf(parts: string[], width: number): string[] {
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 3 + part.length <= width) lines[lines.length - 1] = `${last} | ${part}`;
    else lines.push(part);
  }
  return lines;
}

async function runCase(c: BenchCase, quick: boolean): Promise<CaseResult> {
  let contenders: Array<Contender | { name: string; skipped: string }> = [];
  try {
    contenders = await c.contenders();
    const runnable = contenders.filter((x): x is Contender => !isSkipped(x));
    const samples = await measure(runnable, quick ? QUICK : FULL);
    return { case: c, samples, skipped: contenders.filter(isSkipped) };
  } catch (error) {
    return { case: c, samples: [], skipped: [], error: error instanceof Error ? error.message : String(error) };
  } finally {
    for (const x of contenders) if (!isSkipped(x)) x.dispose?.();
  }
}

/**
 * Runs the benchmark; resolves to the exit code (1 when a case failed). `print` takes the
 * result (the summary); progress and skipped peers go to stderr.
 */
export async function runBench(options: BenchOptions, print: (line: string) => void = console.log): Promise<number> {
  // Node 20 runs relaxed SIMD only behind this flag. Set before the first runtime is made, it
  // lets descend pick its relaxed build here as Chromium and newer Nodes do by default.
  if (Number(process.versions.node.split(".")[0]) === 20) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  const env = environment();
  const envLine = describeEnvironment(env);
  const selected = ALL_CASES.filter((c) => !options.only.length || options.only.includes(c.family));
  const nameWidth = Math.max(...selected.map((c) => c.name.length));
  for (const line of columnsOf(envLine.split(" | "), 100)) print(line);
  print(SUMMARY_LEGEND);

  const progress = (text: string) => process.stderr.isTTY && process.stderr.write(`\r${text.padEnd(nameWidth + 16)}\r`);
  const results: CaseResult[] = [];
  for (const [i, c] of selected.entries()) {
    progress(`[${i + 1}/${selected.length}] ${c.name} ...`);
    const result = await runCase(c, options.quick);
    progress("");
    if (c.family !== results.at(-1)?.case.family) print(`\n${c.family}`);
    print(summaryLine(result, nameWidth));
    results.push(result);
  }
  for (const note of skippedNotes(results)) process.stderr.write(`${note}\n`);

  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, "latest.json"), JSON.stringify({ environment: env, quick: options.quick, results }, null, 2));
  writeFileSync(join(options.out, "latest.md"), markdown(results, envLine));
  const charts = new Map([...speedupCharts(results), ...familyCharts(results)]);
  for (const [name, svg] of charts) writeFileSync(join(options.out, `${name.replace(/[^\w.-]+/g, "-")}.svg`), svg);
  print(`\nfull tables: ${join(options.out, "latest.md")}; every sample: latest.json; ${charts.size} SVG charts`);
  return results.some((r) => r.error) ? 1 : 0;
}
