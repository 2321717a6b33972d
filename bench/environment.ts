// The machine and engine line at the top of every report (Node side).
import os from "node:os";
import { selectTarget } from "../src/runtime/backend-wasm";

// (module (func (result v128) v128.const 0 ... f32x4.relaxed_madd)) validates only with relaxed SIMD.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 133, 2, 11,
]);

export interface Environment {
  cpu: string;
  cores: number;
  memoryGiB: number;
  engine: string;
  platform: string;
  wasm: { simd: boolean; relaxedSimd: boolean; sharedMemory: boolean; descendTarget: string };
  date: string;
}

export function environment(): Environment {
  let descendTarget: string;
  try {
    descendTarget = selectTarget();
  } catch (error) {
    descendTarget = `none (${String(error)})`;
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    engine: `Node ${process.version} (V8 ${process.versions.v8})`,
    platform: `${os.platform()} ${os.arch()}`,
    wasm: {
      simd: !descendTarget.startsWith("none"),
      relaxedSimd: WebAssembly.validate(RELAXED_PROBE),
      sharedMemory: typeof SharedArrayBuffer === "function",
      descendTarget,
    },
    date: new Date().toISOString(),
  };
}

export function describeEnvironment(env: Environment): string {
  const w = env.wasm;
  return (
    `${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB | ${env.engine} | ${env.platform} | ` +
    `wasm: simd ${w.simd ? "yes" : "no"}, relaxed-simd ${w.relaxedSimd ? "yes" : "no"}, ` +
    `shared memory ${w.sharedMemory ? "yes" : "no"}, descend target '${w.descendTarget}' | ${env.date}`
  );
}
