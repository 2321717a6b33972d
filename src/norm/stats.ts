// Sizes of the statistics buffers the norm kernels take, shared by the norm modules and the
// tape's norm ops (a leaf module: the modules build on nn's Module, which builds on the tape).
import { checkNumber } from "../runtime/validate";

/**
 * Rows of C f64 in the statistics buffer the batch-norm kernels take: mean, biased
 * variance and invstd (written by the forward, read by the backward), kernel scratch, and
 * the derivative factor of the backward (written by the forward).
 */
export const BATCH_NORM_STATS_ROWS = 10;

/**
 * f64 entries of the statistics buffer the group-norm kernels take for N samples of G groups
 * of Cg channels: mean, biased variance and invstd per row (3 N G), then backward scratch (4 G Cg).
 * @throws {ValueError} when N, G or Cg is not an integer >= 0.
 */
export function groupNormStatsLength(N: number, G: number, Cg: number): number {
  for (const [name, value] of [["N", N], ["G", G], ["Cg", Cg]] as const) checkNumber(name, value, { integer: true, min: 0 });
  return 3 * N * G + 4 * G * Cg;
}
