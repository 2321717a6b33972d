// Defaults of `descend train`'s options, in a leaf module: the training loop and its checkpoints
// (which train.ts imports) both read them.

/** Default number of groups of `norm: 'group'` (a divisor of the default 512 hidden units). */
export const DEFAULT_GROUPS = 32;

/** Default share of the run the 'linear' schedule decays over (the book's tau over the run's length). */
export const DEFAULT_TAU = 0.8;
