import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { defaultSleep } from "../../client/src/retry.js";
import { readApiKeyFile } from "../../client/src/api-key-file.js";
import { FileTokenCache, MantleVendClient, MantleVendError, type Catalog, type TokenResponse } from "../../client/src/index.js";
import { refreshWindowMs } from "../../client/src/refresh-window.js";
import { parseTokenResponse } from "../../client/src/responses.js";
import { EMULATOR_CREDENTIALS, verifyBearerToken } from "../../lambda/local/mantle-emulator.js";
import { catalogFixture, fakeTokenAnswer, sendJson, startStub, type Stub } from "../support/client-support.js";
import { turnsUntil } from "../support/fake-time.js";
import { useFixture } from "../support/fixture.js";
import { startService, type TestService } from "../support/service.js";
import { keySecret } from "../support/api-keys.js";

/** A client clock that starts at real time and moves only when told. */
function movableClock(): { now: () => number; advanceSeconds: (s: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advanceSeconds: (s) => (offset += s * 1000) };
}

const noSleep = async (): Promise<void> => undefined;

let service: TestService;
let url: string;
let apiKey: string;

const tokenRequests = (s: TestService = service): number => s.events.filter((e) => e.rawPath === "/v1/tokens").length;

const fixture = useFixture({ service: true });

beforeAll(async () => {
  service = fixture.service;
  url = await service.listen();
  apiKey = (await service.createKey()).key;
});

describe("concurrent getToken() callers share one request", () => {
  it("1,000 concurrent calls make exactly one request at the server and all get the same token", async () => {
    const client = new MantleVendClient({ url, apiKey, region: "us-east-1" });
    const before = tokenRequests();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => client.getToken()));
    expect(tokenRequests() - before).toBe(1);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    const token = tokens[0]!;
    expect(token).toMatchObject({ tokenType: "bearer", region: "us-east-1", baseUrl: `${service.emulator.rootFor("us-east-1")}/v1` });
    const verdict = await verifyBearerToken(token.token, { region: "us-east-1", nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] });
    expect(verdict.ok).toBe(true);
  });
});

describe("the refresh window is min(max(300 s, 10 % of the lifetime), 50 % of the lifetime)", () => {
  it("gives 360 s for 1 h, 4,320 s for 12 h, 300 s for 20 min, 200 s for 400 s and 30 s for 60 s", () => {
    expect(refreshWindowMs(3_600_000)).toBe(360_000);
    expect(refreshWindowMs(43_200_000)).toBe(4_320_000);
    expect(refreshWindowMs(1_200_000)).toBe(300_000);
    expect(refreshWindowMs(400_000)).toBe(200_000);
    expect(refreshWindowMs(60_000)).toBe(30_000);
  });
});

describe("a cached token is reused until its refresh window, then refreshed ahead of expiry", () => {
  it("serves from cache before the window and asks the server once inside it (client clock moved by hand)", async () => {
    const clock = movableClock();
    // random() = 0: no jitter, the refresh moment is exactly expiry - 360 s for the server's 1 h tokens.
    const client = new MantleVendClient({ url, apiKey, region: "us-east-1", now: clock.now, random: () => 0 });
    const before = tokenRequests();
    const first = await client.getToken();
    expect(first.expiresInSeconds).toBe(3600);

    clock.advanceSeconds(3600 - 360 - 30); // 390 s left: outside the 360 s window
    expect((await client.getToken()).token).toBe(first.token);
    expect(tokenRequests() - before).toBe(1);

    clock.advanceSeconds(60); // 330 s left: inside the window
    const second = await client.getToken();
    expect(tokenRequests() - before).toBe(2);
    expect(Date.parse(second.expiresAt)).toBeGreaterThanOrEqual(Date.parse(first.expiresAt));
    clock.advanceSeconds(10);
    await client.getToken();
    expect(tokenRequests() - before).toBe(2);
  });

  it("jitter only moves the refresh earlier, by at most 20 % of the window", async () => {
    const clock = movableClock();
    const client = new MantleVendClient({ url, apiKey, region: "us-east-1", now: clock.now, random: () => 0.999 });
    const before = tokenRequests();
    await client.getToken();
    clock.advanceSeconds(3600 - 360 * 1.2 - 5); // just before the earliest jittered moment
    await client.getToken();
    expect(tokenRequests() - before).toBe(1);
    clock.advanceSeconds(10);
    await client.getToken();
    expect(tokenRequests() - before).toBe(2);
  });
});

