// Every benchmark case family, in report order. One import per file of bench/cases/; listed
// explicitly (not discovered from the folder) so the harness also works bundled into the CLI.
// Case files do no work at import: contenders are made when a case runs.
import type { BenchCase } from "./harness";
import { cases as gemm } from "./cases/gemm";
import { cases as optim } from "./cases/optim";
import { cases as norm } from "./cases/norm";
import { cases as train } from "./cases/train";
import { cases as autodiff } from "./cases/autodiff";
import { cases as minimize } from "./cases/minimize";
import { cases as random } from "./cases/random";
import { cases as tfjs } from "./cases/tfjs-optimizer";

export const ALL_CASES: readonly BenchCase[] = [...gemm, ...optim, ...norm, ...train, ...autodiff, ...minimize, ...random, ...tfjs];
