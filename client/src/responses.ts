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
  for (const model of value["models"] as unknown[]) {
    if (!isRecord(model) || !isString(model["id"])) throw invalid("models");
  }
  return value as unknown as Catalog;
}
