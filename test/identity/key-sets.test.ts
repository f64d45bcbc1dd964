/**
 * Rule 3's keys, per issuer and per container, through the real service against loopback issuers:
 * discovery, caching, rotation, a flood of unknown kids, a provider that fails, hangs or lies, and
 * two issuers whose keys share a kid. jose keeps its cache times by Date.now, which these tests fake
 * in step with the service's manual clock: nothing waits on real time.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { PolicyChange } from "../../lambda/admin/identities-admin.js";
import { TestIssuer } from "../fakes/oidc-issuer.js";
import { ManualClock } from "../support/clock.js";
import { functionUrlEvent } from "../support/events.js";
import { tracked, turnsUntil } from "../support/fake-time.js";
import { startService, type TestService } from "../support/service.js";

const DEADLINE_MS = 2_000;
const clock = new ManualClock();
let service: TestService;
const issuers: TestIssuer[] = [];
let policyCount = 0;

beforeAll(async () => {
  service = await startService({ clock, env: { MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1", MANTLE_VEND_REQUEST_DEADLINE_MS: String(DEADLINE_MS) } });
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: clock.now() });
  advance(120);
});

afterEach(async () => {
  vi.useRealTimers();
  for (const issuer of issuers.splice(0)) await issuer.close();
});

afterAll(async () => {
  await service?.close();
});

/** Moves the service's clock and jose's Date together. */
function advance(seconds: number): void {
  clock.advanceSeconds(seconds);
  vi.setSystemTime(clock.now());
}

/** A fresh issuer (so each test counts its own fetches) and a policy trusting it. */
async function trustedIssuer(record: Partial<PolicyChange["record"]> = {}, options: Parameters<typeof TestIssuer.start>[0] = {}): Promise<TestIssuer> {
  const issuer = await TestIssuer.start({ now: clock.now, ...options });
  issuers.push(issuer);
  policyCount += 1;
  await service.identities.add(`p${policyCount}`, { record: { issuer: issuer.url, audiences: ["mantle-vend"], ...record }, grant: {} });
  return issuer;
}

const claims = { aud: "mantle-vend", sub: "workload-1" };

async function status(token: string): Promise<number> {
  return (await service.api(functionUrlEvent({ path: "/v1/whoami", headers: { authorization: `Bearer ${token}` } }))).statusCode;
}

describe("keys are found through discovery and kept per container", () => {
  it("the first token fetches discovery and JWKS once; later ones fetch nothing for 10 minutes, then the keys are fetched again", async () => {
    const issuer = await trustedIssuer();
    for (let i = 0; i < 10; i += 1) expect(await status(await issuer.sign(claims))).toBe(200);
    expect([issuer.count("discovery"), issuer.count("jwks")]).toEqual([1, 1]);
    advance(9 * 60);
    expect(await status(await issuer.sign(claims))).toBe(200);
    expect([issuer.count("discovery"), issuer.count("jwks")]).toEqual([1, 1]);
    advance(61);
    expect(await status(await issuer.sign(claims))).toBe(200);
    expect([issuer.count("discovery"), issuer.count("jwks")]).toEqual([2, 2]);
  });

  it("the discovery document must name the issuer itself: another issuer's document gives 503 and its keys are never fetched", async () => {
    const issuer = await trustedIssuer();
    issuer.setDiscoveryIssuer("https://accounts.example.com");
    const answer = await service.api(functionUrlEvent({ path: "/v1/whoami", headers: { authorization: `Bearer ${await issuer.sign(claims)}` } }));
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body).error.code).toBe("unavailable");
    expect(issuer.count("jwks")).toBe(0);
  });
});

describe("key rotation at the issuer: a new kid refetches the keys once", () => {
  it("a token signed with a key published since the last fetch is accepted after exactly one refetch", async () => {
    const issuer = await trustedIssuer({ jwksUri: undefined });
    expect(await status(await issuer.sign(claims))).toBe(200);
    expect(issuer.count("jwks")).toBe(1);
    advance(31);
    const rotated = await issuer.addKey("RS256");
    expect(await status(await issuer.sign(claims, { kid: rotated }))).toBe(200);
    expect(issuer.count("jwks")).toBe(2);
    for (let i = 0; i < 5; i += 1) expect(await status(await issuer.sign(claims, { kid: rotated }))).toBe(200);
    expect(issuer.count("jwks")).toBe(2);
  });

  it("within 30 s of the last fetch a new kid is refused (401) without a fetch, and accepted once the cooldown is over", async () => {
    const issuer = await trustedIssuer();
    expect(await status(await issuer.sign(claims))).toBe(200);
    const rotated = await issuer.addKey("ES256");
    advance(10);
    expect(await status(await issuer.sign(claims, { kid: rotated }))).toBe(401);
    expect(issuer.count("jwks")).toBe(1);
    advance(21);
    expect(await status(await issuer.sign(claims, { kid: rotated }))).toBe(200);
    expect(issuer.count("jwks")).toBe(2);
  });
});

