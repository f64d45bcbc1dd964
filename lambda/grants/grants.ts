import { ATTRIBUTION_MAX_SESSION_SECONDS, TOKEN_MIN_TTL_SECONDS, type Config } from "../config.js";
import { InvalidRequestError, RateLimitedError } from "../errors.js";
import type { Grant, RateLimit } from "./grant.js";
import { RegionNotAllowedError } from "./errors.js";
import type { RateLimiter } from "./limiter.js";
import type { Principal } from "./principal.js";
import { sessionPolicy, type SigningSubject } from "./session-policy.js";

/**
 * Every "may this principal…" question, answered from its grant and the server's configuration
 * (SPEC §12): regions and the default one, the TTL cap, the rate limit, the attribution session.
 * Nothing else in the service reads a grant.
 */
export class Grants {
  constructor(
    private readonly config: Config,
    private readonly limiter: RateLimiter,
  ) {}

  /** The allowlisted regions the principal may use, in allowlist order. */
  regions(principal: Principal): string[] {
    const allowed = principal.grant.regions;
    if (allowed.includes("*")) return [...this.config.regions];
    return this.config.regions.filter((region) => allowed.includes(region));
  }

  /** The service default if the principal may use it, else the first allowlisted region its grant names. */
  defaultRegion(principal: Principal): string | undefined {
    const mine = this.regions(principal);
    if (mine.includes(this.config.defaultRegion)) return this.config.defaultRegion;
    return principal.grant.regions.find((region) => mine.includes(region)) ?? mine[0];
  }

  /**
   * The region a request gets: the one it named (which must be served: else 400) or the default,
   * and one the principal may use (else 403).
   */
  region(principal: Principal, requested: string | undefined): string {
    if (requested !== undefined && !this.config.regions.includes(requested)) {
      throw new InvalidRequestError(`region must be one of: ${this.config.regions.join(", ")}`);
    }
    const region = requested ?? this.defaultRegion(principal);
    const allowed = this.regions(principal);
    if (region === undefined || !allowed.includes(region)) throw new RegionNotAllowedError(principal, region, allowed);
    return region;
  }

  /** The asked (or default) TTL, clamped to the smaller of the server's and the grant's maximum. */
  ttlSeconds(principal: Principal, requested: number | undefined): number {
    const max = Math.max(TOKEN_MIN_TTL_SECONDS, Math.min(this.serverMaxTtlSeconds(), principal.grant.maxTtlSeconds));
    return Math.min(requested ?? this.config.defaultTtlSeconds, max);
  }

  /** The server's ceiling: role chaining caps attribution-mode sessions, and so tokens, at one hour. */
  serverMaxTtlSeconds(): number {
    const { maxTtlSeconds, tokenRoleArn } = this.config;
    return tokenRoleArn === undefined ? maxTtlSeconds : Math.min(maxTtlSeconds, ATTRIBUTION_MAX_SESSION_SECONDS);
  }

  rateLimit(principal: Principal): RateLimit {
    return principal.grant.rateLimit ?? this.config.rateLimit;
  }

  /** Takes one request from the principal's bucket in this container; throws RateLimitedError (429) when empty. */
  admit(principal: Principal): void {
    const admission = this.limiter.take(principal.id, this.rateLimit(principal));
    if (!admission.admitted) throw new RateLimitedError(`rate limit exceeded for this ${principal.kind}`, admission.retryAfterSeconds);
  }

  /** The grant as it applies here: the regions it may use, the TTL ceiling and the rate limit in force. */
  effective(principal: Principal): Required<Pick<Grant, "regions" | "maxTtlSeconds" | "rateLimit">> {
    return { regions: this.regions(principal), maxTtlSeconds: this.ttlSeconds(principal, Number.MAX_SAFE_INTEGER), rateLimit: this.rateLimit(principal) };
  }

  /** The STS session the principal's tokens are signed with in attribution mode, narrowed to its grant. */
  signingSubject(principal: Principal): SigningSubject {
    return { ...principal.session, policy: sessionPolicy(this.regions(principal)) };
  }
}
