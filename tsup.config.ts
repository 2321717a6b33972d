import { defineConfig } from "tsup";

// ESM + CJS with type declarations. The wasm bytes are embedded in the bundle and the
// loader is bundled in, so dist/ runs in Node and, served statically, in a browser, with
// nothing to configure.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  noExternal: ["@assemblyscript/loader"],
});
