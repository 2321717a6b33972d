// The descend command line: a table of commands, one flag parser (./args) for all of them,
// and the exit codes: 0 done, 1 an internal error (one line; the stack with --verbose or
// DEBUG=descend), 2 a usage error (the message and how to get help, on stderr).
import { closest, columns, parseFlags, UsageError } from "./args";
import { helpText, usageLine, type Command } from "./command";
import { BENCH } from "./bench";
import { RACE } from "./race";
import { TRAIN } from "./train";
import { versionText } from "./version";

export const COMMANDS: ReadonlyMap<string, Command<any>> = new Map<string, Command<any>>(
  [TRAIN, RACE, BENCH].map((c) => [c.name, c]),
);

/** Where a run writes: its result (stdout) and its diagnostics (stderr). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const CONSOLE: Io = { out: (line) => console.log(line), err: (line) => console.error(line) };

function overview(): string {
  return [
    "usage: descend <command> [flags]",
    "",
    "Optimization for training deep models: WebAssembly SIMD optimizers, schedules, normalization, GEMM and minimizers.",
    "",
    "commands:",
    columns([...[...COMMANDS.values()].map((c) => [c.name, c.summary] as const), ["help", "this list, or a command's flags: descend help <command>"]]),
    "",
    "flags:",
    columns([
      ["-h, --help", "show this list"],
      ["--version", "print the package version and the kernels this engine runs"],
    ]),
    "",
    'Run "descend <command> --help" for a command\'s flags.',
  ].join("\n");
}

function unknownCommand(name: string): UsageError {
  const best = closest(name, [...COMMANDS.keys(), "help", "--help", "--version"]);
  return new UsageError(`Unknown command: ${name}${best ? ` (did you mean ${best}?)` : ""}`);
}

/** Runs one command line (without the node and script arguments); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = CONSOLE): Promise<number> {
  const [name, ...rest] = argv;
  const verbose = argv.includes("--verbose") || /(^|,)descend(,|$)/.test(process.env.DEBUG ?? "");
  let current: Command<any> | undefined;
  try {
    if (name === undefined || name === "--help" || name === "-h") {
      io.out(overview());
      return 0;
    }
    if (name === "--version") {
      if (rest.length) throw new UsageError(`--version takes no other arguments`);
      io.out(versionText());
      return 0;
    }
    if (name === "help") {
      const [topic, ...extra] = rest;
      if (extra.length) throw new UsageError(`help takes at most one command`);
      const target = topic === undefined ? undefined : COMMANDS.get(topic);
      if (topic !== undefined && !target) throw unknownCommand(topic);
      io.out(target ? helpText(target) : overview());
      return 0;
    }
    current = COMMANDS.get(name);
    if (!current) throw unknownCommand(name);
    const flags = parseFlags(rest, current.flags);
    if (flags.help) {
      io.out(helpText(current));
      return 0;
    }
    const code = await current.run(flags, io.out, io.err);
    return typeof code === "number" ? code : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const help = current ? `${usageLine(current)}\nRun "descend ${current.name} --help" for its flags.` : 'Run "descend --help" for the commands.';
      io.err(`descend${current ? ` ${current.name}` : ""}: ${error.message}\n${help}`);
      return 2;
    }
    if (verbose && error instanceof Error && error.stack) io.err(error.stack);
    else {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      io.err(`descend${current ? ` ${current.name}` : ""}: ${message.split("\n")[0]} (--verbose or DEBUG=descend shows the stack)`);
    }
    return 1;
  }
}
