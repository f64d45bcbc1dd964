/** The login suites' OpenID Provider does what a real one does, so their findings carry over. */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEVICE_CODE, LOGIN_CLIENT_ID, OpenIdProvider } from "./openid-provider.js";

let op: OpenIdProvider;
beforeAll(async () => {
  op = await OpenIdProvider.start();
});
afterAll(async () => {
  await op?.close();
});

async function post(url: string, form: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
  const text = await response.text();
  return { status: response.status, json: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function discovery(): Promise<Record<string, string>> {
  return (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
}

async function deviceAuthorization(): Promise<Record<string, unknown>> {
  const d = await discovery();
  return (await post(d.device_authorization_endpoint as string, { client_id: LOGIN_CLIENT_ID, scope: "openid email offline_access" })).json;
}

describe("the provider runs the device authorization grant with refresh tokens and revocation", () => {
  it("advertises the endpoints: device authorization, token, revocation, JWKS", async () => {
    const d = await discovery();
    expect(d).toMatchObject({ issuer: op.issuer, device_authorization_endpoint: expect.any(String), token_endpoint: expect.any(String), revocation_endpoint: expect.any(String), jwks_uri: expect.any(String) });
  });

  it("pending until a person approves in a browser; then an ID token with email, and a refresh token that rotates and can be revoked", async () => {
    const d = await discovery();
    const auth = await deviceAuthorization();
    expect(auth).toMatchObject({ device_code: expect.any(String), user_code: expect.any(String), verification_uri_complete: expect.any(String), expires_in: 600 });
    const poll = { grant_type: DEVICE_CODE, device_code: auth.device_code as string, client_id: LOGIN_CLIENT_ID };
    expect((await post(d.token_endpoint as string, poll)).json.error).toBe("authorization_pending");
    await op.approve(auth.verification_uri_complete as string, "alice");
    const tokens = (await post(d.token_endpoint as string, poll)).json;
    expect(decodeJwt(tokens.id_token as string)).toMatchObject({ iss: op.issuer, aud: LOGIN_CLIENT_ID, sub: "alice", email: "alice@acme.example" });
    const refreshed = await post(d.token_endpoint as string, { grant_type: "refresh_token", refresh_token: tokens.refresh_token as string, client_id: LOGIN_CLIENT_ID });
    expect(refreshed.json.id_token).toEqual(expect.any(String));
    expect(refreshed.json.refresh_token).not.toBe(tokens.refresh_token);
    const revoked = await post(d.revocation_endpoint as string, { token: refreshed.json.refresh_token as string, client_id: LOGIN_CLIENT_ID });
    expect(revoked.status).toBe(200);
    expect((await post(d.token_endpoint as string, { grant_type: "refresh_token", refresh_token: refreshed.json.refresh_token as string, client_id: LOGIN_CLIENT_ID })).json.error).toBe("invalid_grant");
  });

  it("a person who cancels the sign-in makes the next poll access_denied", async () => {
    const d = await discovery();
    const auth = await deviceAuthorization();
    await op.deny(auth.verification_uri_complete as string);
    const poll = await post(d.token_endpoint as string, { grant_type: DEVICE_CODE, device_code: auth.device_code as string, client_id: LOGIN_CLIENT_ID });
    expect(poll.json.error).toBe("access_denied");
  });

  it("the slow_down double answers the next device-code polls", async () => {
    const d = await discovery();
    const auth = await deviceAuthorization();
    op.slowDown(1);
    const poll = { grant_type: DEVICE_CODE, device_code: auth.device_code as string, client_id: LOGIN_CLIENT_ID };
    expect((await post(d.token_endpoint as string, poll)).json.error).toBe("slow_down");
    expect((await post(d.token_endpoint as string, poll)).json.error).toBe("authorization_pending");
  });
});
