import { cpSync, mkdirSync, readdirSync } from "node:fs";
import { defineConfig } from "tsup";

/** Ships the wasm modules beside the bundles: Node reads the one variant it runs (initSync). */
function copyWasm(): void {
  mkdirSync("dist/wasm", { recursive: true });
  for (const file of readdirSync("src/runtime/wasm").filter((name) => name.endsWith(".wasm"))) {
    cpSync(`src/runtime/wasm/${file}`, `dist/wasm/${file}`);
  }
}

export default defineConfig([
  // The library: ESM (code-split: each wasm variant and the reference kernels are chunks that
  // load only when a runtime needs them) and CJS, with type declarations. Runs in Node and,
  // served statically or bundled, in browsers, with nothing to configure.
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    splitting: true,
    shims: true,
    target: "es2022",
    onSuccess: async () => copyWasm(),
  },
  // The `descend` command (Node only): train, race, bench. The benchmark peers stay external and
  // optional: one that is not installed is reported as skipped.
  {
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    splitting: false,
    noExternal: ["tinybench"],
    external: [/^@tensorflow\//, "playwright-core", "ml-matrix"],
  },
]);
