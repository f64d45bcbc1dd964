/*
 * The team's catalog overrides (docs/catalog.md): a document keyed by model id, or by an id
 * prefix ending in `*`, whose entries always win over the family rules. Pure: parsing,
 * validation, the `set` merge, and applying the document to a region's models.
 */
import { createHash } from "node:crypto";
import { isRecord } from "../guards.js";
import { OverridesError } from "./errors.js";
import { compareIds, type CatalogModel } from "./models.js";
import { isModelPattern, isReasoningModel, patternAdmits } from "../rules.js";
import { familyTraits, MODALITIES, MODEL_APIS, MANTLE_ROUTES, type Modality, type ModelApi, type MantleRoute } from "./routes.js";

export interface OverrideEntry {
  hidden?: boolean;
  apis?: ModelApi[];
  route?: MantleRoute;
  contextWindow?: number;
  maxOutputTokens?: number;
  reasoning?: boolean;
  input?: Modality[];
  /** The model is served although Mantle's list does not show it (exact ids only). */
  add?: boolean;
}

/** Keys in code-unit order, so equal documents serialize alike. */
export type Overrides = Readonly<Record<string, Readonly<OverrideEntry>>>;

export const NO_OVERRIDES: Overrides = Object.freeze({});

/** One model as a catalog answer carries it (docs/http-api.md, "Model fields"). */
export interface ServedModel extends CatalogModel {
  apis: ModelApi[];
  baseUrl: string;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  input: Modality[];
}

const FIELDS = ["hidden", "apis", "route", "contextWindow", "maxOutputTokens", "reasoning", "input", "add"] as const;
/**
 * The Mantle id alphabet (`openai.gpt-oss-120b`, `anthropic.claude-sonnet-4-5`, `…-v1:0`): letters,
 * digits, `.`, `-`, `_` and `:`. An override id becomes a served model id (`add`), and from there the
 * default model of every `setup` config and start line: nothing a shell, a TOML or JSON string, a URL
 * or a terminal would read as more than a word gets in. (A grant's patterns only filter ids, so they
 * keep the wider model-pattern rule of rules.ts.)
 */
const MANTLE_ID = /^[A-Za-z0-9._:-]+$/;
/** Names an object literal would not keep as ordinary keys; not model ids either. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
/** Larger than any real window (a few million tokens), small enough to be an obvious typo guard. */
const MAX_TOKEN_LIMIT = 100_000_000;

/** A model id, or a prefix ending in a single `*` (`*` alone matches every model), in the Mantle id alphabet. */
export function checkOverrideKey(key: string): string {
  const body = key.endsWith("*") ? key.slice(0, -1) : key;
  if (!isModelPattern(key) || (body !== "" && !MANTLE_ID.test(body))) {
    // Printed as JSON: the refused key may hold anything, newlines and escape sequences included.
    throw new OverridesError(`${JSON.stringify(key.slice(0, 64))} is not a model id or an id prefix ending in * (ids are letters, digits, ".", "-", "_" and ":")`);
  }
  if (RESERVED_KEYS.has(key)) throw new OverridesError(`"${key}" is reserved: __proto__, constructor and prototype are not model ids`);
  return key;
}

/** The entry of `key`, only when the document has one of its own (never one inherited from Object.prototype). */
export function overrideOf(overrides: Overrides, key: string): Readonly<OverrideEntry> | undefined {
  return Object.hasOwn(overrides, key) ? overrides[key] : undefined;
}

const isPrefixKey = (key: string): boolean => key.endsWith("*");
const isMantleRoute = (value: unknown): value is MantleRoute => MANTLE_ROUTES.some((route) => route === value);

function listOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v): v is T => allowed.some((a) => a === v))) {
    throw new OverridesError(`${field} must be a non-empty list of ${allowed.join(", ")}`);
  }
  return [...new Set(value)];
}

function tokenLimit(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1 || value > MAX_TOKEN_LIMIT) {
    throw new OverridesError(`${field} must be a whole number from 1 to ${MAX_TOKEN_LIMIT}`);
  }
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") throw new OverridesError(`${field} must be true or false`);
  return value;
}

