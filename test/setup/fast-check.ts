import fc from "fast-check";
import { FAST_CHECK_SEED } from "../helpers/fast-check-seed";

// Every test file's properties draw from the printed seed (see global.ts); a property may
// still pass its own `seed`, which then wins.
fc.configureGlobal({ seed: FAST_CHECK_SEED });
