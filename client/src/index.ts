export { MantleVendClient, maxAgeMs } from "./client.js";
export { keyIdOf } from "./guards.js";
export { MantleVendError, redact } from "./errors.js";
export { readApiKeyFile } from "./api-key-file.js";
export { refreshWindowMs, tokenTimes, REFRESH_JITTER, type TokenTimes } from "./refresh-window.js";
export { backoffDelay, parseRetryAfter, type RetryPolicy } from "./retry.js";
export { FileTokenCache, defaultCacheDir, type FileTokenCacheOptions } from "./token-cache.js";
export {
  inferReasoning,
  openClawConfig,
  parseResolverRequest,
  resolveSecrets,
  OPENCLAW_PROVIDER_ID,
  OPENCLAW_SECRET_PROVIDER_ID,
  PROXY_API_KEY_PLACEHOLDER,
  RESOLVER_PASS_ENV,
  RESOLVER_PASS_ENV_KEY_FILE,
  type OpenClawConfig,
  type OpenClawConfigMode,
  type OpenClawModel,
  type ResolverRequest,
  type ResolverResponse,
} from "./openclaw.js";
export { createProxy, startProxy, PROXY_MIN_TOKEN_SECONDS, type ProxyOptions, type RunningProxy } from "./proxy.js";
export { normaliseServiceUrl } from "./transport.js";
export { EXIT } from "./exit-codes.js";
export { VERSION } from "./version.js";
export type {
  Catalog,
  CatalogModel,
  FetchLike,
  GetTokenOptions,
  MantleVendClientOptions,
  RegionInfo,
  RegionsResponse,
  StoredToken,
  TokenResponse,
  TokenStore,
} from "./types.js";
