// Benchmark CLI: `npm run bench [-- --only adam --quick]`. Prints a table per case with
// each contender's time per element and its speed relative to the first contender (descend
// wasm), and writes every sample to bench/results/latest.json. Cases come from every file in
// bench/cases/, each exporting `cases: BenchCase[]`.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { environment, FULL, measure, QUICK, type Contender, type Sample } from "./harness";

export interface BenchCase {
  /** What `--only` selects on, e.g. 'adam', 'gemm'. */
  family: string;
  name: string;
  /** Elements processed per operation (for ns/element). */
  elements: number;
  unit: string;
  /** Floating-point operations per operation (e.g. 2mnk for gemm): adds a GFLOP/s column. */
  flops?: number;
  contenders: () => Array<Contender & { dispose?: () => void }>;
}

async function loadCases(): Promise<BenchCase[]> {
  const dir = fileURLToPath(new URL("./cases/", import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts")).sort();
  const modules = await Promise.all(files.map((f) => import(new URL(`./cases/${f}`, import.meta.url).href)));
  return modules.flatMap((m: { cases: BenchCase[] }) => m.cases);
}

function parseArgs(argv: string[]): { only: string[] | null; quick: boolean } {
  const onlyIndex = argv.indexOf("--only");
  const only = onlyIndex >= 0 ? (argv[onlyIndex + 1] ?? "").split(",").filter(Boolean) : null;
  const unknown = argv.filter((a, i) => a.startsWith("--") && !["--only", "--quick"].includes(a) && argv[i - 1] !== "--only");
  if (unknown.length) throw new Error(`Unknown option(s): ${unknown.join(" ")} (expected --only a,b and --quick)`);
  return { only, quick: argv.includes("--quick") };
}

async function main(): Promise<void> {
  const { only, quick } = parseArgs(process.argv.slice(2));
  const env = environment();
  console.log(Object.entries(env).map(([k, v]) => `${k}: ${v}`).join(" | "));
  const selected = (await loadCases()).filter((c) => !only || only.includes(c.family));
  const report: Array<{ case: string; unit: string; flops?: number; samples: Sample[] }> = [];
  for (const c of selected) {
    const contenders = c.contenders();
    const samples = await measure(contenders, quick ? QUICK : FULL);
    for (const contender of contenders) contender.dispose?.();
    report.push({ case: c.name, unit: c.unit, ...(c.flops ? { flops: c.flops } : {}), samples });
    const base = samples[0]!.median;
    console.log(`\n${c.name}`);
    console.table(
      samples.map((s) => ({
        contender: s.contender,
        [c.unit]: Number(((s.median * 1e6) / c.elements).toFixed(3)),
        ...(c.flops ? { "GFLOP/s": Number((c.flops / (s.median * 1e6)).toFixed(1)) } : {}),
        spread: `${(s.spread * 100).toFixed(1)}%`,
        [`time / ${samples[0]!.contender}`]: Number((s.median / base).toFixed(2)),
      })),
    );
  }
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/latest.json", JSON.stringify({ environment: env, quick, report }, null, 2));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
