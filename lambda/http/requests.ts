import { ApiError } from "../errors.js";
import { TOKEN_MIN_TTL_SECONDS, type Config } from "../config.js";
import { hasDuplicateKeys } from "./json.js";

export interface TokenRequest {
  region?: string;
  ttlSeconds?: number;
}

const TOKEN_FIELDS = new Set(["region", "ttlSeconds"]);

/** Parses the optional body of POST /v1/tokens; strict so that typos fail loudly. */
export function parseTokenRequest(text: string, config: Config): TokenRequest {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's own message quotes the input, which may hold a secret: say nothing of it.
    throw new ApiError(400, "request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, "request body must be a JSON object");
  }
  if (hasDuplicateKeys(text)) throw new ApiError(400, "request body has a duplicate field");
  // The unknown names are not quoted back: a pasted key is as likely a name as a value.
  if (Object.keys(parsed).some((field) => !TOKEN_FIELDS.has(field))) {
    throw new ApiError(400, "request body has unknown fields; only region and ttlSeconds are accepted");
  }
  const body = parsed as Record<string, unknown>;
  const request: TokenRequest = {};
  if (body.region !== undefined) request.region = parseRegion(body.region, config);
  if (body.ttlSeconds !== undefined) request.ttlSeconds = parseTtl(body.ttlSeconds);
  return request;
}

/** Parses the query of GET /v1/models: `region` at most once, nothing else. */
export function parseModelsQuery(rawQueryString: string, config: Config): { region?: string } {
  const params = new URLSearchParams(rawQueryString);
  const names = [...params.keys()];
  const unknown = names.filter((name) => name !== "region");
  if (unknown.length > 0) throw new ApiError(400, "unknown query parameter(s); only region is accepted");
  const regions = params.getAll("region");
  if (regions.length > 1) throw new ApiError(400, "region may be given once");
  return regions[0] === undefined ? {} : { region: parseRegion(regions[0], config) };
}

export function parseRegion(value: unknown, config: Config): string {
  if (typeof value !== "string") throw new ApiError(400, "region must be a string");
  if (!config.regions.includes(value)) {
    throw new ApiError(400, `region must be one of: ${config.regions.join(", ")}`);
  }
  return value;
}

function parseTtl(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new ApiError(400, "ttlSeconds must be an integer");
  }
  if (value < TOKEN_MIN_TTL_SECONDS) {
    throw new ApiError(400, `ttlSeconds must be at least ${TOKEN_MIN_TTL_SECONDS}`);
  }
  return value;
}
