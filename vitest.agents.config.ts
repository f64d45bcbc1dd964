import { defineConfig } from "vitest/config";

// npm run test:agents: the real coding agents and gateways (test/agents/*.agents.test.ts), each in its
// own network namespace. Needs root (unshare), installs the pinned tools into .agents/ on first run.
export default defineConfig({
  test: {
    include: ["test/agents/**/*.agents.test.ts"],
    globalSetup: ["test/agents/support/global-setup.ts"],
    env: { AWS_EC2_METADATA_DISABLED: "true", POWERTOOLS_LOG_LEVEL: "SILENT" },
    // One tool at a time: the machine has 2 cores and OpenClaw alone keeps both busy.
    fileParallelism: false,
    testTimeout: 420_000,
    hookTimeout: 1_800_000,
    pool: "forks",
  },
});
