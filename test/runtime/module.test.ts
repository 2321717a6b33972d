import { describe, expect, it } from "vitest";
import { wasmBase64 } from "../../src/runtime/wasm-bytes.generated";
import { kernelNames } from "../../src/runtime/kernels";
import { init } from "../../src/runtime/init";

describe.each(Object.keys(wasmBase64) as (keyof typeof wasmBase64)[])("wasm target %s", (target) => {
  const module = new WebAssembly.Module(Buffer.from(wasmBase64[target], "base64"));

  it("imports nothing but its memory (kernels never allocate or call out)", () => {
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
  });

  it("exports exactly the kernels that have reference twins", () => {
    const exported = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === "function" && e.name !== "heap_base")
      .map((e) => e.name)
      .sort();
    expect(exported).toEqual(kernelNames);
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
