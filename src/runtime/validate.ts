import { ValueError } from "./errors";

/** Bounds for {@link checkNumber}; every bound is optional. */
export interface NumberBounds {
  /** value >= min */
  min?: number;
  /** value > above */
  above?: number;
  /** value <= max */
  max?: number;
  /** value < below */
  below?: number;
  /** value is a whole number */
  integer?: boolean;
}

function describe(bounds: NumberBounds): string {
  const parts: string[] = [];
  if (bounds.min !== undefined) parts.push(`>= ${bounds.min}`);
  if (bounds.above !== undefined) parts.push(`> ${bounds.above}`);
  if (bounds.max !== undefined) parts.push(`<= ${bounds.max}`);
  if (bounds.below !== undefined) parts.push(`< ${bounds.below}`);
  const kind = bounds.integer ? "an integer" : "a finite number";
  return parts.length ? `${kind} ${parts.join(" and ")}` : kind;
}

/**
 * Returns `value` when it is a finite number within `bounds`; otherwise throws
 * `ValueError("Invalid <name>: <value> (expected ...)")`.
 */
export function checkNumber(name: string, value: unknown, bounds: NumberBounds = {}): number {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (!bounds.integer || Number.isInteger(value)) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.below === undefined || value < bounds.below);
  if (!ok) throw new ValueError(`Invalid ${name}: ${String(value)} (expected ${describe(bounds)})`);
  return value as number;
}

/** The smallest positive number of each float dtype: its least subnormal. */
export const SMALLEST_POSITIVE = { f32: 2 ** -149, f64: Number.MIN_VALUE } as const;

/** The largest finite number of each float dtype. */
export const LARGEST_FINITE = { f32: 3.4028234663852886e38, f64: Number.MAX_VALUE } as const;

/**
 * Returns `eps` when it is a finite number >= `least`, the floor below which it no longer
 * does its job in the caller's dtype (`why` says how); throws ValueError otherwise.
 */
export function checkEps(value: unknown, least: number, why: string): number {
  const eps = checkNumber("eps", value, { above: 0 });
  if (eps < least) throw new ValueError(`Invalid eps: ${eps} (expected >= ${least}: ${why})`);
  return eps;
}

/** Returns `value` when it is a boolean; otherwise throws `ValueError("Invalid <name>: ...")`. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new ValueError(`Invalid ${name}: ${String(value)} (expected true or false)`);
  return value;
}

/** How {@link checkOptions} checks an options object. */
export interface OptionsCheck {
  /** Whether the options must be given; default false. */
  required?: boolean;
  /** The argument's name in messages; default 'options'. */
  name?: string;
  /** The entry point, as messages name it ('BatchNorm', 'rt.tensor'); required with `known`. */
  of?: string;
  /** Every option the entry point takes: any other key is a ValueError with a did-you-mean hint. */
  known?: readonly string[];
}

/**
 * The options object of a call: `value` when it is an object (with only `known` keys when they
 * are given), `{}` when it is undefined and the options are optional; otherwise (null, a number,
 * an unknown key) ValueError, rather than the TypeError that reading a field of it would throw or
 * a misspelt option silently ignored.
 */
export function checkOptions<T extends object>(value: T | undefined, { required = false, name = "options", of, known }: OptionsCheck = {}): T {
  if (value === undefined && !required) return {} as T;
  if (value === null || typeof value !== "object") throw new ValueError(`Invalid ${name}: ${String(value)} (expected an object)`);
  if (known) checkKeys(value, known, of ?? name);
  return value;
}

/** Returns `value` when it is a function; otherwise throws ValueError. */
export function checkFunction<T>(name: string, value: T): T {
  if (typeof value !== "function") throw new ValueError(`Invalid ${name}: ${String(value)} (expected a function)`);
  return value;
}

/**
 * Option names of other libraries, for users who bring their previous dialect: each maps to the
 * name(s) descend uses and says where it comes from. A hint is given only when the entry point
 * has the descend option.
 */
const DIALECT: Record<string, { use: readonly string[]; from: string }> = {
  betas: { use: ["beta1", "beta2"], from: "PyTorch's betas" },
  beta_1: { use: ["beta1"], from: "Keras's beta_1" },
  beta_2: { use: ["beta2"], from: "Keras's beta_2" },
  learningRate: { use: ["lr"], from: "tfjs's learningRate" },
  learning_rate: { use: ["lr"], from: "Keras's learning_rate" },
  weight_decay: { use: ["weightDecay"], from: "PyTorch's weight_decay" },
  momentum_decay: { use: ["momentumDecay"], from: "PyTorch's momentum_decay" },
  lr_decay: { use: ["lrDecay"], from: "PyTorch's lr_decay" },
  epsilon: { use: ["eps"], from: "tfjs's and Keras's epsilon" },
  initial_accumulator_value: { use: ["initialAccumulator"], from: "PyTorch's initial_accumulator_value" },
  initialAccumulatorValue: { use: ["initialAccumulator"], from: "tfjs's initialAccumulatorValue" },
  amsGrad: { use: ["amsgrad"], from: "tfjs's amsGrad" },
  lb: { use: ["lower"], from: "scipy's Bounds(lb, ub)" },
  ub: { use: ["upper"], from: "scipy's Bounds(lb, ub)" },
  use_nesterov: { use: ["nesterov"], from: "TensorFlow's use_nesterov" },
  useNesterov: { use: ["nesterov"], from: "tfjs's useNesterov" },
  global_clipnorm: { use: ["clipGlobalNorm"], from: "Keras's global_clipnorm" },
  clipnorm: { use: ["clipNorm"], from: "Keras's clipnorm" },
  clipvalue: { use: ["clipValue"], from: "Keras's clipvalue" },
  decay: { use: ["rho"], from: "tfjs's RMSProp decay" },
  alpha: { use: ["rho"], from: "PyTorch's RMSprop alpha" },
  transposeA: { use: ["transA"], from: "tfjs's transposeA" },
  transposeB: { use: ["transB"], from: "tfjs's transposeB" },
  transpose_a: { use: ["transA"], from: "TensorFlow's transpose_a" },
  transpose_b: { use: ["transB"], from: "TensorFlow's transpose_b" },
};

