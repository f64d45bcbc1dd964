import type { Config } from "./config.js";

/**
 * The Mantle root of a region. The region must come from the allowlist: this is the only place an
 * upstream URL is built, so no caller input reaches a host name.
 */
export function mantleRoot(config: Config, region: string): string {
  if (!config.regions.includes(region)) throw new Error(`region ${region} is not allowlisted`);
  return config.mantleEndpoint.replace("{region}", region);
}

/** `<Mantle root>/v1`: the OpenAI-compatible base URL of a region. */
export function baseUrl(config: Config, region: string): string {
  return `${mantleRoot(config, region)}/v1`;
}
