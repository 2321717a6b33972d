import { defineConfig } from "tsup";

export default defineConfig([
  // The library: ESM + CJS with type declarations. The wasm bytes are embedded in the bundle and
  // the loader is bundled in, so dist/ runs in Node and, served statically, in a browser, with
  // nothing to configure.
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "es2022",
    noExternal: ["@assemblyscript/loader"],
  },
  // The `descend` command (Node only): train, race, bench. The benchmark peers stay external and
  // optional: one that is not installed is reported as skipped.
  {
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    sourcemap: true,
    noExternal: ["@assemblyscript/loader", "tinybench"],
    external: [/^@tensorflow\//, "playwright-core"],
  },
]);
