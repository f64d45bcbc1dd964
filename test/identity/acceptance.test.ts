/**
 * SPEC §13's acceptance rules, each with its own case, against the real service (file store, Mantle
 * emulator) and loopback issuers that serve discovery and JWKS over HTTP. Every refusal is checked
 * for its status, its rule, and that its message echoes nothing of the token or its claims.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PolicyChange } from "../../lambda/admin/identities-admin.js";
import { CompactSign } from "jose";
import { verifyBearerToken, EMULATOR_CREDENTIALS } from "../../lambda/local/mantle-emulator.js";
import { TestIssuer, unsignedToken } from "../fakes/oidc-issuer.js";
import { ManualClock } from "../support/clock.js";
import { functionUrlEvent } from "../support/events.js";
import { startService, type TestService } from "../support/service.js";

const clock = new ManualClock();
const now = (): number => Math.floor(clock.now() / 1000);
let service: TestService;
/** The main issuer: GitHub-Actions-like claims, keys found through discovery. */
let github: TestIssuer;
/** Trusted by no policy. */
let stranger: TestIssuer;
/** Keys given as a jwksUri; one short-lived policy. */
let cluster: TestIssuer;
/** Keys given inline in the policy. */
let inline: TestIssuer;
/** Every fetch the service made of an identity provider. */
const fetched: string[] = [];

const REPO = "acme/widgets-secret-name";

function policy(record: PolicyChange["record"], grant: PolicyChange["grant"] = {}): PolicyChange {
  return { record, grant };
}

beforeAll(async () => {
  github = await TestIssuer.start({ now: clock.now });
  stranger = await TestIssuer.start({ now: clock.now });
  cluster = await TestIssuer.start({ now: clock.now, alg: "ES256", path: "/cluster" });
  inline = await TestIssuer.start({ now: clock.now, alg: "EdDSA" });
  service = await startService({
    clock,
    env: { MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1", MANTLE_VEND_REGIONS: "us-east-1,us-west-2" },
    identityFetch: (input, init) => {
      fetched.push(String(input));
      return fetch(input, init);
    },
  });
  const { identities } = service;
  // Tried in name order: "ci" before "ci-any", both for the same issuer.
  await identities.add("ci", policy({ issuer: github.url, audiences: ["mantle-vend"], claims: { repository: "acme/*", ref: "refs/heads/*" }, subject: "repo:{repository}" }, { regions: ["us-west-2"], maxTtlSeconds: 900 }));
  await identities.add("ci-any", policy({ issuer: github.url, audiences: ["other-audience"], claims: { groups: "ml-*" }, subject: "{sub}", maxTokenLifetimeSeconds: 300 }));
  await identities.add("pods", policy({ issuer: cluster.url, audiences: ["sts.mantle-vend", "mantle-vend"], jwksUri: cluster.jwksUri, claims: { "/kubernetes.io/namespace": "ci" }, subject: "{/kubernetes.io/serviceaccount/name}@{/kubernetes.io/namespace}", maxTokenLifetimeSeconds: 3600 }));
  await identities.add("inline", policy({ issuer: inline.url, audiences: ["mantle-vend"], jwks: { keys: inline.jwks().keys.map((key) => ({ ...key })) } }));
});

beforeEach(() => {
  // A fresh bucket for every test's subjects; tokens are signed on this clock.
  clock.advanceSeconds(30);
});

afterAll(async () => {
  await service?.close();
  for (const issuer of [github, stranger, cluster, inline]) await issuer?.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

async function call(token: string, path = "/v1/whoami", method = "GET"): Promise<Answer> {
  const result = await service.api(functionUrlEvent({ method, path, headers: { authorization: `Bearer ${token}` } }));
  return { status: result.statusCode, body: result.body === "" ? {} : (JSON.parse(result.body) as Record<string, unknown>), headers: result.headers };
}

/** A GitHub Actions token's claims for the policy "ci". */
const actionsClaims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  aud: "mantle-vend",
  sub: `repo:${REPO}:ref:refs/heads/main`,
  repository: REPO,
  ref: "refs/heads/main",
  ...extra,
});

/** The answer names the refusal and quotes nothing of the token: not it, not a part of it, not a claim. */
function expectRefused(answer: Answer, status: 401 | 403, token: string, message: RegExp): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  const error = answer.body.error as { code: string; message: string };
  expect(error.code).toBe(status === 401 ? "unauthorized" : "forbidden");
  expect(error.message).toMatch(message);
  if (status === 401) expect(answer.headers["www-authenticate"]).toBe("Bearer");
  const text = JSON.stringify(answer.body);
  for (const part of [token, ...token.split(".").filter((p) => p.length >= 8)]) expect(text).not.toContain(part);
  for (const claim of [REPO, "refs/heads/main", github.url, stranger.url, "acme"]) expect(text).not.toContain(claim);
}

