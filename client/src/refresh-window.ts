import type { StoredToken } from "./types.js";

const FLOOR_MS = 300_000;
/** Refresh moments are spread over up to this fraction of the window ahead of it. */
const REFRESH_JITTER = 0.2;

/**
 * How long before expiry a token is replaced: min(max(300 s, 10 % of its lifetime), 50 % of its lifetime).
 * A 1 h token is replaced in its last 6 minutes, a 12 h token in its last 72, a 60 s token in its last 30 s.
 */
export function refreshWindowMs(lifetimeMs: number): number {
  return Math.min(Math.max(FLOOR_MS, 0.1 * lifetimeMs), 0.5 * lifetimeMs);
}

export interface TokenTimes {
  /** Client clock (ms) after which the token must not be used. */
  expiresAt: number;
  /** Client clock (ms) from which a new token is fetched. */
  refreshAt: number;
}

/** X-Amz-Date has whole seconds: a token can end up to a second before "asked + lifetime". */
const SIGNING_GRANULARITY_MS = 1000;

/**
 * Where a token stands on the client's clock. Its expiry is measured from the moment the client asked
 * for it plus the lifetime the server reports (`expiresInSeconds`, which already accounts for signing
 * credentials that expire sooner), minus a second: the server signed no earlier than that moment, so
 * the estimate is never late, and a client clock that is off by minutes or hours cannot stretch or
 * shrink it. `jitter` in [0, 1) moves the refresh up to {@link REFRESH_JITTER} of the window earlier,
 * so a fleet started together does not refresh together.
 */
export function tokenTimes(stored: StoredToken, jitter: number): TokenTimes {
  const lifetimeMs = Math.max(0, stored.token.expiresInSeconds * 1000);
  const expiresAt = stored.requestedAt + lifetimeMs - SIGNING_GRANULARITY_MS;
  const window = refreshWindowMs(lifetimeMs) * (1 + REFRESH_JITTER * Math.min(Math.max(jitter, 0), 1));
  return { expiresAt, refreshAt: expiresAt - window };
}
