// The package is CommonJS, so a bundle keeps whatever its index requires: the index also loads the
// token provider's region and credential resolution (about 12 KB minified) that a caller passing region
// and credentials, as we do, never runs. getToken's own module needs only the signer.
import { getToken } from "@aws/bedrock-token-generator/dist/getToken.js";
import { DependencyUnavailableError } from "../errors.js";
import type { SigningSubject } from "../grants/index.js";

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Known for STS sessions; unknown for the Lambda execution role's environment credentials. */
  expiration?: Date;
}

/** Yields the credentials a token is signed with; throws DependencyUnavailableError when none can be had. */
export type CredentialSource = (subject: SigningSubject, ttlSeconds: number) => Promise<SigningCredentials>;

export interface MintedToken {
  token: string;
  issuedAt: Date;
  expiresAt: Date;
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

const TOKEN_PREFIX = "bedrock-api-key-";

/** Reads X-Amz-Date and X-Amz-Expires back out of a token. */
function signingTimes(token: string): { signedAt: Date; expiresInSeconds: number } {
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
