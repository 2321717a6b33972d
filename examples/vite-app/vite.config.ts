import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// In an app that installed descend from the registry, "descend" resolves through the package's
// exports map to dist/index.js. This example lives inside the repository, so it points there.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { alias: { descend: fileURLToPath(new URL("../../dist/index.js", import.meta.url)) } },
  build: { target: "es2022" },
  logLevel: "warn",
});
