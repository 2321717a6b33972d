// The machine and engine line at the top of every report (Node side).
import os from "node:os";
import { selectTarget, supportsVariant } from "../src/runtime/backend-wasm";


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
      relaxedSimd: supportsVariant("relaxed"),
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
