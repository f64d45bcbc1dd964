import { createHash } from "node:crypto";
import type { Claims } from "./claims.js";
import type { IdentityPolicies } from "./directory.js";

/** A token whose signature (and expiry, when it was checked) verified: what a repeat presentation skips. */
export interface VerifiedToken {
  issuer: string;
  claims: Claims;
}

interface Entry extends VerifiedToken {
  /** The policies it was verified under: a reload (a key source may have changed) means verifying again. */
  policies: IdentityPolicies;
  until: number;
}

export interface VerifiedTokensOptions {
  /** At most this many tokens are remembered; the oldest goes first. */
  maxEntries?: number;
  /** A verification is trusted this long at most: as long as the keys it used are kept. */
  maxAgeMs?: number;
  /** A token is not trusted past `exp` plus this. */
  leewayMs?: number;
}

/**
 * Tokens this container verified, per token: a workload presents the same JWT for its whole life,
 * and checking its signature again each time would cost several times the rest of the request. A
 * remembered verification lasts no longer than the issuer's keys are kept (10 minutes) nor past the
 * token's expiry, and is dropped when the policies reload; every other rule (trusted issuer, lifetime,
 * audience, claims, subject) is applied again on each request. Keyed by a hash of the whole token, so
 * only the exact bytes that verified can hit.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly leewayMs: number;

  constructor(options: VerifiedTokensOptions = {}) {
    this.maxEntries = options.maxEntries ?? 2_000;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.leewayMs = options.leewayMs ?? 60_000;
  }

  get(token: string, policies: IdentityPolicies, nowMs: number): VerifiedToken | undefined {
    const id = tokenId(token);
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.policies !== policies || nowMs >= entry.until) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  remember(token: string, verified: VerifiedToken, policies: IdentityPolicies, nowMs: number): void {
    const exp = verified.claims.exp;
    const until = Math.min(nowMs + this.maxAgeMs, typeof exp === "number" ? exp * 1000 + this.leewayMs : nowMs);
    if (until <= nowMs) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(tokenId(token), { ...verified, policies, until });
  }
}

const tokenId = (token: string): string => createHash("sha256").update(token, "utf8").digest("base64");
