import { join } from "node:path";
import { UsageError } from "../cli/errors.js";
import { OPENCLAW_PROVIDER_ID, OPENCLAW_SECRET_PROVIDER_ID, openClawConfig } from "../openclaw/config.js";
import { DEFAULT_PROXY_URL, commandLine, startCondition, toolDir, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/**
 * OpenClaw: the config `openclaw-config` prints (secret-ref mode, or proxy mode with `--proxy`), plus
 * the agent's default model and the switches that keep OpenClaw from phoning home.
 */
function build(context: SetupContext): SetupOutput {
  const mode =
    context.proxy === undefined
      ? { kind: "secret-ref" as const, command: context.resolverCommand.path, args: context.resolverCommand.args, credentialEnv: context.credentialEnv }
      : { kind: "proxy" as const, url: context.proxy, key: context.proxyKey() };
  const config = openClawConfig(context.catalog, mode);
  const models = config.models.providers[OPENCLAW_PROVIDER_ID]?.models ?? [];
  const chosen = context.model === undefined ? models[0] : models.find((m) => m.id === context.model);
  if (chosen === undefined) {
    const ids = models.map((m) => m.id).join(", ") || "none";
    // Through the proxy OpenClaw reaches every OpenAI-API model (it moves each request to its model's prefix).
    const viaProxy = context.proxy === undefined ? openClawConfig(context.catalog, { kind: "proxy", url: DEFAULT_PROXY_URL }).models.providers[OPENCLAW_PROVIDER_ID]?.models ?? [] : [];
    const wanted = context.model;
    const proxyHint = viaProxy.some((m) => m.id === wanted || wanted === undefined) ? `; with --proxy ${DEFAULT_PROXY_URL} (and mantle-vend proxy running) it can` : "";
    throw new UsageError(
      wanted === undefined
        ? `no model of the ${context.catalog.region} catalog can be called by OpenClaw straight from Mantle${proxyHint}`
        : `--model ${wanted} is not one OpenClaw can call straight from Mantle in ${context.catalog.region} (it can: ${ids})${proxyHint}`,
    );
  }
  const primary = `${OPENCLAW_PROVIDER_ID}/${chosen.id}`;
  const exec = `${commandLine(["openclaw", "agent", "exec", "--config", context.configFile, ...(context.asDefault ? [] : ["--model", primary])])} "…"`;
  return {
    files: [
      {
        path: context.configFile,
        format: "json",
        owned: [
          { path: ["models", "providers", OPENCLAW_PROVIDER_ID], value: config.models.providers[OPENCLAW_PROVIDER_ID] },
          { path: ["secrets", "providers", OPENCLAW_SECRET_PROVIDER_ID], value: config.secrets?.providers[OPENCLAW_SECRET_PROVIDER_ID] },
          ...(context.asDefault ? [{ path: ["agents", "defaults", "model", "primary"], value: primary }] : []),
        ],
        fresh: [
          { path: ["update", "checkOnStart"], value: false },
          { path: ["telemetry", "enabled"], value: false },
        ],
      },
    ],
    model: chosen.id,
    start: `\`${exec}\` ${startCondition(context)}${context.proxy === undefined ? " (tokens resolve when OpenClaw loads the config; long-running gateways: --proxy)" : ""}`,
  };
}

/** OpenClaw's config: $OPENCLAW_CONFIG_PATH, else openclaw.json in its state directory. */
function defaultFile(env: NodeJS.ProcessEnv): string {
  const explicit = env["OPENCLAW_CONFIG_PATH"];
  return explicit !== undefined && explicit !== "" ? explicit : join(toolDir(env, "OPENCLAW_STATE_DIR", ".openclaw"), "openclaw.json");
}

export const openclaw: SetupTool = { name: "openclaw", summary: "OpenClaw (openclaw.json)", defaultFile, build };
