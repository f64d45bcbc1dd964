import { readApiKeyFile } from "./api-key-file.js";
import { apiKeyCredential, identityCredential, type Credential } from "./credential.js";
import { identitySource } from "./identity-source.js";
import { MantleVendError } from "./errors.js";
import { tokenTimes, type TokenTimes } from "./refresh-window.js";
import { parseCatalog, parseRegionsResponse, parseTokenResponse, parseWhoamiResponse } from "./responses.js";
import { defaultSleep, type RetryPolicy } from "./retry.js";
import { SingleFlight } from "./single-flight.js";
import { normaliseServiceUrl, Transport } from "./transport.js";
import type {
  Catalog,
  FetchLike,
  GetTokenOptions,
  MantleVendClientOptions,
  RegionsResponse,
  WhoamiResponse,
  StoredToken,
  TokenResponse,
  TokenStore,
} from "./types.js";

/** After a failed refresh, a still-valid token is served this long before the next attempt. */
const FAILURE_COOLDOWN_MS = 10_000;
/**
 * After a failed catalog fetch, the service is not asked for that catalog again for this long: the
 * catalog held is served meanwhile (marked stale), or the failure is thrown again without asking.
 */
const CATALOG_FAILURE_COOLDOWN_MS = 60_000;
const DEFAULT_MIN_VALIDITY_SECONDS = 5;

interface TokenEntry {
  stored: StoredToken;
  times: TokenTimes;
  /** Set after a failed refresh: until then the old token is served without asking again. */
  retryAt?: number;
}

interface Outcome {
  token: TokenResponse;
  /** Fetched by this very round (as opposed to read from a cache or kept after a failed refresh). */
  fresh: boolean;
  error?: MantleVendError;
}

interface CatalogEntry {
  catalog: Catalog;
  etag: string | undefined;
  /** Client clock until which the server said the catalog may be reused without asking (max-age). */
  freshUntil: number;
  /** The catalog marked stale, made once: what is served while the service cannot be asked. */
  stale?: Catalog;
}

/** A failed catalog fetch, remembered so that the service is asked at most once per cooldown. */
interface CatalogFailure {
  error: MantleVendError;
  retryAt: number;
}

/**
 * Client of a mantle-vend service: short-lived Mantle bearer tokens, cached per region and refreshed
 * ahead of expiry, and the region's model catalog, revalidated by etag.
 */
export class MantleVendClient {
  /** The normalised service URL. */
  readonly url: string;
  /** The default region, if one was given. */
  readonly region: string | undefined;

  private readonly transport: Transport;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly store: TokenStore | undefined;
  private readonly ttlSeconds: number | undefined;
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly tokenRounds = new SingleFlight<string, Outcome>();
  private readonly catalogs = new Map<string, CatalogEntry>();
  private readonly catalogFetches = new SingleFlight<string, Catalog>();
  private readonly catalogFailures = new Map<string, CatalogFailure>();

  constructor(options: MantleVendClientOptions) {
    // `in`, not a read: Node loads its fetch implementation on first read, which a client that only
    // serves cached tokens (a `mantle-vend token` process) never needs.
    if (options.fetch === undefined && !("fetch" in globalThis)) {
      throw new MantleVendError({ status: 0, code: "invalid_options", message: "no fetch implementation: use Node 20+ or pass `fetch`" });
    }
    const given = options.fetch;
    const fetchImpl: FetchLike = given ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const credential = credentialFor(options, { url: normaliseServiceUrl(options.url), fetch: fetchImpl, timeoutMs, now: this.now });
    const retry: RetryPolicy = {
      maxRetries: options.maxRetries ?? 3,
      baseDelayMs: options.retryBaseDelayMs ?? 250,
      maxDelayMs: options.retryMaxDelayMs ?? 8_000,
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 60,
      random: this.random,
      sleep: options.sleep ?? defaultSleep,
    };
    this.transport = new Transport({
      url: options.url,
      credential,
      allowInsecureHttp: options.allowInsecureHttp === true,
      fetch: fetchImpl,
      timeoutMs,
      timeoutSleep: options.timeoutSleep ?? defaultSleep,
      now: this.now,
      retry,
    });
    this.url = this.transport.url;
    this.region = options.region === "" ? undefined : options.region;
    this.store = options.store;
    this.ttlSeconds = options.ttlSeconds;
  }

