// Public API of this area; src/index.ts re-exports it.
export { encodeSafetensors, decodeSafetensors, type Safetensors } from "./safetensors";
export { saveCheckpoint, loadCheckpoint, type CheckpointOptions, type LoadCheckpointOptions } from "./checkpoint";
