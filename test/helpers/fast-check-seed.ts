/**
 * The one seed every fast-check property runs from, so a failure replays exactly:
 * `FC_SEED=<seed> npm test` (fast-check also prints the seed and path of a counterexample).
 * The default is fixed, so CI is deterministic; set FC_SEED to explore new cases.
 */
export const FAST_CHECK_SEED = parseSeed(process.env.FC_SEED);

function parseSeed(text: string | undefined): number {
  if (text === undefined || text === "") return 20261123;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got '${text}'`);
  return seed;
}
