import { MAX_SERVED_CATALOG_BYTES, sameModels, type Catalog, type CatalogModel } from "./models.js";
import { NO_OVERRIDES, servedEtag, serveModels, type Overrides, type ServedModel } from "./overrides.js";
import type { CatalogStore } from "./store.js";
import { CatalogError, CatalogTooLargeError, CatalogUnavailableError, UpstreamError, UpstreamTooLargeError } from "./errors.js";
import { DependencyUnavailableError, type ServiceError } from "../errors.js";
import { describeError, type Log } from "../logger.js";
import type { Clock } from "../clock.js";
import { SingleFlight } from "../single-flight.js";
import { realSleep, TIMED_OUT, within, type Sleep } from "../deadline.js";

/** Lists a region's models live from Mantle within `timeoutMs`; throws on any failure. */
export type LiveModels = (region: string, timeoutMs: number) => Promise<CatalogModel[]>;

export interface CatalogServiceOptions {
  ttlMs: number;
  /** The region's Mantle root, which the models' `baseUrl`s are built on. */
  mantleRoot: (region: string) => string;
  /** The team's overrides; none when absent. */
  overrides?: { current(): Promise<Overrides> };
  /**
   * How soon a stale or failed region is looked at again: at most one upstream attempt
   * per region per this interval per container, whatever the requests.
   */
  recheckMs?: number;
  /** A request's catalog path (store read, live fetch, store write) ends within this. */
  deadlineMs?: number;
  sleep?: Sleep;
}

/** A catalog as a request gets it. */
export interface ServedCatalog {
  /** As stored: Mantle's list. */
  catalog: Catalog;
  /** As served: rules and overrides applied, hidden models left out. */
  models: ServedModel[];
  /** Over `models`, so an override change moves it too. */
  etag: string;
  stale: boolean;
  /** Seconds until the catalog is due, for `cache-control: max-age`. */
  maxAgeSeconds: number;
}

interface Held {
  catalog: Catalog;
  recheckAt: number;
}

/**
 * A region's served view, kept while neither the catalog nor the overrides change. Served
 * models carry more fields than stored ones and overrides can add models, so the size cap
 * is checked again here; a view over it is kept as its error, so it is not rebuilt per request.
 */
type View = { catalog: Catalog; overrides: Overrides } & ({ models: ServedModel[]; etag: string } | { error: UpstreamTooLargeError });

/** A region that could not be served: its answer is repeated until retryAt. */
interface Failed {
  error: ServiceError;
  retryAt: number;
}

export interface RefreshOutcome {
  region: string;
  changed: boolean;
  /** When Mantle was last checked: now. */
  checkedAt: string;
}

/**
 * Each region's model catalog, read through three layers: container memory until the
 * catalog is due, then the parameter store, then Mantle itself — the last only when the
 * store has no copy or one older than twice the TTL (the schedule is off or failing).
 * The last good catalog is never dropped: when everything fails it is served as stale.
 * A failure is remembered as well as a success, so a region that cannot be served costs
 * one attempt per recheck interval, not one per request. A request's work ends by its
 * deadline: a store read or write still running then is left to finish in the background.
 */
export class CatalogService {
  private readonly held = new Map<string, Held>();
  private readonly failed = new Map<string, Failed>();
  private readonly loading = new SingleFlight<Held>();
  private readonly views = new Map<string, View>();
  private readonly recheckMs: number;
  private readonly deadlineMs: number;
  private readonly sleep: Sleep;

  constructor(
    private readonly store: CatalogStore,
    private readonly live: LiveModels,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly options: CatalogServiceOptions,
  ) {
    this.recheckMs = options.recheckMs ?? 60_000;
    this.deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
    this.sleep = options.sleep ?? realSleep;
  }

