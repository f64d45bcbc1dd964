import { join } from "node:path";
import { isPlainWord } from "../cli/shell.js";
import type { Entry } from "./config-file.js";
import { chooseModels, endpointFor, startCondition, toolDir, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";
import { tomlString } from "./toml-edit.js";

/** The provider id and the profile name `setup codex` declares. */
const CODEX_PROVIDER_ID = "mantle-vend";

/** A value in a TOML comment, which ends at a newline and may hold no control character: as it is when plain, else a TOML string. */
const tomlComment = (value: string): string => (isPlainWord(value) ? value : tomlString(value));

/**
 * Codex speaks only the Responses API (`wire_api = "chat"` is refused), so it gets a Responses model
 * on that model's own base URL. Its `auth.command` runs at start, every refresh interval and again
 * after a 401, so it asks the server each time; with `--proxy` the proxy's key is its bearer token.
 * The provider comes with a profile (`codex --profile mantle-vend`); `--default` makes it the default.
 */
function build(context: SetupContext): SetupOutput {
  const { chosen } = chooseModels(context, "Codex", ["responses"]);
  const command = context.tokenCommand("fresh");
  const provider = {
    name: `Amazon Bedrock Mantle ${context.region} via mantle-vend`,
    base_url: endpointFor(context, chosen),
    wire_api: "responses",
    ...(context.proxy === undefined
      ? { auth: { command: command.path, args: command.args, timeout_ms: 15_000, refresh_interval_ms: 300_000 } }
      : { experimental_bearer_token: context.proxyKey() }),
  };
  const owned: Entry[] = [
    ...(context.asDefault ? [{ path: ["model"], value: chosen.id }, { path: ["model_provider"], value: CODEX_PROVIDER_ID }] : []),
    { path: ["model_providers", CODEX_PROVIDER_ID], value: provider },
    { path: ["profiles", CODEX_PROVIDER_ID], value: { model: chosen.id, model_provider: CODEX_PROVIDER_ID } },
  ];
  // Plugins, apps and analytics reach GitHub and OpenAI hosts at start.
  const fresh: Entry[] = [
    { path: ["check_for_update_on_startup"], value: false },
    { path: ["features"], value: { plugins: false, remote_plugin: false, apps: false } },
    { path: ["analytics"], value: { enabled: false } },
  ];
  return {
    files: [{ path: context.configFile, format: "toml", owned, fresh, header: `# Codex through mantle-vend: ${tomlComment(chosen.id)} in ${tomlComment(context.region)} (mantle-vend setup codex)` }],
    model: chosen.id,
    start: `\`codex${context.asDefault ? "" : ` --profile ${CODEX_PROVIDER_ID}`}\` ${startCondition(context)}`,
  };
}

export const codex: SetupTool = {
  name: "codex",
  summary: "OpenAI Codex CLI (config.toml)",
  defaultFile: (env) => join(toolDir(env, "CODEX_HOME", ".codex"), "config.toml"),
  build,
};