describe("getToken({ refreshInBackground: true }) hands out the cached token in its refresh window and fetches the next one meanwhile", () => {
  it("answers at once from cache while the refresh waits on a service that has not answered, then serves the new token", async () => {
    let hold: (() => void) | undefined;
    let issued = 0;
    const stub = await startStub(async (_req, res) => {
      issued++;
      if (issued === 2) await new Promise<void>((release) => (hold = release));
      sendJson(res, 200, { ...fakeTokenAnswer("us-east-1"), token: `bedrock-api-key-t${issued}` });
    });
    try {
      const clock = movableClock();
      const client = new MantleVendClient({ url: stub.url, apiKey: "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", now: clock.now, random: () => 0 });
      expect((await client.getToken()).token).toBe("bedrock-api-key-t1");
      clock.advanceSeconds(3600 - 200); // inside the refresh window, 200 s of life left
      expect((await client.getToken({ refreshInBackground: true })).token).toBe("bedrock-api-key-t1");
      expect((await client.getToken({ refreshInBackground: true, minValiditySeconds: 60 })).token).toBe("bedrock-api-key-t1");
      await turnsUntil(() => hold !== undefined);
      expect(issued).toBe(2); // one refresh, shared
      hold?.();
      // A caller without the option joins the refresh still out and gets its token.
      expect((await client.getToken()).token).toBe("bedrock-api-key-t2");
      expect((await client.getToken({ refreshInBackground: true })).token).toBe("bedrock-api-key-t2");
      expect(issued).toBe(2);
      // Without the option a caller in the window waits for the refresh, as before.
      clock.advanceSeconds(3600 - 200);
      expect((await client.getToken()).token).toBe("bedrock-api-key-t3");
    } finally {
      hold?.();
      await stub.close();
    }
  });

  it("never hands out a token with less than minValiditySeconds left: then it waits for the new one", async () => {
    let issued = 0;
    const stub = await startStub((_req, res) => {
      issued++;
      sendJson(res, 200, { ...fakeTokenAnswer("us-east-1"), token: `bedrock-api-key-t${issued}` });
    });
    try {
      const clock = movableClock();
      const client = new MantleVendClient({ url: stub.url, apiKey: "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", now: clock.now, random: () => 0 });
      await client.getToken();
      clock.advanceSeconds(3600 - 50);
      expect((await client.getToken({ refreshInBackground: true, minValiditySeconds: 60 })).token).toBe("bedrock-api-key-t2");
    } finally {
      await stub.close();
    }
  });
});

describe("a failed refresh keeps serving the still-valid token", () => {
  it("returns the cached token while the server is down, and fails once that token has expired", async () => {
    const own = await startService({ emulator: service.emulator });
    const ownUrl = await own.listen();
    const ownKey = (await own.createKey()).key;
    const clock = movableClock();
    const client = new MantleVendClient({ url: ownUrl, apiKey: ownKey, region: "us-east-1", now: clock.now, random: () => 0, sleep: noSleep });
    const first = await client.getToken();
    await own.close();

    clock.advanceSeconds(3600 - 100); // inside the window, 100 s of life left
    expect((await client.getToken()).token).toBe(first.token);

    clock.advanceSeconds(200); // expired
    const failure = await client.getToken().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(MantleVendError);
    expect(failure).toMatchObject({ status: 0, code: "network_error" });
  });
});