  async get(region: string): Promise<ServedCatalog> {
    const held = this.held.get(region);
    const failed = this.failed.get(region);
    if (held === undefined && failed !== undefined && this.clock() < failed.retryAt) throw failed.error;
    // The overrides are part of the answer's work, so the catalog and they share one deadline.
    const deadline = this.clock() + this.deadlineMs;
    const chosen = held !== undefined && this.clock() < held.recheckAt ? held : await this.loading.run(region, () => this.load(region));
    const view = this.view(region, chosen.catalog, await this.overridesBy(deadline));
    if ("error" in view) throw view.error;
    const dueAt = Date.parse(chosen.catalog.checkedAt) + this.options.ttlMs;
    const now = this.clock();
    return {
      catalog: chosen.catalog,
      models: view.models,
      etag: view.etag,
      stale: now > dueAt,
      maxAgeSeconds: Math.max(0, Math.floor((dueAt - now) / 1000)),
    };
  }

  /**
   * The team's overrides, or none when their first read is still running at the deadline: as when
   * the store cannot be read, Mantle's list is served as the rules give it, and the read finishes
   * in the background for the next request.
   */
  private async overridesBy(deadline: number): Promise<Overrides> {
    if (this.options.overrides === undefined) return NO_OVERRIDES;
    const read = await this.within(this.options.overrides.current(), deadline);
    if (read !== TIMED_OUT) return read;
    this.log.warn("catalog overrides not read before the request deadline; serving without them");
    return NO_OVERRIDES;
  }

  private view(region: string, catalog: Catalog, overrides: Overrides): View {
    const kept = this.views.get(region);
    if (kept !== undefined && kept.catalog === catalog && kept.overrides === overrides) return kept;
    const models = serveModels(catalog.models, overrides, this.options.mantleRoot(region));
    const bytes = Buffer.byteLength(JSON.stringify(models), "utf8");
    const view: View =
      bytes > MAX_SERVED_CATALOG_BYTES
        ? { catalog, overrides, error: new UpstreamTooLargeError(region, new CatalogTooLargeError(bytes, MAX_SERVED_CATALOG_BYTES)) }
        : { catalog, overrides, models, etag: servedEtag(models) };
    this.views.set(region, view);
    return view;
  }

  /** The scheduled path: always asks Mantle, then stores what changed. */
  async refresh(region: string): Promise<RefreshOutcome> {
    const stored = await this.readStored(region);
    const { changed, held } = await this.fetchAndStore(region, stored, "must");
    return { region, changed, checkedAt: held.catalog.checkedAt };
  }

  /** When the stored catalog of a region was last checked against Mantle; undefined when there is none. */
  async storedCheckedAt(region: string): Promise<string | undefined> {
    return (await this.readStored(region))?.checkedAt;
  }

  private async load(region: string): Promise<Held> {
    const deadline = this.clock() + this.deadlineMs;
    let stored: Catalog | undefined;
    let storeFailed = false;
    try {
      const read = await this.within(this.readStored(region), deadline);
      if (read === TIMED_OUT) throw new DependencyUnavailableError("the stored catalog was not read before the request deadline", { dependency: "ssm" });
      stored = read;
    } catch (error) {
      storeFailed = true;
      this.log.warn("catalog store unreadable", { region, ...describeError(error) });
    }
    const best = newest(this.held.get(region)?.catalog, stored);
    if (best !== undefined && this.ageMs(best) <= 2 * this.options.ttlMs) return this.hold(region, best);
    try {
      return (await this.fetchAndStore(region, best, storeFailed ? "skip" : "try", deadline)).held;
    } catch (error) {
      this.log.warn("live catalog fetch failed", { region, ...describeError(error) });
      if (best !== undefined) return this.hold(region, best);
      const answer =
        error instanceof CatalogTooLargeError
          ? new UpstreamTooLargeError(region, error)
          : storeFailed || error instanceof DependencyUnavailableError
            ? new CatalogUnavailableError({ cause: error })
            : new UpstreamError(region, { cause: error });
      this.failed.set(region, { error: answer, retryAt: this.clock() + this.recheckMs });
      throw answer;
    }
  }

