/** What `setup` makes for one tool, from the catalog and the options: shared by `setup` and `doctor`. */
import { resolve } from "node:path";
import { mantleRoot } from "../mantle-root.js";
import { DEFAULT_PROXY_URL, type SetupOutput, type SetupTool } from "../setup/context.js";
import type { Catalog } from "../types.js";
import { proxyApiKey } from "./proxy-key.js";
import { cliCommand, serviceArgs, type Settings } from "./settings.js";

export interface SetupOptions {
  /** The proxy's URL, normalised, when the config goes through it. */
  proxy: string | undefined;
  model: string | undefined;
  /** The config sets the tool's default model. */
  asDefault: boolean;
  /** The config is written into the tool's file rather than printed. */
  writing: boolean;
  /** --config-file, when given. */
  configFile: string | undefined;
  /** Where a warning about the CLI's path goes (doctor keeps them to itself). */
  warn?: (line: string) => void;
}

export function buildSetup(tool: SetupTool, options: SetupOptions, catalog: Catalog, s: Settings, env: NodeJS.ProcessEnv): SetupOutput {
  const cli = cliCommand(env, options.warn);
  // Read once per setup: a tool's config may hold the key in several places.
  let proxyKey: string | undefined;
  return tool.build({
    catalog,
    region: catalog.region,
    // The proxy serves a Mantle root: a URL given with its /v1 is the same proxy.
    proxy: options.proxy === undefined ? undefined : mantleRoot(options.proxy),
    proxyKey: () => (proxyKey ??= proxyApiKey(env, options.proxy ?? DEFAULT_PROXY_URL)),
    model: options.model,
    asDefault: options.asDefault,
    writing: options.writing,
    configFile: options.configFile === undefined ? tool.defaultFile(env) : resolve(options.configFile),
    tokenCommand: (mode) => ({
      path: cli.run,
      args: ["token", "--region", catalog.region, ...serviceArgs(s), ...(mode === "fresh" ? ["--no-cache"] : [])],
    }),
    resolverCommand: { path: cli.absolute, args: ["openclaw-resolver", ...serviceArgs(s)] },
    credentialEnv: s.credentialEnv,
  });
}
