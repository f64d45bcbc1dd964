import { isRecord, isSha256Hex, isTimestamp } from "../guards.js";
import { CatalogError, InconsistentCatalogError, OverridesError } from "./errors.js";
import { checkOverrides, NO_OVERRIDES, type Overrides } from "./overrides.js";
import { isShardCount, ShardedDocument, type ShardIndex } from "./sharded.js";
import { describeError, type Log } from "../logger.js";
import type { ParameterPaths, ParameterStore } from "../store/index.js";
import type { Clock } from "../clock.js";
import { SingleFlight } from "../single-flight.js";

/*
 * Storage format, under the parameter prefix P, sharded like a catalog (docs/catalog.md):
 *
 *   P/catalog-overrides      index: {"v":1,"updatedAt","sha256","parts":n}
 *   P/catalog-overrides/<i>  gzip+base64 shards of {"v":1,"overrides":{"<id or prefix*>":{…}}}
 */
const FORMAT_VERSION = 1;

interface OverridesIndex extends ShardIndex {
  v: 1;
  updatedAt: string;
}

function parseIndex(raw: string): OverridesIndex {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new CatalogError("the catalog overrides index is not JSON", { cause: error });
  }
  if (!isRecord(parsed) || parsed.v !== FORMAT_VERSION) throw new CatalogError("the catalog overrides index is malformed");
  const { updatedAt, sha256, parts } = parsed;
  if (!isTimestamp(updatedAt) || !isSha256Hex(sha256) || !isShardCount(parts)) {
    throw new CatalogError("the catalog overrides index is malformed");
  }
  return { v: FORMAT_VERSION, updatedAt, sha256, parts };
}

/** The overrides document in the parameter store. */
export class OverridesStore {
  private readonly document: ShardedDocument<OverridesIndex>;

  constructor(store: ParameterStore, paths: ParameterPaths, retryDelayMs?: number) {
    this.document = new ShardedDocument(store, paths.catalogOverrides, "catalog overrides", parseIndex, retryDelayMs);
  }

  /** The stored overrides (none stored: empty); throws a CatalogError when they cannot be trusted. */
  async read(): Promise<Overrides> {
    const found = await this.document.read();
    if (found === undefined) return NO_OVERRIDES;
    let parsed: unknown;
    try {
      parsed = JSON.parse(found.payload.toString("utf8"));
    } catch {
      throw new OverridesError("the stored catalog overrides are not JSON");
    }
    if (!isRecord(parsed) || parsed.v !== FORMAT_VERSION) {
      throw new OverridesError(`the stored catalog overrides are not a version ${FORMAT_VERSION} document`);
    }
    return checkOverrides(parsed.overrides);
  }

  async write(overrides: Overrides, now: Date): Promise<void> {
    const payload = Buffer.from(JSON.stringify({ v: FORMAT_VERSION, overrides: checkOverrides(overrides) }), "utf8");
    const current = await this.document.readIndexQuietly();
    await this.document.write(payload, (shards) => ({ v: FORMAT_VERSION, updatedAt: now.toISOString(), ...shards }), current);
  }
}

/**
 * The overrides a container serves with. Loaded on first use, reloaded when the service's
 * config version changes (the keys-version poll), so a change costs no steady-state call.
 * A document that cannot be read or trusted is logged and ignored: the last good one (or
 * none) keeps serving. An unreachable store is retried at most once per `retryMs`.
 */
export class OverridesCache {
  private overrides: Overrides = NO_OVERRIDES;
  private loaded = false;
  private retryAt: number | undefined;
  private readonly loads = new SingleFlight<void, "load">();

  constructor(
    private readonly store: OverridesStore,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly retryMs = 60_000,
  ) {}

  /** The overrides to serve; waits on the store only before the first load. */
  async current(): Promise<Overrides> {
    if (!this.loaded) await this.reload();
    else if (this.retryAt !== undefined && this.clock() >= this.retryAt) void this.reload();
    return this.overrides;
  }

  /** Reads the document again; concurrent callers share one read. Never throws. */
  reload(): Promise<void> {
    return this.loads.run("load", () => this.load());
  }

  private async load(): Promise<void> {
    try {
      this.overrides = await this.store.read();
      this.retryAt = undefined;
      this.log.info("catalog overrides loaded", { entries: Object.keys(this.overrides).length });
    } catch (error) {
      const untrusted = error instanceof CatalogError && !(error instanceof InconsistentCatalogError);
      // A corrupt document stays corrupt until the next admin write, which bumps the version again.
      this.retryAt = untrusted ? undefined : this.clock() + this.retryMs;
      this.log.warn(untrusted ? "catalog overrides ignored: the stored document is invalid" : "catalog overrides unreadable; serving the last good ones", {
        ...describeError(error),
        entries: Object.keys(this.overrides).length,
      });
    } finally {
      this.loaded = true;
    }
  }
}
