import { TOKEN_MAX_TTL_SECONDS } from "../config.js";
import type { Grant } from "../grants/index.js";
import { bumpConfigVersion, parameterPaths, type ParameterPaths, type ParameterStore } from "../store/index.js";

/**
 * What a new principal (a key, an identity policy) may do unless its flags narrow it: every region,
 * and the largest TTL any token can have, i.e. "whatever the server allows".
 */
const NEW_PRINCIPAL_GRANT: Readonly<Grant> = { regions: ["*"], maxTtlSeconds: TOKEN_MAX_TTL_SECONDS };

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

  /** A new principal's grant: the defaults, then what its flags give (a field given as undefined keeps its default). */
  protected newGrant(given: Partial<Grant>): Grant {
    const grant: Grant = { ...NEW_PRINCIPAL_GRANT, regions: [...NEW_PRINCIPAL_GRANT.regions] };
    for (const [field, value] of Object.entries(given)) if (value !== undefined) Object.assign(grant, { [field]: value });
    return grant;
  }

  /** Ends every write: running services reload what they hold within a poll interval. */
  protected changed(): Promise<void> {
    return bumpConfigVersion(this.store, this.paths);
  }
}
