/** Step 2, route: where the request goes below the Mantle root, by its model and the team catalog. */
import type { IncomingMessage } from "node:http";
import type { Catalog } from "../../types.js";
import { CATALOG_HEADER, type ProxyAnswer } from "../answer.js";
import { joined, peekBody } from "../body.js";
import type { CatalogView } from "../catalog.js";
import { anthropicModelList, calledApi, modelRefusal, openAiModelList, proxyDecision, requestModel, splitTarget, type Forwarding } from "../routing.js";

/** Request bodies up to this size are read for their `model`; larger ones go on unread (docs/catalog.md). */
export const MAX_ROUTED_BODY_BYTES = 1024 * 1024;

/** Where the route step learns what it decides by: the team catalog and the key's grant. */
export interface RouteSources {
  /** The catalog to route by, never waited on for long (RoutingCatalog). */
  catalog: () => Promise<CatalogView>;
  /** The models the key may call (its grant's patterns); undefined: every model. */
  grantModels: () => Promise<readonly string[] | undefined>;
}

/**
 * The model lists the proxy answers from the team catalog: the OpenAI-API models on both OpenAI
 * prefixes, the Messages models on Anthropic's, each in its API's list shape.
 */
const MODEL_LISTS: Readonly<Record<string, (catalog: Catalog) => string>> = {
  "/v1/models": openAiModelList,
  "/openai/v1/models": openAiModelList,
  "/anthropic/v1/models": anthropicModelList,
};

/** The 503 of a model list, in the shape of the API it was asked of. */
function catalogUnavailable(pathname: string): string {
  const message = "the mantle-vend catalog cannot be read right now; try again shortly";
  if (pathname.startsWith("/anthropic/")) return JSON.stringify({ type: "error", error: { type: "api_error", message } });
  return JSON.stringify({ error: { message, type: "server_error", param: null, code: "catalog_unavailable" } });
}

/**
 * `GET /v1/models` (and the other model lists) is answered with the team catalog; a JSON POST to an
 * API path is read for its `model`, refused when the key's grant does not admit it, and routed by the
 * catalog. Any other request, and any request no catalog is held for, goes on unchanged. When the
 * catalog is stale or missing, the answer says so in {@link CATALOG_HEADER}.
 */
export async function route(req: IncomingMessage, sources: RouteSources): Promise<Forwarding | ProxyAnswer> {
  const target = req.url ?? "/";
  const url = splitTarget(target);
  const list = req.method === "GET" ? MODEL_LISTS[url.pathname] : undefined;
  if (list !== undefined) {
    const view = await sources.catalog();
    const headers = view.note === undefined ? {} : { headers: { [CATALOG_HEADER]: view.note } };
    if (view.catalog !== undefined) return { kind: "answer", status: 200, body: list(view.catalog), ...headers };
    return { kind: "answer", status: 503, body: catalogUnavailable(url.pathname), ...headers };
  }
  // A compressed body cannot be read for its model without decompressing it: such a request goes on unread.
  if (req.method !== "POST" || calledApi(url.pathname) === undefined || req.headers["content-encoding"] !== undefined) {
    return { kind: "forward", path: target };
  }
  const peeked = await peekBody(req, MAX_ROUTED_BODY_BYTES);
  const model = peeked.complete ? requestModel(joined(peeked.chunks)) : undefined;
  if (model === undefined) return { kind: "forward", path: target, peeked };
  const refused = modelRefusal(url.pathname, model, await sources.grantModels());
  if (refused !== undefined) return refused;
  const { catalog: known, note } = await sources.catalog();
  if (known === undefined) return note === undefined ? { kind: "forward", path: target, peeked } : { kind: "forward", path: target, peeked, note };
  const decision = proxyDecision(known, url.pathname, url.search, model);
  if (note === undefined) return decision.kind === "forward" ? { ...decision, peeked } : decision;
  return decision.kind === "forward" ? { ...decision, peeked, note } : { ...decision, headers: { ...decision.headers, [CATALOG_HEADER]: note } };
}
