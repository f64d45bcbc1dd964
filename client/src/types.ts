/** The server's answer to `POST /v1/tokens` (docs/http-api.md), passed through unchanged. */
export interface TokenResponse {
  token: string;
  tokenType: "bearer";
  region: string;
  /** `<Mantle root of the region>/v1`: the OpenAI-compatible base URL the token works against. */
  baseUrl: string;
  /** ISO-8601 UTC. */
  issuedAt: string;
  /** ISO-8601 UTC. */
  expiresAt: string;
  expiresInSeconds: number;
}

export interface RegionInfo {
  region: string;
  baseUrl: string;
}

/** The server's answer to `GET /v1/regions`: only the regions the key may use. */
export interface RegionsResponse {
  defaultRegion: string | null;
  regions: RegionInfo[];
}

/** `GET /v1/whoami`: who the credential is and its grant as it applies (docs/grants.md). */
export interface WhoamiResponse {
  principal: string;
  kind: "key" | "identity";
  name: string;
  grant: {
    regions: string[];
    maxTtlSeconds: number;
    rateLimit: { perSecond: number; burst: number };
    /** The models it may call (ids or prefixes ending in `*`); absent: every model. */
    models?: string[];
    /** Its daily token quota; absent: none. */
    mintsPerDay?: number;
  };
  /** Tokens minted today (UTC), as the answering container last counted them; null without fleet limits. */
  mintsToday: number | null;
}

/** The API families Mantle serves (docs/http-api.md, "Model fields"). */
export type ModelApi = "chat-completions" | "responses" | "messages";

/**
 * One model of a catalog. Catalogs are shared: `listModels` hands every caller the same frozen
 * object, so every field is read-only.
 */
export interface CatalogModel {
  readonly id: string;
  readonly name: string;
  readonly ownedBy?: string | null;
  /** Unix seconds, or null when Mantle does not say. */
  readonly created: number | null;
  readonly reasoning: boolean;
  /** The API families the model is called through. */
  readonly apis: readonly ModelApi[];
  /** The base URL an SDK of those families takes for this model: `<root>/v1`, `<root>/openai/v1` or `<root>/anthropic`. */
  readonly baseUrl: string;
  /** Tokens; null when unknown. */
  readonly contextWindow: number | null;
  readonly maxOutputTokens: number | null;
  /** Input modalities, e.g. `["text", "image"]`. */
  readonly input: readonly string[];
  readonly [extra: string]: unknown;
}

/** The server's answer to `GET /v1/models?region=R`, frozen (see {@link CatalogModel}). */
export interface Catalog {
  readonly region: string;
  readonly baseUrl: string;
  readonly checkedAt: string;
  readonly changedAt: string;
  readonly stale: boolean;
  readonly models: readonly CatalogModel[];
  readonly [extra: string]: unknown;
}

/** A token as a {@link TokenStore} keeps it: the server's answer and when (client clock) it was asked for. */
export interface StoredToken {
  token: TokenResponse;
  /** Client clock (ms) at the start of the request that returned the token. */
  requestedAt: number;
}

/**
 * A second-level cache behind the client's memory, e.g. {@link FileTokenCache} so that short-lived
 * processes share tokens. `key` is a region, or `""` for the server's default region. Failures are ignored.
 */
export interface TokenStore {
  load(key: string): StoredToken | undefined | Promise<StoredToken | undefined>;
  save(key: string, entry: StoredToken): void | Promise<void>;
  delete?(key: string): void | Promise<void>;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface MantleVendClientOptions {
  /** The service's URL (function URL or custom domain), e.g. `https://abc.lambda-url.us-east-1.on.aws`. */
  url: string;
  /** `mvk_<keyId>_<secret>`. Sent only in the `Authorization` header; never logged, stored or put in an error. */
  apiKey?: string;
  /** Instead of `apiKey`: a file holding it, mode 0600 or stricter and owned by this user (read once, here). */
  apiKeyFile?: string;
  /**
   * Instead of a key, an OIDC identity the service trusts (docs/identity.md): a spec —
   * `github-actions[:AUDIENCE]`, `file:PATH`, `command:CMD`, `gcp:AUDIENCE`, `azure:RESOURCE`, `login` —
   * or a function that returns a current ID token. The token is held in memory only, and asked for
   * again when it has under 60 s left or the service refused it.
   */
  identity?: string | (() => Promise<string>);
  /** The environment identity sources read (`ACTIONS_ID_TOKEN_REQUEST_URL`, `GCE_METADATA_HOST`, …). Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Default region for calls that name none; unset = the server's default for this key. */
  region?: string;
  /**
   * Send the API key over plain `http://` to a host that is not loopback (127.0.0.0/8, ::1, localhost).
   * Default false: such a URL is refused when the client is created, before any connection.
   */
  allowInsecureHttp?: boolean;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Per attempt, including reading the body. Default 10,000 ms. */
  timeoutMs?: number;
  /** Clock in ms since the epoch (for tests). Default `Date.now`. */
  now?: () => number;
  /** Uniform [0, 1) source for backoff and refresh jitter (for tests). Default `Math.random`. */
  random?: () => number;
  /** How the client waits between attempts (for tests). Default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * How the client waits out an attempt's `timeoutMs` deadline; when it resolves, the attempt is
   * aborted (for tests). `signal` aborts once the attempt finished, and the wait may stop then. Default a timer.
   */
  timeoutSleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** Backoff base: attempt n waits a uniform random time in [0, min(maxDelay, base·2^n)). Default 250 ms. */
  retryBaseDelayMs?: number;
  /** Backoff cap. Default 8,000 ms. */
  retryMaxDelayMs?: number;
  /** A `retry-after` longer than this is not waited for: the error is returned at once. Default 60 s. */
  maxRetryAfterSeconds?: number;
  /** `ttlSeconds` to ask for; unset = the server's default. */
  ttlSeconds?: number;
  /** A second-level token cache (the CLI uses a {@link FileTokenCache}). */
  store?: TokenStore;
}

export interface GetTokenOptions {
  region?: string;
  /**
   * A cached token is only handed out with at least this much life left (default 5 s); otherwise a new
   * one is fetched. A token fetched just now is always handed out.
   */
  minValiditySeconds?: number;
  /**
   * In the token's refresh window, hand out the cached token at once (when it has `minValiditySeconds`
   * left) and fetch the new one in the background, rather than wait for it: for callers that must not
   * stall on a slow service (the proxy). Default false.
   */
  refreshInBackground?: boolean;
}
