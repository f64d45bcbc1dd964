/**
 * A token presented again is not verified again (its signature check costs several times the rest of
 * a request), yet every rule but the signature still applies to it, and the memory never outlives the
 * issuer's keys, the token's expiry or the policies it was verified under.
 */
import { createLocalJWKSet, type JWTVerifyGetKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityAuthenticator } from "../../lambda/identity/authenticator.js";
import type { IdentityPolicies } from "../../lambda/identity/directory.js";
import { parseIdentityPolicy, type IdentityPolicy } from "../../lambda/identity/policy.js";
import { VerifiedTokens } from "../../lambda/identity/verified-tokens.js";
import { TestIssuer } from "../fakes/oidc-issuer.js";
import { ManualClock } from "../support/clock.js";

const clock = new ManualClock();
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await TestIssuer.start({ now: clock.now });
});

afterAll(async () => {
  await issuer?.close();
});

function policies(record: Record<string, unknown> = {}): IdentityPolicies {
  const policy = parseIdentityPolicy("ci", JSON.stringify({ issuer: issuer.url, audiences: ["mantle-vend"], regions: ["*"], maxTtlSeconds: 900, createdAt: "2026-01-01T00:00:00Z", ...record }));
  if (policy === undefined) throw new Error("the policy should parse");
  return new Map<string, IdentityPolicy[]>([[issuer.url, [policy]]]);
}

/** The authenticator over the issuer's keys, counting how often a signature is checked. */
function counted(): { authenticate: ReturnType<typeof identityAuthenticator>; checks: () => number } {
  let checks = 0;
  const local = createLocalJWKSet(issuer.jwks());
  const keys: JWTVerifyGetKey = (header, token) => {
    checks += 1;
    return local(header, token);
  };
  const authenticate = identityAuthenticator({ keySets: { keysFor: () => keys }, clock: clock.now, deadlineMs: 1_000, sleep: clock.sleep });
  return { authenticate, checks: () => checks };
}

const claims = { aud: "mantle-vend", sub: "job-1" };

describe("a token presented again skips the signature check, and only that", () => {
  it("five presentations of one token check its signature once; another token is checked on its own", async () => {
    const { authenticate, checks } = counted();
    const loaded = policies();
    const token = await issuer.sign(claims);
    for (let i = 0; i < 5; i += 1) expect((await authenticate(loaded, token)).id).toBe("identity:ci:job-1");
    expect(checks()).toBe(1);
    await authenticate(loaded, await issuer.sign({ ...claims, sub: "job-2" }));
    expect(checks()).toBe(2);
  });

  it("a changed audience (403), a disabled policy (401) and a new lifetime cap (401) apply at once to a remembered token", async () => {
    const { authenticate } = counted();
    const token = await issuer.sign(claims, { lifetimeSeconds: 3600 });
    const loaded = policies();
    await authenticate(loaded, token);
    await expect(authenticate(policies({ audiences: ["other"] }), token)).rejects.toMatchObject({ name: "NoPolicyAdmitsError" });
    await expect(authenticate(policies({ disabled: true }), token)).rejects.toMatchObject({ name: "IdentityTokenRefusedError", refusal: "issuer" });
    await expect(authenticate(policies({ maxTokenLifetimeSeconds: 600 }), token)).rejects.toMatchObject({ refusal: "lifetime" });
  });

  it("is forgotten when the policies reload: the signature is checked again", async () => {
    const { authenticate, checks } = counted();
    const token = await issuer.sign(claims);
    await authenticate(policies(), token);
    await authenticate(policies(), token);
    expect(checks()).toBe(2);
  });

  it("never outlives the token: once exp (plus the 60 s leeway) has passed it is refused as expired", async () => {
    const { authenticate } = counted();
    const loaded = policies();
    const token = await issuer.sign(claims, { lifetimeSeconds: 120 });
    await authenticate(loaded, token);
    clock.advanceSeconds(170);
    expect((await authenticate(loaded, token)).id).toBe("identity:ci:job-1");
    clock.advanceSeconds(20);
    await expect(authenticate(loaded, token)).rejects.toMatchObject({ refusal: "expiry" });
  });

  it("never outlives the issuer's keys: after 10 minutes the signature is checked again", async () => {
    const { authenticate, checks } = counted();
    const loaded = policies();
    const token = await issuer.sign(claims, { lifetimeSeconds: 3600 });
    await authenticate(loaded, token);
    clock.advanceSeconds(599);
    await authenticate(loaded, token);
    expect(checks()).toBe(1);
    clock.advanceSeconds(2);
    await authenticate(loaded, token);
    expect(checks()).toBe(2);
  });

  it("a token that failed is not remembered, and a forged copy of a remembered one does not hit", async () => {
    const { authenticate, checks } = counted();
    const loaded = policies();
    const token = await issuer.sign(claims);
    await authenticate(loaded, token);
    const [header, , signature] = token.split(".");
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: "admin", iss: issuer.url, exp: 9_999_999_999 })).toString("base64url")}.${signature}`;
    await expect(authenticate(loaded, forged)).rejects.toMatchObject({ refusal: "signature" });
    await expect(authenticate(loaded, forged)).rejects.toMatchObject({ refusal: "signature" });
    expect(checks()).toBe(3);
  });
});

describe("the memory is bounded", () => {
  it("keeps at most maxEntries tokens, dropping the oldest", () => {
    const memory = new VerifiedTokens({ maxEntries: 2 });
    const loaded = policies();
    const verified = { issuer: "i", claims: { exp: Math.floor(clock.now() / 1000) + 600 } };
    for (const token of ["a", "b", "c"]) memory.remember(token, verified, loaded, clock.now());
    expect(["a", "b", "c"].map((token) => memory.get(token, loaded, clock.now()) !== undefined)).toEqual([false, true, true]);
  });
});
