import { BackendError } from "./errors";

// Just enough of the WebAssembly binary format (https://webassembly.github.io/spec/core/binary/)
// to turn a module that imports a private memory into one that imports a shared memory. The
// builds for threads differ from the plain ones only there, so they are derived, not shipped.

const MAGIC_AND_VERSION = 8;
const IMPORT_SECTION = 2;
const MEMORY_IMPORT = 2;
/** Limits flags: 0x00 min, 0x01 min and max, 0x03 min, max and shared (threads proposal). */
const HAS_MAX = 0x01;
const SHARED_WITH_MAX = 0x03;

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {}

  u32(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.at >= this.bytes.length || shift > 28) throw new BackendError("Malformed wasm: bad LEB128 integer");
      const byte = this.bytes[this.at++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  }

  skip(length: number): void {
    if (this.at + length > this.bytes.length) throw new BackendError("Malformed wasm: section runs past the end");
    this.at += length;
  }

  /** Skips a name (length-prefixed UTF-8). */
  name(): void {
    this.skip(this.u32());
  }
}

function leb128(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** Skips an import's description (after its module and field names); returns the memory limits' offset, if any. */
function skipImportDescription(reader: Reader): number | null {
  const kind = reader.bytes[reader.at++];
  if (kind === 0) reader.u32(); // function: type index
  else if (kind === 1) {
    reader.skip(1); // table: reference type, then limits
    skipLimits(reader);
  } else if (kind === MEMORY_IMPORT) {
    const limits = reader.at;
    skipLimits(reader);
    return limits;
  } else if (kind === 3) reader.skip(2); // global: value type, mutability
  else if (kind === 4) reader.skip(2); // tag: attribute, type index (one LEB byte in our modules)
  else throw new BackendError(`Malformed wasm: unknown import kind ${kind}`);
  return null;
}

function skipLimits(reader: Reader): void {
  const flags = reader.u32();
  reader.u32();
  if (flags & HAS_MAX) reader.u32();
}

/**
 * Returns a copy of `module` whose imported memory is shared, with `maximumPages` as its
 * maximum (a shared memory must declare one). Everything else is kept byte for byte.
 */
export function shareImportedMemory(module: Uint8Array, maximumPages: number): Uint8Array<ArrayBuffer> {
  const reader = new Reader(module, MAGIC_AND_VERSION);
  while (reader.at < module.length) {
    const sectionStart = reader.at;
    const id = module[reader.at++];
    const size = reader.u32();
    const bodyStart = reader.at;
    reader.skip(size);
    if (id !== IMPORT_SECTION) continue;
    const imports = new Reader(module.subarray(0, bodyStart + size), bodyStart);
    for (let count = imports.u32(); count > 0; count--) {
      imports.name();
      imports.name();
      const limitsAt = skipImportDescription(imports);
      if (limitsAt === null) continue;
      const minimum = new Reader(module, limitsAt + 1).u32();
      const limits = [SHARED_WITH_MAX, ...leb128(minimum), ...leb128(maximumPages)];
      const body = [...module.subarray(bodyStart, limitsAt), ...limits, ...module.subarray(imports.at, bodyStart + size)];
      return splice(module, sectionStart, bodyStart + size, [IMPORT_SECTION, ...leb128(body.length), ...body]);
    }
  }
  throw new BackendError("This wasm module imports no memory to share");
}

/** `module` with bytes [from, to) replaced by `insert`. */
function splice(module: Uint8Array, from: number, to: number, insert: number[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(module.length - (to - from) + insert.length);
  out.set(module.subarray(0, from));
  out.set(insert, from);
  out.set(module.subarray(to), from + insert.length);
  return out;
}
