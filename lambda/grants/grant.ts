import { isRecord } from "../guards.js";
import { isRegionName } from "../rules.js";

/** A sustained rate and the burst allowed on top of it (a token bucket). */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/**
 * What one principal may do (SPEC §12): the same fields in a key record and in an identity policy,
 * stored flat beside the record's own fields.
 */
export interface Grant {
  /** Allowlisted regions it may use, or `*` for all of them. */
  regions: string[];
  /** Its own token TTL ceiling; the server's is applied as well. */
  maxTtlSeconds: number;
  /** Its own rate limit; else the server's default. */
  rateLimit?: RateLimit;
}

/**
 * The grant fields of a stored record, checked one by one; undefined when any is invalid, so a
 * record that does not parse grants nothing (fail closed). Unknown fields are not carried over.
 */
export function parseGrant(record: Record<string, unknown>): Grant | undefined {
  const { regions, maxTtlSeconds, rateLimit } = record;
  if (!Array.isArray(regions) || !regions.every((region) => region === "*" || isRegionName(region))) return undefined;
  if (typeof maxTtlSeconds !== "number" || !Number.isInteger(maxTtlSeconds) || maxTtlSeconds <= 0) return undefined;
  const grant: Grant = { regions: [...regions], maxTtlSeconds };
  if (rateLimit !== undefined) {
    if (!isRateLimit(rateLimit)) return undefined;
    grant.rateLimit = { perSecond: rateLimit.perSecond, burst: rateLimit.burst };
  }
  return grant;
}

export function isRateLimit(value: unknown): value is RateLimit {
  if (!isRecord(value)) return false;
  const { perSecond, burst } = value;
  return typeof perSecond === "number" && perSecond > 0 && Number.isFinite(perSecond) && typeof burst === "number" && Number.isInteger(burst) && burst >= 1;
}