  /**
   * A bearer token for the region (default: the client's region, else the server's default for the key).
   * Served from cache until the refresh window; concurrent callers share one request; if a refresh fails
   * while the cached token is still valid, the cached token is served. With `refreshInBackground`, a
   * cached token in its refresh window is handed out at once while the new one is fetched.
   */
  async getToken(options: GetTokenOptions = {}): Promise<TokenResponse> {
    const key = this.keyFor(options.region);
    const minValidityMs = (options.minValiditySeconds ?? DEFAULT_MIN_VALIDITY_SECONDS) * 1000;
    const hit = this.servable(key, minValidityMs, false);
    if (hit !== undefined) return hit;
    const held = options.refreshInBackground === true ? this.servable(key, minValidityMs, true) : undefined;
    if (held !== undefined) {
      // A failed round keeps the held token and sets its retry moment (fetchAndRemember), so nothing is lost here.
      this.tokenRounds.run(key, () => this.fetchAndRemember(key)).catch(() => undefined);
      return held;
    }

    const outcome = await this.tokenRounds.run(key, () => this.loadOrFetch(key, minValidityMs));
    if (outcome.fresh) return outcome.token;
    const kept = this.servable(key, minValidityMs, outcome.error !== undefined);
    if (kept !== undefined) return kept;
    if (outcome.error !== undefined) throw outcome.error;
    // The shared round was started by a caller content with less remaining life: ask for a new token.
    const second = await this.tokenRounds.run(key, () => this.fetchAndRemember(key));
    if (second.fresh) return second.token;
    const last = this.servable(key, minValidityMs, true);
    if (last !== undefined) return last;
    throw second.error ?? new MantleVendError({ status: 0, code: "token_unavailable", message: "no token with enough remaining life" });
  }

  /** `() => Promise<string>` for SDKs that call it before each request (the `openai` SDK's `apiKey`). */
  tokenProvider(region?: string): () => Promise<string> {
    return async () => (await this.getToken(region === undefined ? {} : { region })).token;
  }

  /** The regions this key may use and its default region. */
  async regions(): Promise<RegionsResponse> {
    const answer = await this.transport.request({ method: "GET", path: "/v1/regions" });
    return parseRegionsResponse(answer.json);
  }

  /** Who the credential is and its grant as it applies (`GET /v1/whoami`): regions, TTL, rate limit, models, quota. */
  async whoami(): Promise<WhoamiResponse> {
    const answer = await this.transport.request({ method: "GET", path: "/v1/whoami" });
    return parseWhoamiResponse(answer.json);
  }

  /**
   * The region's model catalog. Reused while the server's `max-age` lasts, then revalidated with
   * `If-None-Match`; a `304` returns the cached catalog. Every caller gets the same deeply frozen
   * object (no copy per call): it cannot be changed, by anyone. When a fetch fails, the service is not
   * asked again for a minute: the cached catalog is served meanwhile with `stale: true`, or, with none
   * cached, the failure is thrown again at once.
   */
  async listModels(options: { region?: string } = {}): Promise<Catalog> {
    const key = this.keyFor(options.region);
    const entry = this.catalogs.get(key);
    const now = this.now();
    if (entry !== undefined && now < entry.freshUntil) return entry.catalog;
    const failure = this.catalogFailures.get(key);
    if (failure !== undefined && now < failure.retryAt) {
      if (entry !== undefined) return staleOf(entry);
      throw failure.error;
    }
    return this.catalogFetches.run(key, () => this.fetchCatalogOrStale(key));
  }

  /** Forgets cached tokens of a region, or of every region; also in the token store. Catalogs are kept: they do not depend on a token. */
  async invalidate(region?: string): Promise<void> {
    const keys =
      region === undefined
        ? [...new Set([...this.tokens.keys(), "", ...(this.region === undefined ? [] : [this.region])])]
        : [region, ...[...this.tokens.entries()].filter(([, e]) => e.stored.token.region === region).map(([k]) => k)];
    for (const key of new Set(keys)) {
      this.tokens.delete(key);
      try {
        await this.store?.delete?.(key);
      } catch {
        // The store is a cache: failing to clean it must not fail the caller.
      }
    }
  }

  // --- tokens ---------------------------------------------------------------

  private keyFor(region: string | undefined): string {
    return region ?? this.region ?? "";
  }

  /** The cached token if it has `minValidityMs` left and is before its refresh moment (or refreshing failed recently). */
  private servable(key: string, minValidityMs: number, acceptInWindow: boolean): TokenResponse | undefined {
    const entry = this.tokens.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (entry.times.expiresAt - now < minValidityMs) return undefined;
    if (now < entry.times.refreshAt) return entry.stored.token;
    if (acceptInWindow || (entry.retryAt !== undefined && now < entry.retryAt)) return entry.stored.token;
    return undefined;
  }

  private async loadOrFetch(key: string, minValidityMs: number): Promise<Outcome> {
    if (this.store !== undefined && !this.tokens.has(key)) {
      let loaded: StoredToken | undefined;
      try {
        loaded = await this.store.load(key);
      } catch {
        loaded = undefined;
      }
      if (loaded !== undefined) {
        this.remember(key, loaded);
        const hit = this.servable(key, minValidityMs, false);
        if (hit !== undefined) return { token: hit, fresh: false };
      }
    }
    return this.fetchAndRemember(key);
  }

