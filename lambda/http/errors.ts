import { DependencyUnavailableError, ForbiddenError, InvalidRequestError, QuotaExceededError, RateLimitedError, UnauthenticatedError } from "../errors.js";
import { CatalogUnavailableError, UpstreamError } from "../catalog/index.js";
import { SnapshotUnavailableError } from "../store/index.js";
import { describeError, type Log } from "../logger.js";
import type { RefusalReason } from "../metrics/index.js";
import type { FunctionUrlResult } from "./events.js";
import { jsonResponse } from "./responses.js";

/** The error codes of the HTTP contract, keyed by the status that carries them. */
export const ERROR_CODES = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  429: "rate_limited",
  500: "internal",
  502: "upstream_error",
  503: "unavailable",
} as const;

export type ErrorStatus = keyof typeof ERROR_CODES;

/** Codes a status carries besides its default one: a spent daily quota is a 429 of its own kind. */
export type ErrorCode = (typeof ERROR_CODES)[ErrorStatus] | "quota_exceeded";

/**
 * An answer the HTTP layer decided itself (routing, size limits), or the mapped form of a feature's
 * error. Its message is shown to the caller.
 */
export class HttpError extends Error {
  readonly status: ErrorStatus;
  readonly headers: Record<string, string>;
  readonly code: ErrorCode;

  constructor(status: ErrorStatus, message: string, headers: Record<string, string> = {}, code: ErrorCode = ERROR_CODES[status]) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.headers = headers;
    this.code = code;
  }
}

const RETRY_SHORTLY = "try again shortly";

/**
 * The one mapping from what went wrong to what the caller sees. Anything unforeseen is a
 * 500 with no detail; a dependency's own failure is logged here by class and message only.
 */
export function toHttpError(error: unknown, log: Log): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof InvalidRequestError) return new HttpError(400, error.message);
  if (error instanceof UnauthenticatedError) return new HttpError(401, error.message, { "www-authenticate": "Bearer" });
  if (error instanceof ForbiddenError) return new HttpError(403, error.message);
  if (error instanceof RateLimitedError) return new HttpError(429, error.message, { ...error.headers, "retry-after": String(error.retryAfterSeconds) });
  if (error instanceof QuotaExceededError) {
    return new HttpError(429, error.message, { ...error.headers, "retry-after": String(error.retryAfterSeconds) }, "quota_exceeded");
  }
  if (error instanceof UpstreamError) return new HttpError(502, error.message);
  if (error instanceof SnapshotUnavailableError || error instanceof CatalogUnavailableError) {
    return new HttpError(503, `${error.message}; ${RETRY_SHORTLY}`);
  }
  if (error instanceof DependencyUnavailableError) {
    log.warn("dependency unavailable", describeError(error));
    return new HttpError(503, `a dependency of the service is unavailable; ${RETRY_SHORTLY}`);
  }
  log.error("unexpected error", describeError(error));
  return new HttpError(500, "internal error");
}

/** Why an answer refused its request, for the `Refused` metric and the log line; undefined when it did not. */
export function refusalReason(error: HttpError): RefusalReason | undefined {
  switch (error.status) {
    case 400:
    case 405:
    case 413:
      return "bad_request";
    case 401:
      return "unauthenticated";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 429:
      return error.code === "quota_exceeded" ? "quota_exceeded" : "rate_limited";
    default:
      return undefined;
  }
}

/** The contract's envelope: `{"error":{"code","message","requestId"}}`. */
export function errorResponse(error: HttpError, requestId: string): FunctionUrlResult {
  return jsonResponse(error.status, { error: { code: error.code, message: error.message, requestId } }, requestId, error.headers);
}
