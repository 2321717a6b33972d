// `descend train --save <file>` and `--resume <file>`: the run's checkpoint on disk.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { checkResume, type TrainCheckpoint } from "../demo/checkpoint";
import type { TrainOptions } from "../demo/train";
import { StateError, ValueError } from "../runtime/errors";
import { UsageError, type FlagSpec } from "./args";

export const CHECKPOINT_FLAGS = {
  save: { type: "string", default: "", value: "file", help: "write a safetensors checkpoint (model, optimizer, schedule, shuffling) after every epoch" },
  resume: { type: "string", default: "", value: "file", help: "continue the run saved in this checkpoint, bit for bit, up to --epochs" },
} satisfies FlagSpec;

/**
 * The checkpoint hooks of a run with these flags. UsageError for a --resume file that does not
 * exist, is not a checkpoint of descend train, or was saved by a run of other options.
 */
export function checkpointFiles(flags: TrainOptions & { save: string; resume: string }): TrainCheckpoint {
  if (flags.resume && !existsSync(flags.resume)) throw new UsageError(`--resume: no file ${flags.resume}`);
  const resume = flags.resume ? readFileSync(flags.resume) : undefined;
  try {
    if (resume) checkResume(resume, flags);
  } catch (error) {
    if (error instanceof ValueError || error instanceof StateError) throw new UsageError(`--resume ${flags.resume}: ${error.message}`);
    throw error;
  }
  return {
    resume,
    // Written beside the target and renamed over it, so an interrupted write leaves the last checkpoint whole.
    save: flags.save
      ? (bytes) => {
          writeFileSync(`${flags.save}.partial`, bytes);
          renameSync(`${flags.save}.partial`, flags.save);
        }
      : undefined,
  };
}
