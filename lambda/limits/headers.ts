import type { LimitHeaders } from "../errors.js";

/** One limit as the RateLimit fields describe it. */
export interface LimitState {
  /** The policy's name: `rate` (the fleet-wide rate window) or `day` (the daily quota). */
  policy: "rate" | "day";
  quota: number;
  windowSeconds: number;
  /** Unknown when the count could not be read (the table failed open). */
  remaining?: number;
  resetSeconds?: number;
}

/**
 * The `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers (-09): Structured
 * Field lists of quoted policy names with `q` (quota) and `w` (window, seconds), and `r` (remaining) and
 * `t` (seconds until the window resets). `RateLimit` lists only the limits whose count is known.
 */
export function rateLimitHeaders(states: readonly LimitState[]): LimitHeaders {
  const headers: Record<string, string> = {};
  if (states.length === 0) return headers;
  headers["ratelimit-policy"] = states.map((s) => `"${s.policy}";q=${s.quota};w=${s.windowSeconds}`).join(", ");
  const known = states.filter((s) => s.remaining !== undefined && s.resetSeconds !== undefined);
  if (known.length > 0) headers["ratelimit"] = known.map((s) => `"${s.policy}";r=${Math.max(0, s.remaining ?? 0)};t=${s.resetSeconds}`).join(", ");
  return headers;
}
