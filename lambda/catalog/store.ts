import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { isRecord, isRegionName, isSha256Hex, isTimestamp } from "../guards.js";
import { CatalogError, InconsistentCatalogError } from "./errors.js";
import { canonicalModelsJson, sameModels, type Catalog, type CatalogModel } from "./models.js";
import type { ParameterStore } from "../store/index.js";

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

/** Standard-tier Parameter Store limit on a value. */
export const SHARD_MAX_CHARS = 4096;
/**
 * Refuse catalogs needing more shards: each costs a PutParameter on write and a tenth
 * of a GetParameters on read, against an account-wide SSM budget. 100 shards hold
 * about 300 KB of gzip, some tens of thousands of models.
 */
export const MAX_SHARDS = 100;
const FORMAT_VERSION = 1;
// A stored payload is never near this; the bound stops a corrupt shard set from
// inflating into something that exhausts the Lambda's memory.
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const DEFAULT_RETRY_DELAY_MS = 250;

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
  private readonly prefix: string;
  private readonly retryDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: ParameterStore,
    prefix: string,
    options: CatalogStoreOptions = {},
  ) {
    this.prefix = prefix.replace(/\/+$/, "");
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.sleep = options.sleep ?? sleep;
  }

  indexName(region: string): string {
    return `${this.prefix}/catalogs/${checkRegion(region)}`;
  }

  shardName(region: string, i: number): string {
    return `${this.indexName(region)}/${i}`;
  }

  /**
   * The stored catalog, or undefined when the region has none. Shards that do not match
   * the index are retried once, since a writer may be between its shards and its index;
   * still inconsistent, it throws `InconsistentCatalogError`. Store failures propagate.
   */
  async read(region: string): Promise<Catalog | undefined> {
    try {
      return await this.readOnce(region);
    } catch (error) {
      if (!(error instanceof InconsistentCatalogError)) throw error;
    }
    if (this.retryDelayMs > 0) await this.sleep(this.retryDelayMs);
    try {
      return await this.readOnce(region);
    } catch (error) {
      if (!(error instanceof InconsistentCatalogError)) throw error;
      throw new InconsistentCatalogError(`stored catalog for ${region} is inconsistent after a retry: ${error.message}`, {
        cause: error,
      });
    }
  }

  /**
   * Stores `catalog`. When `previous` (the catalog last read from the store) has the
   * same models and the stored index still describes them, only the index is rewritten
   * — one PutParameter — and the stored `changedAt` is kept. Otherwise every shard is
   * written, then the index (so a reader never meets an index naming absent shards),
   * then the shards a longer stored version left beyond the new count are deleted; if
   * a shard or the index write fails, the shards it already overwrote are put back
   * before it throws (unless the index turns out to have been written after all).
   * Either way the current index is read first: it, not `previous`, says what the
   * shards hold, since another writer may have run in between.
   */
  async write(region: string, catalog: Catalog, previous?: Catalog): Promise<CatalogWriteResult> {
    const payload = Buffer.from(payloadJson(catalog.models), "utf8");
    const sha256 = createHash("sha256").update(payload).digest("hex");
    const indexName = this.indexName(region);
    const current = await this.readIndexQuietly(region);

    if (previous !== undefined && sameModels(previous.models, catalog.models) && current?.sha256 === sha256) {
      const next: CatalogIndex = { ...current, checkedAt: catalog.checkedAt };
      await this.store.put(indexName, JSON.stringify(next));
      return { wroteShards: false, catalog: { checkedAt: next.checkedAt, changedAt: next.changedAt, models: catalog.models } };
    }

    const text = gzipSync(payload, { level: 9 }).toString("base64");
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += SHARD_MAX_CHARS) pieces.push(text.slice(i, i + SHARD_MAX_CHARS));
    if (pieces.length > MAX_SHARDS) {
      throw new CatalogError(`catalog for ${region} needs ${pieces.length} shards, more than ${MAX_SHARDS}`);
    }
    // Shards are overwritten in place (their names are part of the documented format), so the stored version's
    // shards are kept to put back if this write fails part-way: a failed refresh must not
    // destroy the last good catalog.
    const oldNames = Array.from({ length: current?.parts ?? 0 }, (_, i) => this.shardName(region, i));
    const oldShards = new Map((oldNames.length > 0 ? await this.store.getMany(oldNames) : []).map((p) => [p.name, p.value]));
    let failedAt = 0;
    try {
      // One at a time: PutParameter has a low default throughput, shared with the whole account.
      for (const [i, piece] of pieces.entries()) {
        failedAt = i;
        await this.store.put(this.shardName(region, i), piece);
      }
    } catch (error) {
      await this.restore(region, oldShards, failedAt);
      throw error;
    }
    const next: CatalogIndex = {
      v: FORMAT_VERSION,
      checkedAt: catalog.checkedAt,
      changedAt: catalog.changedAt,
      sha256,
      parts: pieces.length,
    };
    try {
      await this.store.put(indexName, JSON.stringify(next));
    } catch (error) {
      // A failed index put may still have been applied (a timeout, say): only when the
      // stored index does not name the new shards are the old ones put back.
      const stored = await this.readIndexQuietly(region).catch(() => undefined);
      if (stored?.sha256 !== sha256) await this.restore(region, oldShards, pieces.length - 1);
      throw error;
    }
    for (let i = pieces.length; i < oldNames.length; i += 1) await this.store.delete(this.shardName(region, i));
    return { wroteShards: true, catalog: { checkedAt: next.checkedAt, changedAt: next.changedAt, models: catalog.models } };
  }

  private async readOnce(region: string): Promise<Catalog | undefined> {
    const raw = await this.store.get(this.indexName(region));
    if (raw === undefined) return undefined;
    const index = parseIndex(raw, region);
    const names = Array.from({ length: index.parts }, (_, i) => this.shardName(region, i));
    const found = new Map((await this.store.getMany(names)).map((p) => [p.name, p.value]));
    const pieces: string[] = [];
    for (const name of names) {
      const piece = found.get(name);
      if (piece === undefined) throw new InconsistentCatalogError(`catalog shard ${name} is missing`);
      pieces.push(piece);
    }
    let payload: Buffer;
    try {
      payload = gunzipSync(Buffer.from(pieces.join(""), "base64"), { maxOutputLength: MAX_PAYLOAD_BYTES });
    } catch (error) {
      throw new InconsistentCatalogError(`catalog shards for ${region} do not decompress`, { cause: error });
    }
    if (createHash("sha256").update(payload).digest("hex") !== index.sha256) {
      throw new InconsistentCatalogError(`catalog shards for ${region} do not match the index's sha256`);
    }
    return { checkedAt: index.checkedAt, changedAt: index.changedAt, models: parsePayload(payload, region) };
  }

  /**
   * Puts back the old shards 0..failed. The failed put is included because a put that
   * errored (a timeout, say) may still have been applied. Best effort: the caller gets
   * the original failure, and a shard left mixed is what readers detect anyway.
   */
  private async restore(region: string, oldShards: ReadonlyMap<string, string>, failed: number): Promise<void> {
    for (let i = 0; i <= failed; i += 1) {
      const name = this.shardName(region, i);
      const value = oldShards.get(name);
      if (value === undefined) continue;
      try {
        await this.store.put(name, value);
      } catch {
        return;
      }
    }
  }

  /** The stored index for deciding how to write; unreadable counts as absent, since the write replaces it. */
  private async readIndexQuietly(region: string): Promise<CatalogIndex | undefined> {
    const raw = await this.store.get(this.indexName(region));
    if (raw === undefined) return undefined;
    try {
      return parseIndex(raw, region);
    } catch {
      return undefined;
    }
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
    typeof parts !== "number" ||
    !Number.isInteger(parts) ||
    parts < 1 ||
    parts > MAX_SHARDS
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

