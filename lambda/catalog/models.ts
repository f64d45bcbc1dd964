
/** One model as the service serves it (SPEC §3 `GET /v1/models`). */
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

/** An upstream answer above this is a failure, never a catalog (SPEC §5). */
export const MAX_UPSTREAM_BYTES = 4 * 1024 * 1024;

/** Longest model id accepted; real ids are a few dozen characters. */
export const MAX_MODEL_ID_LENGTH = 200;

/** An upstream answer or a stored catalog that cannot be trusted. */
export class CatalogError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CatalogError";
  }
}

// Visible ASCII only: ids end up in URLs, headers, config files and terminal tables,
// where whitespace, control or look-alike characters would cause trouble.
const SANE_ID = /^[\x21-\x7e]+$/;

const REASONING_MARKERS = ["thinking", "reasoner", "reasoning", "deepseek.r", "gpt-oss-120b", "gpt-oss-safeguard-120b"];

/** SPEC §1: Mantle does not say which models reason, so it is inferred from the id. */
export function isReasoningModel(id: string): boolean {
  const lower = id.toLowerCase();
  return REASONING_MARKERS.some((marker) => lower.includes(marker));
}

/**
 * The models of an upstream `GET /v1/models` body. Strict about the list shape and the
 * ids, lenient about every other field: only `data[].id` is guaranteed upstream, so an
 * optional field of an unexpected type becomes null rather than failing the refresh.
 * Duplicate ids keep their first occurrence.
 */
export function parseUpstreamModels(body: Uint8Array): CatalogModel[] {
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
  if (!isObject(parsed)) throw new CatalogError("upstream model list is not a JSON object");
  if ("object" in parsed && parsed.object !== "list") {
    throw new CatalogError('upstream model list has an "object" other than "list"');
  }
  const data = parsed.data;
  if (!Array.isArray(data)) throw new CatalogError('upstream model list has no "data" array');

  const unique = new Map<string, CatalogModel>();
  data.forEach((entry: unknown, index) => {
    if (!isObject(entry)) throw new CatalogError(`upstream model ${index} is not an object`);
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
      ownedBy: typeof entry.owned_by === "string" && entry.owned_by.length > 0 ? entry.owned_by : null,
      created: isUnixSeconds(entry.created) ? entry.created : null,
      reasoning: isReasoningModel(id),
    });
  });
  return [...unique.values()].sort(byModelId);
}

/** Code-unit order, as SPEC §3 requires: independent of locale and ICU data. */
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

/**
 * RFC 9110 §13.1.2 If-None-Match: `*` matches any current representation; otherwise a
 * comma-separated list of entity tags compared weakly (a `W/` prefix on either side is
 * ignored). Entity tags may contain commas, so the list is scanned quote by quote rather
 * than split. A malformed element is skipped, not allowed to poison the others.
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const target = etag.trim().replace(/^W\//, "");
  if (!/^"[^"]*"$/.test(target)) return false;
  const header = ifNoneMatch;
  let i = 0;
  while (i < header.length) {
    const c = header[i];
    if (c === " " || c === "\t" || c === ",") {
      i += 1;
      continue;
    }
    if (c === "*") {
      // Only valid alone, but a `*` combined from several header lines means the same.
      const next = nextComma(header, i);
      if (header.slice(i + 1, next).trim() === "") return true;
      i = next;
      continue;
    }
    const open = header.startsWith("W/", i) ? i + 2 : i;
    if (header[open] !== '"') {
      i = nextComma(header, i);
      continue;
    }
    const close = header.indexOf('"', open + 1);
    if (close === -1) return false;
    if (header.slice(open, close + 1) === target) return true;
    i = close + 1;
  }
  return false;
}

function nextComma(text: string, from: number): number {
  const at = text.indexOf(",", from);
  return at === -1 ? text.length : at;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isUnixSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