describe("retries: 429 honours retry-after; 502/503/504 and Lambda's own answers back off with full jitter", () => {
  let stub: Stub;
  let script: Array<(res: import("node:http").ServerResponse) => void> = [];
  beforeAll(async () => {
    stub = await startStub((_req, res) => {
      const next = script.shift();
      if (next === undefined) sendJson(res, 200, fakeTokenAnswer());
      else next(res);
    });
  });
  afterAll(() => stub.close());

  function client(delays: number[], random = 0.5): MantleVendClient {
    return new MantleVendClient({
      url: stub.url,
      apiKey: "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
      random: () => random,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
  }

  it("waits at least retry-after seconds after a 429 and then succeeds", async () => {
    const start = stub.requests.length;
    script = [(res) => sendJson(res, 429, { error: { code: "rate_limited", message: "rate limit exceeded for this key", requestId: "r1" } }, { "retry-after": "2" })];
    const delays: number[] = [];
    const token = await client(delays).getToken();
    expect(token.region).toBe("us-east-1");
    expect(stub.requests.length - start).toBe(2);
    expect(delays).toEqual([2000]);
  });

  it("retries 503, Lambda's bare 502, 504 and Lambda's throttle with delays drawn from [0, base·2^n)", async () => {
    const start = stub.requests.length;
    script = [
      (res) => sendJson(res, 503, { error: { code: "unavailable", message: "try again", requestId: "r2" } }),
      (res) => res.writeHead(502, { "content-type": "text/plain" }).end("Internal Server Error"),
      (res) => res.writeHead(504).end(),
    ];
    const delays: number[] = [];
    await client(delays).getToken();
    expect(stub.requests.length - start).toBe(4);
    expect(delays).toEqual([125, 250, 500]); // random() = 0.5 of 250, 500, 1000 ms

    script = [(res) => sendJson(res, 429, { Reason: "ConcurrentInvocationLimitExceeded", Type: "User", message: "Rate Exceeded." })];
    await client([]).getToken();
  });

  it("retries a dropped connection", async () => {
    const start = stub.requests.length;
    script = [(res) => res.socket?.destroy()];
    await client([]).getToken();
    expect(stub.requests.length - start).toBe(2);
  });

  it("gives up after maxRetries and reports the last answer", async () => {
    const start = stub.requests.length;
    const answer = (res: import("node:http").ServerResponse): void =>
      void sendJson(res, 503, { error: { code: "unavailable", message: "down", requestId: "r3" } });
    script = [answer, answer, answer, answer, answer];
    const error = await client([]).getToken().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: "unavailable", requestId: "r3", retryable: true });
    expect(stub.requests.length - start).toBe(4);
    script = [];
  });

  it.each<[number, string]>([
    [400, "bad_request"],
    [401, "unauthorized"],
    [403, "forbidden"],
    [500, "internal"],
  ])("does not retry the service's own %i %s answer", async (status, code) => {
    const start = stub.requests.length;
    script = [(res) => sendJson(res, status, { error: { code, message: `no (${code})`, requestId: "r4" } })];
    const error = await client([]).getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MantleVendError);
    expect(error).toMatchObject({ status, code, message: `no (${code})`, retryable: false });
    expect(stub.requests.length - start).toBe(1);
    script = [];
  });
});

