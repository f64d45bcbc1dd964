/** What a failure means for this command line: a refused region, with where it came from. */
import { MantleVendError } from "../errors.js";
import type { RegionsResponse } from "../types.js";
import { RegionRefusedError } from "./errors.js";
import type { Settings } from "./settings.js";

/** "eu-west-1 came from AWS_REGION", "… from --region", or the service's default. */
function origin(s: Pick<Settings, "regionSource">, region: string | undefined): string {
  if (s.regionSource === "AWS_REGION") return `${region} came from AWS_REGION (pass --region, or change AWS_REGION)`;
  if (s.regionSource === "--region") return `${region} came from --region`;
  return "no region was asked for: this is the service's default for the key";
}

/**
 * The failure as this command line's user needs it. A 403 for a region says where that region came
 * from; a 400 for a region the key cannot use here (the service does not serve it) becomes the same
 * refusal (exit 6), with the regions the key may use, asked of the service. Anything else is unchanged.
 */
export async function explainFailure(error: unknown, s: Pick<Settings, "region" | "regionSource">, regions: () => Promise<RegionsResponse>): Promise<unknown> {
  if (!(error instanceof MantleVendError)) return error;
  if (error.status === 403 && / may not use /.test(error.message)) {
    return new RegionRefusedError(`${error.message}; ${origin(s, s.region)} (HTTP 403 ${error.code}${error.requestId === undefined ? "" : `, request ${error.requestId}`})`);
  }
  if (error.status !== 400 || s.region === undefined) return error;
  let allowed: string[];
  try {
    allowed = (await regions()).regions.map((r) => r.region);
  } catch {
    return error;
  }
  if (allowed.includes(s.region)) return error;
  const may = allowed.length === 0 ? "it may use no region" : `it may use: ${allowed.join(", ")}`;
  return new RegionRefusedError(`the service does not serve ${s.region} to this key; ${may}; ${origin(s, s.region)}`);
}
