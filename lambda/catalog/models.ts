import { isRecord } from "../guards.js";
import { isReasoningModel, MAX_MODEL_ID_LENGTH } from "../rules.js";
import { CatalogError, CatalogTooLargeError } from "./errors.js";

/** One model as the service serves it (`GET /v1/models`, docs/http-api.md). */
export interface CatalogModel {
  id: string;
  name: string;
  ownedBy: string | null;
  /** Unix seconds. */
  created: number | null;
  reasoning: boolean;
}

/** A region's catalog; both times are ISO-8601 UTC. */
export interface Catalog {
  /** Last successful check against Mantle. */
  checkedAt: string;
  /** When the model list last changed. */
  changedAt: string;
  /** Sorted by id in code-unit order, ids unique. */
  models: CatalogModel[];
}

/** An upstream answer above this is a failure, never a catalog (docs/catalog.md). */
export const MAX_UPSTREAM_BYTES = 4 * 1024 * 1024;

/** Longest owned_by kept; real ones are a single word. */
const MAX_OWNED_BY_LENGTH = 100;
/**
 * The largest catalog served, as the JSON of its models. Lambda refuses responses over
 * 6 MB, and the function URL's envelope escapes the body once more; a catalog this size
 * is tens of thousands of models, far beyond any real one.
 */
export const MAX_SERVED_CATALOG_BYTES = 4 * 1024 * 1024;
/** A `created` further ahead than this is not a time a model was created. */
const MAX_CREATED_AHEAD_SECONDS = 86_400;

// Visible ASCII only: ids end up in URLs, headers, config files and terminal tables,
// where whitespace, control or look-alike characters would cause trouble.
const SANE_ID = /^[\x21-\x7e]+$/;
// owned_by is shown in tables and logs: printable ASCII, spaces allowed, nothing else.
const SANE_OWNER = /^[\x20-\x7e]+$/;

/**
 * The models of an upstream `GET /v1/models` body. Strict about the list shape and the
 * ids, lenient about every other field: only `data[].id` is guaranteed upstream, so an
 * optional field of an unexpected type becomes null rather than failing the refresh.
 * Duplicate ids keep their first occurrence. Untrusted values are bounded: an owned_by
 * that is long or unprintable and a created outside 0..now+1 day become null, and a list
 * too large to serve is a failure.
 */
export function parseUpstreamModels(body: Uint8Array, nowMs: number = Date.now()): CatalogModel[] {
  if (body.byteLength > MAX_UPSTREAM_BYTES) {
    throw new CatalogError(`upstream model list is larger than ${MAX_UPSTREAM_BYTES} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch (error) {
    throw new CatalogError("upstream model list is not valid UTF-8", { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CatalogError("upstream model list is not JSON", { cause: error });
  }
  if (!isRecord(parsed)) throw new CatalogError("upstream model list is not a JSON object");
  if ("object" in parsed && parsed.object !== "list") {
    throw new CatalogError('upstream model list has an "object" other than "list"');
  }
  const data = parsed.data;
  if (!Array.isArray(data)) throw new CatalogError('upstream model list has no "data" array');

  const unique = new Map<string, CatalogModel>();
  data.forEach((entry: unknown, index) => {
    if (!isRecord(entry)) throw new CatalogError(`upstream model ${index} is not an object`);
    const id = entry.id;
    if (typeof id !== "string" || id.length === 0) {
      throw new CatalogError(`upstream model ${index} has no string id`);
    }
    if (id.length > MAX_MODEL_ID_LENGTH || !SANE_ID.test(id)) {
      // The id itself is not echoed: it is untrusted and may be huge or unprintable.
      throw new CatalogError(`upstream model ${index} has an invalid id`);
    }
    if (unique.has(id)) return;
    unique.set(id, {
      id,
      name: id,
      ownedBy: isSaneOwner(entry.owned_by) ? entry.owned_by : null,
      created: isUnixSeconds(entry.created) && entry.created <= nowMs / 1000 + MAX_CREATED_AHEAD_SECONDS ? entry.created : null,
      reasoning: isReasoningModel(id),
    });
  });
  const models = [...unique.values()].sort(byModelId);
  const servedBytes = Buffer.byteLength(canonicalModelsJson(models), "utf8");
  if (servedBytes > MAX_SERVED_CATALOG_BYTES) throw new CatalogTooLargeError(servedBytes, MAX_SERVED_CATALOG_BYTES);
  return models;
}

function isSaneOwner(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_OWNED_BY_LENGTH && SANE_OWNER.test(value);
}

/** Code-unit order, as docs/http-api.md promises: independent of locale and ICU data. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byModelId(a: CatalogModel, b: CatalogModel): number {
  return compareIds(a.id, b.id);
}

/**
 * The models as JSON with a fixed key order, so equal models always give equal text
 * whatever order their objects were built in. The stored payload uses it.
 */
export function canonicalModelsJson(models: readonly CatalogModel[]): string {
  return JSON.stringify(
    models.map((m) => ({ id: m.id, name: m.name, ownedBy: m.ownedBy, created: m.created, reasoning: m.reasoning })),
  );
}

/** Same models in the same order: equal exactly when their etags are. */
export function sameModels(a: readonly CatalogModel[], b: readonly CatalogModel[]): boolean {
  return a.length === b.length && canonicalModelsJson(a) === canonicalModelsJson(b);
}

function isUnixSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
