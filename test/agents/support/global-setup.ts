/** Before the agents suite: root (for network namespaces), the pinned tools, the built client. */
import { buildClient } from "../../support/client-support.js";
import { installAll } from "./install.js";

export default async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("npm run test:agents needs root: every tool runs in its own network namespace (unshare -n -m)");
  const log = (line: string): void => void process.stderr.write(`[agents] ${line}\n`);
  await installAll(log);
  await buildClient();
}
