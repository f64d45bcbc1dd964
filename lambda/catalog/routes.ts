/*
 * How each model is called on Mantle (docs/catalog.md): the API families, the path prefix, the
 * limits and the input modalities, from one table of model-family rules. Pure: the
 * service merges it with the team's overrides, the Mantle emulator enforces it.
 *
 * Sources and the date they were checked are in docs/catalog.md ("Model routes"); every
 * rule names its source here too, so a reader of either finds the other.
 */

export const MODEL_APIS = ["chat-completions", "responses", "messages"] as const;
export type ModelApi = (typeof MODEL_APIS)[number];

export const MANTLE_ROUTES = ["/v1", "/openai/v1", "/anthropic"] as const;
export type MantleRoute = (typeof MANTLE_ROUTES)[number];

export const MODALITIES = ["text", "image"] as const;
export type Modality = (typeof MODALITIES)[number];

/** What the rules say about one model; `null` limits are unknown. */
export interface ModelTraits {
  apis: ModelApi[];
  route: MantleRoute;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  input: Modality[];
}

export interface FamilyRule extends ModelTraits {
  /** Matched against the start of the model id; the longest matching prefix wins. */
  prefix: string;
  source: string;
}

/** When the sources below were last read. */
export const FAMILY_RULES_CHECKED = "2026-12-02";

const CHAT: ModelApi[] = ["chat-completions"];
const OPENAI_BOTH: ModelApi[] = ["chat-completions", "responses"];
const TEXT: Modality[] = ["text"];
const TEXT_IMAGE: Modality[] = ["text", "image"];

function rule(
  prefix: string,
  apis: ModelApi[],
  route: MantleRoute,
  contextWindow: number | null,
  maxOutputTokens: number | null,
  input: Modality[],
  source: string,
): FamilyRule {
  return { prefix, apis, route, contextWindow, maxOutputTokens, input, source };
}

const claude = (prefix: string, contextWindow: number, maxOutputTokens: number, source: string): FamilyRule =>
  rule(prefix, ["messages"], "/anthropic", contextWindow, maxOutputTokens, TEXT_IMAGE, source);

