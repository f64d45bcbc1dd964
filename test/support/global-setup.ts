// What a test run owns, made once before the suites start and removed when the run ends, so runs
// leave nothing behind and two runs in one checkout never touch each other's files:
// - an output directory for synthesized bundles;
// - a HOME of its own: what the tools the suites run as a user would (npm, npx, the CDK's
//   fingerprint cache, the client's token cache) write under ~ lands there, not in the user's home.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    bundleRoot: string;
    runHome: string;
  }
}

const RUN_ENV = ["HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "npm_config_cache", "npm_config_update_notifier"];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Inside the repository, so that a bundle's external @aws-sdk/* imports resolve to node_modules.
  const parent = join(import.meta.dirname, "../../cdk.out");
  await mkdir(parent, { recursive: true });
  const root = await mkdtemp(join(parent, "test-run-"));
  project.provide("bundleRoot", root);
  // The forked workers, and every process they start, inherit it.
  const home = await mkdtemp(join(tmpdir(), "mantle-vend-test-home-"));
  const saved = Object.fromEntries(RUN_ENV.map((name) => [name, process.env[name]]));
  process.env["HOME"] = home;
  delete process.env["XDG_CACHE_HOME"];
  delete process.env["XDG_CONFIG_HOME"];
  // `npm test` hands its own cache (and with it npm's logs) to every child as npm_config_cache;
  // the user's npmrc is still read, only nothing is written beside it. No update check either.
  process.env["npm_config_cache"] = join(home, ".npm");
  process.env["npm_config_update_notifier"] = "false";
  project.provide("runHome", home);
  return async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(root, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  };
}
