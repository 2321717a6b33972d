// Strict command-line flags: every flag is declared with its type, default and help; anything
// unknown, missing or out of range is a UsageError whose message says what was expected and
// suggests the closest flag.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

interface BaseFlag {
  help: string;
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
export interface StringFlag extends BaseFlag {
  type: "string";
  default: string;
}
export interface BooleanFlag extends BaseFlag {
  type: "boolean";
}
export type Flag = NumberFlag | ChoiceFlag | StringFlag | BooleanFlag;
export type FlagSpec = Record<string, Flag>;

export type Parsed<S extends FlagSpec> = {
  [K in keyof S]: S[K] extends NumberFlag
    ? number
    : S[K] extends { type: "choice"; choices: readonly (infer T)[] }
      ? T
      : S[K] extends BooleanFlag
        ? boolean
        : string;
};

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

function suggestion(name: string, spec: FlagSpec): string {
  const best = Object.keys(spec).sort((x, y) => distance(name, x) - distance(name, y))[0];
  return best && distance(name, best) <= 3 ? ` (did you mean --${best}?)` : "";
}

function parseValue(name: string, flag: Flag, raw: string): number | string {
  if (flag.type === "number") {
    const value = Number(raw);
    const ok =
      raw.trim() !== "" &&
      Number.isFinite(value) &&
      (!flag.integer || Number.isInteger(value)) &&
      (flag.min === undefined || value >= flag.min) &&
      (flag.max === undefined || value <= flag.max);
    if (!ok) {
      const range = [flag.min !== undefined ? `>= ${flag.min}` : "", flag.max !== undefined ? `<= ${flag.max}` : ""]
        .filter(Boolean)
        .join(" and ");
      throw new UsageError(`--${name} ${raw}: expected ${flag.integer ? "an integer" : "a number"}${range ? ` ${range}` : ""}`);
    }
    return value;
  }
  if (flag.type === "choice" && !flag.choices.includes(raw)) {
    throw new UsageError(`--${name} ${raw}: expected one of ${flag.choices.join(", ")}`);
  }
  return raw;
}

/** Parses `--name value` / `--name=value` / `--flag` against `spec`, filling in defaults. */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): Parsed<S> {
  const out: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec)) out[name] = flag.type === "boolean" ? false : flag.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new UsageError(`Unexpected argument: ${arg}`);
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    const flag = spec[name];
    if (!flag) throw new UsageError(`Unknown flag: --${name}${suggestion(name, spec)}`);
    if (flag.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith("--"))) {
      throw new UsageError(`--${name} needs a value (${flag.help})`);
    }
    out[name] = parseValue(name, flag, raw);
  }
  return out as Parsed<S>;
}

/** The help text of a flag spec, one line per flag with its default. */
export function describeFlags(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([name, flag]) => {
      const value = flag.type === "boolean" ? "" : flag.type === "choice" ? ` <${flag.choices.join("|")}>` : ` <${flag.type}>`;
      const fallback = flag.type === "boolean" ? "" : ` (default ${flag.default})`;
      return `  --${name}${value}`.padEnd(44) + `${flag.help}${fallback}`;
    })
    .join("\n");
}
