import { createApi, type Api } from "./http/index.js";
import { CatalogService, CatalogStore, liveModelsFromMantle, OverridesCache, OverridesStore, type Fetch, type Overrides, type Sleep } from "./catalog/index.js";
import { KeyCache, type KeyCacheOptions, RateLimiter } from "./keys/index.js";
import type { Log } from "./logger.js";
import { mantleRoot } from "./allowlist.js";
import type { ParameterStore } from "./store/index.js";
import type { CredentialSource } from "./tokens/index.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";

/** What the catalog needs: both entry points (and the local server, and tests) build it from this. */
export interface CatalogOptions {
  config: Config;
  store: ParameterStore;
  credentials: CredentialSource;
  log: Log;
  clock?: Clock;
  /** Deadline for one live `GET /v1/models`, body included (and never past the request's deadline). */
  upstreamTimeoutMs?: number;
  /** The waits a request's deadline is raced with; tests drive them from their clock. */
  sleep?: Sleep;
  /** Wait before re-reading a catalog caught mid-write. */
  catalogRetryDelayMs?: number;
  fetch?: Fetch;
}

export interface ServiceOptions extends CatalogOptions {
  version: string;
  /** Key cache polling; defaults to the Lambda behaviour (60 s ± 10 %, in the background). */
  keyPolling?: Pick<KeyCacheOptions, "pollIntervalMs" | "blockingPoll" | "random">;
}

export interface Service {
  api: Api;
  keys: KeyCache;
  catalogs: CatalogService;
}

/**
 * The read-through catalog alone: all the scheduled refresh function runs. The refresh
 * stores Mantle's list as it is, so only the serving side passes the team's overrides.
 */
export function createCatalogs(options: CatalogOptions, overrides?: { current(): Promise<Overrides> }): CatalogService {
  const { config, store, log } = options;
  const clock = options.clock ?? Date.now;
  const catalogStore = new CatalogStore(store, config.parameterPrefix, { retryDelayMs: options.catalogRetryDelayMs });
  const root = (region: string): string => mantleRoot(config, region);
  const live = liveModelsFromMantle({
    credentials: options.credentials,
    mantleRoot: root,
    timeoutMs: options.upstreamTimeoutMs,
    fetch: options.fetch,
    clock,
  });
  return new CatalogService(catalogStore, live, clock, log, {
    ttlMs: config.catalogTtlSeconds * 1000,
    deadlineMs: config.requestDeadlineMs,
    mantleRoot: root,
    overrides,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
}

/** The whole API: keys, catalogs and the HTTP layer over them, for Lambda, the local server and tests. */
export function createService(options: ServiceOptions): Service {
  const { config, store, credentials, log } = options;
  const clock = options.clock ?? Date.now;
  const overrides = new OverridesCache(new OverridesStore(store, config.parameterPrefix, options.catalogRetryDelayMs), clock, log);
  const keys = new KeyCache(store, clock, log, {
    prefix: config.parameterPrefix,
    maxAgeMs: config.keyCacheMaxAgeSeconds * 1000,
    ...options.keyPolling,
    onVersionChange: () => overrides.reload(),
  });
  const catalogs = createCatalogs(options, overrides);
  const api = createApi({ config, keys, catalogs, limiter: new RateLimiter(clock), credentials, clock, log, version: options.version });
  return { api, keys, catalogs };
}
