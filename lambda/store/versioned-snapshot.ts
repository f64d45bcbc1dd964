import { DependencyUnavailableError } from "../errors.js";
import { describeError, type Log } from "../logger.js";
import { SingleFlight } from "../single-flight.js";
import type { Clock } from "../clock.js";
import type { ParameterStore } from "./types.js";

export interface VersionedSnapshotOptions<T> {
  /** The parameter whose change means "load again" (paths.configVersion). */
  versionParameter: string;
  /** Reads the whole snapshot from the store. */
  load: () => Promise<T>;
  /** What the snapshot is, for logs and the fail-closed message ("key store"). */
  what: string;
  /** Past this age without a successful sync, requests fail closed instead of using it. */
  maxAgeMs: number;
  pollIntervalMs?: number;
  /** After a failed blocking load, requests fail fast for this long instead of each calling the store. */
  retryBackoffMs?: number;
  /** Await every poll (the local file store is cheap and its changes must show at once). */
  blockingPoll?: boolean;
  random?: () => number;
  /** Called after a version change once the snapshot is loaded again (not at the first load). */
  onChange?: () => Promise<void>;
}

/** The snapshot is past its maximum age and the store cannot be read: fail closed. */
export class SnapshotUnavailableError extends DependencyUnavailableError {
  constructor(what: string, options?: { cause?: unknown }) {
    super(`the ${what} cannot be reached`, { ...options, dependency: "ssm" });
    this.name = "SnapshotUnavailableError";
  }
}

/**
 * A value loaded from the store once, then kept fresh by polling one small version parameter: a
 * request never costs a store call, and only a snapshot past its maximum age makes a request wait
 * on the store (or fail closed when the store cannot be read).
 */
export class VersionedSnapshot<T> {
  private value: T | undefined;
  private version: string | undefined;
  private syncedAt = 0;
  private nextPollAt = 0;
  private failedAt: number | undefined;
  private readonly syncs = new SingleFlight<void, "sync">();
  private readonly pollIntervalMs: number;
  private readonly retryBackoffMs: number;
  private readonly random: () => number;

  constructor(
    private readonly store: ParameterStore,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly options: VersionedSnapshotOptions<T>,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 60_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 5_000;
    this.random = options.random ?? Math.random;
  }

  /** The snapshot to serve with; throws SnapshotUnavailableError when there is none young enough. */
  async current(): Promise<T> {
    const now = this.clock();
    if (this.value === undefined || now - this.syncedAt > this.options.maxAgeMs) {
      if (this.failedAt !== undefined && now - this.failedAt < this.retryBackoffMs && this.syncs.current("sync") === undefined) {
        throw new SnapshotUnavailableError(this.options.what);
      }
      await this.sync().catch((error: unknown) => {
        throw new SnapshotUnavailableError(this.options.what, { cause: error });
      });
    } else if (now >= this.nextPollAt) {
      const poll = this.sync().catch(() => undefined);
      if (this.options.blockingPoll) await poll;
    }
    if (this.value === undefined) throw new SnapshotUnavailableError(this.options.what);
    return this.value;
  }

  /** Resolves once no background sync is running (tests and orderly shutdown wait on it). */
  async idle(): Promise<void> {
    await this.syncs.current("sync")?.catch(() => undefined);
  }

  /** Starts the cold-start load; failures are logged and retried by the first request. */
  async warm(): Promise<void> {
    await this.sync().catch(() => undefined);
  }

  /** One version check (and a load when it changed); concurrent callers share it. */
  private sync(): Promise<void> {
    return this.syncs.run("sync", () => this.syncOnce());
  }

  private async syncOnce(): Promise<void> {
    const { what } = this.options;
    try {
      const version = (await this.store.get(this.options.versionParameter)) ?? "";
      if (this.value === undefined || version !== this.version) {
        const changed = this.value !== undefined;
        this.value = await this.options.load();
        if (changed) await this.options.onChange?.();
      }
      this.version = version;
      this.syncedAt = this.clock();
      this.failedAt = undefined;
      this.log.debug(`${what} in sync`);
    } catch (error) {
      this.failedAt = this.clock();
      this.log.warn(`${what} sync failed; serving the cached copy`, {
        ...describeError(error),
        cacheAgeSeconds: this.value === undefined ? null : Math.round((this.clock() - this.syncedAt) / 1000),
      });
      throw error;
    } finally {
      const jitter = 0.9 + 0.2 * this.random();
      this.nextPollAt = this.clock() + this.pollIntervalMs * jitter;
    }
  }
}
