import { join } from "node:path";
import type { Entry } from "./config-file.js";
import { chooseModels, commandLine, endpointFor, shellCommand, startCondition, toolDir, type ModelEndpoint, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/** The newest catalog model of a Claude family (ids sort by version within a family), else `fallback`. */
function newest(usable: readonly ModelEndpoint[], family: string, fallback: ModelEndpoint): string {
  return usable.filter((m) => m.id.includes(`-${family}-`) || m.id.includes(`.${family}-`)).at(-1)?.id ?? fallback.id;
}

/**
 * Claude Code in its Mantle mode: Anthropic Messages at `<root>/anthropic`. The token comes from
 * `apiKeyHelper`, which Claude Code runs once per process, every 5 minutes and again after a 401, so it
 * asks the server each time; with `--proxy` the proxy's key goes to the proxy instead.
 *
 * Every model alias Claude Code resolves (opus, sonnet, haiku, fable, the small fast model) is pointed
 * at a catalog model: unset, Claude Code 2.1.328 probes its own default Opus ids on Mantle before a
 * turn, models outside the team catalog.
 */
function build(context: SetupContext): SetupOutput {
  const { usable, chosen } = chooseModels(context, "Claude Code", ["messages"]);
  const env = (name: string, value: string | undefined): Entry => ({ path: ["env", name], value });
  const haiku = newest(usable, "haiku", chosen);
  const proxied = context.proxy !== undefined;
  const owned: Entry[] = [
    env("CLAUDE_CODE_USE_MANTLE", "1"),
    env("ANTHROPIC_BEDROCK_MANTLE_BASE_URL", endpointFor(context, chosen)),
    env("AWS_REGION", context.region),
    env("ANTHROPIC_DEFAULT_OPUS_MODEL", newest(usable, "opus", chosen)),
    env("ANTHROPIC_DEFAULT_SONNET_MODEL", newest(usable, "sonnet", chosen)),
    env("ANTHROPIC_DEFAULT_HAIKU_MODEL", haiku),
    env("ANTHROPIC_DEFAULT_FABLE_MODEL", chosen.id),
    env("ANTHROPIC_SMALL_FAST_MODEL", haiku),
    env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
    env("DISABLE_AUTOUPDATER", "1"),
    env("DISABLE_TELEMETRY", "1"),
    env("DISABLE_ERROR_REPORTING", "1"),
    // Without a helper (or a bearer token) Mantle mode falls back to the AWS credential chain.
    env("CLAUDE_CODE_SKIP_MANTLE_AUTH", proxied ? undefined : "1"),
    env("AWS_BEARER_TOKEN_BEDROCK", proxied ? context.proxyKey() : undefined),
    { path: ["apiKeyHelper"], value: proxied ? undefined : shellCommand(context.tokenCommand("fresh")) },
    // Always a full Mantle id: Claude Code maps aliases such as "sonnet" to ids of its own choosing.
    ...(context.asDefault ? [env("ANTHROPIC_MODEL", chosen.id)] : []),
  ];
  return {
    files: [{ path: context.configFile, format: "json", owned, fresh: [] }],
    model: chosen.id,
    start: `\`${commandLine(["claude", ...(context.asDefault ? [] : ["--model", chosen.id])])}\` ${startCondition(context)}`,
  };
}

export const claudeCode: SetupTool = {
  name: "claude-code",
  summary: "Claude Code (settings.json)",
  defaultFile: (env) => join(toolDir(env, "CLAUDE_CONFIG_DIR", ".claude"), "settings.json"),
  build,
};
