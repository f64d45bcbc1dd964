import { bumpConfigVersion, parameterPaths, type ParameterPaths, type ParameterStore } from "../store/index.js";

/**
 * What every administration (keys, identity policies, catalog overrides) stands on: its store, the
 * parameter names under its prefix, a clock, and the config version that ends every write.
 */
export abstract class StoreAdmin {
  protected readonly paths: ParameterPaths;

  constructor(
    protected readonly store: ParameterStore,
    prefix: string,
    protected readonly clock: () => number = Date.now,
  ) {
    this.paths = parameterPaths(prefix);
  }

  /** Ends every write: running services reload what they hold within a poll interval. */
  protected changed(): Promise<void> {
    return bumpConfigVersion(this.store, this.paths);
  }
}
