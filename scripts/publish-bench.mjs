// Publishes a full benchmark run: `npm run bench -- --out bench/results/full`, then
// `node scripts/publish-bench.mjs` writes bench/RESULTS.md (the run's Markdown under a header)
// and copies its SVG charts to bench/charts/.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";

const from = process.argv[2] ?? "bench/results/full";
const run = JSON.parse(readFileSync(`${from}/latest.json`, "utf8"));
if (run.quick) throw new Error(`${from} holds a --quick run; publish a full run`);
mkdirSync("bench/charts", { recursive: true });
const charts = readdirSync(from).filter((f) => f.endsWith(".svg")).sort();
for (const chart of charts) copyFileSync(`${from}/${chart}`, `bench/charts/${chart}`);
const body = readFileSync(`${from}/latest.md`, "utf8").replace(/^# Benchmark results\n/, "");
writeFileSync(
  "bench/RESULTS.md",
  [
    "# Benchmark results (latest full run)",
    "",
    "Produced by `npm run bench -- --out bench/results/full` and `node scripts/publish-bench.mjs` on the",
    "development machine, nothing else running. Each figure is the median of 5 interleaved rounds;",
    "spread = (max - min) / median over the rounds. \"time vs first\" is each contender's time over",
    "descend-wasm's; \"% of bound\" compares with a stream loop moving the same bytes in the same run,",
    "\"% of peak\" with 12 independent v128 multiply-add chains doing the same flops.",
    "",
    `Charts: ${charts.map((c) => `[${c.replace(".svg", "")}](charts/${c})`).join(", ")}.`,
    body,
  ].join("\n"),
);
console.log(`bench/RESULTS.md and ${charts.length} charts from ${from}`);