describe("the default sleep is a real timer that an abort ends early", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves after exactly the given time on the (fake) clock", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let done = false;
    void defaultSleep(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it("resolves at once, leaving no timer behind, when its signal aborts", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const controller = new AbortController();
    let done = false;
    void defaultSleep(10_000, controller.signal).then(() => (done = true));
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    await Promise.resolve();
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("every request has a timeout", () => {
  /** A deadline the test ends by hand: `expire()` ends the oldest pending one. */
  function manualDeadlines(): { asked: number[]; timeoutSleep: (ms: number) => Promise<void>; expire: () => void } {
    const asked: number[] = [];
    const pending: Array<() => void> = [];
    return {
      asked,
      timeoutSleep: (ms) => {
        asked.push(ms);
        return new Promise((resolve) => pending.push(resolve));
      },
      expire: () => pending.shift()?.(),
    };
  }

  it("aborts an attempt that gets no answer within timeoutMs, and retries it", async () => {
    const deadlines = manualDeadlines();
    const hanging = await startStub(() => deadlines.expire()); // never answers; its deadline ends once it has the request
    try {
      const c = new MantleVendClient({
        url: hanging.url,
        apiKey: "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
        timeoutMs: 150,
        maxRetries: 2,
        sleep: noSleep,
        timeoutSleep: deadlines.timeoutSleep,
      });
      const error = await c.regions().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MantleVendError);
      expect(error).toMatchObject({ status: 0, code: "timeout", message: expect.stringContaining("within 150 ms") });
      expect(hanging.requests.length).toBe(3);
      expect(deadlines.asked).toEqual([150, 150, 150]);
    } finally {
      await hanging.close();
    }
  });

  it("also bounds a body that starts but never finishes", async () => {
    const dribble = await startStub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"token":');
    });
    try {
      const deadlines = manualDeadlines();
      const c = new MantleVendClient({
        url: dribble.url,
        apiKey: "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
        timeoutMs: 150,
        maxRetries: 0,
        timeoutSleep: deadlines.timeoutSleep,
        // The deadline ends once the headers are in: the body has started and will never finish.
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          deadlines.expire();
          return response;
        },
      });
      await expect(c.getToken()).rejects.toMatchObject({ code: "timeout" });
    } finally {
      await dribble.close();
    }
  });
});

describe("listModels() reuses the catalog for max-age, then revalidates with If-None-Match; 304 returns the cached catalog", () => {
  it("sends If-None-Match with the etag and returns the cached catalog on 304", async () => {
    let catalog = catalogFixture("us-east-1", "https://bedrock-mantle.us-east-1.api.aws/v1");
    let etag = '"v1"';
    const stub = await startStub((req, res) => {
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, { etag, "cache-control": "private, max-age=60" }).end();
        return;
      }
      sendJson(res, 200, catalog, { etag, "cache-control": "private, max-age=60" });
    });
    try {
      const clock = movableClock();
      const c = new MantleVendClient({ url: stub.url, apiKey: "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", now: clock.now });
      const first = await c.listModels({ region: "us-east-1" });
      expect(first).toEqual(catalog);
      expect(stub.requests[0]).toMatchObject({ method: "GET", url: "/v1/models?region=us-east-1" });
      expect(stub.requests[0]!.headers["if-none-match"]).toBeUndefined();

      clock.advanceSeconds(30); // within max-age: no request
      expect(await c.listModels({ region: "us-east-1" })).toEqual(catalog);
      expect(stub.requests).toHaveLength(1);

      clock.advanceSeconds(31); // past max-age: revalidate
      const revalidated: Catalog = await c.listModels({ region: "us-east-1" });
      expect(stub.requests).toHaveLength(2);
      expect(stub.requests[1]!.headers["if-none-match"]).toBe('"v1"');
      expect(revalidated).toEqual(catalog);

      // The catalog changes: a new etag, a new body.
      clock.advanceSeconds(61);
      catalog = { ...catalog, models: (catalog.models as unknown[]).slice(1) };
      etag = '"v2"';
      const changed = await c.listModels({ region: "us-east-1" });
      expect(stub.requests[2]!.headers["if-none-match"]).toBe('"v1"');
      expect(changed).toEqual(catalog);
    } finally {
      await stub.close();
    }
  });
});

