/**
 * Identity through the deployed artifact: the API bundle the synthesized template names (jose inside
 * it), invoked with function-URL events, in attribution mode against the STS fake, with policies in
 * the SSM fake and loopback issuers serving discovery and JWKS. A representative subset of SPEC §13's
 * rules; test/identity/ drives each rule on its own. Runs under Node 24 too (npm run test:node24).
 */
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityAdmin } from "../../lambda/admin/identities-admin.js";
import { DEFAULT_PARAMETER_PREFIX } from "../../lambda/config.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/events.js";
import { verifyBearerToken } from "../../lambda/local/mantle-emulator.js";
import { TestIssuer, unsignedToken } from "../fakes/oidc-issuer.js";
import { bundleEnv, synthesizeBundle } from "../support/bundle.js";
import { functionUrlEvent } from "../support/events.js";
import { useFixture } from "../support/fixture.js";
import { ssmStore } from "../support/ssm.js";

const ROLE_ARN = "arn:aws:iam::123456789012:role/mantle-vend-token";
const fixture = useFixture({ ssm: true, sts: true, emulator: ({ sts }) => ({ credentials: sts ? [sts.credentials] : [] }) });
let handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;
let issuer: TestIssuer;
let down: TestIssuer;
let stranger: TestIssuer;

beforeAll(async () => {
  const { apiBundle } = await synthesizeBundle({ perKeyAttribution: true, login: { issuer: "https://login.example.com", clientId: "mantle-vend-cli" } });
  issuer = await TestIssuer.start({ alg: "ES256" });
  down = await TestIssuer.start();
  stranger = await TestIssuer.start();
  const admin = new IdentityAdmin(ssmStore(fixture.ssm), DEFAULT_PARAMETER_PREFIX);
  await admin.add("ci", { record: { issuer: issuer.url, audiences: ["mantle-vend"], claims: { repository: "acme/*" }, subject: "repo:{repository}" }, grant: { regions: ["eu-west-1"] } });
  await admin.add("flaky", { record: { issuer: down.url, audiences: ["mantle-vend"] }, grant: {} });
  down.setFault("down");
  Object.assign(process.env, {
    ...bundleEnv({ ssmUrl: fixture.ssm.url, mantleEndpoint: fixture.emulator.endpointTemplate, stsUrl: fixture.sts.url }),
    MANTLE_VEND_TOKEN_ROLE_ARN: ROLE_ARN,
    MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1",
    MANTLE_VEND_LOGIN_ISSUER: "https://login.example.com",
    MANTLE_VEND_LOGIN_CLIENT_ID: "mantle-vend-cli",
  });
  ({ handler } = (await import(pathToFileURL(apiBundle).href)) as { handler: typeof handler });
});

afterAll(async () => {
  for (const each of [issuer, down, stranger]) await each?.close();
});

async function call(token: string, path = "/v1/whoami", method = "GET"): Promise<{ status: number; body: Record<string, unknown> }> {
  const result = await handler(functionUrlEvent({ method, path, headers: { authorization: `Bearer ${token}` } }));
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

const claims = { aud: "mantle-vend", sub: "repo:acme/app:ref:refs/heads/main", repository: "acme/app" };

describe("the bundle accepts a workload's JWT as identity:<policy>:<subject> and signs for it in attribution mode", () => {
  it("mints a token Mantle accepts, signed by the STS session mvo-<policy>-<12 hex of sha256(subject)> (name and source identity)", async () => {
    fixture.sts.calls.length = 0;
    const token = await issuer.sign(claims);
    const minted = await call(token, "/v1/tokens", "POST");
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    expect(minted.body).toMatchObject({ region: "eu-west-1" });
    const session = `mvo-ci-${createHash("sha256").update("repo:acme/app").digest("hex").slice(0, 12)}`;
    expect(fixture.sts.calls).toEqual([expect.objectContaining({ RoleArn: ROLE_ARN, RoleSessionName: session, SourceIdentity: session })]);
    // The session tags name the same workload by the same digest, never by its subject.
    expect(fixture.sts.calls[0]?.Tags).toEqual({ "mantle-vend-principal": `identity:ci:${session.slice("mvo-ci-".length)}`, "mantle-vend-name": "ci" });
    expect(JSON.parse(fixture.sts.calls[0]?.Policy ?? "{}").Statement[0].Condition).toEqual({ StringEquals: { "aws:RequestedRegion": ["eu-west-1"] } });
    const verdict = await verifyBearerToken(minted.body.token as string, { region: "eu-west-1", nowMs: Date.now(), credentials: [fixture.sts.credentials] });
    expect(verdict.ok).toBe(true);
    expect((await call(token)).body).toMatchObject({ principal: "identity:ci:repo:acme/app", kind: "identity", name: "ci" });
  });

  it("another subject of the same policy gets its own session", async () => {
    fixture.sts.calls.length = 0;
    expect((await call(await issuer.sign({ ...claims, repository: "acme/other" }), "/v1/tokens", "POST")).status).toBe(200);
    expect(fixture.sts.calls.map((c) => c.RoleSessionName)).toEqual([`mvo-ci-${createHash("sha256").update("repo:acme/other").digest("hex").slice(0, 12)}`]);
  });
});

describe("the bundle refuses as the rules say", () => {
  it("alg none: 401; an unknown issuer: 401 without a fetch; a wrong audience: 403; a provider that is down: 503", async () => {
    const unsigned = unsignedToken({ ...claims, iss: issuer.url, exp: Math.floor(Date.now() / 1000) + 600 });
    expect((await call(unsigned)).status).toBe(401);
    const foreign = await stranger.sign(claims);
    expect((await call(foreign)).status).toBe(401);
    expect(stranger.requests).toEqual([]);
    expect((await call(await issuer.sign({ ...claims, aud: "other" }))).status).toBe(403);
    const refused = await call(await down.sign(claims));
    expect([refused.status, (refused.body.error as { code: string }).code]).toEqual([503, "unavailable"]);
  });

  it("GET /v1/identity advertises the login provider without a credential", async () => {
    const result = await handler(functionUrlEvent({ path: "/v1/identity" }));
    expect(JSON.parse(result.body)).toEqual({ login: { issuer: "https://login.example.com", clientId: "mantle-vend-cli", scopes: ["openid", "email", "profile", "offline_access"] } });
    expect(result.headers["cache-control"]).toBe("max-age=300");
  });
});
