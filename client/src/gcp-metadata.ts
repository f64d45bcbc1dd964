import { identityRequest, identityUnavailable, type IdentityHttp } from "./identity-http.js";

const DEFAULT_METADATA_HOST = "metadata.google.internal";

/**
 * A Google Cloud VM's (or GKE workload's) service-account ID token for `audience`
 * (`MANTLE_VEND_IDENTITY=gcp:AUDIENCE`), from the metadata server: `…/instance/service-accounts/default/
 * identity?audience=A&format=full` with `Metadata-Flavor: Google`. `format=full` puts the account's
 * email in the token. The host is `GCE_METADATA_HOST` when set (as Google's own libraries read it).
 */
export async function gcpIdentityToken(audience: string, env: Record<string, string | undefined>, http: IdentityHttp): Promise<string> {
  const host = env["GCE_METADATA_HOST"] === undefined || env["GCE_METADATA_HOST"] === "" ? DEFAULT_METADATA_HOST : env["GCE_METADATA_HOST"];
  const url = new URL(`http://${host}/computeMetadata/v1/instance/service-accounts/default/identity`);
  url.searchParams.set("audience", audience);
  url.searchParams.set("format", "full");
  const answer = await identityRequest(url.href, { headers: { "metadata-flavor": "Google" } }, "the GCE metadata server", http);
  const token = answer.text.trim();
  if (answer.status !== 200 || token === "") throw identityUnavailable(`the GCE metadata server answered HTTP ${answer.status} without an ID token`);
  return token;
}