/** Checks one entry; unknown fields, wrong types and `add` on a prefix are refused. */
export function checkOverrideEntry(key: string, raw: unknown): OverrideEntry {
  checkOverrideKey(key);
  if (!isRecord(raw)) throw new OverridesError(`the entry for ${key} must be an object`);
  const unknown = Object.keys(raw).filter((k) => !FIELDS.some((field) => field === k));
  if (unknown.length > 0) throw new OverridesError(`the entry for ${key} has unknown fields: ${unknown.join(", ").slice(0, 200)}`);
  const entry: OverrideEntry = {};
  if (raw["hidden"] !== undefined) entry.hidden = flag(raw["hidden"], "hidden");
  if (raw["apis"] !== undefined) entry.apis = listOf(raw["apis"], MODEL_APIS, "apis");
  if (raw["route"] !== undefined) {
    const route = raw["route"];
    if (!isMantleRoute(route)) throw new OverridesError(`route must be one of ${MANTLE_ROUTES.join(", ")}`);
    entry.route = route;
  }
  if (raw["contextWindow"] !== undefined) entry.contextWindow = tokenLimit(raw["contextWindow"], "contextWindow");
  if (raw["maxOutputTokens"] !== undefined) entry.maxOutputTokens = tokenLimit(raw["maxOutputTokens"], "maxOutputTokens");
  if (raw["reasoning"] !== undefined) entry.reasoning = flag(raw["reasoning"], "reasoning");
  if (raw["input"] !== undefined) entry.input = listOf(raw["input"], MODALITIES, "input");
  if (raw["add"] !== undefined) {
    entry.add = flag(raw["add"], "add");
    if (entry.add && isPrefixKey(key)) throw new OverridesError(`add needs an exact model id, not the prefix ${key}`);
  }
  if (Object.keys(entry).length === 0) throw new OverridesError(`the entry for ${key} sets nothing`);
  return entry;
}

/** A document's entries, checked, keys sorted; built as own properties, so no key can reach a prototype. */
export function checkOverrides(value: unknown): Overrides {
  if (!isRecord(value)) throw new OverridesError("the overrides must be a JSON object");
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, checkOverrideEntry(key, value[key])]));
}

/** `set`: the change merged into the key's entry (fields it names replace the old ones). */
export function mergeOverride(overrides: Overrides, key: string, change: OverrideEntry): Overrides {
  const merged = checkOverrideEntry(key, { ...overrideOf(overrides, key), ...change });
  return checkOverrides({ ...overrides, [key]: merged });
}

/** `unset`: the document without the key's entry. */
export function removeOverride(overrides: Overrides, key: string): Overrides {
  const { [key]: _removed, ...rest } = overrides;
  return rest;
}

/** The entries that apply to an id, least specific first: `*`, shorter prefixes, longer ones, the exact id. */
function entriesFor(overrides: Overrides, id: string): OverrideEntry[] {
  return Object.keys(overrides)
    .filter((key) => patternAdmits(key, id))
    .sort((a, b) => (isPrefixKey(a) ? a.length - 1 : Infinity) - (isPrefixKey(b) ? b.length - 1 : Infinity))
    .flatMap((key) => overrides[key] ?? []);
}

/** A model's served form: the family rules, then every override that applies to it; undefined when hidden. */
function serve(model: CatalogModel, overrides: Overrides, mantleRoot: string): ServedModel | undefined {
  const traits = familyTraits(model.id);
  let reasoning = model.reasoning;
  let hidden = false;
  for (const entry of entriesFor(overrides, model.id)) {
    hidden = entry.hidden ?? hidden;
    reasoning = entry.reasoning ?? reasoning;
    traits.apis = entry.apis ?? traits.apis;
    traits.route = entry.route ?? traits.route;
    traits.contextWindow = entry.contextWindow ?? traits.contextWindow;
    traits.maxOutputTokens = entry.maxOutputTokens ?? traits.maxOutputTokens;
    traits.input = entry.input ?? traits.input;
  }
  if (hidden) return undefined;
  // Fixed key order: the etag is computed over this object's JSON.
  return {
    id: model.id,
    name: model.name,
    ownedBy: model.ownedBy,
    created: model.created,
    reasoning,
    apis: [...traits.apis],
    baseUrl: `${mantleRoot}${traits.route}`,
    contextWindow: traits.contextWindow,
    maxOutputTokens: traits.maxOutputTokens,
    input: [...traits.input],
  };
}

/**
 * A region's models as a catalog answer serves them: Mantle's list plus the models the
 * overrides add, each with its rules and overrides applied, hidden ones left out, by id.
 */
export function serveModels(models: readonly CatalogModel[], overrides: Overrides, mantleRoot: string): ServedModel[] {
  const listed = new Set(models.map((m) => m.id));
  const added: CatalogModel[] = Object.entries(overrides)
    .filter(([key, entry]) => entry.add === true && !listed.has(key))
    .map(([id]) => ({ id, name: id, ownedBy: null, created: null, reasoning: isReasoningModel(id) }));
  const all = [...models, ...added].sort((a, b) => compareIds(a.id, b.id));
  return all.flatMap((model) => serve(model, overrides, mantleRoot) ?? []);
}

/**
 * A strong etag over the served models alone (rules and overrides applied), so a refresh
 * that only moves `checkedAt` keeps clients' caches valid and an override change does not.
 * Keys go in a fixed order: equal models give equal etags however their objects were built.
 */
export function servedEtag(models: readonly ServedModel[]): string {
  const canonical = models.map((m) => [m.id, m.name, m.ownedBy, m.created, m.reasoning, m.apis, m.baseUrl, m.contextWindow, m.maxOutputTokens, m.input]);
  return `"${createHash("sha256").update(JSON.stringify(canonical), "utf8").digest("base64url")}"`;
}
