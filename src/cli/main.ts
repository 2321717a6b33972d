#!/usr/bin/env node
// The descend command line: `descend train`, `descend race`, `descend help`.
import { race, RACE_HELP } from "./race";
import { trainCommand, TRAIN_HELP } from "./train";
import { UsageError } from "./args";

const COMMANDS: Record<string, { help: string; run: (argv: string[]) => unknown }> = {
  train: { help: TRAIN_HELP, run: (argv) => trainCommand(argv) },
  race: { help: RACE_HELP, run: (argv) => race(argv) },
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
    await entry.run(rest);
    return 0;
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
