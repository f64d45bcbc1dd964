import { sameModels, type Catalog, type CatalogModel } from "./models.js";
import { NO_OVERRIDES, servedEtag, serveModels, type Overrides, type ServedModel } from "./overrides.js";
import { InconsistentCatalogError, type CatalogStore } from "./store.js";
import { ApiError, DependencyError } from "../errors.js";
import { describeError, type Log } from "../logger.js";
import type { Clock } from "../clock.js";

/** Lists a region's models live from Mantle; throws on any failure. */
export type LiveModels = (region: string) => Promise<CatalogModel[]>;

export interface CatalogServiceOptions {
  ttlMs: number;
  /** The region's Mantle root, which the models' `baseUrl`s are built on. */
  mantleRoot: (region: string) => string;
  /** The team's overrides; none when absent. */
  overrides?: { current(): Promise<Overrides> };
  /** How soon a stale or failed region is looked at again; keeps SSM and Mantle calls bounded. */
  recheckMs?: number;
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

/** A region's served view, kept while neither the catalog nor the overrides change. */
interface View {
  catalog: Catalog;
  overrides: Overrides;
  models: ServedModel[];
  etag: string;
}

export interface RefreshOutcome {
  region: string;
  changed: boolean;
}

/**
 * Each region's model catalog, read through three layers: container memory until the
 * catalog is due, then the parameter store, then Mantle itself — the last only when the
 * store has no copy or one older than twice the TTL (the schedule is off or failing).
 * The last good catalog is never dropped: when everything fails it is served as stale.
 */
export class CatalogService {
  private readonly held = new Map<string, Held>();
  private readonly loading = new Map<string, Promise<Held>>();
  private readonly views = new Map<string, View>();
  private readonly recheckMs: number;

  constructor(
    private readonly store: CatalogStore,
    private readonly live: LiveModels,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly options: CatalogServiceOptions,
  ) {
    this.recheckMs = options.recheckMs ?? 60_000;
  }

  async get(region: string): Promise<ServedCatalog> {
    const held = this.held.get(region);
    const chosen = held !== undefined && this.clock() < held.recheckAt ? held : await this.singleFlight(region);
    const view = this.view(region, chosen.catalog, (await this.options.overrides?.current()) ?? NO_OVERRIDES);
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

  private view(region: string, catalog: Catalog, overrides: Overrides): View {
    const kept = this.views.get(region);
    if (kept !== undefined && kept.catalog === catalog && kept.overrides === overrides) return kept;
    const models = serveModels(catalog.models, overrides, this.options.mantleRoot(region));
    const view: View = { catalog, overrides, models, etag: servedEtag(models) };
    this.views.set(region, view);
    return view;
  }

  /** The scheduled path: always asks Mantle, then stores what changed. */
  async refresh(region: string): Promise<RefreshOutcome> {
    const stored = await this.readStored(region);
    const { changed } = await this.fetchAndStore(region, stored, "must");
    return { region, changed };
  }

  private singleFlight(region: string): Promise<Held> {
    let pending = this.loading.get(region);
    if (pending === undefined) {
      pending = this.load(region).finally(() => this.loading.delete(region));
      this.loading.set(region, pending);
    }
    return pending;
  }

  private async load(region: string): Promise<Held> {
    let stored: Catalog | undefined;
    let storeFailed = false;
    try {
      stored = await this.readStored(region);
    } catch (error) {
      storeFailed = true;
      this.log.warn("catalog store unreadable", { region, ...describeError(error) });
    }
    const best = newest(this.held.get(region)?.catalog, stored);
    if (best !== undefined && this.ageMs(best) <= 2 * this.options.ttlMs) return this.hold(region, best);
    try {
      return (await this.fetchAndStore(region, best, storeFailed ? "skip" : "try")).held;
    } catch (error) {
      this.log.warn("live catalog fetch failed", { region, ...describeError(error) });
      if (best !== undefined) return this.hold(region, best);
      if (storeFailed || error instanceof DependencyError) {
        throw new ApiError(503, "the model catalog cannot be read right now; try again shortly");
      }
      throw new ApiError(502, `Mantle did not return a model list for ${region}`);
    }
  }

  /** A store copy caught mid-write twice is as good as none: Mantle can answer instead. */
  private async readStored(region: string): Promise<Catalog | undefined> {
    try {
      return await this.store.read(region);
    } catch (error) {
      if (error instanceof InconsistentCatalogError) return undefined;
      throw error;
    }
  }

  /**
   * Lists the models live and stores them. A request may serve what Mantle said even when
   * storing fails ("try"), or skip the store it cannot read ("skip"); the scheduled refresh
   * exists to store, so for it a failed write is a failed refresh ("must").
   */
  private async fetchAndStore(
    region: string,
    previous: Catalog | undefined,
    persist: "must" | "try" | "skip",
  ): Promise<{ held: Held; changed: boolean }> {
    const models = await this.live(region);
    const now = new Date(this.clock()).toISOString();
    const changed = previous === undefined || !sameModels(previous.models, models);
    let catalog: Catalog = { checkedAt: now, changedAt: changed ? now : previous.changedAt, models };
    if (persist !== "skip") {
      try {
        catalog = (await this.store.write(region, catalog, previous)).catalog;
      } catch (error) {
        if (persist === "must") throw error;
        this.log.warn("could not store the catalog", { region, ...describeError(error) });
      }
    }
    return { held: this.hold(region, catalog), changed };
  }

  private hold(region: string, catalog: Catalog): Held {
    const dueAt = Date.parse(catalog.checkedAt) + this.options.ttlMs;
    const held: Held = { catalog, recheckAt: Math.max(dueAt, this.clock() + this.recheckMs) };
    this.held.set(region, held);
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
