import { UsageError } from "../errors.js";
import type { Grant, RateLimit } from "../grants/index.js";
import { isRegionName } from "../rules.js";
import type { Options } from "./command.js";
import { commaList, parseSeconds } from "./flags.js";

/** The flags that set a grant's fields (SPEC §12), for every command that writes a grant. */
export const GRANT_FLAGS = ["regions", "max-ttl", "rate-limit"] as const;

/** The grant fields the flags set; a field whose flag is absent is absent. */
export function grantFromFlags(options: Options): Partial<Grant> {
  const grant: Partial<Grant> = {};
  if (options.regions !== undefined) grant.regions = parseRegionList(options.regions);
  if (options["max-ttl"] !== undefined) grant.maxTtlSeconds = parseSeconds(options["max-ttl"], "--max-ttl");
  if (options["rate-limit"] !== undefined) grant.rateLimit = parseRateLimit(options["rate-limit"]);
  return grant;
}

/** A grant as `show` commands print it: one [label, value] row per field. */
export function grantRows(grant: Grant): Array<[string, string]> {
  return [
    ["regions", grant.regions.join(",")],
    ["max ttl", `${grant.maxTtlSeconds} s`],
    ["rate limit", grant.rateLimit ? `${grant.rateLimit.perSecond}/s, burst ${grant.rateLimit.burst}` : "service default"],
  ];
}

/** "10/100" → 10 requests/s sustained, bursts of 100. */
function parseRateLimit(value: string): RateLimit {
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value.trim());
  const perSecond = Number(match?.[1]);
  const burst = Number(match?.[2]);
  if (match === null || !(perSecond > 0) || !Number.isSafeInteger(burst) || burst < 1) {
    throw new UsageError(`--rate-limit takes <per second>/<burst>, e.g. 10/100, got "${value}"`);
  }
  return { perSecond, burst };
}

function parseRegionList(value: string): string[] {
  const regions = commaList(value);
  if (regions.length === 0 || regions.some((r) => r !== "*" && !isRegionName(r))) {
    throw new UsageError(`--regions takes a comma-separated list of regions or *, got "${value}"`);
  }
  return regions;
}
