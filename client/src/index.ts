// `@mantle-vend/client`: the library. Exactly what client/README.md documents ("Library"); the CLI,
// the proxy (`@mantle-vend/client/proxy`) and OpenClaw (`@mantle-vend/client/openclaw`) import the
// rest from its modules. Nothing here loads node:http, node:https, node:net or node:tls.
export { MantleVendClient } from "./client.js";
export { MantleVendError } from "./errors.js";
export { FileTokenCache, type FileTokenCacheOptions } from "./token-cache.js";
export { VERSION } from "./version.js";
export type {
  Catalog,
  CatalogModel,
  FetchLike,
  GetTokenOptions,
  MantleVendClientOptions,
  ModelApi,
  RegionInfo,
  RegionsResponse,
  StoredToken,
  TokenResponse,
  TokenStore,
  WhoamiResponse,
} from "./types.js";
