/*
 * Per-model routing of the proxy (docs/catalog.md, "Model routes"), as pure decisions: which of Mantle's three
 * prefixes serves a model, what the proxy does with a request for it, and the answers it
 * gives itself. Mantle refuses a model on the wrong prefix; the catalog says the right one.
 */
import { isRecord } from "../guards.js";
import { mantleRoot, mantleRouteOf, type MantleRoute } from "../mantle-root.js";
import { modelAdmitted } from "../rules.js";
import type { Catalog, CatalogModel, ModelApi } from "../types.js";
import type { ProxyAnswer } from "./answer.js";
import type { PeekedBody } from "./body.js";

/** Each API on each prefix that can serve it, as a request path below the Mantle root. */
const API_PATHS: ReadonlyArray<{ route: MantleRoute; api: ModelApi; path: string }> = [
  { route: "/v1", api: "chat-completions", path: "/v1/chat/completions" },
  { route: "/v1", api: "responses", path: "/v1/responses" },
  { route: "/openai/v1", api: "chat-completions", path: "/openai/v1/chat/completions" },
  { route: "/openai/v1", api: "responses", path: "/openai/v1/responses" },
  { route: "/anthropic", api: "messages", path: "/anthropic/v1/messages" },
];

/** What a request path calls, or undefined for every other path (forwarded as it is). */
export function calledApi(pathname: string): { route: MantleRoute; api: ModelApi } | undefined {
  return API_PATHS.find((p) => p.path === pathname);
}

function pathOf(route: MantleRoute, api: ModelApi): string | undefined {
  return API_PATHS.find((p) => p.route === route && p.api === api)?.path;
}

/** A model's route: its base URL below the region's Mantle root; undefined for a model served elsewhere. */
function modelRoute(catalog: Catalog, model: CatalogModel): MantleRoute | undefined {
  return mantleRoot(model.baseUrl) === mantleRoot(catalog.baseUrl) ? mantleRouteOf(model.baseUrl) : undefined;
}

const indexes = new WeakMap<Catalog, ReadonlyMap<string, CatalogModel>>();

/** A catalog's models by id, built once per catalog (catalogs are frozen). */
function modelsById(catalog: Catalog): ReadonlyMap<string, CatalogModel> {
  let index = indexes.get(catalog);
  if (index === undefined) {
    const byId = new Map<string, CatalogModel>();
    for (const model of catalog.models) if (!byId.has(model.id)) byId.set(model.id, model);
    index = byId;
    indexes.set(catalog, index);
  }
  return index;
}

/** Characters a URL parser leaves as they are, in a path and in a query of an http URL. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const PLAIN_QUERY = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;

/**
 * A request target's path and query as a URL parser reads them (`new URL(target, base)`'s pathname
 * and search). A plain target, the usual API call, is split as it is, which is what the parser would
 * make of it; anything else (escapes, dot segments, other characters) goes through the parser.
 */
export function splitTarget(target: string): { pathname: string; search: string } {
  const q = target.indexOf("?");
  const pathname = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q + 1);
  if (PLAIN_PATH.test(pathname) && !pathname.startsWith("//") && !pathname.includes("/.") && PLAIN_QUERY.test(query)) return { pathname, search: query === "" ? "" : `?${query}` };
  const url = new URL(target, "http://proxy");
  return { pathname: url.pathname, search: url.search };
}

/** The `model` of a JSON request body, or undefined when it is not JSON or names none. */
export function requestModel(body: Buffer): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const model = isRecord(value) ? value["model"] : undefined;
  return typeof model === "string" && model !== "" ? model : undefined;
}

/**
 * Send a request on to this path below the Mantle root (query included), which may be the one it came
 * with; `peeked` is the body the route step read for the model, sent first.
 */
export interface Forwarding {
  readonly kind: "forward";
  readonly path: string;
  readonly peeked?: PeekedBody;
  /** What the answer tells the caller about the catalog it was routed by (a stale one, or none). */
  readonly note?: string;
}

/** What the proxy does with a request: forward it, or answer it itself. */
export type ProxyDecision = Forwarding | ProxyAnswer;

/**
 * What to do with a call of `pathname` for `modelId`: forward it unchanged when the catalog
 * does not know the model; refuse it (400, in the called API's own error shape, naming where
 * the model is served) when the model lacks the called API; else move it to the model's prefix.
 */
