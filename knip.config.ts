// knip (`npm run knip`): files, exports and dependencies nothing uses. The entry points are the real
// ones; knip finds more by itself from package.json (the `start`, `bench` and `test:node24` scripts,
// the admin bin, the client's build script), cdk.json (infra/app.ts) and the vitest configs (the
// suites and their global setups), so they are not repeated here.
import type { KnipConfig } from "knip";

const config: KnipConfig = {
  workspaces: {
    ".": {
      entry: [
        // The two Lambda functions (infra/functions.ts bundles them by path).
        "lambda/handler.ts",
        "lambda/refresh.ts",
        // bin/mantle-vend-admin.js loads it through tsx by its .ts path.
        "lambda/admin/cli.ts",
        // Started by path as child processes (bench/, test/support/bundle.ts).
        "bench/children/*.{ts,mjs}",
        "test/support/invoke-bundle.mjs",
        "test/support/container.mjs",
        "test/store/file-writer.ts",
        // npm run test:agents (vitest.agents.config.ts, which knip's vitest plugin does not read).
        "test/agents/**/*.agents.test.ts",
        // Run by path inside each tool's network namespace (test/agents/support/namespace.ts).
        "test/agents/support/sandbox.ts",
        // The construct library for users' own stacks (README, "Deploy").
        "infra/index.ts",
      ],
      project: ["infra/**/*.ts", "lambda/**/*.ts", "bin/**/*.js", "bench/**/*.{ts,mjs}", "test/**/*.{ts,mjs}", "*.ts"],
    },
    client: {
      // The package's exports (., ./proxy, ./openclaw) and the CLI bundle's entry (client/scripts/build.mjs).
      entry: ["src/index.ts", "src/proxy/index.ts", "src/openclaw/index.ts", "src/cli/main.ts"],
      project: ["src/**/*.ts", "scripts/**/*.mjs"],
    },
  },
  // System tools the suites run: util-linux, iproute2 and strace for the real-tool suite (each tool in a
  // network namespace of its own, under strace; .ci/run installs them with apt-get), and GNU patch, which
  // applies the diff setup --write prints, as a user would.
  ignoreBinaries: ["unshare", "ip", "mount", "strace", "patch"],
};

export default config;
