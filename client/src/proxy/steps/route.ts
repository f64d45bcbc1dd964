/** Step 2, route: where the request goes below the Mantle root, by its model and the team catalog. */
import type { IncomingMessage } from "node:http";
import type { Catalog } from "../../types.js";
import type { ProxyAnswer } from "../answer.js";
import { joined, peekBody } from "../body.js";
import { calledApi, openAiModelList, proxyDecision, requestModel, splitTarget, type Forwarding } from "../routing.js";

/** Request bodies up to this size are read for their `model`; larger ones go on unread (docs/catalog.md). */
export const MAX_ROUTED_BODY_BYTES = 1024 * 1024;

/**
 * `GET /v1/models` is answered with the team catalog; a JSON POST to an API path is read for its
 * `model` and routed by the catalog. Any other request, and any request the catalog cannot be had for,
 * goes on unchanged.
 */
export async function route(req: IncomingMessage, catalog: () => Promise<Catalog>, log: (line: string) => void): Promise<Forwarding | ProxyAnswer> {
  const target = req.url ?? "/";
  const url = splitTarget(target);
  if (req.method === "GET" && url.pathname === "/v1/models") {
    try {
      return { kind: "answer", status: 200, body: openAiModelList(await catalog()) };
    } catch (error) {
      log(`proxy: no catalog for GET /v1/models: ${error instanceof Error ? error.message : "unknown error"}`);
      const body = { error: { message: "the mantle-vend catalog cannot be read right now; try again shortly", type: "server_error", param: null, code: "catalog_unavailable" } };
      return { kind: "answer", status: 503, body: JSON.stringify(body) };
    }
  }
  // A compressed body cannot be read for its model without decompressing it: such a request goes on unread.
  if (req.method !== "POST" || calledApi(url.pathname) === undefined || req.headers["content-encoding"] !== undefined) {
    return { kind: "forward", path: target };
  }
  const peeked = await peekBody(req, MAX_ROUTED_BODY_BYTES);
  const model = peeked.complete ? requestModel(joined(peeked.chunks)) : undefined;
  if (model === undefined) return { kind: "forward", path: target, peeked };
  let known: Catalog;
  try {
    known = await catalog();
  } catch (error) {
    log(`proxy: no catalog, forwarding ${url.pathname} unrouted: ${error instanceof Error ? error.message : "unknown error"}`);
    return { kind: "forward", path: target, peeked };
  }
  const decision = proxyDecision(known, url.pathname, url.search, model);
  return decision.kind === "forward" ? { ...decision, peeked } : decision;
}

