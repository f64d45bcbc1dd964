import { KeyStoreUnavailableError, UnknownKeyError } from "./errors.js";
import {
  bearerKey,
  isUsable,
  digestKey,
  keyParameter,
  keysPath,
  keysVersionParameter,
  parseKeyRecord,
  recordAccepts,
  type Caller,
  type KeyRecord,
} from "./record.js";
import { keyIdOf } from "../guards.js";
import { describeError, type Log } from "../logger.js";
import type { ParameterStore } from "../store/index.js";
import type { Clock } from "../clock.js";

export interface KeyCacheOptions {
  prefix: string;
  maxAgeMs: number;
  pollIntervalMs?: number;
  /** After a failed blocking load, requests fail fast for this long instead of each calling the store. */
  retryBackoffMs?: number;
  /** Await every poll (the local file store is cheap and its changes must show at once). */
  blockingPoll?: boolean;
  random?: () => number;
  /**
   * Called after a version change once the keys are loaded (not at the first load). The
   * version also stands for the catalog overrides, which reload here at no extra poll.
   */
  onVersionChange?: () => Promise<void>;
}

/**
 * All API keys, held in memory. Loaded once, then kept fresh by polling one small
 * version parameter: a request with a known or unknown key never costs a store call,
 * and only a cache past its maximum age makes a request wait on the store.
 */
export class KeyCache {
  private keys: Map<string, KeyRecord> | undefined;
  private version: string | undefined;
  private syncedAt = 0;
  private nextPollAt = 0;
  private failedAt: number | undefined;
  private inflight: Promise<void> | undefined;
  private readonly pollIntervalMs: number;
  private readonly retryBackoffMs: number;
  private readonly random: () => number;

  constructor(
    private readonly store: ParameterStore,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly options: KeyCacheOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 60_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 5_000;
    this.random = options.random ?? Math.random;
  }

  /** Resolves the caller of an `Authorization` header; throws UnknownKeyError or KeyStoreUnavailableError. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    const keys = await this.current();
    const key = bearerKey(authorization);
    const keyId = key === undefined ? undefined : keyIdOf(key);
    const record = keyId === undefined ? undefined : keys.get(keyId);
    const now = this.clock();
    // An unknown or malformed key is still hashed and compared, so it costs what a wrong secret costs.
    const matches = recordAccepts(record, digestKey(key ?? ""), now);
    if (keyId === undefined || record === undefined || !matches || !isUsable(record, now)) {
      throw new UnknownKeyError();
    }
    return { keyId, record };
  }

  /** Resolves once no background sync is running (tests and orderly shutdown wait on it). */
  async idle(): Promise<void> {
    await this.inflight?.catch(() => undefined);
  }

  /** Starts the cold-start load; failures are logged and retried by the first request. */
  async warm(): Promise<void> {
    await this.sync().catch(() => undefined);
  }

  private async current(): Promise<Map<string, KeyRecord>> {
    const now = this.clock();
    if (this.keys === undefined || now - this.syncedAt > this.options.maxAgeMs) {
      if (this.failedAt !== undefined && now - this.failedAt < this.retryBackoffMs && !this.inflight) {
        throw new KeyStoreUnavailableError();
      }
      await this.sync().catch((error: unknown) => {
        throw new KeyStoreUnavailableError({ cause: error });
      });
    } else if (now >= this.nextPollAt) {
      const poll = this.sync().catch(() => undefined);
      if (this.options.blockingPoll) await poll;
    }
    if (this.keys === undefined) throw new KeyStoreUnavailableError();
    return this.keys;
  }

  /** One version check (and a reload when it changed); concurrent callers share it. */
  private sync(): Promise<void> {
    this.inflight ??= this.syncOnce().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async syncOnce(): Promise<void> {
    try {
      const version = (await this.store.get(keysVersionParameter(this.options.prefix))) ?? "";
      if (this.keys === undefined || version !== this.version) {
        const changed = this.keys !== undefined;
        this.keys = await this.load();
        this.log.info("api keys loaded", { keyCount: this.keys.size });
        if (changed) await this.options.onVersionChange?.();
      }
      this.version = version;
      this.syncedAt = this.clock();
      this.failedAt = undefined;
      this.log.debug("api keys in sync", { keyCount: this.keys.size });
    } catch (error) {
      this.failedAt = this.clock();
      this.log.warn("api key sync failed; serving cached keys", {
        ...describeError(error),
        cacheAgeSeconds: this.keys === undefined ? null : Math.round((this.clock() - this.syncedAt) / 1000),
      });
      throw error;
    } finally {
      const jitter = 0.9 + 0.2 * this.random();
      this.nextPollAt = this.clock() + this.pollIntervalMs * jitter;
    }
  }

  private async load(): Promise<Map<string, KeyRecord>> {
    const keys = new Map<string, KeyRecord>();
    const base = keysPath(this.options.prefix);
    for (const { name, value } of await this.store.getByPath(base)) {
      const keyId = name.slice(base.length + 1);
      const record = parseKeyRecord(value);
      if (record === undefined || name !== keyParameter(this.options.prefix, keyId)) {
        this.log.warn("ignoring an unreadable api key record", { keyId });
        continue;
      }
      keys.set(keyId, record);
    }
    return keys;
  }
}
