import { MantleVendError } from "./errors.js";
import { isRecord } from "./guards.js";
import { identityRequest, parseJson, type IdentityHttp } from "./identity-http.js";
import { identityUrlProblem } from "./rules.js";

/** What the login uses of an OpenID Provider's discovery document. */
export interface ProviderEndpoints {
  issuer: string;
  deviceAuthorization: string | undefined;
  token: string;
  revocation: string | undefined;
}

function failed(message: string): MantleVendError {
  return new MantleVendError({ status: 0, code: "login_failed", message });
}

/**
 * The provider's endpoints, from `<issuer>/.well-known/openid-configuration`, whose `issuer` must be the
 * advertised one; every endpoint https (plain http only on loopback), so a refresh token never crosses
 * a network in clear.
 */
export async function discoverProvider(issuer: string, http: IdentityHttp): Promise<ProviderEndpoints> {
  const problem = identityUrlProblem(issuer, { allowLoopbackHttp: true, issuer: true });
  if (problem !== undefined) throw failed(`the login issuer ${issuer} ${problem}`);
  const answer = await identityRequest(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`, { headers: { accept: "application/json" } }, `the login provider ${issuer}`, http);
  const document = parseJson(answer.text);
  if (answer.status !== 200 || !isRecord(document)) throw failed(`the login provider ${issuer} answered its discovery with HTTP ${answer.status}`);
  if (document["issuer"] !== issuer) throw failed(`the discovery document of ${issuer} names another issuer`);
  const required = (name: string): string => {
    const value = document[name];
    if (typeof value !== "string") throw failed(`the login provider ${issuer} advertises no ${name}`);
    const bad = identityUrlProblem(value, { allowLoopbackHttp: true });
    if (bad !== undefined) throw failed(`the login provider's ${name} ${bad}`);
    return value;
  };
  const optional = (name: string): string | undefined => (document[name] === undefined ? undefined : required(name));
  return { issuer, token: required("token_endpoint"), deviceAuthorization: optional("device_authorization_endpoint"), revocation: optional("revocation_endpoint") };
}

/** A form POST to a provider endpoint (RFC 6749 §4.1.3 style); the answer's JSON object, if any. */
export async function postForm(endpoint: string, form: Record<string, string>, what: string, http: IdentityHttp): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await identityRequest(
    endpoint,
    { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: new URLSearchParams(form).toString() },
    what,
    http,
  );
  const body = parseJson(answer.text);
  return { status: answer.status, body: isRecord(body) ? body : {} };
}
