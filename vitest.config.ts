import { defineConfig } from "vitest/config";

// Node 20 (V8 11.3) runs relaxed SIMD only behind a flag; turn it on in the test workers so
// both wasm variants (relaxed and plain SIMD) are exercised. Later Nodes have it on by default.
const nodeMajor = Number(process.versions.node.split(".")[0]);
const execArgv = nodeMajor === 20 ? ["--experimental-wasm-relaxed-simd"] : [];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/global.ts"],
    setupFiles: ["test/setup/fast-check.ts"],
    testTimeout: 60_000,
    pool: "forks",
    execArgv,
  },
});
