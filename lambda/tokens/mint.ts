import { getToken } from "@aws/bedrock-token-generator";
import { ATTRIBUTION_MAX_SESSION_SECONDS, TOKEN_MIN_TTL_SECONDS, type Config } from "../config.js";
import { DependencyUnavailableError } from "../errors.js";
import type { Caller } from "../keys/index.js";

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Known for STS sessions; unknown for the Lambda execution role's environment credentials. */
  expiration?: Date;
}

/** Who a token is signed for: names its STS session in attribution mode, ignored otherwise. */
export interface SigningSubject {
  sessionName: string;
  sourceIdentity: string;
  regions: string[];
}

/** Yields the credentials a token is signed with; throws DependencyUnavailableError when none can be had. */
export type CredentialSource = (subject: SigningSubject, ttlSeconds: number) => Promise<SigningCredentials>;

/** STS session names and source identities allow only these characters. */
const sanitize = (text: string): string => text.replace(/[^\w+=,.@-]/g, "-");

export function keySubject(caller: Caller, regions: string[]): SigningSubject {
  return {
    sessionName: sanitize(`mvk-${caller.keyId}-${caller.record.name}`).slice(0, 64),
    sourceIdentity: `mvk-${caller.keyId}`,
    regions,
  };
}

export function catalogSubject(region: string): SigningSubject {
  return { sessionName: `mantle-vend-catalog-${region}`, sourceIdentity: "mantle-vend-catalog", regions: [region] };
}

export interface MintedToken {
  token: string;
  issuedAt: Date;
  expiresAt: Date;
}

/**
 * The TTL a token request gets: the asked (or default) value, clamped to the smaller
 * of the server's and the key's maximum. Validation of the lower bound happened already.
 */
export function effectiveTtl(requested: number | undefined, config: Config, caller: Caller): number {
  const max = Math.max(TOKEN_MIN_TTL_SECONDS, Math.min(maxTokenTtl(config), caller.record.maxTtlSeconds));
  return Math.min(requested ?? config.defaultTtlSeconds, max);
}

/**
 * Signs a Mantle bearer token. The times come from the token's own signature, and the
 * expiry never reaches past the signing credentials' expiry when that is known, so the
 * answer tells the truth about how long the token works.
 */
export async function mintToken(credentials: SigningCredentials, region: string, ttlSeconds: number): Promise<MintedToken> {
  const token = await getToken({ credentials, region, expiresInSeconds: ttlSeconds });
  const { signedAt, expiresInSeconds } = signingTimes(token);
  let expiresAt = new Date(signedAt.getTime() + expiresInSeconds * 1000);
  if (credentials.expiration !== undefined && credentials.expiration < expiresAt) expiresAt = credentials.expiration;
  return { token, issuedAt: signedAt, expiresAt };
}

/** The server's ceiling: role chaining caps attribution-mode sessions, and so tokens, at one hour. */
export function maxTokenTtl(config: Config): number {
  return config.tokenRoleArn === undefined ? config.maxTtlSeconds : Math.min(config.maxTtlSeconds, ATTRIBUTION_MAX_SESSION_SECONDS);
}

const TOKEN_PREFIX = "bedrock-api-key-";

/** Reads X-Amz-Date and X-Amz-Expires back out of a token. */
export function signingTimes(token: string): { signedAt: Date; expiresInSeconds: number } {
  const url = Buffer.from(token.slice(TOKEN_PREFIX.length), "base64").toString("utf8");
  const query = new URLSearchParams(url.slice(url.indexOf("?") + 1));
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get("X-Amz-Date") ?? "");
  const expires = Number(query.get("X-Amz-Expires"));
  if (!token.startsWith(TOKEN_PREFIX) || date === null || !Number.isInteger(expires)) {
    throw new DependencyUnavailableError("the token generator returned a token of an unexpected shape");
  }
  const [, y, mo, d, h, mi, s] = date;
  return { signedAt: new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`), expiresInSeconds: expires };
}
