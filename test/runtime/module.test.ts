import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import * as reference from "../../src/reference/index";
import { kernelNames } from "../../src/runtime/kernels";
import { init, initSync } from "../../src/runtime/create";

const variantBytes = (variant: string) => readFileSync(new URL(`../../src/runtime/wasm/descend-${variant}.wasm`, import.meta.url));

describe.each(["relaxed", "simd"])("wasm variant %s", (variant) => {
  const module = new WebAssembly.Module(variantBytes(variant));

  it("imports nothing but its memory (kernels never allocate or call out)", () => {
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
  });

  it("exports exactly the kernels that have reference twins", () => {
    const exported = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === "function" && e.name !== "heap_base")
      .map((e) => e.name)
      .sort();
    expect(exported).toEqual(Object.keys(reference).sort());
    expect(kernelNames).toEqual(exported);
  });

  it("the lazily imported chunk carries the same bytes as the file Node reads", async () => {
    const { deflatedWasmBase64 } = (await import(`../../src/runtime/wasm/wasm-${variant}.generated.ts`)) as { deflatedWasmBase64: string };
    expect(inflateRawSync(Buffer.from(deflatedWasmBase64, "base64")).equals(variantBytes(variant))).toBe(true);
  });
});

describe("init", () => {
  it("loads asynchronously on both backends", async () => {
    for (const backend of ["wasm", "js"] as const) {
      const rt = await init({ backend });
      expect(rt.backend).toBe(backend);
      expect(Object.keys(rt.kernels).length).toBeGreaterThanOrEqual(kernelNames.length);
    }
  });
});

describe("rt.info()", () => {
  it("reports the backend, the wasm variant loaded, the threads and the memory size", async () => {
    const rt = initSync({ wasmVariant: "simd" });
    expect(rt.info()).toEqual({ backend: "wasm", variant: "simd", threads: 1, memoryBytes: rt.memory.buffer.byteLength });
    const before = rt.info().memoryBytes;
    const big = rt.tensor([1 << 18]);
    expect(rt.info().memoryBytes).toBeGreaterThan(before);
    big.dispose();
    expect((await init({ backend: "js" })).info()).toMatchObject({ backend: "js", variant: null, threads: 1 });
  });

  it("names the threads build when the runtime runs a pool", () => {
    const rt = initSync({ threads: 2, wasmVariant: "simd" });
    expect(rt.info()).toMatchObject({ backend: "wasm", variant: "simd-threads", threads: 2 });
  });
});
