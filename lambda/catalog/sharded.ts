import { createHash } from "node:crypto";
import { setTimeout as defaultSleep } from "node:timers/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { CatalogError, InconsistentCatalogError } from "./errors.js";
import { PARAMETER_MAX_CHARS, shardParameter, type ParameterStore } from "../store/index.js";

/*
 * A document too large for one parameter (docs/catalog.md): an index parameter N holding JSON
 * with at least `sha256` and `parts`, and shards N/0 … N/<parts-1> holding the
 * gzip+base64 text of the payload, cut into Standard-tier pieces. `sha256` is the hex
 * SHA-256 of the uncompressed payload, so it depends on the content alone, not on
 * how a given zlib compresses it. Catalogs and the catalog overrides are stored so.
 */

/** Each shard fills one Standard-tier parameter. */
export const SHARD_MAX_CHARS = PARAMETER_MAX_CHARS;
/**
 * Refuse documents needing more shards: each costs a PutParameter on write and a tenth
 * of a GetParameters on read, against an account-wide SSM budget. 100 shards hold
 * about 300 KB of gzip, some tens of thousands of models.
 */
const MAX_SHARDS = 100;
// A stored payload is never near this; the bound stops a corrupt shard set from
// inflating into something that exhausts the Lambda's memory.
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const DEFAULT_RETRY_DELAY_MS = 250;

/** What every index says about its shards. */
export interface ShardIndex {
  sha256: string;
  parts: number;
}

export const sha256Hex = (payload: Uint8Array): string => createHash("sha256").update(payload).digest("hex");

/** True when `parts` is a shard count an index may carry. */
export const isShardCount = (parts: unknown): parts is number =>
  typeof parts === "number" && Number.isInteger(parts) && parts >= 1 && parts <= MAX_SHARDS;

/** One sharded document in the parameter store. `describe` names it in errors. */
export class ShardedDocument<I extends ShardIndex> {
  constructor(
    private readonly store: ParameterStore,
    readonly name: string,
    private readonly describe: string,
    /** Validates the index parameter's text; throws a CatalogError when it is not one. */
    private readonly parseIndex: (raw: string) => I,
    private readonly retryDelayMs = DEFAULT_RETRY_DELAY_MS,
    /** How the retry waits; injectable so tests can see the delay asked for without spending it. */
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  shardName(i: number): string {
    return shardParameter(this.name, i);
  }

  /**
   * The index and the payload, or undefined when there is none. Shards that do not match
   * the index are retried once, since a writer may be between its shards and its index;
   * still inconsistent, it throws `InconsistentCatalogError`. Store failures propagate.
   */
  async read(): Promise<{ index: I; payload: Buffer } | undefined> {
    try {
      return await this.readOnce();
    } catch (error) {
      if (!(error instanceof InconsistentCatalogError)) throw error;
    }
    if (this.retryDelayMs > 0) await this.sleep(this.retryDelayMs);
    try {
      return await this.readOnce();
    } catch (error) {
      if (!(error instanceof InconsistentCatalogError)) throw error;
      throw new InconsistentCatalogError(`stored ${this.describe} is inconsistent after a retry: ${error.message}`, { cause: error });
    }
  }

  /** The stored index for deciding how to write; unreadable counts as absent, since a write replaces it. */
  async readIndexQuietly(): Promise<I | undefined> {
    const raw = await this.store.get(this.name);
    if (raw === undefined) return undefined;
    try {
      return this.parseIndex(raw);
    } catch {
      return undefined;
    }
  }

  async writeIndex(index: I): Promise<void> {
    await this.store.put(this.name, JSON.stringify(index));
  }

  /**
   * Writes every shard, then the index (so a reader never meets an index naming absent
   * shards), then deletes the shards a longer stored version left beyond the new count.
   * If a shard or the index write fails, the shards it already overwrote are put back
   * before it throws (unless the index turns out to have been written after all).
   * `current` is the stored index as read just before: it says what the shards hold.
   */
  async write(payload: Buffer, makeIndex: (shards: ShardIndex) => I, current: I | undefined): Promise<I> {
    const sha256 = sha256Hex(payload);
    const text = gzipSync(payload, { level: 9 }).toString("base64");
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += SHARD_MAX_CHARS) pieces.push(text.slice(i, i + SHARD_MAX_CHARS));
    if (pieces.length > MAX_SHARDS) {
      throw new CatalogError(`${this.describe} needs ${pieces.length} shards, more than ${MAX_SHARDS}`);
    }
    // Shards are overwritten in place (their names are fixed), so the stored version's
    // shards are kept to put back if this write fails part-way: a failed write must not
    // destroy the last good document.
    const oldNames = Array.from({ length: current?.parts ?? 0 }, (_, i) => this.shardName(i));
    const oldShards = new Map((oldNames.length > 0 ? await this.store.getMany(oldNames) : []).map((p) => [p.name, p.value]));
    let failedAt = 0;
    try {
      // One at a time: PutParameter has a low default throughput, shared with the whole account.
      for (const [i, piece] of pieces.entries()) {
        failedAt = i;
        await this.store.put(this.shardName(i), piece);
      }
    } catch (error) {
      await this.restore(oldShards, failedAt);
      throw error;
    }
    const next = makeIndex({ sha256, parts: pieces.length });
    try {
      await this.writeIndex(next);
    } catch (error) {
      // A failed index put may still have been applied (a timeout, say): only when the
      // stored index does not name the new shards are the old ones put back.
      const stored = await this.readIndexQuietly().catch(() => undefined);
      if (stored?.sha256 !== sha256) await this.restore(oldShards, pieces.length - 1);
      throw error;
    }
    for (let i = pieces.length; i < oldNames.length; i += 1) await this.store.delete(this.shardName(i));
    return next;
  }

  private async readOnce(): Promise<{ index: I; payload: Buffer } | undefined> {
    const raw = await this.store.get(this.name);
    if (raw === undefined) return undefined;
    const index = this.parseIndex(raw);
    const names = Array.from({ length: index.parts }, (_, i) => this.shardName(i));
    const found = new Map((await this.store.getMany(names)).map((p) => [p.name, p.value]));
    const pieces: string[] = [];
    for (const name of names) {
      const piece = found.get(name);
      if (piece === undefined) throw new InconsistentCatalogError(`${this.describe} shard ${name} is missing`);
      pieces.push(piece);
    }
    let payload: Buffer;
    try {
      payload = gunzipSync(Buffer.from(pieces.join(""), "base64"), { maxOutputLength: MAX_PAYLOAD_BYTES });
    } catch (error) {
      throw new InconsistentCatalogError(`${this.describe} shards do not decompress`, { cause: error });
    }
    if (sha256Hex(payload) !== index.sha256) {
      throw new InconsistentCatalogError(`${this.describe} shards do not match the index's sha256`);
    }
    return { index, payload };
  }

  /**
   * Puts back the old shards 0..failed. The failed put is included because a put that
   * errored (a timeout, say) may still have been applied. Best effort: the caller gets
   * the original failure, and a shard left mixed is what readers detect anyway.
   */
  private async restore(oldShards: ReadonlyMap<string, string>, failed: number): Promise<void> {
    for (let i = 0; i <= failed; i += 1) {
      const name = this.shardName(i);
      const value = oldShards.get(name);
      if (value === undefined) continue;
      try {
        await this.store.put(name, value);
      } catch {
        return;
      }
    }
  }
}
