import { PROXY_API_KEY_PLACEHOLDER } from "../proxy/placeholder.js";
import { chooseModels, endpointFor, json, shellCommand, startCondition, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/**
 * Claude Code in its Mantle mode: Anthropic Messages at `<root>/anthropic`. The token comes from
 * `apiKeyHelper`, which Claude Code runs once per process, every 5 minutes and again after a 401, so it
 * asks the server each time; with `--proxy` a placeholder bearer goes to the proxy instead.
 */
function build(context: SetupContext): SetupOutput {
  const { chosen } = chooseModels(context, "Claude Code", ["messages"]);
  const env: Record<string, string> = {
    CLAUDE_CODE_USE_MANTLE: "1",
    ANTHROPIC_BEDROCK_MANTLE_BASE_URL: endpointFor(context, chosen),
    AWS_REGION: context.region,
    // Always a full Mantle id: Claude Code maps aliases such as "sonnet" to ids of its own choosing.
    ANTHROPIC_MODEL: chosen.id,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
  };
  const settings: Record<string, unknown> = {};
  if (context.proxy === undefined) {
    // Without this and without a bearer token, Mantle mode falls back to the AWS credential chain.
    env["CLAUDE_CODE_SKIP_MANTLE_AUTH"] = "1";
    settings["apiKeyHelper"] = shellCommand(context.tokenCommand("fresh"));
  } else {
    env["AWS_BEARER_TOKEN_BEDROCK"] = PROXY_API_KEY_PLACEHOLDER;
  }
  settings["env"] = env;
  const start = startCondition(context);
  return {
    text: json(settings),
    hint: `save as ~/.claude/settings.json (or pass --settings <file>) and run \`claude\` ${start}`,
  };
}

export const claudeCode: SetupTool = { name: "claude-code", summary: "Claude Code (settings.json)", build };
