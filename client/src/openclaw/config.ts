import { PROXY_API_KEY_PLACEHOLDER } from "../proxy/placeholder.js";
import { mantleRoot } from "../mantle-root.js";
import type { Catalog, CatalogModel } from "../types.js";

/** OpenClaw's provider for Bedrock Mantle; it reads AWS_BEARER_TOKEN_BEDROCK and AWS_REGION by itself. */
export const OPENCLAW_PROVIDER_ID = "amazon-bedrock-mantle";
/** The name of the exec secret provider `openclaw-config --secret-ref` declares. */
export const OPENCLAW_SECRET_PROVIDER_ID = "mantle-vend";
/** What an exec secret provider passes to the resolver besides the variables of the credential. */
const RESOLVER_PASS_ENV = ["PATH", "MANTLE_VEND_URL"] as const;
/** The credential's variables when the mode does not say: the API key's. */
const DEFAULT_CREDENTIAL_ENV = ["MANTLE_VEND_API_KEY"];

export type OpenClawConfigMode =
  /** apiKey is an env SecretRef to AWS_BEARER_TOKEN_BEDROCK (run the gateway under `mantle-vend exec`). */
  | { kind: "env" }
  /** apiKey is resolved by `mantle-vend openclaw-resolver` whenever the gateway loads its config. */
  | {
      kind: "secret-ref";
      command: string;
      args: string[];
      /** The variables that carry the credential (MANTLE_VEND_API_KEY, …_FILE, or MANTLE_VEND_IDENTITY and its source's); default the key's. */
      credentialEnv?: readonly string[];
    }
  /** baseUrl is the local `mantle-vend proxy`, which injects the token; `key` is what it demands (else a placeholder it ignores). */
  | { kind: "proxy"; url: string; key?: string };

/** OpenClaw's API families that mantle-vend's models map to. */
type OpenClawApi = "openai-completions" | "openai-responses";

export interface OpenClawModel {
  id: string;
  name: string;
  api: OpenClawApi;
  reasoning: boolean;
  input: Array<"text" | "image">;
  cost: { input: 0; output: 0; cacheRead: 0; cacheWrite: 0 };
  contextWindow: number;
  maxTokens: number;
}

/** What OpenClaw is told when the catalog does not know a model's limits. */
const FALLBACK_CONTEXT_WINDOW = 32_000;
const FALLBACK_MAX_TOKENS = 4_096;

/**
 * The OpenClaw API a model is called through in a mode, or undefined when that mode cannot
 * call it. Straight to Mantle the provider's one base URL is the region's `/v1`, so only
 * Chat Completions models served there fit. Through the proxy, which moves each request to
 * its model's prefix, Responses-only models (GPT-5) fit too; Messages-only models (Claude)
 * never do: OpenClaw would send them OpenAI requests.
 */
function openClawApi(model: CatalogModel, catalogBaseUrl: string, mode: OpenClawConfigMode): OpenClawApi | undefined {
  if (mode.kind !== "proxy") return model.apis.includes("chat-completions") && model.baseUrl === catalogBaseUrl ? "openai-completions" : undefined;
  if (model.apis.includes("chat-completions")) return "openai-completions";
  return model.apis.includes("responses") ? "openai-responses" : undefined;
}

export interface OpenClawConfig {
  models: {
    providers: Record<
      string,
      { baseUrl: string; api: "openai-completions"; auth: "api-key"; apiKey: unknown; models: OpenClawModel[] }
    >;
  };
  secrets?: { providers: Record<string, unknown> };
}

/** The complete OpenClaw config object for a region's catalog (docs/configuration.md). */
export function openClawConfig(catalog: Catalog, mode: OpenClawConfigMode): OpenClawConfig {
  const region = catalog.region;
  const models: OpenClawModel[] = catalog.models.flatMap((model) => {
    const api = openClawApi(model, catalog.baseUrl, mode);
    if (api === undefined) return [];
    const contextWindow = model.contextWindow ?? FALLBACK_CONTEXT_WINDOW;
    return [
      {
        id: model.id,
        name: model.id,
        api,
        reasoning: model.reasoning,
        input: model.input.includes("image") ? ["text", "image"] : ["text"],
        cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
        contextWindow,
        maxTokens: Math.min(model.maxOutputTokens ?? FALLBACK_MAX_TOKENS, contextWindow),
      },
    ];
  });
  let baseUrl = catalog.baseUrl;
  let apiKey: unknown;
  switch (mode.kind) {
    case "env":
      apiKey = { source: "env", provider: "default", id: "AWS_BEARER_TOKEN_BEDROCK" };
      break;
    case "secret-ref":
      apiKey = { source: "exec", provider: OPENCLAW_SECRET_PROVIDER_ID, id: region };
      break;
    case "proxy":
      // The proxy serves the OpenAI surface under /v1: a URL given with or without it yields one /v1.
      baseUrl = `${mantleRoot(mode.url)}/v1`;
      apiKey = mode.key ?? PROXY_API_KEY_PLACEHOLDER;
      break;
  }
  const config: OpenClawConfig = {
    models: {
      providers: {
        [OPENCLAW_PROVIDER_ID]: { baseUrl, api: "openai-completions", auth: "api-key", apiKey, models },
      },
    },
  };
  if (mode.kind === "secret-ref") {
    config.secrets = {
      providers: {
        [OPENCLAW_SECRET_PROVIDER_ID]: {
          source: "exec",
          command: mode.command,
          args: mode.args,
          passEnv: [...RESOLVER_PASS_ENV, ...(mode.credentialEnv ?? DEFAULT_CREDENTIAL_ENV)],
          jsonOnly: true,
        },
      },
    };
  }
  return config;
}
