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
      ],
      project: ["infra/**/*.ts", "lambda/**/*.ts", "bin/**/*.js", "bench/**/*.{ts,mjs}", "test/**/*.{ts,mjs}", "*.ts"],
    },
    client: {
      // The package's exports (., ./proxy, ./openclaw) and the CLI bundle's entry (client/scripts/build.mjs).
      entry: ["src/index.ts", "src/proxy/index.ts", "src/openclaw/index.ts", "src/cli/main.ts"],
      project: ["src/**/*.ts", "scripts/**/*.mjs"],
    },
  },
  // util-linux's unshare: the suites run tools that might phone home without a network (COMMON rules);
  // GNU patch applies the diff setup --write prints, as a user would.
  ignoreBinaries: ["unshare", "patch"],
};

export default config;
