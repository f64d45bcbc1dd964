import { ApiError } from "../errors.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "./events.js";

export const MAX_BODY_BYTES = 8 * 1024;

const JSON_TYPE = "application/json; charset=utf-8";

export function jsonResponse(
  status: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
): FunctionUrlResult {
  return {
    statusCode: status,
    headers: { "content-type": JSON_TYPE, "cache-control": "no-store", ...headers, "x-request-id": requestId },
    body: body === undefined ? "" : JSON.stringify(body),
  };
}

export function errorResponse(error: ApiError, requestId: string): FunctionUrlResult {
  return jsonResponse(
    error.status,
    { error: { code: error.code, message: error.message, requestId } },
    requestId,
    error.headers,
  );
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
    throw new ApiError(400, "request body is not valid UTF-8");
  }
}
