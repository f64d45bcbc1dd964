import type { Log } from "../logger.js";
import { identityUrlProblem } from "../rules.js";
import type { ParameterPaths, ParameterStore } from "../store/index.js";
import { isUsablePolicy, parseIdentityPolicy, type IdentityPolicy } from "./policy.js";

/** Every loaded policy, by issuer (compared exactly), each issuer's in name order. */
export type IdentityPolicies = ReadonlyMap<string, readonly IdentityPolicy[]>;

/**
 * Reads every identity policy. One that does not parse, or whose issuer or JWKS address this
 * server may not call (not https; plain http to a loopback host only where allowed), is left
 * out — it admits nothing — and logged by name.
 */
export async function loadIdentities(store: ParameterStore, paths: ParameterPaths, log: Log, options: { allowLoopbackHttp: boolean }): Promise<IdentityPolicies> {
  const byIssuer = new Map<string, IdentityPolicy[]>();
  let count = 0;
  for (const { name: parameter, value } of await store.getByPath(paths.identities)) {
    const name = parameter.slice(paths.identities.length + 1);
    const policy = parameter === paths.identity(name) ? parseIdentityPolicy(name, value) : undefined;
    if (policy === undefined) {
      log.warn("ignoring an unreadable identity policy", { policy: name });
      continue;
    }
    const problem = urlProblem(policy, options.allowLoopbackHttp);
    if (problem !== undefined) {
      log.warn(`ignoring identity policy ${name}: ${problem}`, { policy: name });
      continue;
    }
    byIssuer.set(policy.record.issuer, [...(byIssuer.get(policy.record.issuer) ?? []), policy]);
    count += 1;
  }
  for (const policies of byIssuer.values()) policies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  log.info("identity policies loaded", { policyCount: count });
  return byIssuer;
}

function urlProblem(policy: IdentityPolicy, allowLoopbackHttp: boolean): string | undefined {
  const { issuer, jwksUri } = policy.record;
  const issuerProblem = identityUrlProblem(issuer, { allowLoopbackHttp, issuer: true });
  if (issuerProblem !== undefined) return `its issuer ${issuerProblem}`;
  const jwksProblem = jwksUri === undefined ? undefined : identityUrlProblem(jwksUri, { allowLoopbackHttp });
  return jwksProblem === undefined ? undefined : `its jwksUri ${jwksProblem}`;
}

/** The issuer's enabled, unexpired policies, in name order: the ones that make it trusted (rule 2). */
export function usablePolicies(policies: IdentityPolicies, issuer: string, nowMs: number): IdentityPolicy[] {
  return (policies.get(issuer) ?? []).filter((policy) => isUsablePolicy(policy, nowMs));
}
