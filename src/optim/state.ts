import { decodeNumber, encodeNumber, type JsonNumber } from "../runtime/json-number";
import { StateError } from "../runtime/errors";
import type { DType } from "../runtime/tensor";

/** Identifies saved optimizer state (the `format` field of a {@link StateDict}). */
export const STATE_FORMAT = "descend.optim.state";
/** Version of the saved layout; bumped when it changes. Loading another version is a StateError. */
export const STATE_VERSION = 1;

/** Magic bytes of the binary form: "DSOS" (descend optimizer state). */
const MAGIC = [0x44, 0x53, 0x4f, 0x53];

/** The saved state of one parameter. Buffers are typed arrays in memory, number lists in JSON. */
export interface SavedParamState {
  step: number;
  dtype: DType;
  length: number;
  buffers: Record<string, ArrayLike<number>>;
  scalars: Record<string, number>;
}

/** Everything an optimizer saves, before encoding. */
export interface Snapshot {
  optimizer: string;
  convention: string;
  options: { clipGlobalNorm: number; nonFinite: string };
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
  state: Record<string, SavedParamState>;
  extras: Record<string, unknown>;
}


/** The JSON-safe form of an optimizer's state (see Optimizer.stateDict). */
export interface StateDict {
  /** Always {@link STATE_FORMAT}. */
  format: typeof STATE_FORMAT;
  /** Always {@link STATE_VERSION}. */
  version: typeof STATE_VERSION;
  /** The optimizer's name ('Adam', 'SGD', ...): loading into another optimizer is a StateError. */
  optimizer: string;
  /** The convention its defaults came from. */
  convention: string;
  /** The whole-optimizer options. */
  options: {
    /** Global-norm clipping bound; Infinity saved as the string "Infinity". */
    clipGlobalNorm: JsonNumber;
    /** The non-finite gradient policy. */
    nonFinite: string;
  };
  /** Hyperparameters per group, with the positions of its params in the optimizer's order. */
  paramGroups: Array<Record<string, unknown> & {
    /** Positions of the group's params, counted over all groups in order. */
    params: number[];
  }>;
  /** Per-parameter state by position (as a decimal string key). */
  state: Record<string, {
    /** Updates applied. */
    step: number;
    /** Element type of the buffers. */
    dtype: DType;
    /** Elements of each buffer. */
    length: number;
    /** The rule's buffers by name, as number lists (non-finite values and -0 as strings). */
    buffers: Record<string, JsonNumber[]>;
    /** The rule's scalars by name. */
    scalars: Record<string, JsonNumber>;
  }>;
  /** The states of attached objects (schedulers, averagers) by their attach key. */
  extras: Record<string, unknown>;
}


/** The number at `where` in a saved state; StateError when it is not one. */
export function requireNumber(x: unknown, where: string): number {
  const value = decodeNumber(x);
  if (value === undefined) throw new StateError(`Cannot load state: ${where} is ${JSON.stringify(x)}, not a number`);
  return value;
}

const mapValues = <A, B>(record: Record<string, A>, f: (value: A, key: string) => B): Record<string, B> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value, key)]));

const encodeHyper = (group: Record<string, unknown>) =>
  mapValues(group, (value, key) => (typeof value === "number" && key !== "params" ? encodeNumber(value) : value));


const decodeHyper = (group: Record<string, unknown>) =>
  mapValues(group, (value, key) => (key !== "params" && typeof value === "string" ? (decodeNumber(value) ?? value) : value));

