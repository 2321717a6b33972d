// Entry of `npm run bench`: runs the harness with the command-line arguments.
import { runBench } from "./run";

runBench(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
