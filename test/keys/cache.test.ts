import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FunctionUrlResult } from "../../lambda/http/events.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { functionUrlEvent } from "../support/events.js";
import { startFixture } from "../support/fixture.js";
import { ssmStore } from "../support/ssm.js";
import { startService, type TestService } from "../support/service.js";

let fixture: Awaited<ReturnType<typeof startFixture>>;
let ssm: SsmFake;
let service: TestService;
let key: string;
let keyId: string;

/** Runs the handler, then lets any background key poll finish before the next step. */
async function request(init: { method?: string; path?: string; key?: string; body?: string }): Promise<FunctionUrlResult> {
  const result = await service.api(functionUrlEvent(init));
  await service.settle();
  return result;
}

const mint = (withKey = key): Promise<FunctionUrlResult> => request({ method: "POST", path: "/v1/tokens", key: withKey });

beforeEach(async () => {
  // A fresh SSM fake per test: each one counts the calls from a known cold start.
  fixture = await startFixture({ ssm: true, service: ({ ssm }) => ({ store: ssm && ssmStore(ssm), pollIntervalMs: 60_000 }) });
  ({ ssm, service } = fixture);
  ({ key, keyId } = await service.createKey());
  ssm.resetCalls();
  expect((await mint()).statusCode).toBe(200); // cold start: version, keys and identity policies
  expect(ssm.count("GetParameter")).toBe(1);
  expect(ssm.count("GetParametersByPath")).toBe(2);
  expect(ssm.count("GetParametersByPath", "/mantle-vend/keys")).toBe(1);
  ssm.resetCalls();
});

afterEach(() => fixture.close());

describe("a request answered from memory costs no SSM call", () => {
  it("a token request with a loaded key makes zero SSM calls", async () => {
    for (let i = 0; i < 20; i++) expect((await mint()).statusCode).toBe(200);
    expect(ssm.calls).toHaveLength(0);
  });

  it("an unknown key makes zero SSM calls", async () => {
    const stranger = `mvk_${"f".repeat(16)}_${"A".repeat(43)}`;
    for (let i = 0; i < 20; i++) expect((await mint(stranger)).statusCode).toBe(401);
    expect(ssm.calls).toHaveLength(0);
  });
});

describe("steady state polls the key version once per interval", () => {
  it("makes one GetParameter per minute over ten minutes of traffic, and no reload when nothing changed", async () => {
    for (let second = 0; second < 600; second += 5) {
      service.clock.advanceSeconds(5);
      expect((await mint()).statusCode).toBe(200);
    }
    // 60 s ± 10 % jitter (the service pins jitter to the middle): ten polls in ten minutes.
    expect(ssm.count("GetParameter")).toBe(10);
    expect(ssm.count("GetParametersByPath")).toBe(0);
    expect(ssm.calls).toHaveLength(10);
  });
});

describe("admin changes take effect after the next version poll", () => {
  it("a revoked key stops working after the next poll, not before", async () => {
    await service.admin.revoke(keyId);
    ssm.resetCalls();
    expect((await mint()).statusCode).toBe(200); // still cached: no poll due yet
    expect(ssm.calls).toHaveLength(0);
    service.clock.advanceSeconds(61);
    await mint(); // triggers the poll in the background, answers from memory
    // The version moved: keys and identity policies reload, and so do the catalog overrides it also stands for.
    expect(ssm.calls.filter((c) => c.action === "GetParameter").map((c) => c.name)).toEqual(["/mantle-vend/keys-version", "/mantle-vend/catalog-overrides"]);
    expect(ssm.calls.filter((c) => c.action === "GetParametersByPath").map((c) => c.path).sort()).toEqual(["/mantle-vend/identities", "/mantle-vend/keys"]);
    expect((await mint()).statusCode).toBe(401);
  });

  it("a new key works after the next poll", async () => {
    const fresh = await service.createKey();
    expect((await mint(fresh.key)).statusCode).toBe(401);
    service.clock.advanceSeconds(61);
    await mint();
    expect((await mint(fresh.key)).statusCode).toBe(200);
  });
});

describe("an SSM outage degrades to the cached keys, then fails closed", () => {
  it("keeps vending until the cache is 900 s old, then answers 503", async () => {
    ssm.inject({ kind: "5xx" });
    for (let second = 60; second <= 900; second += 60) {
      service.clock.advanceSeconds(60);
      expect((await mint()).statusCode).toBe(200);
    }
    service.clock.advanceSeconds(2);
    const closed = await mint();
    expect(closed.statusCode).toBe(503);
    expect(JSON.parse(closed.body).error.code).toBe("unavailable");
  });

  it("fails fast during the retry backoff instead of calling SSM per request", async () => {
    ssm.inject({ kind: "throttle" });
    service.clock.advanceSeconds(901);
    expect((await mint()).statusCode).toBe(503);
    const callsAfterFirst = ssm.calls.length;
    for (let i = 0; i < 10; i++) expect((await mint()).statusCode).toBe(503);
    expect(ssm.calls.length).toBe(callsAfterFirst);
  });

  it("recovers on its own once SSM answers again", async () => {
    ssm.inject({ kind: "down" });
    service.clock.advanceSeconds(901);
    expect((await mint()).statusCode).toBe(503);
    ssm.clearFaults();
    service.clock.advanceSeconds(6);
    expect((await mint()).statusCode).toBe(200);
  });

  it("throttled polls keep serving and do not lose the cached keys", async () => {
    ssm.inject({ kind: "throttle", action: "GetParameter" });
    service.clock.advanceSeconds(61);
    expect((await mint()).statusCode).toBe(200);
    expect((await mint()).statusCode).toBe(200);
    expect(ssm.count("GetParameter")).toBe(1);
  });
});

describe("a cold start that cannot reach SSM", () => {
  it("answers 503 until SSM is reachable, then serves", async () => {
    ssm.inject({ kind: "5xx" });
    const cold = await startService({ emulator: fixture.emulator, store: ssmStore(ssm), pollIntervalMs: 60_000 });
    try {
      const result = await cold.api(functionUrlEvent({ method: "POST", path: "/v1/tokens", key }));
      expect(result.statusCode).toBe(503);
      ssm.clearFaults();
      cold.clock.advanceSeconds(6);
      expect((await cold.api(functionUrlEvent({ method: "POST", path: "/v1/tokens", key }))).statusCode).toBe(200);
    } finally {
      await cold.close();
    }
  });
});