export const FAMILY_RULES: readonly FamilyRule[] = [
  claude("anthropic.claude-haiku-4-5", 200_000, 64_000, "AWS model card claude-haiku-4-5"),
  claude("anthropic.claude-sonnet-4-5", 200_000, 64_000, "AWS model card claude-sonnet-4-5"),
  claude("anthropic.claude-sonnet-4-6", 1_000_000, 64_000, "AWS model card claude-sonnet-4-6"),
  claude("anthropic.claude-opus-4-1", 200_000, 32_000, "AWS model card claude-opus-4-1"),
  claude("anthropic.claude-opus-4-5", 200_000, 64_000, "AWS model card claude-opus-4-5"),
  claude("anthropic.claude-", 1_000_000, 128_000, "AWS model cards opus-4-6…4-8, sonnet-5, opus-5 (newer lines)"),
  rule("openai.gpt-oss-", OPENAI_BOTH, "/v1", 128_000, 16_000, TEXT, "AWS model parameters for OpenAI; AWS Responses API page"),
  rule("openai.gpt-5.", ["responses"], "/openai/v1", 1_050_000, 128_000, TEXT_IMAGE, "AWS model cards gpt-5.4/5.5/5.6; AWS Responses API page"),
  rule("openai.gpt-6", ["responses"], "/openai/v1", 1_050_000, 128_000, TEXT_IMAGE, "AWS model cards gpt-6-*"),
  rule("xai.grok-4.", OPENAI_BOTH, "/openai/v1", null, null, TEXT_IMAGE, "AWS model card grok-4.3 (input); route measured by users"),
  rule("google.gemma-4-", OPENAI_BOTH, "/openai/v1", 256_000, null, TEXT_IMAGE, "AWS model card gemma-4-31b"),
  rule("google.gemma-3-", CHAT, "/v1", null, null, TEXT_IMAGE, "AWS model cards gemma-3-* (input); route measured by users"),
  rule("deepseek.", CHAT, "/v1", 164_000, 8_000, TEXT, "AWS model card deepseek-v3-2"),
  rule("moonshotai.kimi-k2-thinking", CHAT, "/v1", 262_143, 16_000, TEXT, "AWS model card kimi-k2-thinking"),
  rule("moonshotai.kimi-k2.5", CHAT, "/v1", 262_143, 16_000, TEXT_IMAGE, "AWS model card kimi-k2-5"),
  rule("qwen.qwen3-235b-a22b-2507", CHAT, "/v1", 256_000, 8_000, TEXT, "AWS model card qwen3-235b-a22b-2507"),
  rule("qwen.qwen3-vl-", CHAT, "/v1", null, null, TEXT_IMAGE, "AWS model cards qwen3-vl-*"),
  rule("qwen.", CHAT, "/v1", null, null, TEXT, "AWS model cards qwen3-* (text only; limits differ per line)"),
  rule("mistral.", CHAT, "/v1", null, null, TEXT, "AWS model card devstral-2-123b (other lines differ: override)"),
  rule("minimax.minimax-m2", CHAT, "/v1", null, null, TEXT, "AWS model cards minimax-m2*"),
  rule("nvidia.nemotron-super-3-120b", CHAT, "/v1", 256_000, 32_000, TEXT, "AWS model card nemotron-super-3-120b"),
  rule("nvidia.nemotron-nano-3-30b", CHAT, "/v1", 256_000, 8_192, TEXT, "AWS model card nemotron-nano-3-30b"),
  rule("nvidia.nemotron-nano-12b-v2", CHAT, "/v1", null, null, TEXT_IMAGE, "AWS model card nemotron-nano-12b-v2"),
  rule("zai.glm-5", CHAT, "/v1", 200_000, 128_000, TEXT, "AWS model card glm-5"),
  rule("zai.glm-", CHAT, "/v1", null, null, TEXT, "AWS model card glm-4.7-flash"),
];

/** A model no rule knows: AWS's default prefix and the one API every open-weight model on it speaks. */
const FALLBACK_TRAITS: Readonly<ModelTraits> = Object.freeze({
  apis: CHAT,
  route: "/v1",
  contextWindow: null,
  maxOutputTokens: null,
  input: TEXT,
});

/** The rule of the longest prefix the id starts with, or undefined. */
function familyRuleFor(id: string): FamilyRule | undefined {
  let best: FamilyRule | undefined;
  for (const candidate of FAMILY_RULES) {
    if (id.startsWith(candidate.prefix) && (best === undefined || candidate.prefix.length > best.prefix.length)) best = candidate;
  }
  return best;
}

/** The traits of a model id (fresh arrays: callers may change them). */
export function familyTraits(id: string): ModelTraits {
  const found = familyRuleFor(id) ?? FALLBACK_TRAITS;
  return {
    apis: [...found.apis],
    route: found.route,
    contextWindow: found.contextWindow,
    maxOutputTokens: found.maxOutputTokens,
    input: [...found.input],
  };
}

/** The request path (below the Mantle root) of each API on each prefix that can serve it. */
export function apiPath(route: MantleRoute, api: ModelApi): string {
  switch (api) {
    case "chat-completions":
      return `${route}/chat/completions`;
    case "responses":
      return `${route}/responses`;
    case "messages":
      return `${route}/v1/messages`;
  }
}

/** The prefix and API a request path calls, e.g. `/openai/v1/responses` → `/openai/v1` + responses. */
export function parseApiPath(path: string): { route: MantleRoute; api: ModelApi } | undefined {
  for (const route of MANTLE_ROUTES) {
    for (const api of MODEL_APIS) {
      if ((api === "messages") === (route === "/anthropic") && apiPath(route, api) === path) return { route, api };
    }
  }
  return undefined;
}
