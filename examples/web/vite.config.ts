import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, so
 * `init({ threads })` can share the wasm memory with its workers.
 */
export const CROSS_ORIGIN_ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

// The demo page: `npm run demo:web` (Vite's dev server) or `npm run demo:web:preview` (the
// production build in examples/web/build, served by Vite's preview server), both on
// http://127.0.0.1:8080/ with the headers above.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  server: { host: "127.0.0.1", port: 8080, headers: CROSS_ORIGIN_ISOLATION },
  preview: { host: "127.0.0.1", port: 8080, headers: CROSS_ORIGIN_ISOLATION },
  worker: { format: "es" },
  build: { outDir: "build", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1024 },
});