describe("a flood of unknown kids costs at most one JWKS fetch per 30 s", () => {
  it("300 tokens with unknown kids over 3 minutes make at most one fetch in any 30 s", async () => {
    const issuer = await trustedIssuer();
    const forged = await issuer.addUnpublishedKey("RS256");
    const fetchTimes: number[] = [];
    let seen = 0;
    for (let second = 0; second < 180; second += 1) {
      for (let i = 0; i < 5; i += 1) {
        const token = await issuer.sign(claims, { kid: forged.kid, headerKid: `unknown-${second}-${i}` });
        expect(await status(token)).toBe(401);
      }
      if (issuer.count("jwks") > seen) {
        seen = issuer.count("jwks");
        fetchTimes.push(second);
      }
      advance(1);
    }
    expect(fetchTimes.length).toBeGreaterThanOrEqual(5);
    expect(fetchTimes.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < fetchTimes.length; i += 1) expect((fetchTimes[i] as number) - (fetchTimes[i - 1] as number)).toBeGreaterThanOrEqual(30);
    expect(issuer.count("discovery")).toBe(1);
  });
});

describe("a provider that fails gives 503 (the token may be fine), never 401, and is not asked per request", () => {
  it("JWKS down: 503 unavailable; requests in the next 5 s fail without a fetch; once it is back the token is accepted", async () => {
    const issuer = await trustedIssuer({ jwksUri: undefined });
    issuer.setFault("down");
    const token = await issuer.sign(claims);
    const answer = await service.api(functionUrlEvent({ path: "/v1/tokens", method: "POST", headers: { authorization: `Bearer ${token}` } }));
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body).error).toMatchObject({ code: "unavailable", message: expect.not.stringContaining(token.slice(0, 20)) });
    const asked = issuer.requests.length;
    for (let i = 0; i < 20; i += 1) expect(await status(token)).toBe(503);
    expect(issuer.requests.length).toBe(asked);
    issuer.setFault(undefined);
    advance(6);
    expect(await status(token)).toBe(200);
  });

  it("a JWKS answer that is not JSON is the provider's failure: 503", async () => {
    const issuer = await trustedIssuer();
    expect(await status(await issuer.sign(claims))).toBe(200);
    advance(11 * 60);
    issuer.setFault("garbage");
    expect(await status(await issuer.sign(claims))).toBe(503);
  });

  it("JWKS slow: the request is answered 503 at its deadline, not when the provider gives up", async () => {
    const issuer = await trustedIssuer({ jwksUri: undefined });
    issuer.setFault("hang");
    const answer = tracked(service.api(functionUrlEvent({ path: "/v1/whoami", headers: { authorization: `Bearer ${await issuer.sign(claims)}` } })));
    await turnsUntil(() => issuer.requests.length > 0);
    clock.advance(DEADLINE_MS - 1);
    await turnsUntil(() => false, 50).catch(() => undefined);
    expect(answer.settled()).toBe(false);
    clock.advance(1);
    await turnsUntil(answer.settled);
    expect((await answer.promise).statusCode).toBe(503);
    issuer.setFault(undefined);
  });
});

describe("each issuer has its own keys", () => {
  it("two issuers whose keys share a kid: each one's tokens verify, and neither's key verifies a token claiming the other", async () => {
    const first = await trustedIssuer({}, { kid: "shared" });
    const second = await trustedIssuer({}, { kid: "shared" });
    expect(await status(await first.sign(claims))).toBe(200);
    expect(await status(await second.sign(claims))).toBe(200);
    const forged = await second.sign({ ...claims, iss: first.url });
    expect(await status(forged)).toBe(401);
    advance(31);
    expect(await status(await second.sign({ ...claims, iss: first.url }))).toBe(401);
  });
});
