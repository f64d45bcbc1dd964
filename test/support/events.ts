import { randomUUID } from "node:crypto";
import type { FunctionUrlEvent } from "../../lambda/http/events.js";

export interface EventInit {
  method?: string;
  path?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  key?: string;
}

/** A function-URL event (payload format 2.0) as Lambda delivers it: lowercase headers, base64 body. */
export function functionUrlEvent(init: EventInit = {}): FunctionUrlEvent {
  const method = init.method ?? "GET";
  const path = init.path ?? "/healthz";
  const headers: Record<string, string> = { host: "abc.lambda-url.us-east-1.on.aws", ...lowercase(init.headers ?? {}) };
  if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`;
  const event: FunctionUrlEvent = {
    version: "2.0",
    rawPath: path,
    rawQueryString: init.query ?? "",
    headers,
    isBase64Encoded: false,
    requestContext: { requestId: randomUUID(), http: { method, path, sourceIp: "203.0.113.9" } },
  };
  if (init.body !== undefined) {
    event.body = Buffer.from(init.body).toString("base64");
    event.isBase64Encoded = true;
    headers["content-type"] ??= "application/json";
  }
  return event;
}

function lowercase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
