import { ForbiddenError } from "../errors.js";
import type { Principal } from "./principal.js";

/** The region is served, but not to this principal. */
export class RegionNotAllowedError extends ForbiddenError {
  constructor(
    principal: Principal,
    readonly region: string | undefined,
  ) {
    const who = principal.kind === "key" ? "this key" : "this identity";
    super(region === undefined ? `${who} may not use any region` : `${who} may not use ${region}`);
    this.name = "RegionNotAllowedError";
  }
}
