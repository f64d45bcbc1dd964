import { TOKEN_MIN_TTL_SECONDS } from "../config.js";
import { InvalidRequestError } from "../errors.js";
import { isRecord } from "../guards.js";
import type { TokenRequest } from "../tokens/index.js";
import type { FunctionUrlEvent } from "./events.js";
import { hasDuplicateKeys } from "./json.js";

export const MAX_BODY_BYTES = 8 * 1024;

/** The credential of `Authorization: Bearer <credential>`, or undefined when absent or malformed. */
export function bearerCredential(event: FunctionUrlEvent): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(header(event, "authorization") ?? "")?.[1];
}

/** A request header; function URLs (and the local server) deliver header names lowercased. */
export function header(event: FunctionUrlEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return Object.hasOwn(headers, name) ? headers[name] : undefined;
}

/** The decoded body length, computed without decoding so an oversized body costs nothing. */
export function bodyBytes(event: FunctionUrlEvent): number {
  if (event.body === undefined || event.body === null) return 0;
  return Buffer.byteLength(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

/** The body as text; invalid UTF-8 is a client error, never silently replaced. */
export function bodyText(event: FunctionUrlEvent): string {
  if (event.body === undefined || event.body === null) return "";
  if (!event.isBase64Encoded) return event.body;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(event.body, "base64"));
  } catch {
    throw new InvalidRequestError("request body is not valid UTF-8");
  }
}

const TOKEN_FIELDS = new Set(["region", "ttlSeconds"]);

/** Parses the optional body of POST /v1/tokens; strict so that typos fail loudly. */
export function parseTokenRequest(text: string): TokenRequest {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's own message quotes the input, which may hold a secret: say nothing of it.
    throw new InvalidRequestError("request body is not valid JSON");
  }
  if (!isRecord(parsed)) throw new InvalidRequestError("request body must be a JSON object");
  if (hasDuplicateKeys(text)) throw new InvalidRequestError("request body has a duplicate field");
  // The unknown names are not quoted back: a pasted key is as likely a name as a value.
  if (Object.keys(parsed).some((field) => !TOKEN_FIELDS.has(field))) {
    throw new InvalidRequestError("request body has unknown fields; only region and ttlSeconds are accepted");
  }
  const body = parsed;
  const request: TokenRequest = {};
  if (body.region !== undefined) request.region = parseRegion(body.region);
  if (body.ttlSeconds !== undefined) request.ttlSeconds = parseTtl(body.ttlSeconds);
  return request;
}

/** Parses the query of GET /v1/models: `region` at most once, nothing else. */
export function parseModelsQuery(rawQueryString: string): { region?: string } {
  const params = new URLSearchParams(rawQueryString);
  const names = [...params.keys()];
  const unknown = names.filter((name) => name !== "region");
  if (unknown.length > 0) throw new InvalidRequestError("unknown query parameter(s); only region is accepted");
  const regions = params.getAll("region");
  if (regions.length > 1) throw new InvalidRequestError("region may be given once");
  return regions[0] === undefined ? {} : { region: parseRegion(regions[0]) };
}

/** A region's type only: whether it is served, and to this principal, is the grant's question. */
function parseRegion(value: unknown): string {
  if (typeof value !== "string") throw new InvalidRequestError("region must be a string");
  return value;
}

function parseTtl(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new InvalidRequestError("ttlSeconds must be an integer");
  }
  if (value < TOKEN_MIN_TTL_SECONDS) {
    throw new InvalidRequestError(`ttlSeconds must be at least ${TOKEN_MIN_TTL_SECONDS}`);
  }
  return value;
}
