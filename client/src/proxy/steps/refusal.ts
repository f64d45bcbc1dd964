/** Step 1, refusal: whether the proxy serves this request at all. Reads headers only, never the body. */
import type { IncomingMessage } from "node:http";
import { errorAnswer, type ProxyAnswer } from "../answer.js";
import { browserRefusal, proxyKeyRefusal } from "../guard.js";

export interface Guard {
  /** The Host values that name the listener. */
  hosts: ReadonlySet<string>;
  /** The digest of the key callers must present, when the proxy demands one. */
  key: Buffer | undefined;
  /** The body of `GET /healthz`, the proxy's own (no key needed: a health check holds none). */
  health?: string;
}

/**
 * The proxy's own answer to a request it does not forward (a refusal, OPTIONS, its health), or undefined
 * for one that goes on. The checks come first: the catalog, and the body read for its model, are the caller's
 * business only once it is known to be a local, non-browser caller with the key.
 */
export function refusal(req: IncomingMessage, guard: Guard): ProxyAnswer | undefined {
  if (!(req.url ?? "/").startsWith("/")) return errorAnswer(400, "bad_request", "the proxy only accepts origin-form request targets (a path)");
  const browser = browserRefusal(req.headers, guard.hosts);
  if (browser !== undefined) return browser;
  // A preflight would carry the token to Mantle and bring its CORS grants back: answer it here, granting nothing.
  if (req.method === "OPTIONS") return { kind: "answer", status: 204, body: "" };
  if (guard.health !== undefined && (req.method === "GET" || req.method === "HEAD") && (req.url ?? "/").split("?")[0] === "/healthz") {
    return { kind: "answer", status: 200, body: guard.health };
  }
  return proxyKeyRefusal(req.headers, guard.key);
}
