// Builds the package:
// - the library as ES modules with their types (tsc → dist/), what `import` resolves to;
// - the same as CommonJS with its own types (tsc --module commonjs → dist/cjs/, whose package.json says
//   so), what `require` resolves to; package.json's `exports` maps each entry (., ./proxy, ./openclaw)
//   to both, and `types`/`typesVersions` serve TypeScript's node10 resolution, which ignores `exports`;
// - the CLI as one minified CommonJS file (esbuild → dist/cli.cjs). Some tools run `mantle-vend token`
//   before every request (pi), so a warm-cache run should cost little more than starting Node: one
//   CommonJS file starts faster than a tree of ES modules (measured: 1.04x `node -e 0` against 1.3x).
//   Node's compile cache (module.enableCompileCache) needs a second file to load the bundle through and
//   was slower on Node 24 than this, so it is not used.
import { execFileSync } from "node:child_process";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const tsc = join(root, "..", "node_modules", "typescript", "bin", "tsc");
rmSync(dist, { recursive: true, force: true });
for (const config of ["tsconfig.build.json", "tsconfig.build.cjs.json"]) {
  execFileSync(process.execPath, [tsc, "-p", join(root, config)], { stdio: "inherit" });
}
writeFileSync(join(dist, "cjs", "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
const cli = join(dist, "cli.cjs");
await build({
  entryPoints: [join(root, "src", "cli", "main.ts")],
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
