/** API keys: the stored records, the polled key cache, per-key rate limits. */
export { KeyCache, type KeyCacheOptions } from "./cache.js";
export { KeyStoreUnavailableError, UnknownKeyError } from "./errors.js";
export { RateLimiter, type Admission, type RateLimit } from "./ratelimit.js";
export {
  generateKey,
  hashKey,
  isUsable,
  keyParameter,
  keysPath,
  keysVersionParameter,
  newKeysVersion,
  parseKeyRecord,
  type Caller,
  type KeyRecord,
  type NewKey,
} from "./record.js";
