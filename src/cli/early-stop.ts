// `descend train --early-stop N`: the lines and loss-curve series that report early stopping.
import type { Series } from "../plot/svg";
import type { EarlyStopReport, EpochReport, TrainResult } from "../demo/train";

/** "  val loss 0.1234" after an epoch's line, when the run validates. */
export function validationColumn(r: EpochReport): string {
  return r.validationLoss === undefined ? "" : `  val loss ${r.validationLoss.toFixed(4)} val acc ${(100 * r.validationAccuracy!).toFixed(2)}%`;
}

/** The summary line of early stopping. */
export function earlyStopLine(e: EarlyStopReport): string {
  const end = e.stoppedAt === null ? "ran every epoch" : `stopped after epoch ${e.stoppedAt} (${e.patience} epochs without improvement)`;
  return `early stopping: best validation loss ${e.bestValidationLoss.toFixed(4)} at epoch ${e.bestEpoch}; ${end}; the model is epoch ${e.bestEpoch}'s`;
}

/**
 * The validation loss per epoch and a vertical line at the best epoch (x in steps, as the loss
 * curves), for the loss SVG; none without early stopping.
 */
export function earlyStopSeries(result: TrainResult, stepsPerEpoch: number): Series[] {
  const e = result.earlyStop;
  if (!e) return [];
  const validation = result.epochs.map((r) => [r.epoch * stepsPerEpoch, r.validationLoss!] as const);
  const losses = [...result.losses, ...validation.map(([, v]) => v)].filter((v) => v > 0 && Number.isFinite(v));
  const [low, high] = [Math.max(1e-4, Math.min(...losses)), Math.max(...losses)];
  const x = e.bestEpoch * stepsPerEpoch;
  return [
    { name: "validation loss", points: validation },
    { name: `best epoch ${e.bestEpoch}${e.stoppedAt === null ? "" : `, stopped at ${e.stoppedAt}`}`, points: [[x, low], [x, high]] },
  ];
}
