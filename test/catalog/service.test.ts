import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FunctionUrlResult } from "../../lambda/http/events.js";
import type { CatalogBody } from "../../lambda/http/index.js";
import type { FailureMode, MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { functionUrlEvent } from "../support/events.js";
import { startFixture } from "../support/fixture.js";
import { deadlineOnHold, startService, type TestService } from "../support/service.js";
import { ssmStore } from "../support/ssm.js";
import { ManualClock } from "../support/clock.js";
import { tracked, turnsUntil } from "../support/fake-time.js";
import type { ParameterStore } from "../../lambda/store/types.js";
import { CatalogStore } from "../../lambda/catalog/store.js";
import { parameterPaths } from "../../lambda/store/index.js";

// Short enough that twice the TTL stays inside the key cache's 900 s maximum age, so an
// SSM outage in these tests hits the catalog path, not authentication.
const TTL_SECONDS = 300;
let fixture: Awaited<ReturnType<typeof startFixture>>;
let ssm: SsmFake;
let emulator: MantleEmulator;
let service: TestService;
let key: string;
let euOnlyKey: string;

async function models(region = "us-west-2", headers: Record<string, string> = {}, on = service): Promise<FunctionUrlResult> {
  return on.api(functionUrlEvent({ path: "/v1/models", query: `region=${region}`, key, headers }));
}

const body = (result: FunctionUrlResult): CatalogBody => JSON.parse(result.body) as CatalogBody;
const mantleCalls = (region = "us-west-2"): number => emulator.count({ region, path: "/v1/models" });

beforeEach(async () => {
  // Fresh fakes per test: each one counts SSM and Mantle calls from a known start.
  fixture = await startFixture({
    ssm: true,
    emulator: {
      catalogs: {
        "us-west-2": [
          { id: "openai.gpt-oss-120b", created: 1754000000, owned_by: "openai" },
          { id: "deepseek.v3.2", owned_by: "deepseek", extra: { ignored: true } },
          { id: "moonshotai.kimi-k2-thinking" },
        ],
      },
    },
    service: ({ ssm, emulator }) => ({
      store: ssm && ssmStore(ssm),
      pollIntervalMs: 60_000,
      upstreamTimeoutMs: 300,
      ...(emulator === undefined ? {} : { upstreamTimeoutSignal: deadlineOnHold(emulator) }),
      env: { MANTLE_VEND_CATALOG_TTL_SECONDS: String(TTL_SECONDS), MANTLE_VEND_RATE_LIMIT_BURST: "1000" },
    }),
  });
  ({ ssm, emulator, service } = fixture);
  ({ key } = await service.createKey());
  ({ key: euOnlyKey } = await service.createKey({ regions: ["eu-west-1"] }));
  expect((await service.api(functionUrlEvent({ path: "/v1/regions", key }))).statusCode).toBe(200); // keys loaded
  ssm.resetCalls();
});

afterEach(() => fixture.close());

describe("GET /v1/models answers the region's catalog", () => {
  it("lists the models sorted by id with inferred reasoning, the family rules' routes and limits, the base URL and fresh times", async () => {
    const result = await models();
    expect(result.statusCode).toBe(200);
    const now = new Date(service.clock.now()).toISOString();
    expect(body(result)).toEqual({
      region: "us-west-2",
      baseUrl: `${emulator.rootFor("us-west-2")}/v1`,
      checkedAt: now,
      changedAt: now,
      stale: false,
      models: [
        {
          ...{ id: "deepseek.v3.2", name: "deepseek.v3.2", ownedBy: "deepseek", created: null, reasoning: false },
          ...{ apis: ["chat-completions"], baseUrl: `${emulator.rootFor("us-west-2")}/v1`, contextWindow: 164_000, maxOutputTokens: 8_000, input: ["text"] },
        },
        {
          ...{ id: "moonshotai.kimi-k2-thinking", name: "moonshotai.kimi-k2-thinking", ownedBy: null, created: null, reasoning: true },
          ...{ apis: ["chat-completions"], baseUrl: `${emulator.rootFor("us-west-2")}/v1`, contextWindow: 262_143, maxOutputTokens: 16_000, input: ["text"] },
        },
        {
          ...{ id: "openai.gpt-oss-120b", name: "openai.gpt-oss-120b", ownedBy: "openai", created: 1754000000, reasoning: true },
          ...{ apis: ["chat-completions", "responses"], baseUrl: `${emulator.rootFor("us-west-2")}/v1`, contextWindow: 128_000, maxOutputTokens: 16_000, input: ["text"] },
        },
      ],
    });
    expect(result.headers["cache-control"]).toBe(`private, max-age=${TTL_SECONDS}`);
    expect(result.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
  });

  it("uses the key's default region without a query", async () => {
    const result = await service.api(functionUrlEvent({ path: "/v1/models", key }));
    expect(body(result).region).toBe("us-east-1");
  });

  it("rejects a region outside the allowlist (400), one the key may not use (403) and unknown parameters (400)", async () => {
    expect((await models("mars-east-1")).statusCode).toBe(400);
    expect((await service.api(functionUrlEvent({ path: "/v1/models", query: "region=us-west-2&x=1", key }))).statusCode).toBe(400);
    const result = await service.api(functionUrlEvent({ path: "/v1/models", query: "region=us-west-2", key: euOnlyKey }));
    expect(result.statusCode).toBe(403);
  });

  it("counts max-age down to when the catalog is due", async () => {
    await models();
    service.clock.advanceSeconds(100);
    expect((await models()).headers["cache-control"]).toBe(`private, max-age=${TTL_SECONDS - 100}`);
  });
});

describe("the read path: memory, then SSM, then Mantle", () => {
  it("fetches live once, stores it in SSM, then serves from memory with no further calls", async () => {
    await models();
    expect(mantleCalls()).toBe(1);
    expect(ssm.names("/mantle-vend/catalogs/us-west-2")).toEqual(["/mantle-vend/catalogs/us-west-2", "/mantle-vend/catalogs/us-west-2/0"]);
    ssm.resetCalls();
    for (let i = 0; i < 10; i++) expect((await models()).statusCode).toBe(200);
    expect(mantleCalls()).toBe(1);
    expect(ssm.calls).toHaveLength(0);
  });

  it("makes exactly one Mantle call for 100 concurrent requests on a cold region", async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => models()));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    expect(new Set(results.map((r) => r.headers.etag)).size).toBe(1);
    expect(mantleCalls()).toBe(1);
  });

  it("re-reads SSM, not Mantle, once the memory copy is due and SSM holds a copy within twice the TTL", async () => {
    await models();
    await service.catalogs.refresh("us-west-2"); // what the schedule does
    service.clock.advanceSeconds(TTL_SECONDS + 1);
    ssm.resetCalls();
    const result = await models();
    expect(result.statusCode).toBe(200);
    expect(body(result).stale).toBe(true); // SSM's copy is as old as the refresh: due, not yet refreshed
    expect(ssm.count("GetParameter")).toBeGreaterThan(0);
    expect(mantleCalls()).toBe(2);
  });

  it("fetches live when SSM's copy is older than twice the TTL (the schedule is off or failing)", async () => {
    await models();
    service.clock.advanceSeconds(2 * TTL_SECONDS + 1);
    const result = await models();
    expect(mantleCalls()).toBe(2);
    expect(body(result).stale).toBe(false);
    expect(body(result).checkedAt).toBe(new Date(service.clock.now()).toISOString());
  });
});

