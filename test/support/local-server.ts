import { REPO } from "./checkout.js";
import { start, type Started } from "./process.js";

export interface LocalServer {
  process: Started;
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** The key the first start of a data dir prints once, on stdout. */
  firstKey(): Promise<string>;
}

/** `npm start -- <args>` as a user runs it (in `cwd`, the repository by default), once it listens. */
export async function npmStart(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<LocalServer> {
  const server = start("npm", ["start", "--", ...args], { cwd: options.cwd ?? REPO, env: options.env });
  const url = (await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  return { process: server, url, firstKey: async () => (await server.waitFor(/mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/))[0] };
}
