import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The real-tool suite runs on its own: npm run test:agents (vitest.agents.config.ts).
    exclude: [...configDefaults.exclude, "test/agents/**/*.agents.test.ts"],
    env: { AWS_EC2_METADATA_DISABLED: "true", POWERTOOLS_LOG_LEVEL: "SILENT" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
  },
});
