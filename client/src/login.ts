import { IDENTITY_MIN_LIFE_MS } from "./credential.js";
import { MantleVendError } from "./errors.js";
import { isRecord } from "./guards.js";
import { identityRequest, parseJson, type IdentityHttp } from "./identity-http.js";
import { jwtClaims, jwtExpiresAt } from "./jwt.js";
import { deleteLoginSession, readLoginSession, saveLoginSession, type LoginSession } from "./login-session.js";
import { discoverProvider, postForm, type ProviderEndpoints } from "./openid.js";
import type { Sleep } from "./retry.js";

type Env = Record<string, string | undefined>;

/** How a deployment's people log in (`GET /v1/identity`). */
interface LoginProvider {
  issuer: string;
  clientId: string;
  scopes: string[];
}

export interface LoginContext {
  /** The normalised service URL: the session belongs to it. */
  url: string;
  env: Env;
  http: IdentityHttp;
  now: () => number;
}

const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** RFC 8628 §3.5: without an `interval`, poll every 5 s; `slow_down` adds 5 s. */
const DEFAULT_INTERVAL_SECONDS = 5;
const SLOW_DOWN_SECONDS = 5;

function failed(message: string): MantleVendError {
  return new MantleVendError({ status: 0, code: "login_failed", message });
}

/** The one message a login that cannot be renewed gives (the CLI exits 5 with it). */
function loginExpired(): MantleVendError {
  return new MantleVendError({ status: 0, code: "login_expired", message: "login expired: run mantle-vend login" });
}

/** What the service advertises at `GET /v1/identity`; a service without login is a clear failure. */
async function advertisedLogin(context: LoginContext): Promise<LoginProvider> {
  const answer = await identityRequest(`${context.url}/v1/identity`, { headers: { accept: "application/json" } }, context.url, context.http);
  const body = parseJson(answer.text);
  const login = isRecord(body) ? body["login"] : undefined;
  if (answer.status !== 200 || !isRecord(body)) throw failed(`${context.url} answered GET /v1/identity with HTTP ${answer.status}`);
  if (login === null) throw failed(`${context.url} has no login configured (its operators set the construct's login prop); use an API key or a workload identity`);
  const { issuer, clientId, scopes } = isRecord(login) ? login : {};
  if (typeof issuer !== "string" || typeof clientId !== "string" || !Array.isArray(scopes) || !scopes.every((s) => typeof s === "string")) {
    throw failed(`${context.url} advertises a login that is not {issuer, clientId, scopes}`);
  }
  return { issuer, clientId, scopes };
}

export interface DeviceLoginOptions {
  /** Where the one line for the person goes (the CLI: stderr). */
  notify: (line: string) => void;
  /** Waits between polls; tests pass their clock's. */
  sleep: Sleep;
}

/**
 * `mantle-vend login`: the OAuth 2.0 device authorization grant (RFC 8628) against the provider the
 * service advertises. Tells the person where to confirm, polls the token endpoint as §3.4–3.5 say
 * (`interval`, `slow_down` adds 5 s, `authorization_pending`, `expired_token`, `access_denied`), never
 * past `expires_in`, then saves the session (0600) and returns whom the ID token names.
 */
export async function deviceLogin(context: LoginContext, options: DeviceLoginOptions): Promise<{ subject: string; session: LoginSession }> {
  const provider = await advertisedLogin(context);
  const endpoints = await discoverProvider(provider.issuer, context.http);
  if (endpoints.deviceAuthorization === undefined) throw failed(`the login provider ${provider.issuer} does not offer the device authorization grant`);
  const started = context.now();
  const authorization = await postForm(endpoints.deviceAuthorization, { client_id: provider.clientId, scope: provider.scopes.join(" ") }, "the login provider's device authorization", context.http);
  const { device_code: deviceCode, user_code: userCode, verification_uri: uri, verification_uri_complete: complete, expires_in: expiresIn, interval } = authorization.body;
  if (authorization.status !== 200 || typeof deviceCode !== "string" || typeof userCode !== "string" || typeof uri !== "string" || typeof expiresIn !== "number") {
    throw failed(`the login provider refused the device authorization (HTTP ${authorization.status}${describeError(authorization.body)})`);
  }
  options.notify(typeof complete === "string" ? `to log in, open ${complete}` : `to log in, open ${uri} and enter the code ${userCode}`);
  let wait = typeof interval === "number" && interval > 0 ? interval : DEFAULT_INTERVAL_SECONDS;
  const deadline = started + expiresIn * 1000;
  for (;;) {
    if (context.now() + wait * 1000 > deadline) throw failed(`the login was not confirmed within the code's ${expiresIn} s: run mantle-vend login again`);
    await options.sleep(wait * 1000);
    const poll = await postForm(endpoints.token, { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode, client_id: provider.clientId }, "the login provider's token endpoint", context.http);
    if (poll.status === 200) {
      const session = sessionFrom(provider, poll.body, undefined);
      await saveLoginSession(context.url, context.env, session);
      return { subject: subjectOf(session.idToken), session };
    }
    switch (poll.body["error"]) {
      case "authorization_pending":
        continue;
      case "slow_down":
        wait += SLOW_DOWN_SECONDS;
        continue;
      case "expired_token":
        throw failed("the login code expired before it was confirmed: run mantle-vend login again");
      case "access_denied":
        throw failed("the login was denied at the provider");
      default:
        throw failed(`the login provider refused the login (HTTP ${poll.status}${describeError(poll.body)})`);
    }
  }
}

