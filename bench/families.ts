// The families `--only` selects, in report order: each case's `family`. Kept apart from the cases
// so the command line can check `--only` and print its help without loading any case or peer.
export const BENCH_FAMILIES = ["gemm", "optim", "adam", "norm", "train", "autodiff", "minimize", "random", "optimizer-swap"] as const;

export type BenchFamily = (typeof BENCH_FAMILIES)[number];