describe("refreshing a catalog", () => {
  it("rewrites only the index when the models did not change, and keeps changedAt and the etag", async () => {
    const first = await models();
    service.clock.advanceSeconds(TTL_SECONDS);
    ssm.resetCalls();
    const outcome = await service.catalogs.refresh("us-west-2");
    expect(outcome.changed).toBe(false);
    expect(ssm.count("PutParameter")).toBe(1);
    expect(ssm.calls.find((c) => c.action === "PutParameter")?.name).toBe("/mantle-vend/catalogs/us-west-2");
    const second = await models();
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(body(second).changedAt).toBe(body(first).changedAt);
    expect(body(second).checkedAt).toBe(new Date(service.clock.now()).toISOString());
  });

  it("changes the etag and changedAt when the models change", async () => {
    const first = await models();
    emulator.setCatalog("us-west-2", [{ id: "openai.gpt-oss-120b" }, { id: "qwen.qwen3-32b" }]);
    service.clock.advanceSeconds(TTL_SECONDS);
    expect((await service.catalogs.refresh("us-west-2")).changed).toBe(true);
    const second = await models();
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect(body(second).changedAt).toBe(new Date(service.clock.now()).toISOString());
    expect(body(second).models.map((m) => m.id)).toEqual(["openai.gpt-oss-120b", "qwen.qwen3-32b"]);
  });
});

