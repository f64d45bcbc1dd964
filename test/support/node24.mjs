#!/usr/bin/env node
// `npm run test:node24`: the suites that exercise the Lambda bundles, run again under Node 24, the
// version of the functions' nodejs24.x runtime, while the rest of the tooling stays on the machine's
// Node 20 (node24-binary.mjs says where that Node comes from).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureNode24, NODE24_PACKAGE, NODE24_VERSION } from "./node24-binary.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const node = ensureNode24();

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
process.stderr.write(`Node ${NODE24_VERSION} (${NODE24_PACKAGE}): ${suites.join(" ")}\n`);
// vitest's workers and every process.execPath a suite spawns are then Node 24 too.
const result = spawnSync(node, [join(root, "node_modules", "vitest", "vitest.mjs"), "run", ...suites, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ""}`, MANTLE_VEND_EXPECT_NODE: NODE24_VERSION },
});
process.exit(result.status ?? 1);
