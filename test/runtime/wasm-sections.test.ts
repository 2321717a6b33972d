import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { shareImportedMemory } from "../../src/runtime/wasm-sections";
import { BackendError } from "../../src/runtime/errors";
import { supportsVariant } from "../../src/runtime/backend-wasm";

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const name = (text: string) => [text.length, ...Buffer.from(text)];
/** A module whose only section imports env.memory with the given limits bytes. */
const moduleImporting = (limits: number[]) => {
  const body = [1, ...name("env"), ...name("memory"), 0x02, ...limits];
  return new Uint8Array([...HEADER, 0x02, body.length, ...body]);
};

describe("shareImportedMemory", () => {
  it("turns the shipped variants into their threads builds, which validate and import a shared memory", () => {
    for (const variant of ["simd", "relaxed"] as const) {
      const plain = readFileSync(new URL(`../../src/runtime/wasm/descend-${variant}.wasm`, import.meta.url));
      const shared = shareImportedMemory(plain, 65536);
      expect(shared.length).toBe(plain.length + 3); // limits 00 01 -> 03 01 80 80 04
      if (supportsVariant(variant)) {
        const module = new WebAssembly.Module(shared);
        const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: true });
        expect(() => new WebAssembly.Instance(module, { env: { memory } })).not.toThrow();
        expect(() => new WebAssembly.Instance(new WebAssembly.Module(plain), { env: { memory } })).toThrow();
      }
    }
  });

  it("keeps the minimum, sets the maximum and grows the section length across a LEB128 byte boundary", () => {
    // limits: no maximum, minimum 200 (two LEB bytes)
    const module = moduleImporting([0x00, 0xc8, 0x01]);
    const shared = shareImportedMemory(module, 300);
    expect([...shared]).toEqual([...moduleImporting([0x03, 0xc8, 0x01, 0xac, 0x02])]);
    expect(WebAssembly.validate(shared)).toBe(true);
  });

  it("replaces a declared maximum", () => {
    expect([...shareImportedMemory(moduleImporting([0x01, 0x01, 0x02]), 4)]).toEqual([...moduleImporting([0x03, 0x01, 0x04])]);
  });

  it("leaves the input untouched", () => {
    const module = moduleImporting([0x00, 0x01]);
    const copy = module.slice();
    shareImportedMemory(module, 4);
    expect(module).toEqual(copy);
  });

  it("throws BackendError for a module without a memory import, or a malformed one", () => {
    expect(() => shareImportedMemory(new Uint8Array(HEADER), 4)).toThrow(BackendError);
    expect(() => shareImportedMemory(new Uint8Array([...HEADER, 0x02, 0x7f]), 4)).toThrow(BackendError);
  });
});