  private async fetchAndRemember(key: string): Promise<Outcome> {
    const requestedAt = this.now();
    let token: TokenResponse;
    try {
      const body: Record<string, unknown> = {};
      if (key !== "") body["region"] = key;
      if (this.ttlSeconds !== undefined) body["ttlSeconds"] = this.ttlSeconds;
      const answer = await this.transport.request({ method: "POST", path: "/v1/tokens", body });
      token = parseTokenResponse(answer.json);
    } catch (error) {
      const failure =
        error instanceof MantleVendError
          ? error
          : new MantleVendError({ status: 0, code: "internal", message: "unexpected failure while fetching a token" });
      const entry = this.tokens.get(key);
      if (entry !== undefined && this.now() < entry.times.expiresAt) {
        entry.retryAt = this.now() + FAILURE_COOLDOWN_MS;
        return { token: entry.stored.token, fresh: false, error: failure };
      }
      throw failure;
    }
    const stored: StoredToken = { token, requestedAt };
    const keys = key === token.region ? [key] : [key, token.region];
    for (const k of keys) {
      this.remember(k, stored);
      try {
        await this.store?.save(k, stored);
      } catch {
        // Best effort: the token is good even if the cache cannot keep it.
      }
    }
    return { token, fresh: true };
  }

  private remember(key: string, stored: StoredToken): void {
    this.tokens.set(key, { stored, times: tokenTimes(stored, this.random()) });
  }

  // --- catalogs -------------------------------------------------------------

  /** A fetch whose failure is remembered for the cooldown, answered by the cached catalog when there is one. */
  private async fetchCatalogOrStale(key: string): Promise<Catalog> {
    try {
      const catalog = await this.fetchCatalog(key);
      this.catalogFailures.delete(key);
      return catalog;
    } catch (error) {
      const failure =
        error instanceof MantleVendError
          ? error
          : new MantleVendError({ status: 0, code: "internal", message: "unexpected failure while fetching the catalog" });
      this.catalogFailures.set(key, { error: failure, retryAt: this.now() + CATALOG_FAILURE_COOLDOWN_MS });
      const entry = this.catalogs.get(key);
      if (entry !== undefined) return staleOf(entry);
      throw failure;
    }
  }

  private async fetchCatalog(key: string): Promise<Catalog> {
    const path = key === "" ? "/v1/models" : `/v1/models?region=${encodeURIComponent(key)}`;
    const cached = this.catalogs.get(key);
    const requestedAt = this.now();
    const headers: Record<string, string> = cached?.etag === undefined ? {} : { "if-none-match": cached.etag };
    let answer = await this.transport.request({ method: "GET", path, headers });
    if (answer.status === 304) {
      if (cached !== undefined) {
        cached.freshUntil = requestedAt + maxAgeMs(answer.headers.get("cache-control"));
        return cached.catalog;
      }
      answer = await this.transport.request({ method: "GET", path });
    }
    const catalog = parseCatalog(answer.json);
    this.catalogs.set(key, {
      catalog,
      etag: answer.headers.get("etag") ?? undefined,
      freshUntil: requestedAt + maxAgeMs(answer.headers.get("cache-control")),
    });
    return catalog;
  }
}

/** The cached catalog marked `stale: true`, made once per cached catalog and frozen like it. */
function staleOf(entry: CatalogEntry): Catalog {
  entry.stale ??= entry.catalog.stale ? entry.catalog : Object.freeze({ ...entry.catalog, stale: true });
  return entry.stale;
}

/** The credential the options name: exactly one of an API key, a key file or an identity. */
function credentialFor(options: MantleVendClientOptions, context: { url: string; fetch: FetchLike; timeoutMs: number; now: () => number }): Credential {
  const given = [options.apiKey, options.apiKeyFile, options.identity].filter((value) => value !== undefined).length;
  if (given !== 1) throw new MantleVendError({ status: 0, code: "invalid_options", message: "pass one of apiKey, apiKeyFile or identity" });
  const { identity } = options;
  if (identity !== undefined) {
    const source =
      typeof identity === "function"
        ? identity
        : identitySource(identity, { url: context.url, env: options.env ?? process.env, http: { fetch: context.fetch, timeoutMs: context.timeoutMs }, now: context.now });
    return identityCredential(source, context.now);
  }
  const apiKey = options.apiKeyFile === undefined ? options.apiKey : readApiKeyFile(options.apiKeyFile);
  if (typeof apiKey !== "string" || apiKey.trim() === "" || /\s/.test(apiKey)) {
    throw new MantleVendError({ status: 0, code: "invalid_options", message: "the API key is missing or contains whitespace" });
  }
  return apiKeyCredential(apiKey);
}

/** `cache-control: max-age=N` in ms; 0 when absent or when the answer must not be reused. */
function maxAgeMs(cacheControl: string | null): number {
  if (cacheControl === null) return 0;
  const directives = cacheControl.toLowerCase().split(",").map((d) => d.trim());
  if (directives.some((d) => d === "no-store" || d === "no-cache")) return 0;
  const maxAge = directives.map((d) => /^max-age=(\d+)$/.exec(d)?.[1]).find((v) => v !== undefined);
  return maxAge === undefined ? 0 : Number(maxAge) * 1000;
}
