import { isRecord } from "../guards.js";
import { MANTLE_REGIONS } from "../regions.js";
import { isModelPattern, isRegionName } from "../rules.js";
import { sessionPolicy, STS_SESSION_POLICY_MAX_CHARS } from "./session-policy.js";

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
  /** Model ids or id prefixes ending in `*` it may call; absent: every model. */
  models?: string[];
  /** The most tokens it may mint in one UTC day, fleet-wide; absent: no quota. */
  mintsPerDay?: number;
}

/** More patterns than this is a list of models better written as prefixes. */
const MAX_MODEL_PATTERNS = 50;
/** A quota this large is a typo, not a plan (about 11,500 tokens a second all day). */
export const MAX_MINTS_PER_DAY = 1_000_000_000;

/**
 * The grant fields of a stored record, checked one by one; undefined when any is invalid, so a
 * record that does not parse grants nothing (fail closed). Unknown fields are not carried over.
 */
export function parseGrant(record: Record<string, unknown>): Grant | undefined {
  const { regions, maxTtlSeconds, rateLimit, models, mintsPerDay } = record;
  if (!Array.isArray(regions) || !regions.every((region) => region === "*" || isRegionName(region))) return undefined;
  if (typeof maxTtlSeconds !== "number" || !Number.isInteger(maxTtlSeconds) || maxTtlSeconds <= 0) return undefined;
  const grant: Grant = { regions: [...regions], maxTtlSeconds };
  if (rateLimit !== undefined) {
    if (!isRateLimit(rateLimit)) return undefined;
    grant.rateLimit = { perSecond: rateLimit.perSecond, burst: rateLimit.burst };
  }
  if (models !== undefined) {
    if (!Array.isArray(models) || !models.every((pattern): pattern is string => typeof pattern === "string")) return undefined;
    grant.models = [...models];
  }
  if (mintsPerDay !== undefined) {
    if (!isMintsPerDay(mintsPerDay)) return undefined;
    grant.mintsPerDay = mintsPerDay;
  }
  return grantProblem(grant) === undefined ? grant : undefined;
}

/** Only the grant fields of a record that carries them (a key record, an identity policy). */
export function grantOf(record: Grant): Grant {
  const { regions, maxTtlSeconds, rateLimit, models, mintsPerDay } = record;
  return {
    regions: [...regions],
    maxTtlSeconds,
    ...(rateLimit === undefined ? {} : { rateLimit: { ...rateLimit } }),
    ...(models === undefined ? {} : { models: [...models] }),
    ...(mintsPerDay === undefined ? {} : { mintsPerDay }),
  };
}

function isRateLimit(value: unknown): value is RateLimit {
  if (!isRecord(value)) return false;
  const { perSecond, burst } = value;
  return typeof perSecond === "number" && perSecond > 0 && Number.isFinite(perSecond) && typeof burst === "number" && Number.isInteger(burst) && burst >= 1;
}

function isMintsPerDay(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_MINTS_PER_DAY;
}

/** What is wrong with a grant's model patterns, or undefined; the admin CLI shows it, parseGrant refuses it. */
export function modelsProblem(models: readonly string[]): string | undefined {
  if (models.length === 0) return "needs at least one model id or id prefix ending in *";
  const bad = models.find((pattern) => !isModelPattern(pattern));
  if (bad !== undefined) return `"${bad.slice(0, 64)}" is not a model id or an id prefix ending in *`;
  if (models.length > MAX_MODEL_PATTERNS) return `takes at most ${MAX_MODEL_PATTERNS} patterns (got ${models.length}); use prefixes such as openai.*`;
  // Enforceable in either signing mode: the attribution session policy must fit STS's limit for the
  // widest region list a grant can reach, so a deployment that switches modes never breaks a key.
  const size = sessionPolicy(MANTLE_REGIONS, models).length;
  if (size > STS_SESSION_POLICY_MAX_CHARS) {
    return `make an attribution session policy of ${size} characters, over STS's limit of ${STS_SESSION_POLICY_MAX_CHARS}; use fewer or shorter patterns (prefixes such as openai.*)`;
  }
  return undefined;
}

/** What is wrong with a whole grant beyond its field types, or undefined. */
function grantProblem(grant: Grant): string | undefined {
  return grant.models === undefined ? undefined : modelsProblem(grant.models);
}
