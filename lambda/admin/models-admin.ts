import { CatalogStore, checkOverrideKey, mergeOverride, overrideOf, OverridesError, OverridesStore, removeOverride, type OverrideEntry, type Overrides } from "../catalog/index.js";
import { MANTLE_REGIONS } from "../regions.js";
import type { ParameterStore } from "../store/index.js";
import { StoreAdmin } from "./store-admin.js";

/** Overrides administration over any parameter store; every write also bumps the config version, which running services poll. */
export class ModelsAdmin extends StoreAdmin {
  private readonly overrides: OverridesStore;

  constructor(store: ParameterStore, prefix: string, clock?: () => number) {
    super(store, prefix, clock);
    this.overrides = new OverridesStore(store, this.paths);
  }

  async list(): Promise<Overrides> {
    try {
      return await this.overrides.read();
    } catch (error) {
      if (!(error instanceof OverridesError)) throw error;
      throw new Error(`${error.message}; services ignore it until it is replaced (delete ${this.paths.catalogOverrides} to start over)`);
    }
  }

  /**
   * Every model id the stored catalogs of the Mantle regions list, plus the exact ids the overrides
   * name, and the regions that had a catalog. A region whose copy cannot be read counts as none.
   */
  async knownModels(): Promise<{ ids: Set<string>; regions: string[] }> {
    const catalogs = new CatalogStore(this.store, this.paths);
    const read = await Promise.all(MANTLE_REGIONS.map(async (region) => ({ region, catalog: await catalogs.read(region).catch(() => undefined) })));
    const stored = read.filter((r) => r.catalog !== undefined);
    const ids = new Set([...stored.flatMap((r) => r.catalog?.models.map((m) => m.id) ?? []), ...Object.keys(await this.list()).filter((key) => !key.endsWith("*"))]);
    return { ids, regions: stored.map((r) => r.region) };
  }

  /** Merges `change` into the key's entry and returns the entry as stored. */
  async set(key: string, change: OverrideEntry): Promise<OverrideEntry> {
    const next = mergeOverride(await this.list(), key, change);
    await this.write(next);
    return overrideOf(next, key) ?? change;
  }

  /** Removes the key's entry; false when there was none. */
  async unset(key: string): Promise<boolean> {
    const current = await this.list();
    if (overrideOf(current, checkOverrideKey(key)) === undefined) return false;
    await this.write(removeOverride(current, key));
    return true;
  }

  private async write(overrides: Overrides): Promise<void> {
    await this.overrides.write(overrides, new Date(this.clock()));
    await this.changed();
  }
}
