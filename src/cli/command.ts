// What every `descend` command declares: its flags (parsed by ./args), a one-line summary for
// the command list, and a run function that prints its result through `print` (stdout) and its
// diagnostics on stderr.
import { describeFlags, wrap, type FlagSpec, type Parsed } from "./args";

export interface Command<S extends FlagSpec = FlagSpec, R = unknown> {
  name: string;
  /** One line for `descend --help`. */
  summary: string;
  /** A paragraph under the usage line of `descend <name> --help`. */
  description: string;
  flags: S;
  /**
   * Runs with parsed flags, printing its result through `print` (stdout) and notes about how it
   * was computed through `note` (stderr; none when absent); a number it returns (or resolves to)
   * is the exit code, else 0.
   */
  run(flags: Parsed<S>, print: (line: string) => void, note?: (line: string) => void): R;
}

/** Declares a command, keeping its flags' types for `run`. */
export function command<S extends FlagSpec, R>(c: Command<S, R>): Command<S, R> {
  return c;
}

export function usageLine(c: Command): string {
  return `usage: descend ${c.name} [flags]`;
}

export function helpText(c: Command): string {
  return `${usageLine(c)}\n\n${wrap(c.description, 100).join("\n")}\n\nflags:\n${describeFlags(c.flags)}`;
}
