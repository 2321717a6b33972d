// Public API of this area; src/index.ts re-exports it.
export {};
