import type { Config } from "../config.js";
import type { LimitHeaders } from "../errors.js";
import type { Grants, Principal } from "../grants/index.js";
import type { Admission, FleetLimits } from "../limits/index.js";
import { baseUrl } from "../mantle-urls.js";
import { mintToken, type CredentialSource } from "./mint.js";

/** A parsed `POST /v1/tokens` body: both fields optional. */
export interface TokenRequest {
  region?: string;
  ttlSeconds?: number;
}

/** The answer to `POST /v1/tokens` (docs/http-api.md); the client's TokenResponse must accept it. */
export interface TokenBody {
  token: string;
  tokenType: "bearer";
  region: string;
  baseUrl: string;
  issuedAt: string;
  expiresAt: string;
  expiresInSeconds: number;
}

export interface Issued {
  body: TokenBody;
  /** The TTL asked of the signer after the grant's clamp (the token may end sooner: its `expiresAt` says). */
  ttlSeconds: number;
  /** The fleet limits' RateLimit fields for the answer; none without a limits table. */
  headers: LimitHeaders;
}

const UNLIMITED: Admission = { headers: {}, release: async () => undefined };

/**
 * Issues a principal's tokens: the fleet limits count the request (before its body is read, so a
 * limited request is a 429 before it is a 400, as the contract orders), the grant decides region and
 * TTL, the credential source signs. A counted request that issues no token gives its count back, so
 * a daily quota counts exactly the tokens issued.
 */
export class TokenIssuer {
  constructor(
    private readonly config: Config,
    private readonly grants: Grants,
    private readonly credentials: CredentialSource,
    private readonly limits?: FleetLimits,
  ) {}

  async issue(principal: Principal, readRequest: () => TokenRequest): Promise<Issued> {
    const admission = this.limits === undefined ? UNLIMITED : await this.limits.admit(principal, { rateLimit: this.grants.rateLimit(principal), mintsPerDay: this.grants.mintsPerDay(principal) });
    try {
      return await this.sign(principal, readRequest(), admission.headers);
    } catch (error) {
      await admission.release();
      throw error;
    }
  }

  /** The principal's tokens today across the fleet, as far as this container knows; null without a limits table. */
  mintsToday(principal: Principal): number | null {
    return this.limits === undefined ? null : this.limits.mintsToday(principal.id);
  }

  private async sign(principal: Principal, request: TokenRequest, headers: LimitHeaders): Promise<Issued> {
    const region = this.grants.region(principal, request.region);
    const ttlSeconds = this.grants.ttlSeconds(principal, request.ttlSeconds);
    const credentials = await this.credentials(this.grants.signingSubject(principal), ttlSeconds);
    const minted = await mintToken(credentials, region, ttlSeconds);
    const lifetimeMs = minted.expiresAt.getTime() - minted.issuedAt.getTime();
    return {
      ttlSeconds,
      headers,
      body: {
        token: minted.token,
        tokenType: "bearer",
        region,
        baseUrl: baseUrl(this.config, region),
        issuedAt: minted.issuedAt.toISOString(),
        expiresAt: minted.expiresAt.toISOString(),
        expiresInSeconds: Math.max(0, Math.floor(lifetimeMs / 1000)),
      },
    };
  }
}
