import type { Config } from "../config.js";
import type { Grants, Principal } from "../grants/index.js";
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
}

/** Issues a principal's tokens: the grant decides region and TTL, the credential source signs. */
export class TokenIssuer {
  constructor(
    private readonly config: Config,
    private readonly grants: Grants,
    private readonly credentials: CredentialSource,
  ) {}

  async issue(principal: Principal, request: TokenRequest): Promise<Issued> {
    const region = this.grants.region(principal, request.region);
    const ttlSeconds = this.grants.ttlSeconds(principal, request.ttlSeconds);
    const credentials = await this.credentials(this.grants.signingSubject(principal), ttlSeconds);
    const minted = await mintToken(credentials, region, ttlSeconds);
    const lifetimeMs = minted.expiresAt.getTime() - minted.issuedAt.getTime();
    return {
      ttlSeconds,
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
