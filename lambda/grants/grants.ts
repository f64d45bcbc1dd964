import { createHash } from "node:crypto";
import { ATTRIBUTION_MAX_SESSION_SECONDS, TOKEN_MIN_TTL_SECONDS, type Config } from "../config.js";
import { InvalidRequestError, RateLimitedError } from "../errors.js";
import { modelAdmitted } from "../rules.js";
import type { Grant, RateLimit } from "./grant.js";
import { RegionNotAllowedError } from "./errors.js";
import type { RateLimiter } from "./limiter.js";
import type { Principal } from "./principal.js";
import { sessionPolicy, sessionTags, type SigningSubject } from "./session-policy.js";

/** A catalog as a principal is served it: its models (anything with an id) and the etag over them. */
export interface ModelsView<M extends { readonly id: string }> {
  models: readonly M[];
  etag: string;
}

/** The grant as `/v1/whoami` shows it: what applies here, the optional fields only when set. */
export type EffectiveGrant = Required<Pick<Grant, "regions" | "maxTtlSeconds" | "rateLimit">> & Pick<Grant, "models" | "mintsPerDay">;

/** Scoped etags kept per (catalog etag, patterns): a handful of grants share a few catalogs. */
const MAX_VIEWS = 256;

/**
 * Every "may this principal…" question, answered from its grant and the server's configuration
 * (SPEC §12): regions and the default one, the TTL cap, the rate limit and daily quota, the models,
 * the attribution session. Nothing else in the service reads a grant.
 */
export class Grants {
  /** The etag of each scoped view, by catalog etag and patterns: the digest is the costly part. */
  private readonly viewEtags = new Map<string, string>();

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

  /** The most tokens the principal may mint in one UTC day across the fleet; undefined: no quota. */
  mintsPerDay(principal: Principal): number | undefined {
    return principal.grant.mintsPerDay;
  }

  /** Takes one request from the principal's bucket in this container; throws RateLimitedError (429) when empty. */
  admit(principal: Principal): void {
    const admission = this.limiter.take(principal.id, this.rateLimit(principal));
    if (!admission.admitted) throw new RateLimitedError(`rate limit exceeded for this ${principal.kind}`, admission.retryAfterSeconds);
  }

  /** Whether the principal may call a model (its grant's patterns; none: every model). */
  admitsModel(principal: Principal, id: string): boolean {
    return modelAdmitted(principal.grant.models, id);
  }

  /**
   * A region's served catalog as this principal sees it: only the models its grant admits, with an
   * etag of its own, so principals with different views never share a cached answer. The etag is the
   * catalog's own for an unscoped grant; for a scoped one it covers the catalog's etag and the admitted
   * ids, so it moves whenever the catalog does and differs between grants that see different models.
   */
  catalogView<M extends { readonly id: string }>(principal: Principal, view: ModelsView<M>): ModelsView<M> {
    const patterns = principal.grant.models;
    if (patterns === undefined) return view;
    const models = view.models.filter((model) => modelAdmitted(patterns, model.id));
    // The catalog's etag names its content, so the scoped etag for it and these patterns is the same answer.
    const key = `${view.etag}\n${patterns.join("\n")}`;
    let etag = this.viewEtags.get(key);
    if (etag === undefined) {
      etag = `"${createHash("sha256").update(key).update("\n").update(models.map((model) => model.id).join("\n")).digest("base64url")}"`;
      if (this.viewEtags.size >= MAX_VIEWS) this.viewEtags.clear();
      this.viewEtags.set(key, etag);
    }
    return { models, etag };
  }

  /** The grant as it applies here: the regions it may use, the TTL ceiling, the rate limit in force, models and quota. */
  effective(principal: Principal): EffectiveGrant {
    const { models, mintsPerDay } = principal.grant;
    return {
      regions: this.regions(principal),
      maxTtlSeconds: this.ttlSeconds(principal, Number.MAX_SAFE_INTEGER),
      rateLimit: this.rateLimit(principal),
      ...(models === undefined ? {} : { models: [...models] }),
      ...(mintsPerDay === undefined ? {} : { mintsPerDay }),
    };
  }

  /**
   * The STS session the principal's tokens are signed with in attribution mode: its policy narrowed
   * to the grant's regions and models, tagged with who it is for cost allocation.
   */
  signingSubject(principal: Principal): SigningSubject {
    const { sessionName, sourceIdentity, attributedAs } = principal.session;
    return {
      sessionName,
      sourceIdentity,
      policy: sessionPolicy(this.regions(principal), principal.grant.models),
      tags: sessionTags(attributedAs, principal.name),
    };
  }
}
