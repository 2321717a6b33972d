// The benchmark run behind `npm run bench [-- --only gemm,adam] [--quick] [--out dir]` (bench/main.ts)
// and `descend bench`.
// Runs every case of bench/registry.ts for descend wasm, its reference twin and the peers, in
// one process; prints a table per case, and writes latest.json (every sample), latest.md and SVG
// charts to the output folder.
import { mkdirSync, writeFileSync } from "node:fs";
import v8 from "node:v8";
import { join } from "node:path";
import { FULL, isSkipped, measure, QUICK, type BenchCase, type Contender } from "./harness";
import { describeEnvironment, environment } from "./environment";
import { familyCharts, markdown, rows, speedupChart, type CaseResult } from "./report";
import { ALL_CASES } from "./registry";

export type { BenchCase } from "./harness";

interface Args {
  only: string[] | null;
  quick: boolean;
  out: string;
}

const USAGE = "usage: npm run bench -- [--only family,family] [--quick] [--out dir]";

export function parseArgs(argv: string[]): Args {
  const args: Args = { only: null, quick: false, out: "bench/results" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--quick") args.quick = true;
    else if (flag === "--only" || flag === "--out") {
      const value = argv[++i];
      if (!value || value.startsWith("--")) throw new Error(`${flag} needs a value\n${USAGE}`);
      if (flag === "--only") args.only = value.split(",").filter(Boolean);
      else args.out = value;
    } else throw new Error(`Unknown option: ${flag}\n${USAGE}`);
  }
  return args;
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

/** Runs the benchmark with command-line arguments; resolves to the exit code. */
export async function runBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  // Node 20 runs relaxed SIMD only behind this flag. Set before the first runtime is made, it
  // lets descend pick its relaxed build here as Chromium and newer Nodes do by default.
  if (Number(process.versions.node.split(".")[0]) === 20) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  const env = environment();
  const envLine = describeEnvironment(env);
  console.log(envLine);
  const all = ALL_CASES;
  const families = [...new Set(all.map((c) => c.family))];
  const unknown = (args.only ?? []).filter((f) => !families.includes(f));
  if (unknown.length) throw new Error(`Unknown family: ${unknown.join(", ")} (have: ${families.join(", ")})`);
  const selected = all.filter((c) => !args.only || args.only.includes(c.family));

  const results: CaseResult[] = [];
  for (const [i, c] of selected.entries()) {
    process.stderr.write(`[${i + 1}/${selected.length}] ${c.name} ...\r`);
    const result = await runCase(c, args.quick);
    process.stderr.write(" ".repeat(60) + "\r");
    results.push(result);
    console.log(`\n${c.name}${result.error ? `: FAILED ${result.error}` : ""}`);
    if (!result.error) console.table(rows(result));
  }

  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, "latest.json"), JSON.stringify({ environment: env, quick: args.quick, results }, null, 2));
  writeFileSync(join(args.out, "latest.md"), markdown(results, envLine));
  writeFileSync(join(args.out, "speedup.svg"), speedupChart(results));
  for (const [family, svg] of familyCharts(results)) writeFileSync(join(args.out, `${family.replace(/[^\w.-]+/g, "-")}.svg`), svg);
  console.log(`\nwrote ${args.out}/latest.json, latest.md and SVG charts`);
  return results.some((r) => r.error) ? 1 : 0;
}