describe("conditional requests", () => {
  it("answers 304 with no body for the current etag, and 200 for another", async () => {
    const first = await models();
    const etag = first.headers.etag as string;
    const notModified = await models("us-west-2", { "if-none-match": etag });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe("");
    expect(notModified.headers.etag).toBe(etag);
    expect(notModified.headers["content-type"]).toBeUndefined();
    expect((await models("us-west-2", { "if-none-match": `W/${etag}, "other"` })).statusCode).toBe(304);
    expect((await models("us-west-2", { "if-none-match": '"something-else"' })).statusCode).toBe(200);
  });
});

describe("a failing Mantle never costs the last good catalog", () => {
  const modes: FailureMode[] = ["http500", "timeout", "garbage", "not-list", "non-utf8", "slow", "oversized"];

  it.each(modes)("%s after a good fetch: 200 with the previous models, stale", async (mode) => {
    const good = body(await models());
    emulator.setFailure("us-west-2", mode);
    service.clock.advanceSeconds(2 * TTL_SECONDS + 1);
    const result = await models();
    expect(result.statusCode).toBe(200);
    expect(body(result).models).toEqual(good.models);
    expect(body(result).stale).toBe(true);
    expect(result.headers["cache-control"]).toBe("private, max-age=0");
    await expect(service.catalogs.refresh("us-west-2")).rejects.toThrow();
    emulator.setFailure("us-west-2", null);
    const stored = body(await models());
    expect(stored.models).toEqual(good.models);
  });

  it.each(modes)("%s on a region never fetched: 502 upstream_error", async (mode) => {
    emulator.setFailure("eu-west-1", mode);
    const result = await models("eu-west-1");
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body)).toEqual({ error: { code: "upstream_error", message: expect.any(String), requestId: result.headers["x-request-id"] } });
  });

  it("does not retry a failing region on every request", async () => {
    await models();
    emulator.setFailure("us-west-2", "http500");
    service.clock.advanceSeconds(2 * TTL_SECONDS + 1);
    for (let i = 0; i < 5; i++) await models();
    expect(mantleCalls()).toBe(2);
  });
});

describe("a failing SSM degrades to memory or Mantle", () => {
  it("serves from memory while SSM throttles", async () => {
    await models();
    ssm.inject({ kind: "throttle" });
    expect((await models()).statusCode).toBe(200);
  });

  it("serves live from Mantle when SSM throttles on a cold region", async () => {
    ssm.inject({ kind: "throttle" });
    const result = await models();
    expect(result.statusCode).toBe(200);
    expect(body(result).models).toHaveLength(3);
  });

  it("answers 503 only when SSM is down and Mantle fails on a cold region", async () => {
    ssm.inject({ kind: "5xx", action: "GetParameter" });
    emulator.setFailure("us-west-2", "http500");
    const result = await models();
    expect(result.statusCode).toBe(503);
  });

  it("keeps serving a due catalog as stale when both SSM and Mantle fail", async () => {
    await models();
    ssm.inject({ kind: "5xx" });
    emulator.setFailure("us-west-2", "garbage");
    service.clock.advanceSeconds(2 * TTL_SECONDS + 1);
    const result = await models();
    expect(result.statusCode).toBe(200);
    expect(body(result).stale).toBe(true);
  });
});

describe("a failing region costs at most one upstream attempt per minute per container, whatever the request mix", () => {
  it("50 requests for a region whose Mantle fails make 1 SSM read and 1 Mantle call, all answered 502 from memory", async () => {
    emulator.setFailure("us-west-2", "http500");
    for (let i = 0; i < 50; i += 1) {
      const result = await models("us-west-2", i % 2 === 0 ? {} : { "if-none-match": `"x${i}"` });
      expect(result.statusCode).toBe(502);
      service.clock.advance(1_000); // 50 s: still inside the minute
    }
    expect(ssm.count("GetParameter")).toBe(1);
    expect(mantleCalls()).toBe(1);
  });

  it("tries again once the minute has passed, and a success ends the remembered failure", async () => {
    emulator.setFailure("us-west-2", "http500");
    expect((await models()).statusCode).toBe(502);
    service.clock.advanceSeconds(61);
    expect((await models()).statusCode).toBe(502);
    expect(mantleCalls()).toBe(2);
    emulator.setFailure("us-west-2", null);
    service.clock.advanceSeconds(61);
    expect((await models()).statusCode).toBe(200);
    expect((await models()).statusCode).toBe(200);
    expect(mantleCalls()).toBe(3);
  });

  it("remembers a 503 (store and Mantle both failing) the same way", async () => {
    ssm.inject({ kind: "5xx", action: "GetParameter" });
    emulator.setFailure("us-west-2", "http500");
    for (let i = 0; i < 20; i += 1) expect((await models()).statusCode).toBe(503);
    expect(mantleCalls()).toBe(1);
    expect(ssm.count("GetParameter")).toBeLessThanOrEqual(1 * 3); // one read, with the SDK's own retries
  });

  it("12 failing regions cycled through make at most 12 SSM reads and 12 Mantle calls", async () => {
    const all = service.config.regions;
    expect(all).toHaveLength(12);
    for (const region of all) emulator.setFailure(region, "http500");
    for (let round = 0; round < 5; round += 1) {
      for (const region of all) expect((await models(region)).statusCode).toBe(502);
      service.clock.advance(5_000);
    }
    expect(ssm.count("GetParameter")).toBeLessThanOrEqual(12);
    expect(all.reduce((sum, region) => sum + mantleCalls(region), 0)).toBeLessThanOrEqual(12);
  });
});

