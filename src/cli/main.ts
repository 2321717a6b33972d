#!/usr/bin/env node
// The descend command line: `descend train`, `descend race`, `descend bench`, `descend help`.
import { race, RACE_HELP } from "./race";
import { trainCommand, TRAIN_HELP } from "./train";
import { runBench } from "../../bench/run";
import { UsageError } from "./args";

const BENCH_HELP = `descend bench [--only family,family] [--quick] [--out dir]

Measures descend (wasm) against its reference twin and TensorFlow.js (wasm, cpu) on identical
inputs, in one run; writes latest.json, latest.md and SVG charts to --out (default bench/results).`;

/** A command runs with its flags and may resolve to an exit code (default 0). */
const COMMANDS: Record<string, { help: string; run: (argv: string[]) => unknown }> = {
  train: { help: TRAIN_HELP, run: (argv) => trainCommand(argv) },
  race: { help: RACE_HELP, run: (argv) => race(argv) },
  bench: { help: BENCH_HELP, run: (argv) => runBench(argv) },
};

const USAGE = `usage: descend <command> [flags]\n\ncommands:\n${Object.keys(COMMANDS)
  .map((c) => `  ${c}`)
  .join("\n")}\n\n\`descend <command> --help\` describes a command's flags.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help") {
    console.log(USAGE);
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    console.error(`Unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes("--help")) {
    console.log(entry.help);
    return 0;
  }
  try {
    const code = await entry.run(rest);
    return typeof code === "number" ? code : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`descend ${command}: ${error.message}\n\n${entry.help}`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
