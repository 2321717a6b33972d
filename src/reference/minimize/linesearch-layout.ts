/**
 * The state block of f64_linesearch_step (assembly/minimize/linesearch.ts), slot by slot, and
 * the codes it returns. Shared by the reference twin and the facade; not a kernel.
 */
export const LS = {
  STP: 0,
  F: 1,
  G: 2,
  FTOL: 3,
  GTOL: 4,
  XTOL: 5,
  STPMIN: 6,
  STPMAX: 7,
  TASK: 8,
  FINIT: 9,
  GINIT: 10,
  GTEST: 11,
  WIDTH: 12,
  WIDTH1: 13,
  STX: 14,
  FX: 15,
  GX: 16,
  STY: 17,
  FY: 18,
  GY: 19,
  STMIN: 20,
  STMAX: 21,
  BRACKT: 22,
  STAGE: 23,
  MODE: 24,
  CAP: 25,
} as const;

/** f64 slots in the block (rounded up to whole 16-byte lines). */
export const LS_SLOTS = 26;

/** What f64_linesearch_step returns. */
export const LS_CODE = {
  CONVERGED: 0,
  EVALUATE: 1,
  NOT_DESCENT: -1,
  ROUNDING: -2,
  XTOL: -3,
  AT_STPMAX: -4,
  AT_STPMIN: -5,
} as const;

/** state[MODE] values. */
export const LS_MODE = { STRONG_WOLFE: 0, ARMIJO: 1 } as const;
