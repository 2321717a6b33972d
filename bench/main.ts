// Entry of `npm run bench`: the same as `descend bench`, flags included.
import { main } from "../src/cli/cli";

main(["bench", ...process.argv.slice(2)]).then((code) => (process.exitCode = code));
