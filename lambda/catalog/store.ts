import { isRecord, isSha256Hex, isTimestamp } from "../guards.js";
import { isRegionName } from "../rules.js";
import { CatalogError } from "./errors.js";
import { canonicalModelsJson, sameModels, type Catalog, type CatalogModel } from "./models.js";
import { isShardCount, sha256Hex, ShardedDocument } from "./sharded.js";
import type { ParameterPaths, ParameterStore } from "../store/index.js";

export { SHARD_MAX_CHARS } from "./sharded.js";

/*
 * Storage format (docs/catalog.md), per region R under the parameter prefix P:
 *
 *   P/catalogs/R      index: {"v":1,"checkedAt","changedAt","sha256","parts":n}
 *   P/catalogs/R/<i>  shards, i = 0..n-1 (decimal, no padding)
 *
 * The payload is the UTF-8 JSON `{"v":1,"models":[…]}` with each model's keys in the
 * fixed order of `canonicalModelsJson`; the times live in the index only, so a refresh
 * that finds the same models rewrites the index and leaves the shards alone.
 * `sha256` is the lowercase hex SHA-256 of those uncompressed payload bytes: it depends
 * on the models alone, not on how a given zlib compresses them. The payload is gzipped,
 * base64-encoded (standard alphabet, padded) and the text cut into pieces of at most
 * 4,096 characters, one per Standard-tier shard parameter.
 */

const FORMAT_VERSION = 1;

/** The index parameter's content. */
export interface CatalogIndex {
  v: 1;
  checkedAt: string;
  changedAt: string;
  /** Hex SHA-256 of the uncompressed payload JSON. */
  sha256: string;
  parts: number;
}

export interface CatalogStoreOptions {
  /**
   * Wait before the one retry of an inconsistent read, giving a writer caught mid-way
   * time to finish its shards and index (a handful of sequential PutParameters).
   */
  retryDelayMs?: number;
  /** How that wait is taken (a real timer unless a test drives it). */
  sleep?: (ms: number) => Promise<void>;
}

export interface CatalogWriteResult {
  wroteShards: boolean;
  /** The catalog as now stored (its `changedAt` is the stored one when the models did not change). */
  catalog: Catalog;
}

/** A region's catalog in the parameter store: one index parameter plus gzip+base64 shards. */
export class CatalogStore {
  private readonly retryDelayMs: number | undefined;
  private readonly sleep: ((ms: number) => Promise<void>) | undefined;

  constructor(
    private readonly store: ParameterStore,
    private readonly paths: ParameterPaths,
    options: CatalogStoreOptions = {},
  ) {
    this.retryDelayMs = options.retryDelayMs;
    this.sleep = options.sleep;
  }

  indexName(region: string): string {
    return this.paths.catalog(checkRegion(region));
  }

  shardName(region: string, i: number): string {
    return this.document(region).shardName(i);
  }

  /**
   * The stored catalog, or undefined when the region has none. Shards that do not match
   * the index are retried once, since a writer may be between its shards and its index;
   * still inconsistent, it throws `InconsistentCatalogError`. Store failures propagate.
   */
  async read(region: string): Promise<Catalog | undefined> {
    const found = await this.document(region).read();
    if (found === undefined) return undefined;
    const { index, payload } = found;
    return { checkedAt: index.checkedAt, changedAt: index.changedAt, models: parsePayload(payload, region) };
  }

  /**
   * Stores `catalog`. When `previous` (the catalog last read from the store) has the
   * same models and the stored index still describes them, only the index is rewritten
   * — one PutParameter — and the stored `changedAt` is kept. Otherwise the shards and
   * the index are written as `ShardedDocument.write` does, failures putting the old
   * shards back. Either way the current index is read first: it, not `previous`, says
   * what the shards hold, since another writer may have run in between.
   */
  async write(region: string, catalog: Catalog, previous?: Catalog): Promise<CatalogWriteResult> {
    const payload = Buffer.from(payloadJson(catalog.models), "utf8");
    const document = this.document(region);
    const current = await document.readIndexQuietly();

    if (previous !== undefined && sameModels(previous.models, catalog.models) && current?.sha256 === sha256Hex(payload)) {
      const next: CatalogIndex = { ...current, checkedAt: catalog.checkedAt };
      await document.writeIndex(next);
      return { wroteShards: false, catalog: { checkedAt: next.checkedAt, changedAt: next.changedAt, models: catalog.models } };
    }
    const next = await document.write(
      payload,
      (shards) => ({ v: FORMAT_VERSION, checkedAt: catalog.checkedAt, changedAt: catalog.changedAt, ...shards }),
      current,
    );
    return { wroteShards: true, catalog: { checkedAt: next.checkedAt, changedAt: next.changedAt, models: catalog.models } };
  }

  private document(region: string): ShardedDocument<CatalogIndex> {
    return new ShardedDocument(this.store, this.indexName(region), `catalog for ${region}`, (raw) => parseIndex(raw, region), this.retryDelayMs, this.sleep);
  }
}

function payloadJson(models: readonly CatalogModel[]): string {
  return `{"v":${FORMAT_VERSION},"models":${canonicalModelsJson(models)}}`;
}

// The region becomes part of a parameter path: nothing but a region-like name may get there.
function checkRegion(region: string): string {
  if (!isRegionName(region)) throw new CatalogError(`invalid region name for the catalog store`);
  return region;
}

function parseIndex(raw: string, region: string): CatalogIndex {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new CatalogError(`catalog index for ${region} is not JSON`, { cause: error });
  }
  if (!isRecord(parsed) || parsed.v !== FORMAT_VERSION) {
    throw new CatalogError(`catalog index for ${region} is not a version ${FORMAT_VERSION} index`);
  }
  const { checkedAt, changedAt, sha256, parts } = parsed;
  if (
    !isTimestamp(checkedAt) ||
    !isTimestamp(changedAt) ||
    !isSha256Hex(sha256) ||
    !isShardCount(parts)
  ) {
    throw new CatalogError(`catalog index for ${region} is malformed`);
  }
  return { v: FORMAT_VERSION, checkedAt, changedAt, sha256, parts };
}

// Reached only when the sha256 matched, so a failure here is a bad writer, not a race.
function parsePayload(payload: Buffer, region: string): CatalogModel[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString("utf8"));
  } catch (error) {
    throw new CatalogError(`stored catalog for ${region} is not JSON`, { cause: error });
  }
  if (!isRecord(parsed) || parsed.v !== FORMAT_VERSION || !Array.isArray(parsed.models)) {
    throw new CatalogError(`stored catalog for ${region} is not a version ${FORMAT_VERSION} payload`);
  }
  return parsed.models.map((m: unknown) => {
    if (
      !isRecord(m) ||
      typeof m.id !== "string" ||
      typeof m.name !== "string" ||
      !(typeof m.ownedBy === "string" || m.ownedBy === null) ||
      !(typeof m.created === "number" || m.created === null) ||
      typeof m.reasoning !== "boolean"
    ) {
      throw new CatalogError(`stored catalog for ${region} holds a malformed model`);
    }
    return { id: m.id, name: m.name, ownedBy: m.ownedBy, created: m.created, reasoning: m.reasoning };
  });
}