export function proxyDecision(catalog: Catalog, pathname: string, search: string, modelId: string): ProxyDecision {
  const unchanged: Forwarding = { kind: "forward", path: `${pathname}${search}` };
  const called = calledApi(pathname);
  const model = modelsById(catalog).get(modelId);
  const route = model === undefined ? undefined : modelRoute(catalog, model);
  if (called === undefined || model === undefined || route === undefined) return unchanged;
  if (!model.apis.includes(called.api)) return { kind: "answer", status: 400, body: unsupportedApi(called.api, model, route) };
  const target = pathOf(route, called.api);
  return target === undefined ? unchanged : { kind: "forward", path: `${target}${search}` };
}

/**
 * A refusal of a model the key's grant does not admit (`models` of `GET /v1/whoami`), whether or not
 * the catalog lists it: 403 in the called API's own error shape, so the caller's SDK shows why, and
 * Mantle is never asked. Undefined when the grant admits it (or names no models).
 */
export function modelRefusal(pathname: string, modelId: string, patterns: readonly string[] | undefined): ProxyAnswer | undefined {
  if (modelAdmitted(patterns, modelId)) return undefined;
  const message = `model ${modelId} is not allowed for this key: its grant admits ${(patterns ?? []).join(", ")} (mantle-vend)`;
  const body =
    calledApi(pathname)?.api === "messages"
      ? { type: "error", error: { type: "permission_error", message } }
      : { error: { message, type: "permission_error", param: "model", code: "model_not_allowed" } };
  return { kind: "answer", status: 403, body: JSON.stringify(body) };
}

function unsupportedApi(api: ModelApi, model: CatalogModel, route: MantleRoute): string {
  const served = model.apis
    .map((a) => [a, pathOf(route, a)] as const)
    .filter((entry): entry is readonly [ModelApi, string] => entry[1] !== undefined)
    .map(([a, path]) => `${a} at POST ${path}`);
  const where = served.length > 0 ? `; it is served by ${served.join(" and ")}` : "";
  const message = `model ${model.id} is not served by the ${api} API${where} (mantle-vend catalog)`;
  if (api === "messages") return JSON.stringify({ type: "error", error: { type: "invalid_request_error", message } });
  return JSON.stringify({ error: { message, type: "invalid_request_error", param: "model", code: "unsupported_api" } });
}

/** A list per catalog and shape: a catalog is frozen, so each list is written once per catalog, not once per request. */
function cachedList(cache: WeakMap<Catalog, string>, catalog: Catalog, write: (catalog: Catalog) => string): string {
  let list = cache.get(catalog);
  if (list === undefined) {
    list = write(catalog);
    cache.set(catalog, list);
  }
  return list;
}

const openAiLists = new WeakMap<Catalog, string>();
const anthropicLists = new WeakMap<Catalog, string>();

/**
 * The team catalog's models an OpenAI SDK can call (Chat Completions or Responses), in the OpenAI list
 * shape of `GET /v1/models`, for discovery-based gateways (Open WebUI, LibreChat): a Messages-only model
 * would be listed to them only to fail on every call.
 */
export function openAiModelList(catalog: Catalog): string {
  return cachedList(openAiLists, catalog, () => {
    const data = catalog.models
      .filter((m) => m.apis.includes("chat-completions") || m.apis.includes("responses"))
      .map((m) => ({
        id: m.id,
        object: "model",
        created: m.created ?? 0,
        owned_by: typeof m.ownedBy === "string" && m.ownedBy !== "" ? m.ownedBy : (m.id.split(".")[0] ?? "mantle"),
      }));
    return JSON.stringify({ object: "list", data });
  });
}

/** RFC 3339 of unix seconds; the epoch for an unknown time or one no date can hold (the catalog's is data from elsewhere). */
function isoTime(seconds: number | null): string {
  const date = new Date((seconds ?? 0) * 1000);
  return Number.isNaN(date.getTime()) ? "1970-01-01T00:00:00.000Z" : date.toISOString();
}

/** The team catalog's Messages models in Anthropic's list shape (`GET /v1/models` of the Anthropic API), one page. */
export function anthropicModelList(catalog: Catalog): string {
  return cachedList(anthropicLists, catalog, () => {
    const data = catalog.models
      .filter((m) => m.apis.includes("messages"))
      .map((m) => ({ type: "model", id: m.id, display_name: m.name, created_at: isoTime(m.created) }));
    return JSON.stringify({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  });
}