describe("a corrupt stored index counts as no copy, and the next good refresh overwrites it", () => {
  const INDEX = "/mantle-vend/catalogs/us-west-2";
  it.each([
    ["text that is not JSON", "{not json"],
    ["another format version", JSON.stringify({ v: 2, checkedAt: "2026-11-25T11:00:00.000Z", changedAt: "2026-11-25T11:00:00.000Z", sha256: "0".repeat(64), parts: 1 })],
    ["a number", "42"],
  ])("%s", async (_label, corrupt) => {
    ssm.seed(INDEX, corrupt);
    const served = await models();
    expect(served.statusCode).toBe(200);
    expect(body(served).models).toHaveLength(3);
    await service.catalogs.refresh("us-west-2");
    const index = JSON.parse(ssm.value(INDEX) ?? "null") as { v: number; parts: number };
    expect(index).toMatchObject({ v: 1, parts: 1 });
  });
});

/**
 * The catalog parameters of `store` answer `latencyMs` late on the test's clock, or never
 * (`hang`); key parameters are untouched. No real time passes: the clock jumps.
 */
function slowCatalogs(store: ParameterStore, clock: ManualClock, latencyMs: number, hang = false): ParameterStore & { touched: Promise<void> } {
  let touch = (): void => undefined;
  const touched = new Promise<void>((resolve) => (touch = resolve));
  const slow = <T>(name: string, call: () => Promise<T>): Promise<T> => {
    if (!name.includes("/catalogs/")) return call();
    touch();
    if (hang) return new Promise<T>(() => undefined);
    return call().then((result) => {
      clock.advance(latencyMs);
      return result;
    });
  };
  return {
    touched,
    get: (name) => slow(name, () => store.get(name)),
    getMany: (names) => slow(names[0] ?? "", () => store.getMany(names)),
    getByPath: (path) => slow(path, () => store.getByPath(path)),
    put: (name, value, options) => slow(name, () => store.put(name, value, options)),
    delete: (name) => slow(name, () => store.delete(name)),
  };
}

