import { isPlainWord } from "../cli/shell.js";
import { chooseModels, endpointFor, startCondition, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/** The provider id `setup codex` declares. */
const CODEX_PROVIDER_ID = "mantle-vend";

/**
 * A TOML basic string: `"` and `\` escaped, and every control character (TOML allows none raw, DEL
 * included) as `\uXXXX`; a lone surrogate, which no TOML file may hold, becomes U+FFFD.
 */
function toml(value: string): string {
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += "\ufffd";
    else out += char;
  }
  return `"${out}"`;
}
const tomlArray = (values: readonly string[]): string => `[${values.map(toml).join(", ")}]`;
/** A value in a TOML comment, which ends at a newline and may hold no control character: as it is when plain, else a TOML string. */
const tomlComment = (value: string): string => (isPlainWord(value) ? value : toml(value));

/**
 * Codex speaks only the Responses API (`wire_api = "chat"` is refused), so it gets a Responses model
 * on that model's own base URL. Its `auth.command` runs at start, every refresh interval and again
 * after a 401, so it asks the server each time; with `--proxy` no credential is configured and the
 * proxy adds it.
 */
function build(context: SetupContext): SetupOutput {
  const { chosen } = chooseModels(context, "Codex", ["responses"]);
  const lines = [
    `# Codex through mantle-vend: ${tomlComment(chosen.id)} in ${tomlComment(context.region)} (mantle-vend setup codex)`,
    `model = ${toml(chosen.id)}`,
    `model_provider = ${toml(CODEX_PROVIDER_ID)}`,
    "check_for_update_on_startup = false",
    "",
    `[model_providers.${CODEX_PROVIDER_ID}]`,
    `name = ${toml(`Amazon Bedrock Mantle ${context.region} via mantle-vend`)}`,
    `base_url = ${toml(endpointFor(context, chosen))}`,
    'wire_api = "responses"',
  ];
  if (context.proxy === undefined) {
    const command = context.tokenCommand("fresh");
    lines.push(
      "",
      `[model_providers.${CODEX_PROVIDER_ID}.auth]`,
      `command = ${toml(command.path)}`,
      `args = ${tomlArray(command.args)}`,
      "timeout_ms = 15000",
      "refresh_interval_ms = 300000",
    );
  }
  // Plugins, apps and analytics reach GitHub and OpenAI hosts at start.
  lines.push("", "[features]", "plugins = false", "remote_plugin = false", "apps = false", "", "[analytics]", "enabled = false", "");
  const start = startCondition(context);
  return { text: lines.join("\n"), hint: `save as ~/.codex/config.toml (or $CODEX_HOME/config.toml) and run \`codex\` ${start}` };
}

export const codex: SetupTool = { name: "codex", summary: "OpenAI Codex CLI (config.toml)", build };
