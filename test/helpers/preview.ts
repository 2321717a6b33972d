import { preview, type InlineConfig } from "vite";

export interface Served {
  /** The server's origin, without a trailing slash. */
  url: string;
  close(): Promise<void>;
}

/**
 * Vite's preview server (static files, with the headers of the config) on a free port of
 * 127.0.0.1, for the browser tests: a built app, or with {@link serveFolder} any folder.
 */
export async function startPreview(config: InlineConfig): Promise<Served> {
  const server = await preview({ logLevel: "warn", ...config, preview: { ...config.preview, host: "127.0.0.1", port: 0 } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("Vite's preview server reported no local URL");
  return { url: url.replace(/\/$/, ""), close: () => server.close() };
}

/**
 * Serves the files of `dir` as they are (no config file, no build). Vite warns that an outDir
 * equal to the root could be overwritten by a build; a preview never builds, so only errors show.
 */
export function serveFolder(dir: string): Promise<Served> {
  return startPreview({ configFile: false, root: dir, build: { outDir: "." }, logLevel: "error" });
}
