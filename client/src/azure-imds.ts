import { isRecord } from "./guards.js";
import { identityRequest, identityUnavailable, parseJson, type IdentityHttp } from "./identity-http.js";

const DEFAULT_IMDS_URL = "http://169.254.169.254";

/**
 * An Azure VM's managed-identity token for `resource` (`MANTLE_VEND_IDENTITY=azure:RESOURCE`), from the
 * instance metadata service: `…/metadata/identity/oauth2/token?api-version=2018-02-01&resource=R` with
 * `Metadata: true`; the answer's `access_token`. `MANTLE_VEND_AZURE_IMDS_URL` replaces the IMDS base
 * address (scheme, host and port) when set.
 */
export async function azureIdentityToken(resource: string, env: Record<string, string | undefined>, http: IdentityHttp): Promise<string> {
  const base = env["MANTLE_VEND_AZURE_IMDS_URL"] === undefined || env["MANTLE_VEND_AZURE_IMDS_URL"] === "" ? DEFAULT_IMDS_URL : env["MANTLE_VEND_AZURE_IMDS_URL"];
  let url: URL;
  try {
    url = new URL("/metadata/identity/oauth2/token", base);
  } catch {
    throw identityUnavailable("azure: MANTLE_VEND_AZURE_IMDS_URL is not a URL");
  }
  url.searchParams.set("api-version", "2018-02-01");
  url.searchParams.set("resource", resource);
  const answer = await identityRequest(url.href, { headers: { metadata: "true" } }, "the Azure instance metadata service", http);
  const body = parseJson(answer.text);
  const token = isRecord(body) ? body["access_token"] : undefined;
  if (answer.status !== 200 || typeof token !== "string" || token === "") {
    throw identityUnavailable(`the Azure instance metadata service answered HTTP ${answer.status} without an access token`);
  }
  return token;
}
