import { PROXY_API_KEY_PLACEHOLDER } from "../proxy/placeholder.js";
import type { ModelApi } from "../types.js";
import { DEFAULT_PROXY_URL, chooseModels, json, type ModelEndpoint, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";

/** The provider ids `setup opencode` declares, one per AI SDK package opencode bundles. */
const OPENCODE_PROVIDERS: Record<ModelApi, { id: string; npm: string; name: string }> = {
  "chat-completions": { id: "mantle-vend", npm: "@ai-sdk/openai-compatible", name: "Mantle (Chat Completions)" },
  responses: { id: "mantle-vend-responses", npm: "@ai-sdk/openai", name: "Mantle (Responses)" },
  messages: { id: "mantle-vend-anthropic", npm: "@ai-sdk/anthropic", name: "Mantle (Anthropic Messages)" },
};

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
 * holds a fresh token for every request); the apiKey is a placeholder the proxy replaces.
 */
function build(context: SetupContext): SetupOutput {
  const proxy = context.proxy ?? DEFAULT_PROXY_URL;
  const { usable, chosen } = chooseModels(context, "opencode", ["chat-completions", "responses", "messages"]);
  const provider: Record<string, { npm: string; name: string; options: Record<string, string>; models: Record<string, unknown> }> = {};
  for (const endpoint of usable) {
    const api = apiOf(endpoint);
    const { id, npm, name } = OPENCODE_PROVIDERS[api];
    const entry = (provider[id] ??= { npm, name, options: { baseURL: baseUrlFor(proxy, endpoint, api), apiKey: PROXY_API_KEY_PLACEHOLDER }, models: {} });
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
  const config = {
    $schema: "https://opencode.ai/config.json",
    provider,
    model,
    // Session titles come from the same model, not from a provider opencode would pick.
    small_model: model,
    autoupdate: false,
    share: "disabled",
  };
  return {
    text: json(config),
    hint:
      `save as ~/.config/opencode/opencode.json, start \`mantle-vend proxy\` (${proxy}) and run ` +
      "`OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_AUTOUPDATE=1 opencode` (ripgrep on PATH, or opencode downloads it)",
  };
}

export const opencode: SetupTool = { name: "opencode", summary: "opencode (opencode.json), through the proxy", build };
