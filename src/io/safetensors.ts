import { StateError, ValueError } from "../runtime/errors";
import { sizeOf } from "../runtime/tensor";
import type { StateTensor } from "../nn/module";

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian unsigned header length N, N
 * bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { key:
 * string } }` (padded with spaces to a multiple of 8), then the tensors' raw little-endian,
 * row-major bytes; offsets count from the first byte after the header and the tensors fill
 * that buffer without gaps or overlaps.
 */

/** The safetensors dtypes descend reads and writes, by descend dtype. */
const TO_FILE = { f32: "F32", f64: "F64", i32: "I32", i64: "I64" } as const;
const FROM_FILE: Record<string, keyof typeof TO_FILE> = { F32: "f32", F64: "f64", I32: "i32", I64: "i64" };
const BYTES = { f32: 4, f64: 8, i32: 4, i64: 8 } as const;
const TYPED = { f32: Float32Array, f64: Float64Array, i32: Int32Array } as const;

/** The contents of a safetensors file: tensors by name and the string metadata. */
export interface Safetensors {
  /** The tensors by name, as plain `{ dtype, shape, data }` (i64 entries read as doubles). */
  tensors: Record<string, StateTensor>;
  /** The header's `__metadata__`: string values by key ({} when absent). */
  metadata: Record<string, string>;
}

/** Headers beyond this are refused before parsing (the reference implementation's limit). */
const MAX_HEADER = 100 * 2 ** 20;

/**
 * Encodes tensors (live ones or plain `{ dtype, shape, data }`) and string metadata as a
 * safetensors file. Tensors are laid out in name order.
 * @throws ValueError for a dtype other than f32, f64, i32 or i64, values that do not fill the shape, or metadata that is not strings.
 */
export function encodeSafetensors(tensors: Record<string, StateTensor>, metadata: Record<string, string> = {}): Uint8Array {
  if (tensors === null || typeof tensors !== "object") throw new ValueError(`Invalid tensors: ${String(tensors)} (expected an object of tensors by name)`);
  if (metadata === null || typeof metadata !== "object" || Object.values(metadata).some((v) => typeof v !== "string")) {
    throw new ValueError("Invalid metadata: expected an object of strings");
  }
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const entry = tensors[name];
    if (entry === null || typeof entry !== "object") throw new ValueError(`Invalid '${name}': ${String(entry)} (expected a tensor or { dtype, shape, data })`);
    const { dtype, shape, data } = entry;
    if (!Object.hasOwn(TO_FILE, String(dtype))) throw new ValueError(`Invalid dtype of '${name}': ${String(dtype)} (expected f32, f64, i32 or i64)`);
    if (!Array.isArray(shape) || sizeOf(shape) !== data?.length) throw new ValueError(`Invalid '${name}': ${data?.length} values for shape [${shape.join(", ")}]`);
    const bytes = data.length * BYTES[dtype as keyof typeof BYTES];
    header[name] = { dtype: TO_FILE[dtype as keyof typeof TO_FILE], shape: [...shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  // Typed arrays are little-endian here, as WebAssembly's memory (which descend already views
  // through them) is: each tensor is one copy of its bytes.
  let at = 8 + headerLength;
  for (const name of names) {
    const { dtype, data } = tensors[name]!;
    const typed = dtype === "i64" ? BigInt64Array.from(Array.from(data, (v) => BigInt(v))) : new TYPED[dtype as "f32" | "f64" | "i32"](data);
    out.set(new Uint8Array(typed.buffer, 0, typed.byteLength), at);
    at += typed.byteLength;
  }
  return out;
}

/**
 * Decodes a safetensors file, checking everything before returning: the header length against
 * the file, the JSON, each entry's dtype, shape and offsets against its size, and that the
 * tensors tile the data exactly. i64 values must be exact in a double (|v| <= 2^53).
 * @throws StateError naming what is wrong (and the key, for an entry).
 */
export function decodeSafetensors(bytes: Uint8Array): Safetensors {
  const fail = (why: string): never => {
    throw new StateError(`Cannot read safetensors: ${why}`);
  };
  if (!(bytes instanceof Uint8Array)) return fail("expected a Uint8Array");
  if (bytes.length < 8) fail(`${bytes.length} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) fail(`a header of ${length} bytes in a file of ${bytes.length}`);
  const start = 8 + Number(length);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, start)));
  } catch {
    fail("the header is not UTF-8 JSON");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) return fail("the header is not a JSON object");
  const { __metadata__: meta = {}, ...entries } = header as Record<string, unknown>;
  if (meta === null || typeof meta !== "object" || Array.isArray(meta) || Object.values(meta).some((v) => typeof v !== "string")) {
    fail("__metadata__ is not an object of strings");
  }
  const dataLength = bytes.length - start;
  const ranges: Array<[number, number, string]> = [];
  const tensors: Record<string, StateTensor> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const bad = (why: string): never => fail(`'${name}' ${why}`);
    if (entry === null || typeof entry !== "object") bad("is not an object");
    const { dtype: fileDtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    const dtype = FROM_FILE[String(fileDtype)];
    if (!dtype || !Object.hasOwn(FROM_FILE, String(fileDtype))) bad(`has dtype ${JSON.stringify(fileDtype)} (descend reads F32, F64, I32 and I64)`);
    if (!Array.isArray(shape)) return bad("has no shape list");
    let count = 0;
    try {
      count = sizeOf(shape as number[]);
    } catch {
      bad(`has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) return bad("has invalid data_offsets");
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > dataLength) bad(`has data_offsets [${begin}, ${end}] outside the ${dataLength} data bytes`);
    if (end - begin !== count * BYTES[dtype!]) bad(`holds ${end - begin} bytes, its dtype and shape need ${count * BYTES[dtype!]}`);
    ranges.push([begin, end, name]);
    tensors[name] = { dtype: dtype!, shape: [...(shape as number[])], data: readValues(bytes, start + begin, count, dtype!, bad) };
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== covered) fail(begin < covered ? `'${name}' overlaps another tensor` : `the bytes before '${name}' belong to no tensor`);
    covered = end;
  }
  if (covered !== dataLength) fail(`${dataLength - covered} bytes after the last tensor belong to no tensor`);
  return { tensors, metadata: { ...(meta as Record<string, string>) } };
}

/** Reads `count` little-endian values of `dtype` at byte `at` into a typed array (one copy). */
function readValues(bytes: Uint8Array, at: number, count: number, dtype: keyof typeof TO_FILE, bad: (why: string) => never): ArrayLike<number> {
  // A copy through the Uint8Array constructor: Node's Buffer.slice() would return a view of its pool.
  const copy = new Uint8Array(bytes.subarray(at, at + count * BYTES[dtype])).buffer;
  if (dtype !== "i64") return new TYPED[dtype](copy);
  const wide = new BigInt64Array(copy);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = wide[i]!;
    if (v > 2n ** 53n || v < -(2n ** 53n)) bad(`holds ${v} at ${i}, beyond the integers a double holds exactly`);
    out[i] = Number(v);
  }
  return out;
}