describe("a failed catalog fetch is remembered for a minute: the service is asked at most once per minute, not once per call", () => {
  const KEY = "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";
  let down = false;
  let stub: Stub;
  beforeAll(async () => {
    stub = await startStub((_req, res) => {
      if (down) sendJson(res, 503, { error: { code: "unavailable", message: "down", requestId: "r" } });
      else sendJson(res, 200, catalogFixture("us-east-1", "https://bedrock-mantle.us-east-1.api.aws/v1"), { etag: '"v1"', "cache-control": "private, max-age=60" });
    });
  });
  afterAll(async () => {
    await stub?.close();
  });
  afterEach(() => {
    down = false;
    stub.requests.length = 0;
  });

  it("with a cached catalog: the failed revalidation and the minute after it serve that catalog marked stale", async () => {
    const clock = movableClock();
    const client = new MantleVendClient({ url: stub.url, apiKey: KEY, now: clock.now, maxRetries: 0 });
    const fresh = await client.listModels();
    expect(fresh.stale).toBe(false);
    down = true;
    clock.advanceSeconds(61);
    const stale = await client.listModels();
    expect(stale).toMatchObject({ stale: true, models: fresh.models, checkedAt: fresh.checkedAt });
    expect(Object.isFrozen(stale)).toBe(true);
    for (let i = 0; i < 10; i++) {
      clock.advanceSeconds(5);
      expect(await client.listModels()).toBe(stale);
    }
    expect(stub.requests).toHaveLength(2);
    down = false;
    clock.advanceSeconds(11); // a minute after the failure
    expect((await client.listModels()).stale).toBe(false);
    expect(stub.requests).toHaveLength(3);
  });

  it("with none cached: the failure is thrown again, without asking, until the minute is over", async () => {
    const clock = movableClock();
    const client = new MantleVendClient({ url: stub.url, apiKey: KEY, now: clock.now, maxRetries: 0 });
    down = true;
    const first = await client.listModels().catch((e: unknown) => e);
    expect(first).toMatchObject({ status: 503, code: "unavailable" });
    clock.advanceSeconds(59);
    expect(await client.listModels().catch((e: unknown) => e)).toBe(first);
    expect(stub.requests).toHaveLength(1);
    down = false;
    clock.advanceSeconds(1);
    expect((await client.listModels()).stale).toBe(false);
    expect(stub.requests).toHaveLength(2);
  });

  it("invalidate() forgets tokens only: the catalog does not depend on the token, so it is not asked for again", async () => {
    const clock = movableClock();
    const client = new MantleVendClient({ url: stub.url, apiKey: KEY, now: clock.now, maxRetries: 0 });
    const catalog = await client.listModels();
    await client.invalidate();
    await client.invalidate("us-east-1");
    expect(await client.listModels()).toBe(catalog);
    expect(stub.requests).toHaveLength(1);
  });
});

describe("listModels() hands every caller the same catalog, and no caller can change it", () => {
  /** Every object reachable from `value`, `value` included. */
  function objectsIn(value: unknown): object[] {
    if (typeof value !== "object" || value === null) return [];
    return [value, ...Object.values(value).flatMap(objectsIn)];
  }

  it("cache hits and a 304 return the one deeply frozen object; writes to it throw and change nothing", async () => {
    const catalog = catalogFixture("us-east-1", "https://bedrock-mantle.us-east-1.api.aws/v1");
    const stub = await startStub((req, res) => {
      if (req.headers["if-none-match"] === '"v1"') res.writeHead(304, { etag: '"v1"', "cache-control": "max-age=60" }).end();
      else sendJson(res, 200, catalog, { etag: '"v1"', "cache-control": "max-age=60" });
    });
    try {
      const clock = movableClock();
      const c = new MantleVendClient({ url: stub.url, apiKey: "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", now: clock.now });
      const first = await c.listModels();
      expect(await c.listModels()).toBe(first);
      clock.advanceSeconds(61);
      expect(await c.listModels()).toBe(first); // revalidated: 304
      expect(stub.requests).toHaveLength(2);

      const objects = objectsIn(first);
      expect(objects.length).toBeGreaterThan(12); // the catalog, its list, 6 models and their arrays
      for (const object of objects) expect(Object.isFrozen(object), inspect(object)).toBe(true);
      const model = first.models[0]!;
      // Module code is strict: a write to a frozen object throws.
      expect(() => Object.assign(model, { id: "changed" })).toThrow(TypeError);
      expect(() => Object.assign(first, { region: "eu-west-1" })).toThrow(TypeError);
      expect(() => Array.prototype.push.call(first.models, model)).toThrow(TypeError);
      expect(() => Array.prototype.pop.call(model.apis)).toThrow(TypeError);
      expect(Reflect.deleteProperty(model, "baseUrl")).toBe(false);
      expect(await c.listModels()).toEqual(catalog);
    } finally {
      await stub.close();
    }
  });
});

