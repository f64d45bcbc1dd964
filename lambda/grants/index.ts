/** Principals and their grants: who a caller is, and the one place that says what it may do (SPEC §12). */
export { RegionNotAllowedError } from "./errors.js";
export { grantOf, MAX_MINTS_PER_DAY, modelsProblem, parseGrant, type Grant, type RateLimit } from "./grant.js";
export { Grants, type EffectiveGrant } from "./grants.js";
export { RateLimiter } from "./limiter.js";
export { stsName, type Authenticate, type Principal } from "./principal.js";
export { catalogSubject, sessionPolicy, sessionTags, STS_SESSION_POLICY_MAX_CHARS, tagValue, type SigningSubject } from "./session-policy.js";
