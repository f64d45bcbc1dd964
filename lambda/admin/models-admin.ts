import { checkOverrideKey, mergeOverride, OverridesError, OverridesStore, removeOverride, type OverrideEntry, type Overrides } from "../catalog/index.js";
import { keysVersionParameter, newKeysVersion } from "../keys/index.js";
import type { ParameterStore } from "../store/index.js";

/** Overrides administration over any parameter store; every write also bumps keys-version, which running services poll. */
export class ModelsAdmin {
  private readonly overrides: OverridesStore;

  constructor(
    private readonly store: ParameterStore,
    private readonly prefix: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.overrides = new OverridesStore(store, prefix);
  }

  async list(): Promise<Overrides> {
    try {
      return await this.overrides.read();
    } catch (error) {
      if (!(error instanceof OverridesError)) throw error;
      throw new Error(`${error.message}; services ignore it until it is replaced (delete ${this.prefix}/catalog-overrides to start over)`);
    }
  }

  /** Merges `change` into the key's entry and returns the entry as stored. */
  async set(key: string, change: OverrideEntry): Promise<OverrideEntry> {
    const next = mergeOverride(await this.list(), key, change);
    await this.write(next);
    return next[key] ?? change;
  }

  /** Removes the key's entry; false when there was none. */
  async unset(key: string): Promise<boolean> {
    const current = await this.list();
    if (current[checkOverrideKey(key)] === undefined) return false;
    await this.write(removeOverride(current, key));
    return true;
  }

  private async write(overrides: Overrides): Promise<void> {
    await this.overrides.write(overrides, new Date(this.clock()));
    await this.store.put(keysVersionParameter(this.prefix), newKeysVersion());
  }
}
