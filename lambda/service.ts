import { createApi, type Api } from "./http/index.js";
import { CatalogService, CatalogStore, liveModelsFromMantle, OverridesCache, OverridesStore, type Fetch, type Overrides, type TimeoutSignal } from "./catalog/index.js";
import { Grants, RateLimiter, type Authenticate } from "./grants/index.js";
import { identityAuthenticator, isCompactJws, IssuerKeySets, loadIdentities, type IdentityPolicies } from "./identity/index.js";
import { authenticateKey, loadKeys, type KeyRecords } from "./keys/index.js";
import { FleetLimits, type CounterStore } from "./limits/index.js";
import type { Log } from "./logger.js";
import { NO_METRICS, type ServiceMetrics } from "./metrics/index.js";
import { mantleRoot } from "./mantle-urls.js";
import { parameterPaths, VersionedSnapshot, type ParameterStore, type VersionedSnapshotOptions } from "./store/index.js";
import { TokenIssuer, type CredentialSource } from "./tokens/index.js";
import type { Clock } from "./clock.js";
import { realSleep, type Sleep } from "./deadline.js";
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
  /** Starts that deadline's timer (AbortSignal.timeout unless a test drives it). */
  upstreamTimeoutSignal?: TimeoutSignal;
  /** The waits a request's deadline is raced with; tests drive them from their clock. */
  sleep?: Sleep;
  /** Wait before re-reading a catalog caught mid-write. */
  catalogRetryDelayMs?: number;
  fetch?: Fetch;
}

export interface ServiceOptions extends CatalogOptions {
  version: string;
  /** The fleet's counters (the limits table, or the local file); none: per-container limits only. */
  counters?: CounterStore;
  /** Starts the limits' budget timer (tests drive it). */
  limitsTimeoutSignal?: (ms: number) => AbortSignal;
  metrics?: ServiceMetrics;
  /** Config version polling; defaults to the Lambda behaviour (60 s ± 10 %, in the background). */
  configPolling?: Pick<VersionedSnapshotOptions<Principals>, "pollIntervalMs" | "blockingPoll" | "random">;
  /** Where the issuers' discovery documents and keys are fetched (the global fetch unless a test counts). */
  identityFetch?: typeof fetch;
}

/** What a credential is checked against: the API keys and the identity policies, loaded and polled together. */
interface Principals {
  keys: KeyRecords;
  identities: IdentityPolicies;
}

export interface Service {
  api: Api;
  /** The keys and identity policies every request is authenticated against, kept fresh by the config version poll. */
  principals: VersionedSnapshot<Principals>;
  catalogs: CatalogService;
}

/**
 * The read-through catalog alone: all the scheduled refresh function runs. The refresh
 * stores Mantle's list as it is, so only the serving side passes the team's overrides.
 */
export function createCatalogs(options: CatalogOptions, overrides?: { current(): Promise<Overrides> }): CatalogService {
  const { config, store, log } = options;
  const clock = options.clock ?? Date.now;
  const catalogStore = new CatalogStore(store, parameterPaths(config.parameterPrefix), { retryDelayMs: options.catalogRetryDelayMs });
  const root = (region: string): string => mantleRoot(config, region);
  const live = liveModelsFromMantle({
    credentials: options.credentials,
    mantleRoot: root,
    timeoutMs: options.upstreamTimeoutMs,
    fetch: options.fetch,
    timeoutSignal: options.upstreamTimeoutSignal,
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
  const paths = parameterPaths(config.parameterPrefix);
  const overrides = new OverridesCache(new OverridesStore(store, paths, options.catalogRetryDelayMs), clock, log);
  const keySets = new IssuerKeySets({ log, clock, allowLoopbackHttp: config.allowLoopbackIssuers, fetchTimeoutMs: Math.min(3_000, config.requestDeadlineMs), fetch: options.identityFetch });
  const principals = new VersionedSnapshot<Principals>(store, clock, log, {
    what: "key and identity store",
    versionParameter: paths.configVersion,
    load: async () => {
      const [keys, identities] = await Promise.all([loadKeys(store, paths, log), loadIdentities(store, paths, log, { allowLoopbackHttp: config.allowLoopbackIssuers })]);
      keySets.retain(identities);
      return { keys, identities };
    },
    maxAgeMs: config.keyCacheMaxAgeSeconds * 1000,
    ...options.configPolling,
    // The overrides change under the same version, so they reload here at no extra poll.
    onChange: () => overrides.reload(),
  });
  const authenticateIdentity = identityAuthenticator({ keySets, clock, deadlineMs: config.requestDeadlineMs, sleep: options.sleep ?? realSleep });
  // A JWT is an identity's credential; anything else (an mvk_ key, garbage, nothing) is checked as a key.
  const authenticate: Authenticate = async (credential) => {
    const { keys, identities } = await principals.current();
    return credential !== undefined && isCompactJws(credential) ? authenticateIdentity(identities, credential) : authenticateKey(keys, credential, clock());
  };
  const catalogs = createCatalogs(options, overrides);
  const grants = new Grants(config, new RateLimiter(clock));
  const metrics = options.metrics ?? NO_METRICS;
  const limits =
    options.counters === undefined
      ? undefined
      : new FleetLimits(options.counters, clock, log, {
          failure: config.limitsFailure,
          // Both writes within a quarter of the request's deadline: a slow table leaves time to sign.
          budgetMs: Math.ceil(config.requestDeadlineMs / 4),
          onDependencyError: (error) => metrics.dependencyError(error.dependency ?? "dynamodb"),
          ...(options.limitsTimeoutSignal === undefined ? {} : { timeoutSignal: options.limitsTimeoutSignal }),
        });
  const tokens = new TokenIssuer(config, grants, credentials, limits);
  const api = createApi({ config, authenticate, grants, tokens, catalogs, clock, log, metrics, version: options.version });
  return { api, principals, catalogs };
}