/** Levenshtein distance between two names, case-insensitive. */
function editDistance(a: string, b: string): number {
  const [s, t] = [a.toLowerCase(), b.toLowerCase()];
  let row = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= t.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[t.length]!;
}

/** Whether `prefix` starts `name` (case-insensitive) and is at least 3 characters long. */
function isPrefix(prefix: string, name: string): boolean {
  return prefix.length >= 3 && name.toLowerCase().startsWith(prefix.toLowerCase());
}

/** snake_case and kebab-case to camelCase: `weight_decay` -> `weightDecay`. */
function camelCase(name: string): string {
  return name.replace(/[_-]+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/** The " (did you mean ...?)" hint for an unknown option `key`, or the list of known ones. */
function suggest(key: string, known: readonly string[]): string {
  const dialect = Object.hasOwn(DIALECT, key) ? DIALECT[key]! : null;
  if (dialect && dialect.use.every((name) => known.includes(name))) {
    return `did you mean ${dialect.use.join("/")} (${dialect.from})?`;
  }
  const wanted = camelCase(key);
  const close = (name: string) =>
    editDistance(wanted, name) <= Math.max(2, Math.floor(key.length / 3)) || isPrefix(wanted, name) || isPrefix(name, wanted);
  const best = known
    .filter(close)
    .sort((x, y) => editDistance(wanted, x) - editDistance(wanted, y))[0];
  if (best) return `did you mean '${best}'?`;
  return known.length ? `expected one of ${known.join(", ")}` : "this call takes no options";
}

/**
 * Throws `ValueError("Invalid options for <of>: unknown option '<key>' (did you mean ...?)")`
 * for the first key of `given` not in `known`: a misspelt option would otherwise be ignored.
 * The hint comes from the closest known name (edit distance, case-insensitive, snake_case
 * read as camelCase) or from the names other libraries use (PyTorch's betas, tfjs's learningRate).
 */
export function checkKeys(given: object, known: readonly string[], of: string): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw new ValueError(`Invalid options for ${of}: unknown option '${key}' (${suggest(key, known)})`);
  }
}

/**
 * The option names of an options interface, listed as a record so that the compiler checks the
 * list is complete and exact: `optionNames<TensorOptions>({ dtype: true })`.
 */
export function optionNames<T extends object>(all: Record<keyof Required<T>, true>): readonly string[] {
  return Object.keys(all);
}

/**
 * Returns `values` when it is a typed array of numbers (not BigInt64Array or BigUint64Array,
 * whose bigints a float view cannot take) or an array(-like) whose every element is a number;
 * otherwise ValueError, also for a stale view (one taken from `t.data` before the memory grew,
 * now detached). Checked whole before any copy: a typed array's set() would write the elements
 * before a bigint and then throw.
 */
export function checkValues(name: string, values: unknown): ArrayLike<number> {
  const expected = "(expected an array or typed array of numbers)";
  if (ArrayBuffer.isView(values)) {
    if (values instanceof DataView || values instanceof BigInt64Array || values instanceof BigUint64Array) {
      throw new ValueError(`Invalid ${name}: ${describeValue(values)} ${expected}`);
    }
    if (isDetachedView(values)) {
      throw new ValueError(
        `Invalid ${name}: a stale view (its memory grew since it was read, which detached it); read t.data again after anything that allocates`,
      );
    }
    return values as unknown as ArrayLike<number>;
  }
  const length = (values as { length?: unknown } | null)?.length;
  if (values === null || typeof values !== "object" || !Number.isSafeInteger(length) || (length as number) < 0) {
    throw new ValueError(`Invalid ${name}: ${describeValue(values)} ${expected}`);
  }
  const items = values as ArrayLike<unknown>;
  for (let i = 0; i < items.length; i++) {
    if (typeof items[i] !== "number") throw new ValueError(`Invalid ${name}[${i}]: ${describeValue(items[i])} (expected a number)`);
  }
  return items as ArrayLike<number>;
}

/**
 * True when `view` is a typed array whose memory is gone: a view over a WebAssembly.Memory
 * that has grown since the view was made (its buffer is detached: length 0 and unusable).
 */
function isDetachedView(view: ArrayBufferView): boolean {
  if (view.buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(view.buffer);
    return false;
  } catch {
    return true; // constructing a view on a detached buffer throws
  }
}

/** A short description of a bad argument for messages: its type and, for plain values, the value. */
function describeValue(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? `${value}n` : String(value);
  return value.constructor?.name ?? "object";
}

/** Reads `training` from the options of `of` (a layer's or module's forward()), which take no other key. */
export function checkTraining(options: unknown, of: string): boolean {
  if (options === null || typeof options !== "object") {
    throw new ValueError(`Invalid forward options: ${String(options)} (expected { training: boolean })`);
  }
  checkKeys(options, ["training"], of);
  return checkBoolean("training", (options as { training?: unknown }).training);
}
