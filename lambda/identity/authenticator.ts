import type { Clock } from "../clock.js";
import { TIMED_OUT, within, type Sleep } from "../deadline.js";
import type { Principal } from "../grants/index.js";
import { claimMatches, renderSubject, type Claims } from "./claims.js";
import { usablePolicies, type IdentityPolicies } from "./directory.js";
import { IdentityTokenRefusedError, KeySetUnavailableError, NoPolicyAdmitsError } from "./errors.js";
import { keySource, type IssuerKeySets } from "./key-sets.js";
import { maxTokenLifetimeSeconds, type IdentityPolicy } from "./policy.js";
import { identityPrincipal } from "./principal.js";
import { checkLifetime, CLOCK_LEEWAY_SECONDS, inspectToken, lifetimeSeconds, verifyToken } from "./token.js";
import { VerifiedTokens, type VerifiedToken } from "./verified-tokens.js";

interface IdentityAuthenticatorOptions {
  keySets: Pick<IssuerKeySets, "keysFor">;
  clock: Clock;
  /** A request waits this long at most for the issuer's keys (the request deadline). */
  deadlineMs: number;
  sleep: Sleep;
  /** How long a verification is remembered at most: no longer than the issuer's keys are kept. */
  verifiedMaxAgeMs?: number;
}

/** Resolves a JWT to its principal under the loaded policies, or throws why not. */
type AuthenticateIdentity = (policies: IdentityPolicies, token: string) => Promise<Principal>;

/**
 * The acceptance rules of SPEC §13, in order; the first that fails decides. Rules 1 and 2 cost no
 * network call, so a flood of malformed or foreign tokens is refused from memory; rule 3 may fetch
 * the issuer's keys, never past the request deadline. A token presented again skips rules 1 and 3
 * (its exact bytes passed them, see VerifiedTokens); rules 2, 4, 5 and 6 are applied every time.
 */
export function identityAuthenticator(options: IdentityAuthenticatorOptions): AuthenticateIdentity {
  const { keySets, clock } = options;
  const remembered = new VerifiedTokens({ maxAgeMs: options.verifiedMaxAgeMs, leewayMs: CLOCK_LEEWAY_SECONDS * 1000 });

  async function verify(policies: IdentityPolicies, token: string, now: number): Promise<VerifiedToken & { trusted: IdentityPolicy[] }> {
    const known = remembered.get(token, policies, now);
    const issuer = known === undefined ? inspectToken(token).issuer : known.issuer;
    const trusted = issuer === undefined ? [] : usablePolicies(policies, issuer, now);
    if (issuer === undefined || trusted.length === 0) throw new IdentityTokenRefusedError("issuer");
    if (known !== undefined) return { ...known, trusted };
    const claims = await within(verifyToken(token, keySets.keysFor(issuer, keySource(trusted)), now), options.deadlineMs, options.sleep);
    if (claims === TIMED_OUT) throw new KeySetUnavailableError(`the keys of ${issuer} were not had before the request deadline`);
    remembered.remember(token, { issuer, claims }, policies, now);
    return { issuer, claims, trusted };
  }

  return async (policies, token) => {
    const now = clock();
    const { claims, trusted } = await verify(policies, token, now);
    checkLifetime(claims, now, Math.max(...trusted.map(maxTokenLifetimeSeconds)));
    for (const policy of trusted) {
      const subject = admittedSubject(policy, claims, now);
      if (subject !== undefined) return identityPrincipal(policy, subject);
    }
    throw new NoPolicyAdmitsError();
  };
}

/**
 * Rules 5 and 6 for one policy: the subject it gives the token, or undefined when it does not
 * admit it (audience, claims, its own lifetime cap, or a subject it cannot render).
 */
function admittedSubject(policy: IdentityPolicy, claims: Claims, nowMs: number): string | undefined {
  const { audiences, claims: patterns = {} } = policy.record;
  const aud = claims.aud;
  const presented = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.some((audience) => presented.includes(audience))) return undefined;
  if (!Object.entries(patterns).every(([name, pattern]) => claimMatches(claims, name, pattern))) return undefined;
  if (lifetimeSeconds(claims, nowMs) > maxTokenLifetimeSeconds(policy)) return undefined;
  return renderSubject(policy.subject, claims);
}
