/** Principals and their grants: who a caller is, and the one place that says what it may do (SPEC §12). */
export { RegionNotAllowedError } from "./errors.js";
export { isRateLimit, parseGrant, type Grant, type RateLimit } from "./grant.js";
export { Grants } from "./grants.js";
export { RateLimiter, type Admission } from "./limiter.js";
export { stsName, type Authenticate, type Principal, type SigningSession } from "./principal.js";
export { catalogSubject, sessionPolicy, type SigningSubject } from "./session-policy.js";
