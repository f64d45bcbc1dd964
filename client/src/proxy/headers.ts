/** The headers the proxy passes on, in both directions, as raw [name, value, …] lists. */
import type { IncomingMessage } from "node:http";

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the credentials the proxy replaces. */
const DROP_REQUEST: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "authorization",
  "x-api-key",
]);
const DROP_RESPONSE: ReadonlySet<string> = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "trailer"]);

/** Incoming headers minus hop-by-hop and credential headers. */
export const requestHeaders = (req: IncomingMessage): string[] => passedHeaders(req, DROP_REQUEST);

/** Mantle's answer headers minus hop-by-hop ones. */
export const responseHeaders = (answer: IncomingMessage): string[] => passedHeaders(answer, DROP_RESPONSE);

/** A message's raw header list less the `drop` names and those its `connection` header names. */
function passedHeaders(message: IncomingMessage, drop: ReadonlySet<string>): string[] {
  const raw = message.rawHeaders;
  const named = connectionTokens(headerValue(message, "connection"));
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (drop.has(lower) || named?.has(lower) === true) continue;
    out.push(name, raw[i + 1] as string);
  }
  return out;
}

/**
 * The first value of a header, read from the raw list: `message.headers` is built on first use, and
 * the proxy's hot path has no other use for it on an answer.
 */
export function headerValue(message: IncomingMessage, name: string): string | undefined {
  const raw = message.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i];
    if (key !== undefined && key.length === name.length && key.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

function connectionTokens(value: string | undefined): Set<string> | undefined {
  // What almost every caller sends: names no header but itself, which is dropped anyway.
  if (value === undefined || /^\s*(keep-alive|close)\s*$/i.test(value)) return undefined;
  return new Set(value.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== ""));
}
