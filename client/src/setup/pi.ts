import { dirname, join } from "node:path";
import type { ModelApi } from "../types.js";
import { chooseModels, commandLine, endpointFor, shellCommand, toolDir, type ModelEndpoint, startCondition, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/** The provider ids `setup pi` declares: one for the OpenAI APIs, one for Anthropic Messages. */
const PI_PROVIDER_ID = "mantle-vend";
const PI_ANTHROPIC_PROVIDER_ID = "mantle-vend-anthropic";

const PI_API: Record<ModelApi, string> = {
  "chat-completions": "openai-completions",
  responses: "openai-responses",
  messages: "anthropic-messages",
};

function piModel(context: SetupContext, endpoint: ModelEndpoint, api: ModelApi): Record<string, unknown> {
  return {
    id: endpoint.id,
    name: endpoint.id,
    api: PI_API[api],
    baseUrl: endpointFor(context, endpoint),
    reasoning: endpoint.reasoning,
    input: endpoint.input,
    // Unknown limits stay out: pi then applies its own defaults.
    ...(endpoint.contextWindow === null ? {} : { contextWindow: endpoint.contextWindow }),
    ...(endpoint.maxOutputTokens === null ? {} : { maxTokens: endpoint.maxOutputTokens }),
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  };
}

/**
 * pi's models.json. pi resolves `"apiKey": "!<command>"` before every request, so the command is the
 * cached `mantle-vend token` (cheap on a warm cache); with `--proxy` it is the proxy's key. Each model
 * carries its own API and base URL; Anthropic models need `authHeader` to send `Authorization`. pi keeps
 * its default model in settings.json next to models.json: `--default` sets it there.
 */
function build(context: SetupContext): SetupOutput {
  const { usable, chosen } = chooseModels(context, "pi", ["chat-completions", "responses", "messages"]);
  const apiKey = context.proxy === undefined ? `!${shellCommand(context.tokenCommand("cached"))}` : context.proxyKey();
  const openai: Record<string, unknown>[] = [];
  const anthropic: Record<string, unknown>[] = [];
  for (const endpoint of usable) {
    if (endpoint.apis.includes("chat-completions")) openai.push(piModel(context, endpoint, "chat-completions"));
    else if (endpoint.apis.includes("responses")) openai.push(piModel(context, endpoint, "responses"));
    else anthropic.push(piModel(context, endpoint, "messages"));
  }
  // pi wants a provider-level baseUrl and api; each model's own still win.
  const provider = (models: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> | undefined =>
    models.length === 0 ? undefined : { baseUrl: models[0]?.["baseUrl"], api: models[0]?.["api"], apiKey, models, ...extra };
  const chosenProvider = chosen.apis.includes("chat-completions") || chosen.apis.includes("responses") ? PI_PROVIDER_ID : PI_ANTHROPIC_PROVIDER_ID;
  const settings = join(dirname(context.configFile), "settings.json");
  // Printed, models.json alone goes out; the default model is then given on the command line.
  const setsDefault = context.asDefault && context.writing;
  return {
    files: [
      {
        path: context.configFile,
        format: "json",
        owned: [
          { path: ["providers", PI_PROVIDER_ID], value: provider(openai) },
          { path: ["providers", PI_ANTHROPIC_PROVIDER_ID], value: provider(anthropic, { authHeader: true }) },
        ],
        fresh: [],
      },
      ...(setsDefault
        ? [{ path: settings, format: "json" as const, owned: [{ path: ["defaultProvider"], value: chosenProvider }, { path: ["defaultModel"], value: chosen.id }], fresh: [] }]
        : []),
    ],
    model: chosen.id,
    start: `\`${commandLine(["pi", ...(setsDefault ? [] : ["--model", `${chosenProvider}/${chosen.id}`])], { PI_OFFLINE: "1", PI_TELEMETRY: "0" })}\` ${startCondition(context)}`,
  };
}

export const pi: SetupTool = {
  name: "pi",
  summary: "pi coding agent (models.json)",
  defaultFile: (env) => join(toolDir(env, "PI_CODING_AGENT_DIR", ".pi", "agent"), "models.json"),
  build,
};
