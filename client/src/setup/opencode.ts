import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ModelApi } from "../types.js";
import type { Entry } from "./config-file.js";
import { DEFAULT_PROXY_URL, chooseModels, commandLine, toolDir, type ModelEndpoint, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/** The provider ids `setup opencode` declares, one per AI SDK package opencode bundles. */
const OPENCODE_PROVIDERS: Record<ModelApi, { id: string; npm: string; name: string }> = {
  "chat-completions": { id: "mantle-vend", npm: "@ai-sdk/openai-compatible", name: "Mantle (Chat Completions)" },
  responses: { id: "mantle-vend-responses", npm: "@ai-sdk/openai", name: "Mantle (Responses)" },
  messages: { id: "mantle-vend-anthropic", npm: "@ai-sdk/anthropic", name: "Mantle (Anthropic Messages)" },
};

/**
 * What opencode is started with so that it reaches nothing but the proxy: no models list fetched, no
 * update check, and npm offline for the plugin install opencode starts in its config directory at every
 * start (`@opencode-ai/plugin`, through npm's own resolver, which reads npm_config_* from the
 * environment). Offline, that install finds nothing to fetch and gives up quietly; opencode needs the
 * package only for plugins of your own.
 */
const OPENCODE_START_ENV = { OPENCODE_DISABLE_MODELS_FETCH: "1", OPENCODE_DISABLE_AUTOUPDATE: "1", npm_config_offline: "true" };

/** The API a model is called through by opencode: Chat Completions where it has it. */
function apiOf(endpoint: ModelEndpoint): ModelApi {
  if (endpoint.apis.includes("chat-completions")) return "chat-completions";
  return endpoint.apis.includes("responses") ? "responses" : "messages";
}

/**
 * The base URL each AI SDK package wants on the proxy. OpenAI families share `/v1`: the proxy moves
 * each request to its model's prefix. The Anthropic package appends only `/messages`.
 */
function baseUrlFor(proxy: string, endpoint: ModelEndpoint, api: ModelApi): string {
  return api === "messages" ? `${proxy}${endpoint.route}/v1` : `${proxy}/v1`;
}

/**
 * opencode reads its credentials once, when it loads the config, so it goes through the proxy (which
 * holds a fresh token for every request); the apiKey is the proxy's key.
 */
function build(context: SetupContext): SetupOutput {
  const proxy = context.proxy ?? DEFAULT_PROXY_URL;
  const { usable, chosen } = chooseModels(context, "opencode", ["chat-completions", "responses", "messages"]);
  const providers = new Map<string, { npm: string; name: string; options: Record<string, string>; models: Record<string, unknown> }>();
  for (const endpoint of usable) {
    const api = apiOf(endpoint);
    const { id, npm, name } = OPENCODE_PROVIDERS[api];
    const entry = providers.get(id) ?? { npm, name, options: { baseURL: baseUrlFor(proxy, endpoint, api), apiKey: context.proxyKey() }, models: {} };
    providers.set(id, entry);
    const model = {
      name: endpoint.id,
      tool_call: true,
      reasoning: endpoint.reasoning,
      ...(endpoint.contextWindow === null || endpoint.maxOutputTokens === null
        ? {}
        : { limit: { context: endpoint.contextWindow, output: endpoint.maxOutputTokens } }),
      modalities: { input: endpoint.input, output: ["text"] },
    };
    // Defined, not assigned: an id such as __proto__ is then an ordinary key, and no prototype is touched.
    Object.defineProperty(entry.models, endpoint.id, { value: model, enumerable: true, writable: true, configurable: true });
  }
  const model = `${OPENCODE_PROVIDERS[apiOf(chosen)].id}/${chosen.id}`;
  const owned: Entry[] = [
    // Each of the three is setup's: one the catalog no longer needs is removed.
    ...Object.values(OPENCODE_PROVIDERS).map(({ id }) => ({ path: ["provider", id], value: providers.get(id) })),
    // Session titles come from the same model, not from a provider opencode would pick.
    ...(context.asDefault ? [{ path: ["model"], value: model }, { path: ["small_model"], value: model }] : []),
  ];
  const fresh: Entry[] = [
    { path: ["$schema"], value: "https://opencode.ai/config.json" },
    { path: ["autoupdate"], value: false },
    { path: ["share"], value: "disabled" },
  ];
  return {
    files: [{ path: context.configFile, format: "json", owned, fresh }],
    model: chosen.id,
    start: `\`${commandLine(["opencode", ...(context.asDefault ? [] : ["--model", model])], OPENCODE_START_ENV)}\` once \`mantle-vend proxy\` serves ${proxy} (ripgrep on PATH, or opencode downloads it)`,
  };
}

/** opencode's global config: $OPENCODE_CONFIG when set, else opencode.jsonc or opencode.json in its config directory. */
function defaultFile(env: NodeJS.ProcessEnv): string {
  const explicit = env["OPENCODE_CONFIG"];
  if (explicit !== undefined && explicit !== "") return explicit;
  const dir = join(toolDir(env, "XDG_CONFIG_HOME", ".config"), "opencode");
  return existsSync(join(dir, "opencode.jsonc")) ? join(dir, "opencode.jsonc") : join(dir, "opencode.json");
}

export const opencode: SetupTool = { name: "opencode", summary: "opencode (opencode.json), through the proxy", defaultFile, build };
