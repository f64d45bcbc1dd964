import { createApi, type Api } from "./http/index.js";
import { CatalogService, CatalogStore, fetchUpstreamModels, OverridesCache, OverridesStore, type Fetch } from "./catalog/index.js";
import { KeyCache, type KeyCacheOptions, RateLimiter } from "./keys/index.js";
import type { Log } from "./logger.js";
import { mantleRoot } from "./allowlist.js";
import type { ParameterStore } from "./store/index.js";
import { catalogSubject, mintToken, type CredentialSource } from "./tokens/index.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";

/** A token minted only to list models lives no longer than this. */
const CATALOG_TOKEN_TTL_SECONDS = 300;

export interface ServiceOptions {
  config: Config;
  store: ParameterStore;
  credentials: CredentialSource;
  log: Log;
  version: string;
  clock?: Clock;
  /** Key cache polling; defaults to the Lambda behaviour (60 s ± 10 %, in the background). */
  keyPolling?: Pick<KeyCacheOptions, "pollIntervalMs" | "blockingPoll" | "random">;
  /** Deadline for one live `GET /v1/models`, body included. */
  upstreamTimeoutMs?: number;
  /** Wait before re-reading a catalog caught mid-write. */
  catalogRetryDelayMs?: number;
  fetch?: Fetch;
}

export interface Service {
  api: Api;
  keys: KeyCache;
  catalogs: CatalogService;
}

/** Wires the service once, for Lambda, the refresh function, the local server and tests alike. */
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
  const catalogStore = new CatalogStore(store, config.parameterPrefix, { retryDelayMs: options.catalogRetryDelayMs });
  const liveModels = async (region: string) => {
    const { token } = await mintToken(await credentials(catalogSubject(region), CATALOG_TOKEN_TTL_SECONDS), region, CATALOG_TOKEN_TTL_SECONDS);
    return fetchUpstreamModels(mantleRoot(config, region), token, options.upstreamTimeoutMs ?? 5_000, options.fetch);
  };
  const catalogs = new CatalogService(catalogStore, liveModels, clock, log, {
    ttlMs: config.catalogTtlSeconds * 1000,
    mantleRoot: (region) => mantleRoot(config, region),
    overrides,
  });
  const api = createApi({ config, keys, catalogs, limiter: new RateLimiter(clock), credentials, clock, log, version: options.version });
  return { api, keys, catalogs };
}