describe("a catalog request ends within its deadline, well inside the function's 10 s timeout", () => {
  const INDEX = "/mantle-vend/catalogs/us-west-2";
  let slowService: TestService | undefined;
  afterEach(async () => {
    await slowService?.close();
    slowService = undefined;
  });

  async function slowed(options: { ssmMs: number; mantleMs: number; hang?: boolean }): Promise<{ service: TestService; store: ReturnType<typeof slowCatalogs>; clock: ManualClock }> {
    const clock = new ManualClock();
    const store = slowCatalogs(ssmStore(ssm), clock, options.ssmMs, options.hang);
    const mantle: typeof fetch = async (input, init) => {
      const answer = await fetch(input, init);
      clock.advance(options.mantleMs);
      return answer;
    };
    slowService = await startService({ emulator, store, clock, fetch: mantle, pollIntervalMs: 60_000, upstreamTimeoutMs: 5_000 });
    return { service: slowService, store, clock };
  }

  const ask = (on: TestService) => on.api(functionUrlEvent({ path: "/v1/models", query: "region=us-west-2", key }));
  /** Loads the keys (their parameters are not slowed), so what follows is the catalog path alone. */
  const warm = async (on: TestService) => expect((await on.api(functionUrlEvent({ path: "/v1/regions", key }))).statusCode).toBe(200);

  it("SSM at 1.8 s a call and Mantle at 4.5 s: answered by the 8 s deadline, the store write finishing in the background", async () => {
    const { service: slow, clock } = await slowed({ ssmMs: 1_800, mantleMs: 4_500 });
    await warm(slow);
    const started = clock.now();
    const result = await ask(slow);
    const elapsed = clock.now() - started;
    expect(result.statusCode).toBe(200);
    expect(elapsed).toBeLessThanOrEqual(slow.config.requestDeadlineMs + 1_800);
    expect(elapsed).toBeLessThan(10_000);
    await turnsUntil(() => ssm.value(INDEX) !== undefined);
  });

  it("a deadline spent by the time Mantle answers: the catalog is served and no store write starts", async () => {
    const { service: slow } = await slowed({ ssmMs: 1_800, mantleMs: 7_000 });
    await warm(slow);
    ssm.resetCalls();
    const result = await ask(slow);
    expect(result.statusCode).toBe(200);
    expect(body(result).models).toHaveLength(3);
    expect(ssm.count("PutParameter")).toBe(0);
    expect(ssm.value(INDEX)).toBeUndefined();
  });

  it("a store read that never answers ends at the deadline with 503", async () => {
    const { service: slow, store, clock } = await slowed({ ssmMs: 0, mantleMs: 0, hang: true });
    await warm(slow);
    const pending = tracked(ask(slow));
    await store.touched;
    clock.advance(slow.config.requestDeadlineMs);
    await turnsUntil(() => pending.settled());
    expect((await pending.promise).statusCode).toBe(503);
  });

  it("overrides whose first read never answers: the catalog is served by the deadline, with the rules alone", async () => {
    const clock = new ManualClock();
    const base = ssmStore(ssm);
    const hung = (names: readonly string[]): boolean => names.some((n) => n.endsWith("/catalog-overrides"));
    const hangOverrides: ParameterStore = {
      get: (name) => (hung([name]) ? new Promise(() => undefined) : base.get(name)),
      getMany: (names) => (hung(names) ? new Promise(() => undefined) : base.getMany(names)),
      getByPath: (path) => base.getByPath(path),
      put: (name, value, options) => base.put(name, value, options),
      delete: (name) => base.delete(name),
    };
    slowService = await startService({ emulator, store: hangOverrides, clock, pollIntervalMs: 60_000 });
    await warm(slowService);
    let answered: FunctionUrlResult | undefined;
    void ask(slowService).then((result) => (answered = result));
    // The catalog's own path is done once its write is stored; only then is the deadline passed, on the injected clock.
    await turnsUntil(() => ssm.value(INDEX) !== undefined);
    clock.advance(slowService.config.requestDeadlineMs);
    await turnsUntil(() => answered !== undefined);
    expect(answered?.statusCode).toBe(200);
    expect(JSON.parse(answered?.body ?? "{}").models.map((m: { id: string }) => m.id)).toEqual(["deepseek.v3.2", "moonshotai.kimi-k2-thinking", "openai.gpt-oss-120b"]);
  });
});

describe("served catalogs are bounded: sane times and a size cap below Lambda's response limit", () => {
  it("clamps a stored checkedAt in the future to now, so max-age never exceeds the TTL", async () => {
    const future = "9999-01-01T00:00:00.000Z";
    await new CatalogStore(ssmStore(ssm), parameterPaths("/mantle-vend")).write("us-west-2", {
      checkedAt: future,
      changedAt: future,
      models: [{ id: "a.b", name: "a.b", ownedBy: null, created: null, reasoning: false }],
    });
    const result = await models();
    expect(result.statusCode).toBe(200);
    const now = new Date(service.clock.now()).toISOString();
    expect(body(result)).toMatchObject({ checkedAt: now, changedAt: now, stale: false });
    expect(result.headers["cache-control"]).toBe(`private, max-age=${TTL_SECONDS}`);
  });

  it("answers 502 saying the model list is too large to serve when Mantle's would exceed the cap", async () => {
    emulator.setCatalog("us-west-2", Array.from({ length: 15_000 }, (_, i) => ({ id: `m.${String(i).padStart(6, "0")}${"x".repeat(180)}` })));
    const result = await models();
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body).error.message).toMatch(/too large to serve.*6 MB/);
    expect(ssm.count("PutParameter")).toBe(0);
  });

  it("answers 502 too large to serve when Mantle's list fits the cap but its served form (routes, limits) does not", async () => {
    // Short ids: each served model carries its APIs, base URL, limits and input, several times its stored size.
    emulator.setCatalog("us-west-2", Array.from({ length: 30_000 }, (_, i) => ({ id: `m.${String(i).padStart(6, "0")}` })));
    const first = await models();
    expect(first.statusCode).toBe(502);
    expect(JSON.parse(first.body).error.message).toMatch(/too large to serve.*6 MB/);
  });
});