describe("listModels() against the real server's GET /v1/models", () => {
  it("revalidates after max-age with the server's etag and keeps the catalog the server's 304 confirms", async () => {
    const clock = movableClock();
    const statuses: number[] = [];
    const recording = async (input: string, init: RequestInit): Promise<Response> => {
      const response = await fetch(input, init);
      statuses.push(response.status);
      return response;
    };
    const client = new MantleVendClient({ url, apiKey, now: clock.now, fetch: recording });
    const modelEvents = (): typeof service.events => service.events.filter((e) => e.rawPath === "/v1/models");
    const before = modelEvents().length;
    const first = await client.listModels({ region: "eu-central-1" });
    expect(first).toMatchObject({ region: "eu-central-1", baseUrl: `${service.emulator.rootFor("eu-central-1")}/v1`, stale: false });
    expect(first.models.map((m) => m.id)).toContain("openai.gpt-oss-120b");
    expect(first.models.find((m) => m.id === "openai.gpt-oss-120b")?.reasoning).toBe(true);

    await client.listModels({ region: "eu-central-1" }); // within max-age: not asked
    expect(modelEvents().length - before).toBe(1);

    clock.advanceSeconds(2 * 3600); // past any max-age the server gave
    const again = await client.listModels({ region: "eu-central-1" });
    const events = modelEvents().slice(before);
    expect(events).toHaveLength(2);
    expect(events[1]?.headers?.["if-none-match"]).toMatch(/^"/);
    expect(statuses).toEqual([200, 304]);
    expect(again).toEqual(first);
  });
});

describe("tokenProvider() plugs into the openai SDK", () => {
  it("authenticates chat completions at the emulator through OpenAI({ apiKey: client.tokenProvider(region) })", async () => {
    const client = new MantleVendClient({ url, apiKey });
    const { baseUrl } = await client.getToken({ region: "eu-west-1" });
    const before = tokenRequests();
    const calls = service.emulator.count({ region: "eu-west-1", path: "/v1/chat/completions" });
    const openai = new OpenAI({ apiKey: client.tokenProvider("eu-west-1"), baseURL: baseUrl, maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hello" }] });
    expect(completion.choices[0]?.message.content).toEqual(expect.any(String));
    await openai.chat.completions.create({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "again" }] });
    const made = service.emulator.calls.filter((c) => c.region === "eu-west-1" && c.path === "/v1/chat/completions").slice(calls);
    expect(made.map((c) => c.status)).toEqual([200, 200]);
    expect(tokenRequests() - before).toBe(0); // the provider is served from the client's cache
  });
});

describe("regions() and invalidate()", () => {
  it("lists the key's regions; invalidate(region) makes the next getToken ask again", async () => {
    const client = new MantleVendClient({ url, apiKey });
    const regions = await client.regions();
    expect(regions.defaultRegion).toBe("us-east-1");
    expect(regions.regions.map((r) => r.region)).toContain("eu-central-1");
    const before = tokenRequests();
    await client.getToken({ region: "us-west-2" });
    await client.getToken({ region: "us-west-2" });
    await client.invalidate("us-west-2");
    await client.getToken({ region: "us-west-2" });
    expect(tokenRequests() - before).toBe(2);
  });
});

describe("whoami()", () => {
  it("names the key as a principal with the grant the server applies", async () => {
    const client = new MantleVendClient({ url, apiKey });
    const who = await client.whoami();
    expect(who).toMatchObject({ kind: "key", principal: expect.stringMatching(/^key:[0-9a-f]{16}$/), mintsToday: null });
    expect(who.grant.regions).toContain("eu-central-1");
    expect(who.grant.rateLimit).toEqual({ perSecond: expect.any(Number), burst: expect.any(Number) });
  });

  it("refuses an answer of another shape as invalid_response", async () => {
    const odd = async (): Promise<Response> => new Response(JSON.stringify({ principal: "key:x", kind: "robot", name: "n", grant: {} }), { status: 200 });
    const client = new MantleVendClient({ url, apiKey, fetch: odd, maxRetries: 0 });
    await expect(client.whoami()).rejects.toMatchObject({ code: "invalid_response" });
  });
});

describe("the client never follows a redirect from the service: it could carry the API key, or a forged answer, from elsewhere", () => {
  it("a 302 to another origin or another path on the same one: an http_error naming the redirect, and nothing asked there", async () => {
    const elsewhere = await startStub((_req, res) => sendJson(res, 200, fakeTokenAnswer()));
    let location = "";
    const service = await startStub((req, res) => {
      if (req.url === "/moved/v1/tokens") sendJson(res, 200, fakeTokenAnswer());
      else res.writeHead(302, { location }).end();
    });
    try {
      for (const target of [`${elsewhere.url}/v1/tokens`, "/moved/v1/tokens"]) {
        location = target;
        const client = new MantleVendClient({ url: service.url, apiKey: "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", maxRetries: 0 });
        const failure = await client.getToken().catch((e: unknown) => e);
        expect(failure, target).toMatchObject({ status: 302, code: "http_error", message: expect.stringMatching(/redirect/) });
      }
      expect(elsewhere.requests).toHaveLength(0);
      expect(service.requests.map((r) => r.url)).toEqual(["/v1/tokens", "/v1/tokens"]);
    } finally {
      await Promise.all([elsewhere.close(), service.close()]);
    }
  });
});

describe("errors never contain the API key or a token", () => {

  function expectClean(error: unknown, key: string): void {
    expect(error).toBeInstanceOf(MantleVendError);
    const e = error as MantleVendError;
    for (const rendering of [e.message, String(e), e.stack ?? "", inspect(e, { depth: 5 }), JSON.stringify(e)]) {
      expect(rendering).not.toContain(key);
      expect(rendering).not.toContain(keySecret(key));
      expect(rendering).not.toMatch(/bedrock-api-key-[A-Za-z0-9+/]{8}/);
    }
  }

  it("a 401 from the real server for an unknown key", async () => {
    const unknown = "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";
    const error = await new MantleVendClient({ url, apiKey: unknown }).getToken().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, code: "unauthorized" });
    expectClean(error, unknown);
  });

  it("a server that echoes the key and a token in its error message, and an unreachable server", async () => {
    const echo = await startStub((req, res) =>
      sendJson(res, 400, { error: { code: "bad_request", message: `bad ${req.headers.authorization} bedrock-api-key-QUJDREVGR0hJSktMTU5PUA==`, requestId: "e" } }),
    );
    try {
      const error = await new MantleVendClient({ url: echo.url, apiKey }).getToken().catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 400, code: "bad_request" });
      expectClean(error, apiKey);
      const odd = "not-a-key-format-but-secret-1234";
      const error2 = await new MantleVendClient({ url: echo.url, apiKey: odd }).getToken().catch((e: unknown) => e);
      expectClean(error2, odd);
    } finally {
      await echo.close();
    }
    const down = await new MantleVendClient({ url: echo.url, apiKey, maxRetries: 0 }).getToken().catch((e: unknown) => e);
    expect(down).toMatchObject({ status: 0, code: "network_error" });
    expectClean(down, apiKey);
  });
});

