import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FunctionUrlResult } from "../../lambda/http/events.js";
import { MantleEmulator, type FailureMode } from "../../lambda/local/mantle-emulator.js";
import { SsmFake } from "../fakes/ssm-fake.js";
import { functionUrlEvent } from "../support/events.js";
import { startService, type TestService } from "../support/service.js";
import { ssmStore } from "../support/ssm.js";

// Short enough that twice the TTL stays inside the key cache's 900 s maximum age, so an
// SSM outage in these tests hits the catalog path, not authentication.
const TTL_SECONDS = 300;
let ssm: SsmFake;
let emulator: MantleEmulator;
let service: TestService;
let key: string;
let euOnlyKey: string;

interface CatalogBody {
  region: string;
  baseUrl: string;
  checkedAt: string;
  changedAt: string;
  stale: boolean;
  models: { id: string; name: string; ownedBy: string | null; created: number | null; reasoning: boolean }[];
}

async function models(region = "us-west-2", headers: Record<string, string> = {}, on = service): Promise<FunctionUrlResult> {
  return on.api(functionUrlEvent({ path: "/v1/models", query: `region=${region}`, key, headers }));
}

const body = (result: FunctionUrlResult): CatalogBody => JSON.parse(result.body) as CatalogBody;
const mantleCalls = (region = "us-west-2"): number => emulator.count({ region, path: "/v1/models" });

beforeEach(async () => {
  ssm = await SsmFake.start();
  emulator = await MantleEmulator.start();
  emulator.setCatalog("us-west-2", [
    { id: "openai.gpt-oss-120b", created: 1754000000, owned_by: "openai" },
    { id: "deepseek.v3.2", owned_by: "deepseek", extra: { ignored: true } },
    { id: "moonshotai.kimi-k2-thinking" },
  ]);
  service = await startService({
    emulator,
    store: ssmStore(ssm),
    pollIntervalMs: 60_000,
    upstreamTimeoutMs: 300,
    env: { MANTLE_VEND_CATALOG_TTL_SECONDS: String(TTL_SECONDS), MANTLE_VEND_RATE_LIMIT_BURST: "1000" },
  });
  ({ key } = await service.createKey());
  ({ key: euOnlyKey } = await service.createKey({ regions: ["eu-west-1"] }));
  expect((await service.api(functionUrlEvent({ path: "/v1/regions", key }))).statusCode).toBe(200); // keys loaded
  ssm.resetCalls();
});

afterEach(async () => {
  await service.close();
  await emulator.close();
  await ssm.close();
});

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
