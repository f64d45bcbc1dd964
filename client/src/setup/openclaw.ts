import { UsageError } from "../cli/errors.js";
import { OPENCLAW_PROVIDER_ID, openClawConfig } from "../openclaw/config.js";
import { json, startCondition, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/**
 * OpenClaw: the config `openclaw-config` prints (secret-ref mode, or proxy mode with `--proxy`), plus
 * the agent's default model and the switches that keep OpenClaw from phoning home.
 */
function build(context: SetupContext): SetupOutput {
  const mode =
    context.proxy === undefined
      ? { kind: "secret-ref" as const, command: context.resolverCommand.path, args: context.resolverCommand.args, credentialEnv: context.credentialEnv }
      : { kind: "proxy" as const, url: context.proxy };
  const config = openClawConfig(context.catalog, mode);
  const models = config.models.providers[OPENCLAW_PROVIDER_ID]?.models ?? [];
  const chosen = context.model === undefined ? models[0] : models.find((m) => m.id === context.model);
  if (chosen === undefined) {
    const ids = models.map((m) => m.id).join(", ") || "none";
    throw new UsageError(
      context.model === undefined
        ? `no model of the ${context.catalog.region} catalog can be called by OpenClaw`
        : `--model ${context.model} is not one OpenClaw can call in ${context.catalog.region}; it can use: ${ids}`,
    );
  }
  const full = {
    ...config,
    agents: { defaults: { model: { primary: `${OPENCLAW_PROVIDER_ID}/${chosen.id}` } } },
    update: { checkOnStart: false },
    telemetry: { enabled: false },
  };
  const start = `${startCondition(context)}${context.proxy === undefined ? " (tokens resolve when OpenClaw loads the config; long-running gateways: --proxy)" : ""}`;
  return {
    text: json(full),
    hint: `save as ~/.openclaw/openclaw.json and run \`openclaw agent exec --config ~/.openclaw/openclaw.json "…"\` ${start}`,
  };
}

export const openclaw: SetupTool = { name: "openclaw", summary: "OpenClaw (openclaw.json)", build };
