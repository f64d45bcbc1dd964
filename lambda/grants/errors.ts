import { ForbiddenError } from "../errors.js";
import type { Principal } from "./principal.js";

/** The region is served, but not to this principal; the message lists the regions it may use. */
export class RegionNotAllowedError extends ForbiddenError {
  constructor(
    principal: Principal,
    readonly region: string | undefined,
    /** The served regions the principal may use (allowlist order). */
    readonly allowed: readonly string[],
  ) {
    const who = principal.kind === "key" ? "this key" : "this identity";
    const refused = region === undefined ? `${who} may not use any region` : `${who} may not use ${region}`;
    super(`${refused}; ${allowed.length === 0 ? "it may use no region this service serves" : `it may use: ${allowed.join(", ")}`}`);
    this.name = "RegionNotAllowedError";
  }
}
