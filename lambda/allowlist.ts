import type { Caller } from "./keys/index.js";
import type { Config } from "./config.js";

/**
 * The Mantle root of a region. The region must come from the allowlist: this is
 * the only place an upstream URL is built, so no caller input reaches a host name.
 */
export function mantleRoot(config: Config, region: string): string {
  if (!config.regions.includes(region)) throw new Error(`region ${region} is not allowlisted`);
  return config.mantleEndpoint.replace("{region}", region);
}

export function baseUrl(config: Config, region: string): string {
  return `${mantleRoot(config, region)}/v1`;
}

/** The allowlisted regions a key may use, in allowlist order. */
export function regionsFor(config: Config, caller: Caller): string[] {
  const allowed = caller.record.regions;
  if (allowed.includes("*")) return [...config.regions];
  return config.regions.filter((region) => allowed.includes(region));
}

/** The service default if the key may use it, else the first allowlisted region the key names. */
export function defaultRegionFor(config: Config, caller: Caller): string | undefined {
  const mine = regionsFor(config, caller);
  if (mine.includes(config.defaultRegion)) return config.defaultRegion;
  return caller.record.regions.find((region) => mine.includes(region)) ?? mine[0];
}
