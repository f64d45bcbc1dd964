import type { FunctionUrlResult } from "./events.js";

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
