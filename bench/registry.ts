// Every benchmark case family, in report order. One import per file of bench/cases/; listed
// explicitly (not discovered from the folder) so the harness also works bundled into the CLI.
import type { BenchCase } from "./harness";
import { cases as adam } from "./cases/adam";
import { cases as train } from "./cases/train";

export const ALL_CASES: readonly BenchCase[] = [...adam, ...train];
