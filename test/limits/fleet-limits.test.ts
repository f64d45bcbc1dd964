/**
 * The fleet limits inside one service (the real handler, the local counters file, a hand-moved
 * clock): exact daily counts, the contract's check order, refusals a container already knows about
 * costing nothing, and what /v1/whoami says.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileCounters, type Counter, type CounterStore, type CountRequest } from "../../lambda/limits/index.js";
import { functionUrlEvent } from "../support/events.js";
import { ManualClock } from "../support/clock.js";
import { startService, type TestService } from "../support/service.js";

/** The local counters, counting the calls made to them. */
class Counted implements CounterStore {
  calls = 0;
  constructor(private readonly inner: FileCounters) {}
  increment(request: CountRequest): Promise<number | undefined> {
    this.calls += 1;
    return this.inner.increment(request);
  }
  decrement(counter: Counter): Promise<void> {
    this.calls += 1;
    return this.inner.decrement(counter);
  }
  settled(): Promise<void> {
    return this.inner.settled();
  }
}

let dir: string;
let clock: ManualClock;
let counters: Counted;
let service: TestService;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mantle-vend-limits-"));
  clock = new ManualClock(Date.parse("2026-11-25T12:00:00Z"));
  counters = new Counted(new FileCounters(dir, clock.now));
  service = await startService({ clock, counters, env: { MANTLE_VEND_REGIONS: "us-east-1,us-west-2" } });
});

afterEach(async () => {
  await service.close();
  await counters.settled();
  await rm(dir, { recursive: true, force: true });
});

const mint = (key: string, body?: string) => service.api(functionUrlEvent({ method: "POST", path: "/v1/tokens", key, ...(body === undefined ? {} : { body }) }));

describe("a daily quota counts exactly the tokens issued", () => {
  it("gives the count back when the request issues no token (403, 400), so the quota still buys its tokens", async () => {
    const { key } = await service.createKey({ regions: ["us-west-2"], mintsPerDay: 2 });
    expect((await mint(key, '{"region":"us-east-1"}')).statusCode).toBe(403);
    expect((await mint(key, '{"ttlSeconds":5}')).statusCode).toBe(400);
    expect((await mint(key)).statusCode).toBe(200);
    expect((await mint(key)).statusCode).toBe(200);
    const refused = await mint(key);
    expect(refused.statusCode).toBe(429);
    expect(JSON.parse(refused.body).error).toMatchObject({ code: "quota_exceeded", message: "daily token quota of 2 reached for this key; it resets at 2026-11-26T00:00:00.000Z" });
    expect(refused.headers["retry-after"]).toBe(String(12 * 3600));
  });

  it("a spent quota is refused before the body is read (429 before 400), and the container refuses again without a call", async () => {
    const { key } = await service.createKey({ mintsPerDay: 1 });
    expect((await mint(key)).statusCode).toBe(200);
    expect((await mint(key, "{bad")).statusCode).toBe(429);
    const calls = counters.calls;
    expect((await mint(key, "{bad")).statusCode).toBe(429);
    expect(counters.calls).toBe(calls);
    clock.advance(12 * 3600_000);
    expect((await mint(key)).statusCode).toBe(200);
  });

  it("a raised quota is counted afresh, not refused from the container's memory", async () => {
    const { key, keyId } = await service.createKey({ mintsPerDay: 1 });
    expect((await mint(key)).statusCode).toBe(200);
    expect((await mint(key)).statusCode).toBe(429);
    const current = await service.admin.show(keyId);
    await service.admin.update(keyId, { grant: { regions: current.regions, maxTtlSeconds: current.maxTtlSeconds, mintsPerDay: 2 } });
    expect((await mint(key)).statusCode).toBe(200);
  });
});

describe("a window this container was refused in is refused again without a call, until it ends", () => {
  it("counts the fleet window (cap 1 a second for 0.5/s, burst 10) once, then answers 429 from memory", async () => {
    const { key } = await service.createKey({ rateLimit: { perSecond: 0.5, burst: 10 } });
    expect((await mint(key)).statusCode).toBe(200);
    const refused = await mint(key);
    expect(refused.statusCode).toBe(429);
    expect(JSON.parse(refused.body).error.code).toBe("rate_limited");
    const calls = counters.calls;
    expect((await mint(key)).statusCode).toBe(429);
    expect(counters.calls).toBe(calls);
    clock.advance(1000);
    expect((await mint(key)).statusCode).toBe(200);
  });
});

describe("/v1/whoami tells the principal its grant and the day's mints", () => {
  it("shows models, quota and mintsToday as counted", async () => {
    const { key, keyId } = await service.createKey({ name: "team", models: ["openai.*"], mintsPerDay: 5 });
    await mint(key);
    await mint(key);
    const body = JSON.parse((await service.api(functionUrlEvent({ path: "/v1/whoami", key }))).body);
    expect(body).toEqual({
      principal: `key:${keyId}`,
      kind: "key",
      name: "team",
      grant: { regions: ["us-east-1", "us-west-2"], maxTtlSeconds: 3600, rateLimit: { perSecond: 10, burst: 100 }, models: ["openai.*"], mintsPerDay: 5 },
      mintsToday: 2,
    });
  });

  it("says null without fleet limits", async () => {
    const plain = await startService({ clock });
    try {
      const { key } = await plain.createKey();
      expect(JSON.parse((await plain.api(functionUrlEvent({ path: "/v1/whoami", key }))).body).mintsToday).toBeNull();
      expect((await plain.api(functionUrlEvent({ method: "POST", path: "/v1/tokens", key }))).headers["ratelimit-policy"]).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});

describe("the local counters survive a restart of npm start", () => {
  it("a new service on the same data dir continues the day's count: a quota of 3 spent across a restart admits 3", async () => {
    const { key } = await service.createKey({ mintsPerDay: 3 });
    expect((await mint(key)).statusCode).toBe(200);
    expect((await mint(key)).statusCode).toBe(200);
    await counters.settled();
    const restarted = await startService({ clock, store: service.store, counters: new FileCounters(dir, clock.now) });
    try {
      const again = () => restarted.api(functionUrlEvent({ method: "POST", path: "/v1/tokens", key }));
      expect([(await again()).statusCode, (await again()).statusCode]).toEqual([200, 429]);
    } finally {
      await restarted.close();
    }
  });
});
