// `descend bench`: the comparison harness of bench/. Its cases and peers (TensorFlow.js, ...)
// load only when this command runs, so the other commands neither pay for them nor print
// their diagnostics.
import { BENCH_FAMILIES } from "../../bench/families";
import type { FlagSpec } from "./args";
import { command } from "./command";

export const BENCH_FLAGS = {
  only: { type: "list", choices: BENCH_FAMILIES, default: [], help: "case families to run" },
  quick: { type: "boolean", help: "one short round per contender (a smoke run; figures are rough)" },
  out: { type: "string", default: "bench/results", value: "dir", help: "folder for latest.json, latest.md and the SVG charts" },
} satisfies FlagSpec;

export const BENCH = command({
  name: "bench",
  summary: "measure descend against its reference twin and TensorFlow.js; JSON, Markdown, SVG",
  description:
    "Measures descend (wasm) against its reference twin and TensorFlow.js (wasm, cpu) on identical inputs, interleaved in one " +
    "process. Prints one line per case (ratio to each peer, share of the bandwidth bound or SIMD peak); writes every " +
    "contender's table to latest.md, every sample to latest.json and SVG charts to --out.",
  flags: BENCH_FLAGS,
  run: async (flags, print) => {
    const { runBench } = await import("../../bench/run");
    return runBench(flags, print);
  },
});
