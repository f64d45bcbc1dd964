/**
 * OIDC workload and personal identity (SPEC §13): identity policies, the acceptance rules of a JWT,
 * the issuers' keys, and an accepted token as a principal.
 */
export { identityAuthenticator } from "./authenticator.js";
export { DEFAULT_SUBJECT_TEMPLATE, isClaimName, isClaimPattern, parseSubjectTemplate } from "./claims.js";
export { loadIdentities, type IdentityPolicies } from "./directory.js";
export { IssuerKeySets } from "./key-sets.js";
export {
  checkJwks,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  isPolicyName,
  isUsablePolicy,
  parseIdentityPolicy,
  storedPolicy,
  type IdentityPolicy,
  type IdentityPolicyRecord,
  type PublicJwks,
} from "./policy.js";
export { isCompactJws } from "./token.js";
