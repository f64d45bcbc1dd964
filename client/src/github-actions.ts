import { isRecord } from "./guards.js";
import { identityRequest, identityUnavailable, parseJson, type IdentityHttp } from "./identity-http.js";
import { MantleVendError } from "./errors.js";

/** The audience a GitHub Actions token is asked for unless the spec names one. */
export const GITHUB_ACTIONS_DEFAULT_AUDIENCE = "mantle-vend";

/**
 * A GitHub Actions job's OIDC token (`MANTLE_VEND_IDENTITY=github-actions[:AUDIENCE]`): GET
 * `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUDIENCE` with `Authorization: bearer
 * $ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the answer is `{"value": "<JWT>"}`. The runner sets both variables
 * for a job with `permissions: id-token: write`.
 */
export async function githubActionsToken(audience: string, env: Record<string, string | undefined>, http: IdentityHttp): Promise<string> {
  const requestUrl = env["ACTIONS_ID_TOKEN_REQUEST_URL"];
  const requestToken = env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"];
  if (requestUrl === undefined || requestUrl === "" || requestToken === undefined || requestToken === "") {
    throw new MantleVendError({
      status: 0,
      code: "invalid_options",
      message: "github-actions: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set (give the job `permissions: id-token: write`)",
    });
  }
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw identityUnavailable("github-actions: ACTIONS_ID_TOKEN_REQUEST_URL is not a URL");
  }
  url.searchParams.set("audience", audience);
  const answer = await identityRequest(url.href, { headers: { authorization: `bearer ${requestToken}`, accept: "application/json" } }, "the GitHub Actions token service", http);
  const body = parseJson(answer.text);
  const value = isRecord(body) ? body["value"] : undefined;
  if (answer.status !== 200 || typeof value !== "string" || value === "") {
    throw identityUnavailable(`the GitHub Actions token service answered HTTP ${answer.status} without a token`);
  }
  return value;
}
