// Builds the package: the library with its types (tsc), and the CLI as one minified CommonJS file
// (esbuild). Some tools run `mantle-vend token` before every request (pi), so a warm-cache run should
// cost little more than starting Node: one CommonJS file starts faster than a tree of ES modules
// (measured: 1.04x `node -e 0` against 1.3x). Node's compile cache (module.enableCompileCache) needs a
// second file to load the bundle through and was slower on Node 24 than this, so it is not used.
import { execFileSync } from "node:child_process";
import { chmodSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "..", "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
const cli = join(dist, "cli.cjs");
await build({
  entryPoints: [join(root, "src", "cli.ts")],
  outfile: cli,
  bundle: true,
  minify: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
});
chmodSync(cli, 0o755);