/**
 * The saved session's ID token (`MANTLE_VEND_IDENTITY=login`), renewed with the refresh token when it
 * has under 60 s left. A refresh token the provider rotates replaces the saved one (RFC 6749 §6). A
 * login that cannot be renewed (no session, no refresh token, refused) is `login_expired`.
 */
export async function loginToken(context: LoginContext): Promise<string> {
  const session = await readLoginSession(context.url, context.env);
  if (session === undefined) throw loginExpired();
  const expiresAt = jwtExpiresAt(session.idToken);
  if (expiresAt !== undefined && context.now() < expiresAt - IDENTITY_MIN_LIFE_MS) return session.idToken;
  if (session.refreshToken === undefined) throw loginExpired();
  let endpoints: ProviderEndpoints;
  try {
    endpoints = await discoverProvider(session.issuer, context.http);
  } catch (error) {
    // The provider is down: the saved token may still be good for its last minute.
    if (expiresAt !== undefined && context.now() < expiresAt) return session.idToken;
    throw error;
  }
  const renewed = await postForm(endpoints.token, { grant_type: "refresh_token", refresh_token: session.refreshToken, client_id: session.clientId }, "the login provider's token endpoint", context.http);
  if (renewed.status !== 200) {
    if (renewed.status >= 500 && expiresAt !== undefined && context.now() < expiresAt) return session.idToken;
    throw renewed.status >= 500 ? failed(`the login provider failed to renew the login (HTTP ${renewed.status})`) : loginExpired();
  }
  const next = sessionFrom(session, renewed.body, session.refreshToken);
  await saveLoginSession(context.url, context.env, next);
  return next.idToken;
}

/**
 * `mantle-vend logout`: deletes the saved session and revokes its refresh token at the provider's
 * revocation endpoint, when it advertises one (RFC 7009). The session is deleted whatever the
 * provider says: revocation is best effort, and the answer says whether it happened.
 */
export async function logout(context: LoginContext): Promise<{ hadSession: boolean; revoked: boolean }> {
  const session = await readLoginSession(context.url, context.env);
  const hadSession = await deleteLoginSession(context.url, context.env);
  if (session?.refreshToken === undefined) return { hadSession, revoked: false };
  try {
    const endpoints = await discoverProvider(session.issuer, context.http);
    if (endpoints.revocation === undefined) return { hadSession, revoked: false };
    const answer = await postForm(endpoints.revocation, { token: session.refreshToken, token_type_hint: "refresh_token", client_id: session.clientId }, "the login provider's revocation endpoint", context.http);
    return { hadSession, revoked: answer.status === 200 };
  } catch {
    return { hadSession, revoked: false };
  }
}

/** A token answer as a session: its ID token, and its refresh token or the one kept. */
function sessionFrom(provider: { issuer: string; clientId: string }, body: Record<string, unknown>, keptRefreshToken: string | undefined): LoginSession {
  const idToken = body["id_token"];
  const refreshToken = typeof body["refresh_token"] === "string" && body["refresh_token"] !== "" ? body["refresh_token"] : keptRefreshToken;
  if (typeof idToken !== "string" || jwtClaims(idToken) === undefined) throw failed("the login provider's answer holds no ID token (is the openid scope allowed for this client?)");
  return { issuer: provider.issuer, clientId: provider.clientId, idToken, ...(refreshToken === undefined ? {} : { refreshToken }) };
}

/** Whom an ID token names: its email, else its subject. */
function subjectOf(idToken: string): string {
  const claims = jwtClaims(idToken) ?? {};
  const email = claims["email"];
  const sub = claims["sub"];
  return typeof email === "string" && email !== "" ? email : typeof sub === "string" ? sub : "(unknown)";
}

function describeError(body: Record<string, unknown>): string {
  const error = body["error"];
  return typeof error === "string" && /^[\x20-\x7e]{1,64}$/.test(error) ? `, ${error}` : "";
}
