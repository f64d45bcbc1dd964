import { MantleVendError } from "./errors.js";
import { isRecord } from "./transport.js";
import type { Catalog, RegionsResponse, TokenResponse } from "./types.js";

function invalid(what: string): MantleVendError {
  return new MantleVendError({ status: 200, code: "invalid_response", message: `the service's ${what} answer has an unexpected shape` });
}

const isString = (value: unknown): value is string => typeof value === "string" && value !== "";

/** Checks `POST /v1/tokens`' answer; unknown extra fields are kept. */
export function parseTokenResponse(value: unknown): TokenResponse {
  if (
    !isRecord(value) ||
    !isString(value["token"]) ||
    !isString(value["region"]) ||
    !isString(value["baseUrl"]) ||
    !isString(value["expiresAt"]) ||
    Number.isNaN(Date.parse(value["expiresAt"])) ||
    typeof value["expiresInSeconds"] !== "number" ||
    !Number.isFinite(value["expiresInSeconds"])
  ) {
    throw invalid("token");
  }
  return value as unknown as TokenResponse;
}

export function parseRegionsResponse(value: unknown): RegionsResponse {
  if (!isRecord(value) || !Array.isArray(value["regions"])) throw invalid("regions");
  for (const entry of value["regions"] as unknown[]) {
    if (!isRecord(entry) || !isString(entry["region"]) || !isString(entry["baseUrl"])) throw invalid("regions");
  }
  if (value["defaultRegion"] !== null && value["defaultRegion"] !== undefined && !isString(value["defaultRegion"])) throw invalid("regions");
  return { ...value, defaultRegion: (value["defaultRegion"] as string | undefined) ?? null } as unknown as RegionsResponse;
}

export function parseCatalog(value: unknown): Catalog {
  if (!isRecord(value) || !isString(value["region"]) || !isString(value["baseUrl"]) || !Array.isArray(value["models"])) {
    throw invalid("models");
  }
  const models = (value["models"] as unknown[]).map((model) => {
    if (!isRecord(model) || !isString(model["id"])) throw invalid("models");
    return withRouteDefaults(model, value["baseUrl"] as string);
  });
  return { ...value, models } as unknown as Catalog;
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === "string");
const limit = (value: unknown): number | null => (typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : null);

/**
 * A server from before per-model routes sends none: such a model is what that server
 * promised for every model, Chat Completions on the catalog's `/v1` base URL.
 */
function withRouteDefaults(model: Record<string, unknown>, catalogBaseUrl: string): Record<string, unknown> {
  return {
    ...model,
    apis: isStringList(model["apis"]) ? model["apis"] : ["chat-completions"],
    baseUrl: isString(model["baseUrl"]) ? model["baseUrl"] : catalogBaseUrl,
    contextWindow: limit(model["contextWindow"]),
    maxOutputTokens: limit(model["maxOutputTokens"]),
    input: isStringList(model["input"]) ? model["input"] : ["text"],
  };
}
