import { MantleVendError } from "./errors.js";
import { isNonEmptyString, isRecord, isTimestamp } from "./guards.js";
import { inferReasoning } from "./rules.js";
import type { Catalog, CatalogModel, ModelApi, RegionInfo, RegionsResponse, TokenResponse, WhoamiResponse } from "./types.js";

function invalid(what: string): MantleVendError {
  return new MantleVendError({ status: 200, code: "invalid_response", message: `the service's ${what} answer has an unexpected shape` });
}

/** Checks `POST /v1/tokens`' answer field by field; unknown extra fields are kept. */
export function parseTokenResponse(value: unknown): TokenResponse {
  if (!isRecord(value)) throw invalid("token");
  const { token, tokenType, region, baseUrl, issuedAt, expiresAt, expiresInSeconds } = value;
  if (
    !isNonEmptyString(token) ||
    tokenType !== "bearer" ||
    !isNonEmptyString(region) ||
    !isNonEmptyString(baseUrl) ||
    typeof issuedAt !== "string" ||
    !isTimestamp(expiresAt) ||
    typeof expiresInSeconds !== "number" ||
    !Number.isFinite(expiresInSeconds)
  ) {
    throw invalid("token");
  }
  return { ...value, token, tokenType, region, baseUrl, issuedAt, expiresAt, expiresInSeconds };
}

export function parseRegionsResponse(value: unknown): RegionsResponse {
  if (!isRecord(value) || !Array.isArray(value["regions"])) throw invalid("regions");
  const regions: RegionInfo[] = [];
  for (const entry of value["regions"]) {
    if (!isRecord(entry) || !isNonEmptyString(entry["region"]) || !isNonEmptyString(entry["baseUrl"])) throw invalid("regions");
    regions.push({ ...entry, region: entry["region"], baseUrl: entry["baseUrl"] });
  }
  const defaultRegion = value["defaultRegion"] ?? null;
  if (defaultRegion !== null && !isNonEmptyString(defaultRegion)) throw invalid("regions");
  return { ...value, defaultRegion, regions };
}

/**
 * Checks `GET /v1/models`' answer; unknown extra fields are kept. The catalog is deeply frozen: the
 * client hands the one object to every caller, so no caller may change what the others see.
 */
export function parseCatalog(value: unknown): Catalog {
  if (!isRecord(value)) throw invalid("models");
  const { region, baseUrl, checkedAt, changedAt, stale, models } = value;
  if (
    !isNonEmptyString(region) ||
    !isNonEmptyString(baseUrl) ||
    typeof checkedAt !== "string" ||
    typeof changedAt !== "string" ||
    typeof stale !== "boolean" ||
    !Array.isArray(models)
  ) {
    throw invalid("models");
  }
  const parsed: CatalogModel[] = models.map((model: unknown) => {
    if (!isRecord(model) || !isNonEmptyString(model["id"])) throw invalid("models");
    const { id, name, created, reasoning } = model;
    // Only the id is required; the rest is taken as sent when it has the right type.
    return {
      ...model,
      id,
      name: typeof name === "string" ? name : id,
      created: typeof created === "number" ? created : null,
      reasoning: typeof reasoning === "boolean" ? reasoning : inferReasoning(id),
      ...callFields(model, baseUrl),
    };
  });
  return deepFreeze({ ...value, region, baseUrl, checkedAt, changedAt, stale, models: parsed });
}

/** Freezes a JSON value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const MODEL_APIS: readonly string[] = ["chat-completions", "responses", "messages"] satisfies ModelApi[];
const isModelApi = (value: unknown): value is ModelApi => typeof value === "string" && MODEL_APIS.includes(value);
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === "string");
const limit = (value: unknown): number | null => (typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : null);

/**
 * How to call a model. A server from before per-model prefixes sends none of these: such a model is
 * what that server promised for every model, Chat Completions on the catalog's `/v1` base URL. APIs
 * this client does not know are left out: it could not call them.
 */
function callFields(model: Record<string, unknown>, catalogBaseUrl: string): Pick<CatalogModel, "apis" | "baseUrl" | "contextWindow" | "maxOutputTokens" | "input"> {
  const { apis, baseUrl, contextWindow, maxOutputTokens, input } = model;
  return {
    apis: Array.isArray(apis) ? apis.filter(isModelApi) : ["chat-completions"],
    baseUrl: isNonEmptyString(baseUrl) ? baseUrl : catalogBaseUrl,
    contextWindow: limit(contextWindow),
    maxOutputTokens: limit(maxOutputTokens),
    input: isStringList(input) ? input : ["text"],
  };
}

/** Checks `GET /v1/whoami`'s answer; unknown extra fields are kept. */
export function parseWhoamiResponse(value: unknown): WhoamiResponse {
  if (!isRecord(value) || !isRecord(value["grant"])) throw invalid("whoami");
  const { principal, kind, name, mintsToday } = value;
  const grant = value["grant"];
  const { regions, maxTtlSeconds, rateLimit, models, mintsPerDay } = grant;
  const stringList = (list: unknown): list is string[] => Array.isArray(list) && list.every((item) => typeof item === "string");
  if (
    !isNonEmptyString(principal) ||
    (kind !== "key" && kind !== "identity") ||
    typeof name !== "string" ||
    !stringList(regions) ||
    typeof maxTtlSeconds !== "number" ||
    !isRecord(rateLimit) ||
    typeof rateLimit["perSecond"] !== "number" ||
    typeof rateLimit["burst"] !== "number" ||
    (models !== undefined && !stringList(models)) ||
    (mintsPerDay !== undefined && typeof mintsPerDay !== "number") ||
    (mintsToday !== null && typeof mintsToday !== "number")
  ) {
    throw invalid("whoami");
  }
  return {
    ...value,
    principal,
    kind,
    name,
    grant: {
      ...grant,
      regions,
      maxTtlSeconds,
      rateLimit: { ...rateLimit, perSecond: rateLimit["perSecond"], burst: rateLimit["burst"] },
      ...(models === undefined ? {} : { models }),
      ...(mintsPerDay === undefined ? {} : { mintsPerDay }),
    },
    mintsToday,
  };
}
