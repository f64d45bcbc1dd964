/** What the proxy writes to its caller: its own answers, and Mantle's passed through. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { MantleVendError, redact } from "../errors.js";
import { headerValue, responseHeaders } from "./headers.js";

/** The answer header that says a request was routed by a stale catalog, or not routed for want of one. */
export const CATALOG_HEADER = "x-mantle-vend-catalog";

/** An answer the proxy gives itself instead of forwarding (a refusal, a routing decision, OPTIONS). */
export interface ProxyAnswer {
  readonly kind: "answer";
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An OpenAI-shaped error (SDK clients show its message), scrubbed of anything like a key or token. */
export function errorAnswer(status: number, code: string, message: string, headers?: Record<string, string>): ProxyAnswer {
  const body = JSON.stringify({ error: { code, type: "mantle_vend_proxy_error", message: redact(message) } });
  return { kind: "answer", status, body, ...(headers === undefined ? {} : { headers }) };
}

/** Writes the proxy's own answer and discards the request body unread. */
export function answer(req: IncomingMessage, res: ServerResponse, reply: ProxyAnswer): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const type = reply.body === "" ? {} : { "content-type": "application/json; charset=utf-8" };
  res.writeHead(reply.status, { ...reply.headers, ...type, "content-length": Buffer.byteLength(reply.body) });
  res.end(reply.body);
  req.resume();
}

/**
 * Mantle's answer to the caller: status and headers (and the routing's `note` on the catalog, when it
 * has one), then its body as it streams (or `body`, already read). A stream's headers go out at once, so
 * the caller sees it start before the first event; any other answer's headers leave with its first
 * bytes, in one write.
 */
export function pass(res: ServerResponse, upstream: IncomingMessage, body?: Buffer, note?: string): void {
  const headers = responseHeaders(upstream);
  if (note !== undefined) headers.push(CATALOG_HEADER, note);
  res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, headers);
  if (isStream(upstream)) res.flushHeaders();
  if (body !== undefined) {
    res.end(body);
    return;
  }
  upstream.pipe(res);
  upstream.on("error", () => res.destroy());
}

/** Server-sent events, how Mantle streams on all three surfaces. */
function isStream(upstream: IncomingMessage): boolean {
  return headerValue(upstream, "content-type")?.toLowerCase().startsWith("text/event-stream") === true;
}

/**
 * What the proxy says when the service refuses its own credential (a 401 for a token or the catalog):
 * the likely causes, since the service's answer is the same for all of them.
 */
export function refusedCredential(error: unknown): string | undefined {
  if (!(error instanceof MantleVendError) || error.status !== 401) return undefined;
  return "the mantle-vend service refused the proxy's credential (401): the API key was revoked, has expired or is wrong, or the login expired (mantle-vend login)";
}

/** One line for the log: never a token (scrubbed), with the error's code when it has one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return "unknown error";
  const code = (error as Error & { code?: unknown }).code;
  return redact(typeof code === "string" ? `${error.message} (${code})` : error.message);
}
