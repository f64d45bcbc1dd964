import { DependencyUnavailableError, ForbiddenError, UnauthenticatedError } from "../errors.js";

/** Which acceptance rule of SPEC §13 refused a token (the first that failed). */
type TokenRefusal = "malformed" | "algorithm" | "header" | "issuer" | "signature" | "expiry" | "not-yet-valid" | "lifetime";

/**
 * Why each refusal happened, in words a caller can act on. None of them quotes the token, its
 * header or its claims: the message says which rule failed, never with what value.
 */
const MESSAGES: Record<TokenRefusal, string> = {
  malformed: "the identity token is not a compact JWS of at most 8 KiB with a JSON header and payload",
  algorithm: "the identity token's signing algorithm is not accepted (RS256/384/512, PS256/384/512, ES256/384 or EdDSA)",
  header: "the identity token's header names its own keys or critical extensions (jku, x5u, jwk, x5c, crit), which are not accepted",
  issuer: "no identity policy trusts the identity token's issuer",
  signature: "the identity token's signature does not verify with its issuer's keys",
  expiry: "the identity token has expired or carries no expiry",
  "not-yet-valid": "the identity token is not valid yet (nbf or iat in the future)",
  lifetime: "the identity token lives longer than its issuer's policies allow",
};

/** A JWT refused by rules 1–4: 401, as for a bad key. */
export class IdentityTokenRefusedError extends UnauthenticatedError {
  constructor(readonly refusal: TokenRefusal) {
    super(MESSAGES[refusal]);
    this.name = "IdentityTokenRefusedError";
  }
}

/** A valid token from a trusted issuer that no policy admits (rules 5 and 6): 403. */
export class NoPolicyAdmitsError extends ForbiddenError {
  constructor() {
    super("no identity policy admits this token");
    this.name = "NoPolicyAdmitsError";
  }
}

/** The issuer's keys could not be had (discovery or JWKS failing, slow or wrong): 503, the token may be fine. */
export class KeySetUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, dependency: "jwks" });
    this.name = "KeySetUnavailableError";
  }
}
