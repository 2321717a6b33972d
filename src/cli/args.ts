// Strict command-line flags on top of node:util's parseArgs: every flag is declared with its
// type, default and help; anything unknown, repeated, missing or out of range is a UsageError
// whose message says what was expected and suggests the closest name. Flags are looked up in a
// Map, so a user's string never reaches an object's prototype.
import { parseArgs } from "node:util";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

interface BaseFlag {
  help: string;
  /** Placeholder of the value in the help, e.g. 'dir'. */
  value?: string;
}
export interface NumberFlag extends BaseFlag {
  type: "number";
  default: number;
  min?: number;
  max?: number;
  integer?: boolean;
}
export interface ChoiceFlag<T extends string = string> extends BaseFlag {
  type: "choice";
  choices: readonly T[];
  default: T;
}
/** Comma-separated values, each one of `choices`; the default (empty) means all of them. */
export interface ListFlag<T extends string = string> extends BaseFlag {
  type: "list";
  choices: readonly T[];
  default: readonly T[];
}
export interface StringFlag extends BaseFlag {
  type: "string";
  default: string;
}
export interface BooleanFlag extends BaseFlag {
  type: "boolean";
}
export type Flag = NumberFlag | ChoiceFlag | ListFlag | StringFlag | BooleanFlag;
export type FlagSpec = Record<string, Flag>;

export type Parsed<S extends FlagSpec> = {
  [K in keyof S]: S[K] extends NumberFlag
    ? number
    : S[K] extends { type: "choice"; choices: readonly (infer T)[] }
      ? T
      : S[K] extends { type: "list"; choices: readonly (infer T)[] }
        ? T[]
        : S[K] extends BooleanFlag
          ? boolean
          : string;
};

/** Flags every command takes besides its own. */
export const COMMON_FLAGS = {
  help: { type: "boolean", help: "show this help" },
  verbose: { type: "boolean", help: "print the stack trace of an internal error" },
} satisfies FlagSpec;

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `name` when it is close enough to be a typo, else undefined. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const ranked = [...candidates].sort((x, y) => distance(name, x) - distance(name, y));
  const best = ranked[0];
  return best !== undefined && distance(name, best) <= Math.max(1, Math.min(3, Math.floor(best.length / 2))) ? best : undefined;
}

/** " (did you mean X?)" when a candidate is close to `name`. */
export function didYouMean(name: string, candidates: Iterable<string>, prefix = ""): string {
  const best = closest(name, candidates);
  return best === undefined ? "" : ` (did you mean ${prefix}${best}?)`;
}

function numberRange(flag: NumberFlag): string {
  const parts = [flag.min !== undefined ? `>= ${flag.min}` : "", flag.max !== undefined ? `<= ${flag.max}` : ""];
  return parts.filter(Boolean).join(" and ");
}

function parseNumber(name: string, flag: NumberFlag, raw: string): number {
  const value = Number(raw);
  const ok =
    raw.trim() !== "" &&
    Number.isFinite(value) &&
    (!flag.integer || Number.isInteger(value)) &&
    (flag.min === undefined || value >= flag.min) &&
    (flag.max === undefined || value <= flag.max);
  if (!ok) {
    const range = numberRange(flag);
    throw new UsageError(`--${name} ${raw}: expected ${flag.integer ? "an integer" : "a number"}${range ? ` ${range}` : ""}`);
  }
  return value;
}

function parseChoice(name: string, choices: readonly string[], raw: string): string {
  if (!choices.includes(raw)) throw new UsageError(`--${name} ${raw}: expected one of ${choices.join(", ")}${didYouMean(raw, choices)}`);
  return raw;
}

function parseValue(name: string, flag: Exclude<Flag, BooleanFlag>, raw: string): number | string | string[] {
  switch (flag.type) {
    case "number":
      return parseNumber(name, flag, raw);
    case "choice":
      return parseChoice(name, flag.choices, raw);
    case "list": {
      const values = raw.split(",").filter(Boolean);
      if (!values.length) throw new UsageError(`--${name} needs at least one of ${flag.choices.join(", ")}`);
      return [...new Set(values.map((v) => parseChoice(name, flag.choices, v)))];
    }
    case "string":
      if (raw === "") throw new UsageError(`--${name} needs a non-empty value`);
      return raw;
  }
}

