// `npm run demo:web [-- --port 8080 --isolated]`: serves the repository so the demo page is at
// http://127.0.0.1:<port>/examples/web/. --isolated adds the cross-origin-isolation headers
// (threads need SharedArrayBuffer).
import { startStaticServer } from "./static-server";

const arg = (name: string) => process.argv.indexOf(`--${name}`);
const port = arg("port") >= 0 ? Number(process.argv[arg("port") + 1]) : 8080;
const server = await startStaticServer(".", { port, crossOriginIsolated: arg("isolated") >= 0 });
console.log(`descend demo: ${server.url}/examples/web/  (Ctrl-C to stop)`);
