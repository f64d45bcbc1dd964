import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { Claims } from "./claims.js";
import { IdentityTokenRefusedError, KeySetUnavailableError } from "./errors.js";

/** Rule 1: asymmetric signatures only; never `none`, never HMAC (whose key would be the public one). */
const ACCEPTED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];

/** Header parameters that would let a token name its own keys or demand unknown processing. */
const REFUSED_HEADER_PARAMETERS = ["jku", "x5u", "jwk", "x5c", "crit"];

const MAX_TOKEN_BYTES = 8 * 1024;

/** Leeway for `exp`, `nbf` and `iat` against this server's clock. */
export const CLOCK_LEEWAY_SECONDS = 60;

/** Three base64url segments, the last (the signature) possibly empty: what a JWT looks like, and no API key does. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Whether a bearer credential has the shape of a JWT (and so is an identity's, not a key). */
export function isCompactJws(credential: string): boolean {
  return COMPACT_JWS.test(credential);
}

const refused = (refusal: ConstructorParameters<typeof IdentityTokenRefusedError>[0]): IdentityTokenRefusedError => new IdentityTokenRefusedError(refusal);

/**
 * Rule 1, before anything else is looked at: size, shape, algorithm and header parameters. Returns
 * the (not yet verified) issuer, which decides whether verification is worth a network call.
 */
export function inspectToken(token: string): { issuer: string | undefined } {
  if (token.length > MAX_TOKEN_BYTES || !isCompactJws(token)) throw refused("malformed");
  let header: Record<string, unknown>;
  let payload: Claims;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch {
    throw refused("malformed");
  }
  if (typeof header.alg !== "string" || !ACCEPTED_ALGORITHMS.includes(header.alg)) throw refused("algorithm");
  if (REFUSED_HEADER_PARAMETERS.some((name) => Object.hasOwn(header, name))) throw refused("header");
  return { issuer: typeof payload.iss === "string" ? payload.iss : undefined };
}

/**
 * Rule 3 and the lifetime checks jose makes of rule 4: the signature with the issuer's keys (every
 * key that matches the `kid` is tried), `exp` present and not past, `nbf` not ahead (60 s leeway
 * each). Returns the verified claims. A provider that cannot be reached is a KeySetUnavailableError.
 */
export async function verifyToken(token: string, keys: JWTVerifyGetKey, nowMs: number): Promise<Claims> {
  const options = { algorithms: ACCEPTED_ALGORITHMS, clockTolerance: CLOCK_LEEWAY_SECONDS, currentDate: new Date(nowMs), requiredClaims: ["exp"] };
  try {
    try {
      return (await jwtVerify(token, keys, options)).payload;
    } catch (error) {
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
      // Several keys share the kid (or there is none): the first that verifies decides.
      for await (const key of error) {
        try {
          return (await jwtVerify(token, key, options)).payload;
        } catch (inner) {
          if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
        }
      }
      throw new errors.JWSSignatureVerificationFailed();
    }
  } catch (error) {
    throw refusalOf(error);
  }
}

/** What a failure of jwtVerify means for the caller; anything unforeseen stays itself (a 500). */
function refusalOf(error: unknown): unknown {
  if (error instanceof KeySetUnavailableError) return error;
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) return refused("signature");
  if (error instanceof errors.JWTExpired) return refused("expiry");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "exp") return refused("expiry");
    if (error.claim === "nbf") return refused("not-yet-valid");
    return refused("malformed");
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return refused("algorithm");
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return refused("malformed");
  return error;
}

/**
 * The rest of rule 4, on verified claims: `iat` not ahead (60 s leeway), and a lifetime
 * (`exp − (iat or now)`) no longer than `maxSeconds`.
 */
export function checkLifetime(claims: Claims, nowMs: number, maxSeconds: number): void {
  const { iat } = claims;
  if (typeof iat === "number" && iat > Math.floor(nowMs / 1000) + CLOCK_LEEWAY_SECONDS) throw refused("not-yet-valid");
  if (lifetimeSeconds(claims, nowMs) > maxSeconds) throw refused("lifetime");
}

/** How long the token was issued for: `exp − iat`, or what is left of it when it has no `iat`. */
export function lifetimeSeconds(claims: Claims, nowMs: number): number {
  const { iat, exp } = claims;
  const from = typeof iat === "number" ? iat : Math.floor(nowMs / 1000);
  return typeof exp === "number" ? exp - from : Number.POSITIVE_INFINITY;
}