  /**
   * The stored copy, or undefined when there is none worth having: a copy caught mid-write
   * twice, or an index or payload that does not parse (another format, a hand edit), is
   * treated as absent, so the next good refresh overwrites it instead of failing forever.
   */
  private async readStored(region: string): Promise<Catalog | undefined> {
    try {
      const stored = await this.store.read(region);
      return stored === undefined ? undefined : this.notFromTheFuture(stored);
    } catch (error) {
      if (!(error instanceof CatalogError)) throw error;
      this.log.warn("stored catalog unusable; treating it as absent", { region, ...describeError(error) });
      return undefined;
    }
  }

  /**
   * Lists the models live and stores them. A request may serve what Mantle said even when
   * storing fails ("try"), or skip the store it cannot read ("skip"); the scheduled refresh
   * exists to store, so for it a failed write is a failed refresh ("must"). A request's
   * write is not started once its deadline is spent, and not awaited past it.
   */
  private async fetchAndStore(
    region: string,
    previous: Catalog | undefined,
    persist: "must" | "try" | "skip",
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<{ held: Held; changed: boolean }> {
    const remaining = deadline - this.clock();
    if (remaining <= 0) throw new DependencyUnavailableError("the request deadline passed before Mantle could be asked", { dependency: "mantle" });
    const models = await this.live(region, remaining);
    const now = new Date(this.clock()).toISOString();
    const changed = previous === undefined || !sameModels(previous.models, models);
    let catalog: Catalog = { checkedAt: now, changedAt: changed ? now : previous.changedAt, models };
    if (persist === "must") {
      catalog = (await this.store.write(region, catalog, previous)).catalog;
    } else if (persist === "try") {
      catalog = (await this.tryStore(region, catalog, previous, deadline)) ?? catalog;
    }
    return { held: this.hold(region, catalog), changed };
  }

  /** The catalog as stored, or undefined when the write failed, was skipped, or is still running at the deadline. */
  private async tryStore(region: string, catalog: Catalog, previous: Catalog | undefined, deadline: number): Promise<Catalog | undefined> {
    if (this.clock() >= deadline) {
      this.log.warn("request deadline spent; serving the catalog without storing it", { region });
      return undefined;
    }
    const write = this.store.write(region, catalog, previous).then(
      (result) => result.catalog,
      (error: unknown) => {
        this.log.warn("could not store the catalog", { region, ...describeError(error) });
        return undefined;
      },
    );
    const stored = await this.within(write, deadline);
    if (stored !== TIMED_OUT) return stored;
    this.log.warn("catalog write outlived the request deadline; it finishes in the background", { region });
    return undefined;
  }

  /** `work`'s result, or TIMED_OUT once the deadline passes; the work itself is not cancelled. */
  private within<T>(work: Promise<T>, deadline: number): Promise<T | typeof TIMED_OUT> {
    return within(work, deadline - this.clock(), this.sleep);
  }

  /**
   * A stored time ahead of now (a clock gone wrong, a hand edit) is not believed: it would
   * make the catalog look fresh for years and its max-age as long. Now is the most it can be.
   */
  private notFromTheFuture(catalog: Catalog): Catalog {
    const now = this.clock();
    const clamp = (time: string): string => (Date.parse(time) > now ? new Date(now).toISOString() : time);
    return { ...catalog, checkedAt: clamp(catalog.checkedAt), changedAt: clamp(catalog.changedAt) };
  }

  private hold(region: string, catalog: Catalog): Held {
    const dueAt = Date.parse(catalog.checkedAt) + this.options.ttlMs;
    const held: Held = { catalog, recheckAt: Math.max(dueAt, this.clock() + this.recheckMs) };
    this.held.set(region, held);
    this.failed.delete(region);
    return held;
  }

  private ageMs(catalog: Catalog): number {
    return this.clock() - Date.parse(catalog.checkedAt);
  }
}

function newest(a: Catalog | undefined, b: Catalog | undefined): Catalog | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return Date.parse(a.checkedAt) >= Date.parse(b.checkedAt) ? a : b;
}