describe("the API key goes over plain http only to loopback, unless allowInsecureHttp says otherwise", () => {
  const key = "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";
  /** A fetch that records its calls and never touches the network. */
  function spyFetch(): { calls: string[]; fetch: (input: string) => Promise<Response> } {
    const calls: string[] = [];
    return { calls, fetch: async (input: string) => (calls.push(input), Promise.reject(new TypeError("offline in tests"))) };
  }

  it("refuses http:// to a non-loopback host at construction, before any request", () => {
    const spy = spyFetch();
    let failure: unknown;
    try {
      new MantleVendClient({ url: "http://gateway.invalid:8787", apiKey: key, fetch: spy.fetch });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(MantleVendError);
    expect(failure).toMatchObject({ status: 0, code: "invalid_options", message: expect.stringMatching(/plain http.*allowInsecureHttp/) });
    expect(String((failure as Error).message)).not.toContain("ABCDEFGHIJ");
    expect(spy.calls).toEqual([]);
  });

  it("allowInsecureHttp: true lets it through (to the injected fetch only)", async () => {
    const spy = spyFetch();
    const c = new MantleVendClient({ url: "http://gateway.invalid:8787", apiKey: key, fetch: spy.fetch, allowInsecureHttp: true, maxRetries: 0 });
    await expect(c.getToken()).rejects.toMatchObject({ code: "network_error" });
    expect(spy.calls).toEqual(["http://gateway.invalid:8787/v1/tokens"]);
  });

  it("loopback http (127.0.0.0/8, ::1, localhost) and https need no flag", () => {
    for (const url of ["http://127.0.0.1:8787", "http://127.9.8.7:1", "http://[::1]:8787", "http://localhost:8787", "https://gateway.invalid"]) {
      expect(() => new MantleVendClient({ url, apiKey: key, fetch: spyFetch().fetch }), url).not.toThrow();
    }
  });
});

describe("the file token cache refuses a cache directory that is a symlink: no token is written through it", () => {
  it("saves nothing, at the link or where it points, and loads nothing; a real directory works", () => {
    const root = mkdtempSync(join(tmpdir(), "mantle-vend-lib-"));
    try {
      const target = join(root, "planted");
      mkdirSync(target, { mode: 0o700 });
      const link = join(root, "cache");
      symlinkSync(target, link);
      const apiKey = "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";
      const stored = { token: parseTokenResponse(fakeTokenAnswer()), requestedAt: Date.now() };
      const linked = new FileTokenCache({ url: "http://127.0.0.1:1", apiKey, dir: link });
      linked.save("us-east-1", stored);
      expect(readdirSync(target)).toEqual([]);
      expect(linked.load("us-east-1")).toBeUndefined();
      const real = new FileTokenCache({ url: "http://127.0.0.1:1", apiKey, dir: join(root, "real") });
      real.save("us-east-1", stored);
      expect(real.load("us-east-1")?.token.token).toBe(stored.token.token);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the file token cache is keyed by a hash of the whole API key, not its key id", () => {
  it("a wrong secret with the right key id finds no cached token", () => {
    const dir = mkdtempSync(join(tmpdir(), "mantle-vend-lib-"));
    try {
      const right = "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";
      const wrong = "mvk_0123456789abcdef_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
      const cache = new FileTokenCache({ url: "http://127.0.0.1:1", apiKey: right, dir });
      cache.save("us-east-1", { token: fakeTokenAnswer() as unknown as TokenResponse, requestedAt: Date.now() });
      expect(cache.load("us-east-1")?.token.region).toBe("us-east-1");
      const other = new FileTokenCache({ url: "http://127.0.0.1:1", apiKey: wrong, dir });
      expect(other.pathFor("us-east-1")).not.toBe(cache.pathFor("us-east-1"));
      expect(other.load("us-east-1")).toBeUndefined();
      const text = readFileSync(cache.pathFor("us-east-1"), "utf8");
      expect(text).not.toContain("ABCDEFGHIJ");
      expect(cache.pathFor("us-east-1")).not.toContain(createHash("sha256").update(right).digest("hex").slice(0, 16));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("apiKeyFile: the library reads the key from a file only this user can read", () => {
  it("a 0600 file is read (trailing newline trimmed); a 0644 file is refused with a clear error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mantle-vend-lib-"));
    try {
      const file = join(dir, "key");
      writeFileSync(file, `${apiKey}\n`, { mode: 0o600 });
      const c = new MantleVendClient({ url, apiKeyFile: file, region: "us-east-1" });
      expect((await c.getToken()).region).toBe("us-east-1");
      expect(readApiKeyFile(file)).toBe(apiKey);
      chmodSync(file, 0o644);
      expect(() => new MantleVendClient({ url, apiKeyFile: file })).toThrow(/must not be readable or writable by group or others/);
      expect(() => new MantleVendClient({ url, apiKey, apiKeyFile: file })).toThrow(/one of apiKey, apiKeyFile or identity/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
