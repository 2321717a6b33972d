import { FAST_CHECK_SEED } from "../helpers/fast-check-seed";

/** Runs once before all test files: names the property-test seed so any failure can be replayed. */
export default function setup(): void {
  console.log(`fast-check seed ${FAST_CHECK_SEED} (replay with FC_SEED=${FAST_CHECK_SEED} npm test)`);
}