describe("an accepted token is a principal identity:<policy>:<subject> with its policy's grant", () => {
  it("whoami names the policy and the rendered subject; a token minted for it works on Mantle in the grant's region", async () => {
    const token = await github.sign(actionsClaims());
    const who = await call(token);
    expect(who.status, JSON.stringify(who.body)).toBe(200);
    expect(who.body).toMatchObject({ principal: `identity:ci:repo:${REPO}`, kind: "identity", name: "ci", grant: { regions: ["us-west-2"], maxTtlSeconds: 900 } });
    const minted = await call(token, "/v1/tokens", "POST");
    expect(minted.status).toBe(200);
    expect(minted.body).toMatchObject({ region: "us-west-2", expiresInSeconds: 900 });
    const verdict = await verifyBearerToken(minted.body.token as string, { region: "us-west-2", nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] });
    expect(verdict.ok).toBe(true);
  });

  it("keys stay keys: an mvk_ key is authenticated as before beside identities", async () => {
    const { key, keyId } = await service.createKey({ name: "beside" });
    expect((await call(key)).body).toMatchObject({ principal: `key:${keyId}`, kind: "key" });
  });
});

describe("rule 1: a compact JWS of at most 8 KiB, an asymmetric algorithm, no key-bearing or critical header → else 401", () => {
  it("refuses alg none (an unsigned token)", async () => {
    const token = unsignedToken({ iss: github.url, ...actionsClaims(), iat: now(), exp: now() + 600 });
    expectRefused(await call(token), 401, token, /signing algorithm is not accepted/);
  });

  it("refuses HS256 signed with the issuer's public key (the algorithm confusion attack)", async () => {
    const secret = new TextEncoder().encode(await github.publicKeyPem());
    const payload = new TextEncoder().encode(JSON.stringify({ iss: github.url, ...actionsClaims(), iat: now(), exp: now() + 600 }));
    const token = await new CompactSign(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
    const before = fetched.length;
    expectRefused(await call(token), 401, token, /signing algorithm is not accepted/);
    expect(fetched.length).toBe(before);
  });

  it.each([
    ["jku", { jku: "https://attacker.example/jwks" }],
    ["x5u", { x5u: "https://attacker.example/cert.pem" }],
    ["jwk", { jwk: { kty: "RSA", n: "AQAB", e: "AQAB" } }],
    ["x5c", { x5c: ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"] }],
    ["crit", { crit: ["exp"], exp: 1 }],
  ])("refuses a %s header, even on a token the issuer really signed", async (_name, header) => {
    const token = await github.sign(actionsClaims(), { header });
    expectRefused(await call(token), 401, token, /jku, x5u, jwk, x5c, crit/);
  });

  it("refuses a token over 8 KiB before decoding it", async () => {
    const token = await github.sign(actionsClaims({ padding: "x".repeat(8 * 1024) }));
    expect(token.length).toBeGreaterThan(8 * 1024);
    expectRefused(await call(token), 401, token, /not a compact JWS of at most 8 KiB/);
  });

  it("refuses three dotted segments that are not JSON", async () => {
    const token = "bm90LWpzb24.bm90LWpzb24.c2ln";
    expectRefused(await call(token), 401, token, /not a compact JWS/);
  });
});

describe("rule 2: the issuer must be one an enabled, unexpired policy trusts → else 401 with no network call", () => {
  it("refuses a well-signed token of an unknown issuer without fetching anything", async () => {
    const before = fetched.length;
    const requests = stranger.requests.length + github.requests.length;
    for (let i = 0; i < 20; i += 1) {
      const token = await stranger.sign(actionsClaims());
      expectRefused(await call(token), 401, token, /no identity policy trusts/);
    }
    expect(fetched.length).toBe(before);
    expect(stranger.requests.length + github.requests.length).toBe(requests);
  });

  it("an issuer whose only policy is disabled, or expired, is not trusted (and not fetched)", async () => {
    const temp = await TestIssuer.start({ now: clock.now });
    try {
      await service.identities.add("temp", policy({ issuer: temp.url, audiences: ["mantle-vend"], jwksUri: temp.jwksUri }));
      const token = await temp.sign({ aud: "mantle-vend", sub: "someone" });
      expect((await call(token)).status).toBe(200);
      await service.identities.update("temp", { record: { disabled: true } });
      expectRefused(await call(token), 401, token, /no identity policy trusts/);
      await service.identities.update("temp", { record: { disabled: false, expiresAt: new Date(clock.now() + 60_000).toISOString() } });
      expect((await call(token)).status).toBe(200);
      clock.advanceSeconds(61);
      const later = await temp.sign({ aud: "mantle-vend", sub: "someone" });
      const requests = temp.requests.length;
      expectRefused(await call(later), 401, later, /no identity policy trusts/);
      expect(temp.requests.length).toBe(requests);
    } finally {
      await service.identities.remove("temp");
      await temp.close();
    }
  });

  it("compares the issuer exactly: a trailing slash is another issuer", async () => {
    const token = await github.sign(actionsClaims({ iss: `${github.url}/` }));
    expectRefused(await call(token), 401, token, /no identity policy trusts/);
  });
});

describe("rule 3: the signature verifies with the issuer's own keys → else 401", () => {
  it("refuses a token claiming the issuer but signed by another key", async () => {
    const token = await stranger.sign(actionsClaims({ iss: github.url }), { headerKid: null });
    expectRefused(await call(token), 401, token, /signature does not verify/);
  });

  it("refuses a token whose signature was tampered with", async () => {
    const good = await github.sign(actionsClaims());
    const [h, p] = good.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...actionsClaims({ repository: "acme/other" }), iss: github.url, iat: now(), exp: now() + 600 })).toString("base64url")}.${good.split(".")[2]}`;
    expect(p).not.toBe(forged.split(".")[1]);
    expectRefused(await call(forged), 401, forged, /signature does not verify/);
  });

  it("verifies with keys from a jwksUri (ES256) and with inline keys (EdDSA)", async () => {
    const pod = await cluster.sign({ aud: ["sts.mantle-vend"], sub: "system:serviceaccount:ci:runner", "kubernetes.io": { namespace: "ci", serviceaccount: { name: "runner" } } });
    expect((await call(pod)).body).toMatchObject({ principal: "identity:pods:runner@ci" });
    const before = inline.requests.length;
    expect((await call(await inline.sign({ aud: "mantle-vend", sub: "laptop-7" }))).body).toMatchObject({ principal: "identity:inline:laptop-7" });
    expect(inline.requests.length).toBe(before);
  });
});

describe("rule 4: exp present and ahead, nbf and iat not ahead (60 s leeway), lifetime within the issuer's largest maximum → else 401", () => {
  it("refuses an expired token, and accepts one expired less than 60 s ago", async () => {
    const expired = await github.sign(actionsClaims(), { now: now() - 700, lifetimeSeconds: 600 });
    expectRefused(await call(expired), 401, expired, /expired/);
    const recent = await github.sign(actionsClaims(), { now: now() - 630, lifetimeSeconds: 600 });
    expect((await call(recent)).status).toBe(200);
  });

  it("refuses a token without exp", async () => {
    const token = await github.sign(actionsClaims(), { lifetimeSeconds: null });
    expectRefused(await call(token), 401, token, /expired or carries no expiry/);
  });

  it("refuses nbf more than 60 s ahead, and iat more than 60 s ahead", async () => {
    const notBefore = await github.sign(actionsClaims({ nbf: now() + 120 }));
    expectRefused(await call(notBefore), 401, notBefore, /not valid yet/);
    const issuedLater = await github.sign(actionsClaims(), { now: now() + 120 });
    expectRefused(await call(issuedLater), 401, issuedLater, /not valid yet/);
    const slightlyAhead = await github.sign(actionsClaims({ nbf: now() + 30 }), { now: now() + 30 });
    expect((await call(slightlyAhead)).status).toBe(200);
  });

  it("refuses a lifetime above the largest maximum of the issuer's policies (cluster: 3600 s)", async () => {
    const claims = { aud: "mantle-vend", "kubernetes.io": { namespace: "ci", serviceaccount: { name: "runner" } } };
    const long = await cluster.sign(claims, { lifetimeSeconds: 7200 });
    expectRefused(await call(long), 401, long, /lives longer than its issuer's policies allow/);
    // Without iat, what is left of it counts.
    const noIat = await cluster.sign(claims, { lifetimeSeconds: 7200, omitClaims: ["iat"] });
    expectRefused(await call(noIat), 401, noIat, /lives longer/);
    expect((await call(await cluster.sign(claims, { lifetimeSeconds: 3600 }))).status).toBe(200);
  });
});

describe("rule 5: the issuer's policies in name order; one admits when aud and every claim pattern match → else 403", () => {
  it("refuses a wrong audience and a missing one with 403 forbidden", async () => {
    const wrong = await github.sign(actionsClaims({ aud: "someone-else" }));
    expectRefused(await call(wrong), 403, wrong, /^no identity policy admits this token$/);
    const missing = await github.sign(actionsClaims({ aud: undefined }));
    expectRefused(await call(missing), 403, missing, /^no identity policy admits this token$/);
  });

  it("accepts aud as an array containing one of the audiences", async () => {
    const token = await github.sign(actionsClaims({ aud: ["x", "mantle-vend"] }));
    expect((await call(token)).body).toMatchObject({ name: "ci" });
  });

  it("refuses a claim that does not match its pattern, is missing, or is not a string", async () => {
    for (const claims of [actionsClaims({ repository: "evil/widgets" }), actionsClaims({ ref: undefined }), actionsClaims({ repository: 42 }), actionsClaims({ ref: "refs/tags/v1" })]) {
      const token = await github.sign(claims);
      expectRefused(await call(token), 403, token, /no identity policy admits/);
    }
  });

  it("an array claim matches when any element does (ci-any: groups ml-*)", async () => {
    const token = await github.sign({ aud: "other-audience", sub: "dev-1", groups: ["eng", "ml-research"] }, { lifetimeSeconds: 300 });
    expect((await call(token)).body).toMatchObject({ principal: "identity:ci-any:dev-1" });
    const none = await github.sign({ aud: "other-audience", sub: "dev-1", groups: ["eng", "ops"] }, { lifetimeSeconds: 300 });
    expectRefused(await call(none), 403, none, /no identity policy admits/);
  });

  it("a JSON-pointer claim reaches into nested claims (/kubernetes.io/namespace)", async () => {
    const other = await cluster.sign({ aud: "mantle-vend", "kubernetes.io": { namespace: "prod", serviceaccount: { name: "runner" } } });
    expectRefused(await call(other), 403, other, /no identity policy admits/);
  });

  it("holds each policy to its own lifetime maximum (ci-any: 300 s) once rule 4 passed", async () => {
    const token = await github.sign({ aud: "other-audience", sub: "dev-1", groups: ["ml-x"] }, { lifetimeSeconds: 900 });
    expectRefused(await call(token), 403, token, /no identity policy admits/);
  });

  it("the first policy in name order that admits decides", async () => {
    const both = await github.sign(actionsClaims({ aud: ["mantle-vend", "other-audience"], groups: ["ml-x"] }), { lifetimeSeconds: 300 });
    expect((await call(both)).body).toMatchObject({ name: "ci" });
  });
});

describe("rule 6: the subject template renders from string claims into 1-128 characters of 0x21-0x7E → else the policy does not admit", () => {
  it("a placeholder whose claim is missing means no admission", async () => {
    const pod = await cluster.sign({ aud: "mantle-vend", "kubernetes.io": { namespace: "ci" } });
    expectRefused(await call(pod), 403, pod, /no identity policy admits/);
  });

  it("a subject with a space, or over 128 characters, is not admitted", async () => {
    for (const name of ["has space", "x".repeat(130)]) {
      const pod = await cluster.sign({ aud: "mantle-vend", "kubernetes.io": { namespace: "ci", serviceaccount: { name } } });
      expectRefused(await call(pod), 403, pod, /no identity policy admits/);
    }
  });
});

describe("policy changes show at once locally (one config version for keys and identities)", () => {
  it("a new policy admits at once, a removed one stops at once", async () => {
    const token = await stranger.sign(actionsClaims());
    expect((await call(token)).status).toBe(401);
    await service.identities.add("stranger", policy({ issuer: stranger.url, audiences: ["mantle-vend"], jwksUri: stranger.jwksUri }));
    expect((await call(token)).body).toMatchObject({ principal: `identity:stranger:repo:${REPO}:ref:refs/heads/main` });
    await service.identities.remove("stranger");
    expect((await call(token)).status).toBe(401);
  });
});
