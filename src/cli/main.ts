#!/usr/bin/env node
// Entry of the `descend` command (see ./cli.ts); sets the exit code and lets output drain.
import { main } from "./cli";

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