/** The flags a command accepts: its own and the common ones, by name. */
function flagTable(spec: FlagSpec): Map<string, Flag> {
  return new Map<string, Flag>([...Object.entries(spec), ...Object.entries(COMMON_FLAGS)]);
}

/**
 * Parses `--name value`, `--name=value` (the value is everything after the first '='),
 * `--flag` and `-h` against `spec`, filling in defaults. With `--help` / `-h` anywhere, returns
 * at once with `help: true` and nothing else checked.
 */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): Parsed<S> & Parsed<typeof COMMON_FLAGS> {
  const table = flagTable(spec);
  // Not strict: unknown, repeated and valueless flags are reported below, with suggestions.
  const options = Object.fromEntries(
    [...table].map(([name, flag]) => [name, { type: flag.type === "boolean" ? ("boolean" as const) : ("string" as const), ...(name === "help" ? { short: "h" } : {}) }]),
  );
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const out = new Map<string, unknown>();
  for (const [name, flag] of table) out.set(name, flag.type === "boolean" ? false : flag.default);
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) {
    out.set("help", true);
    return Object.fromEntries(out) as Parsed<S> & Parsed<typeof COMMON_FLAGS>;
  }
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") throw new UsageError(`Unexpected argument: ${token.value}`);
    const { name, rawName } = token;
    const flag = table.get(name);
    if (!flag || !rawName.startsWith("--")) throw new UsageError(`Unknown flag: ${rawName}${didYouMean(name, table.keys(), "--")}`);
    if (seen.has(name)) throw new UsageError(`--${name} given twice`);
    seen.add(name);
    if (flag.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value`);
      out.set(name, true);
      continue;
    }
    // parseArgs (not strict) takes the next argument as the value even when it is a flag.
    const raw = token.value;
    if (raw === undefined || (!token.inlineValue && raw.startsWith("--"))) {
      throw new UsageError(`--${name} needs a value (${flag.help})`);
    }
    out.set(name, parseValue(name, flag, raw));
  }
  return Object.fromEntries(out) as Parsed<S> & Parsed<typeof COMMON_FLAGS>;
}

function placeholder(flag: Flag): string {
  if (flag.type === "boolean") return "";
  if (flag.value) return ` <${flag.value}>`;
  switch (flag.type) {
    case "number":
      return flag.integer ? " <int>" : " <number>";
    case "choice":
      return " <name>";
    case "list":
      return " <a,b,...>";
    case "string":
      return " <text>";
  }
}

function details(flag: Flag): string {
  switch (flag.type) {
    case "boolean":
      return "";
    case "number": {
      const range = numberRange(flag);
      return ` (default ${flag.default}${range ? `; ${range}` : ""})`;
    }
    case "choice":
      return `: ${flag.choices.join(", ")} (default ${flag.default})`;
    case "list":
      return `: ${flag.choices.join(", ")} (default ${flag.default.length ? flag.default.join(",") : "all"})`;
    case "string":
      return ` (default ${flag.default})`;
  }
}

/** Words of `text` in lines of at most `width` characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** Rows of (term, description) as two aligned columns, descriptions wrapped to `width` in all. */
export function columns(rows: ReadonlyArray<readonly [string, string]>, width = 100): string {
  const left = Math.max(...rows.map(([term]) => term.length)) + 4;
  return rows
    .flatMap(([term, text]) => wrap(text, Math.max(30, width - left)).map((line, i) => (i ? " ".repeat(left) : `  ${term}`.padEnd(left)) + line))
    .join("\n");
}

/** The help text of a flag spec (with the common flags), one entry per flag with its default. */
export function describeFlags(spec: FlagSpec): string {
  const rows = [...flagTable(spec)].map(([name, flag]) => [
    `${name === "help" ? "-h, " : ""}--${name}${placeholder(flag)}`,
    `${flag.help}${details(flag)}`,
  ] as const);
  return columns(rows);
}
