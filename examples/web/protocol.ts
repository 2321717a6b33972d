// Messages between the demo page and its worker.
import type { EpochReport, TrainOptions } from "../../src/demo/train";

export type Request =
  | { kind: "train"; options: TrainOptions; backend: "wasm" | "js"; threads: number }
  | { kind: "bench"; backends: Array<"wasm" | "js"> };

export type Reply =
  | { kind: "step"; step: number; total: number; loss: number }
  | { kind: "epoch"; report: EpochReport }
  | { kind: "trained"; losses: number[]; testAccuracy: number; msPerStep: number }
  | { kind: "bench-row"; name: string; backend: string; msPerOp: number; unit: string; perUnit: number }
  | { kind: "done" }
  | { kind: "error"; message: string };