/** The JSON-safe object form (buffers as number lists), or the binary form. */
export function encodeState(snapshot: Snapshot, form: "json"): StateDict;
export function encodeState(snapshot: Snapshot, form: "binary"): Uint8Array;
export function encodeState(snapshot: Snapshot, form: "json" | "binary"): StateDict | Uint8Array {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const state = mapValues(snapshot.state, (s) => ({
    step: s.step,
    dtype: s.dtype,
    length: s.length,
    scalars: mapValues(s.scalars, encodeNumber),
    buffers: mapValues(s.buffers, (data) => {
      if (form === "json") return Array.from(data, encodeNumber);
      const typed = data as Float32Array | Float64Array;
      chunks.push(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
      const at = offset;
      offset += Math.ceil(typed.byteLength / 8) * 8;
      return at;
    }),
  }));
  const header = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    optimizer: snapshot.optimizer,
    convention: snapshot.convention,
    options: { clipGlobalNorm: encodeNumber(snapshot.options.clipGlobalNorm), nonFinite: snapshot.options.nonFinite },
    paramGroups: snapshot.paramGroups.map((group) => encodeHyper(group) as StateDict["paramGroups"][number]),
    state,
    extras: snapshot.extras,
  };
  if (form === "json") return header as StateDict;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((12 + json.length) / 8) * 8;
  const bytes = new Uint8Array(dataStart + offset);
  bytes.set(MAGIC, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(4, STATE_VERSION, true);
  view.setUint32(8, json.length, true);
  bytes.set(json, 12);
  let at = dataStart;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += Math.ceil(chunk.byteLength / 8) * 8;
  }
  return bytes;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Parses either form back into a Snapshot, checking the format, version and structure (StateError otherwise). */
export function decodeState(input: unknown, form: "json" | "binary"): Snapshot {
  const fail = (why: string): never => {
    throw new StateError(`Cannot load state: ${why}`);
  };
  let header: unknown = input;
  let data: Uint8Array | null = null;
  if (form === "binary") {
    if (!(input instanceof Uint8Array) || input.length < 12 || MAGIC.some((b, i) => input[i] !== b)) fail("not descend optimizer state bytes");
    const bytes = input as Uint8Array;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(4, true) !== STATE_VERSION) fail(`binary version ${view.getUint32(4, true)}, expected ${STATE_VERSION}`);
    const length = view.getUint32(8, true);
    if (12 + length > bytes.length) fail("the header runs past the end");
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length)));
    } catch {
      fail("the header is not JSON");
    }
    data = bytes.subarray(Math.ceil((12 + length) / 8) * 8);
  }
  if (!isObject(header)) return fail("expected an object");
  if (header.format !== STATE_FORMAT) fail(`format ${JSON.stringify(header.format)}, expected '${STATE_FORMAT}'`);
  if (header.version !== STATE_VERSION) fail(`version ${JSON.stringify(header.version)}, expected ${STATE_VERSION}`);
  // Array.from turns holes into undefined: every() and map() would skip them.
  if (!Array.isArray(header.paramGroups) || !Array.from(header.paramGroups).every(isObject)) fail("paramGroups is not a list of objects");
  if (!isObject(header.state) || !isObject(header.options) || !isObject(header.extras ?? {})) fail("state or options is not an object");
  const state = mapValues(header.state as Record<string, unknown>, (entry, key): SavedParamState => {
    if (!isObject(entry) || !isObject(entry.buffers) || !isObject(entry.scalars)) return fail(`param ${key} is malformed`);
    const dtype = entry.dtype;
    const length = entry.length;
    if ((dtype !== "f32" && dtype !== "f64") || !Number.isInteger(length) || (length as number) < 0) {
      fail(`param ${key} has dtype ${String(dtype)} and length ${String(length)}`);
    }
    const n = length as number;
    const Typed = dtype === "f64" ? Float64Array : Float32Array;
    const buffers = mapValues(entry.buffers as Record<string, unknown>, (saved, name): ArrayLike<number> => {
      const where = `buffer '${name}' of param ${key}`;
      if (form === "json") {
        if (!Array.isArray(saved)) return fail(`${where} is not a list`);
        // Array.from visits holes too (as undefined); map would skip them and load NaN.
        return Array.from(saved, (x) => {
          const value = requireNumber(x, where);
          // A finite number f32 cannot hold would load as Infinity: no state of ours contains one.
          if (dtype === "f32" && Number.isFinite(value) && !Number.isFinite(Math.fround(value))) fail(`${where} holds ${value}, beyond f32`);
          return value;
        });
      }
      const at = saved as number;
      const byteLength = n * Typed.BYTES_PER_ELEMENT;
      if (!Number.isInteger(at) || at < 0 || at + byteLength > data!.length) return fail(`${where} lies outside the data`);
      // A copy through the Uint8Array constructor: a Node Buffer's slice() is a view of its pool.
      return new Typed(new Uint8Array(data!.subarray(at, at + byteLength)).buffer);
    });
    return {
      step: entry.step as number,
      dtype: dtype as DType,
      length: n,
      buffers,
      scalars: mapValues(entry.scalars as Record<string, unknown>, (x, name) => requireNumber(x, `scalar '${name}' of param ${key}`)),
    };
  });
  const options = header.options as Record<string, unknown>;
  return {
    optimizer: String(header.optimizer),
    convention: String(header.convention),
    options: { clipGlobalNorm: requireNumber(options.clipGlobalNorm, "clipGlobalNorm"), nonFinite: String(options.nonFinite) },
    paramGroups: (header.paramGroups as Record<string, unknown>[]).map((group) => decodeHyper(group) as Snapshot["paramGroups"][number]),
    state,
    extras: (header.extras ?? {}) as Record<string, unknown>,
  };
}
