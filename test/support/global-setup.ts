// One output directory per test run for synthesized bundles, removed when the run ends:
// runs leave nothing behind, and two runs in one checkout never remove each other's.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    bundleRoot: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Inside the repository, so that a bundle's external @aws-sdk/* imports resolve to node_modules.
  const parent = join(import.meta.dirname, "../../cdk.out");
  await mkdir(parent, { recursive: true });
  const root = await mkdtemp(join(parent, "test-run-"));
  project.provide("bundleRoot", root);
  return async () => {
    await rm(root, { recursive: true, force: true });
  };
}
