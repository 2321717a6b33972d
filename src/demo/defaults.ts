// Defaults the demo trainer and its checkpoints share (a module of its own: they import each other's types only).

/** Default number of groups of `norm: 'group'` (a divisor of the default 512 hidden units). */
export const DEFAULT_GROUPS = 32;
