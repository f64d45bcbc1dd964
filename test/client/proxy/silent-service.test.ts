/**
 * The proxy in front of a vending service that accepts connections and never answers (a hung Lambda,
 * a black-holed network path): it answers from what it holds — token, region list, catalog — within a
 * bounded wait, says when routing is stale or off, and asks the silent service at most once a minute.
 * Every wait runs on a hand-moved clock: nothing here waits real seconds.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import type { MantleEmulator } from "../../../lambda/local/mantle-emulator.js";
import { ManualClock } from "../../support/clock.js";
import { sendJson, startStub, type Stub } from "../../support/client-support.js";
import { turnsUntil } from "../../support/fake-time.js";
import { useFixture } from "../../support/fixture.js";
import { startService, type TestService } from "../../support/service.js";

let emulator: MantleEmulator;
let service: TestService;
let front: Stub;
/** While true the front accepts every request and never answers it. */
let silent = false;
/** Paths the front is silent on even while it answers the rest. */
let silentPaths = new Set<string>();
let proxy: RunningProxy | undefined;

const fixture = useFixture({ emulator: true });
// Every wait is on the hand-moved clock; a proxy that stalls fails here in seconds rather than at the suite's minute.
vi.setConfig({ testTimeout: 15_000 });

beforeAll(async () => {
  ({ emulator } = fixture);
  // A catalog max-age of a minute, so a test reaches revalidation long before the first token's refresh.
  service = await startService({ emulator, env: { MANTLE_VEND_CATALOG_TTL_SECONDS: "60" } });
  const serviceUrl = await service.listen();
  front = await startStub(async (req, res) => {
    if (silent || silentPaths.has(req.url.split("?")[0] ?? "")) return; // held open: close() destroys it
    const answer = await fetch(`${serviceUrl}${req.url}`, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? "", "content-type": "application/json", ...(req.headers["if-none-match"] === undefined ? {} : { "if-none-match": String(req.headers["if-none-match"]) }) },
      ...(req.method === "POST" ? { body: req.body } : {}),
    });
    const text = await answer.text();
    const headers: Record<string, string> = {};
    for (const name of ["etag", "cache-control"]) {
      const value = answer.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    if (answer.status === 304) {
      res.writeHead(304, headers).end();
      return;
    }
    sendJson(res, answer.status, JSON.parse(text) as unknown, headers);
  });
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  silent = false;
  silentPaths = new Set();
});

afterAll(async () => {
  await front?.close();
  await service?.close();
});

/** A client and a proxy on one hand-moved clock; zero backoff jitter, so only timeouts take time. */
async function setup(clock: ManualClock): Promise<{ client: MantleVendClient; logs: string[]; asked: (path: string) => number }> {
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> => clock.sleep(ms, signal ?? new AbortController().signal).catch(() => undefined);
  const { key } = await service.createKey();
  const client = new MantleVendClient({ url: front.url, apiKey: key, region: "us-east-1", now: clock.now, sleep, timeoutSleep: sleep, random: () => 0 });
  const logs: string[] = [];
  const start = front.requests.length;
  const asked = (path: string): number => front.requests.slice(start).filter((r) => r.url.split("?")[0] === path).length;
  const running = startProxy({ client, port: 0, now: clock.now, sleep, log: (line) => logs.push(line) });
  proxy = await running;
  return { client, logs, asked };
}

function call(path: string, body: unknown): Promise<Response> {
  return fetch(`${proxy!.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
const responses = (input: string): Promise<Response> => call("/v1/responses", { model: "openai.gpt-5.5", input });
const chat = (): Promise<Response> => call("/v1/chat/completions", { model: "deepseek.v3.2", messages: [{ role: "user", content: "hi" }] });

/** Runs the client's retries of a held request out: each attempt's 10 s timeout passes once it is on the wire. */
async function exhaustRetries(clock: ManualClock, asked: () => number, attempts: number): Promise<void> {
  for (let n = asked(); n <= attempts; n++) {
    await turnsUntil(() => asked() >= n);
    clock.advance(10_000);
  }
}

describe("with the catalog, the region list and a token held, a silent service costs a routed request at most the catalog wait", () => {
  it("answers within 2 s by the held catalog, says so in x-mantle-vend-catalog and the log, and asks once a minute", async () => {
    const clock = new ManualClock();
    const { logs, asked } = await setup(clock);
    // Warm: the token, the catalog (GPT-5 moves to /openai/v1) and the region list at start.
    expect((await responses("warm")).status).toBe(200);
    expect(asked("/v1/models")).toBe(1);
    silent = true;
    clock.advance(61_000); // the catalog's max-age is over: the next routed request revalidates it

    const routed = () => emulator.count({ path: "/openai/v1/responses" });
    const before = routed();
    const first = responses("silent");
    await turnsUntil(() => asked("/v1/models") === 2);
    clock.advance(1_000); // the proxy's catalog wait; the client's own attempt (10 s) is still out
    const answer = await first;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-mantle-vend-catalog")).toBe("stale; reason=no_answer");
    expect(routed() - before).toBe(1);
    expect(logs.filter((l) => l.includes("catalog"))).toEqual([expect.stringMatching(/routing by the catalog held since .*: the service has not answered within 1000 ms/)]);

    // The revalidation still out is not waited on again: the next request needs no time at all.
    const second = await responses("again");
    expect(second.status).toBe(200);
    expect(second.headers.get("x-mantle-vend-catalog")).toBe("stale; reason=no_answer");
    expect(asked("/v1/models")).toBe(2);

    // The client gives up on that revalidation after its retries (4 attempts of 10 s): the failure is
    // remembered for a minute, and meanwhile the held catalog routes without asking the service.
    await exhaustRetries(clock, () => asked("/v1/models") - 1, 4);
    for (let i = 0; i < 5; i++) {
      const later = await responses(`later ${i}`);
      expect(later.status).toBe(200);
      expect(later.headers.get("x-mantle-vend-catalog")).toMatch(/^stale/);
      clock.advance(10_000);
    }
    expect(asked("/v1/models")).toBe(5);
    // A minute after the failure, one more attempt (waited on for the catalog wait once), not one per request.
    clock.advance(10_000);
    const retried = responses("retry");
    await turnsUntil(() => asked("/v1/models") === 6);
    clock.advance(1_000);
    expect((await retried).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await responses(`retry ${i}`)).status).toBe(200);
    expect(asked("/v1/models")).toBe(6);
    expect(asked("/v1/tokens")).toBe(1);
  });
});

describe("a token in its refresh window serves while the silent service is asked for the next one", () => {
  it("the request goes out with the held token after the catalog wait alone; the refresh is asked once, in the background", async () => {
    const clock = new ManualClock();
    const { asked } = await setup(clock);
    expect((await responses("warm")).status).toBe(200);
    silent = true;
    clock.advance(3_300_000); // 300 s of the 1 h token left: inside its refresh window, above the proxy's 60 s floor
    const first = responses("in the window");
    await turnsUntil(() => asked("/v1/models") === 2);
    clock.advance(1_000); // the catalog wait; the token is not waited on
    const answer = await first;
    expect(answer.status).toBe(200);
    await turnsUntil(() => asked("/v1/tokens") === 2);
    expect((await responses("again")).status).toBe(200);
    expect(asked("/v1/tokens")).toBe(2);
  });
});

describe("a proxy whose service falls silent right after it started serves from its start-up token", () => {
  it("forwards unrouted within the catalog wait, saying why in x-mantle-vend-catalog and the log", async () => {
    const clock = new ManualClock();
    const { client, logs, asked } = await setup(clock);
    await client.getToken({ minValiditySeconds: 60 }); // what `mantle-vend proxy` fetches before it listens
    expect(asked("/v1/regions")).toBe(1); // asked at start, with the grant
    expect(asked("/v1/whoami")).toBe(1);
    silent = true;

    const first = chat();
    await turnsUntil(() => asked("/v1/models") === 1);
    clock.advance(1_000);
    const answer = await first;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-mantle-vend-catalog")).toBe("unavailable; reason=no_answer");
    expect(logs).toContainEqual(expect.stringMatching(/no catalog to route by, requests go on unrouted: the service has not answered within 1000 ms/));

    // Once the client's fetch has failed, the reason is its error, and the service is not asked again.
    await exhaustRetries(clock, () => asked("/v1/models"), 4);
    await turnsUntil(() => true);
    const later = await chat();
    expect(later.status).toBe(200);
    expect(later.headers.get("x-mantle-vend-catalog")).toBe("unavailable; reason=timeout");
    expect(logs).toContainEqual(expect.stringMatching(/no catalog to route by, requests go on unrouted: no answer from .* within 10000 ms/));
    expect(asked("/v1/models")).toBe(4);
    expect(asked("/v1/tokens")).toBe(1);
  });
});

describe("a grant the service does not answer for (GET /v1/whoami) costs one wait, then none", () => {
  it("the first routed request waits 1 s for it and goes on admitting every model; the next waits for nothing", async () => {
    silentPaths = new Set(["/v1/whoami"]);
    const clock = new ManualClock();
    const from = front.requests.length;
    const grantAsks = (): number => front.requests.slice(from).filter((r) => r.url === "/v1/whoami").length;
    const starting = setup(clock);
    // The start waits for the grant at most 10 s, with the region list (which the service answers).
    await turnsUntil(() => grantAsks() === 1);
    clock.advance(10_000);
    const { asked } = await starting;
    // The client's first attempt timed out with the start's wait; its second is on the wire, its timer set.
    await turnsUntil(() => grantAsks() === 2);
    const waits = clock.waiting;
    const grantReads = asked("/v1/whoami");
    const first = responses("no grant yet");
    await turnsUntil(() => clock.waiting > waits); // the request waits for the grant
    clock.advance(1_000);
    const answer = await first;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-mantle-vend-catalog")).toBeNull();
    expect((await responses("again")).status).toBe(200);
    expect(asked("/v1/whoami")).toBe(grantReads); // the read from the start is still out, and shared
  });
});

describe("a proxy that cannot get a token answers within its request deadline", () => {
  it("503 token_unavailable after 10 s of waiting, never the 40 s of the client's retries", async () => {
    silent = true;
    const clock = new ManualClock();
    const starting = setup(clock);
    // The start asks for the region list and the key's grant, and waits for them at most the same 10 s.
    const from = front.requests.length;
    await turnsUntil(() => ["/v1/regions", "/v1/whoami"].every((url) => front.requests.slice(from).some((r) => r.url === url)));
    clock.advance(10_000);
    const { asked } = await starting;
    const first = fetch(`${proxy!.url}/v1/files`);
    await turnsUntil(() => asked("/v1/tokens") === 1);
    clock.advance(10_000);
    const answer = await first;
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "token_unavailable",
      message: expect.stringMatching(/the service has not answered for a token within 10 s/),
    });
    expect(asked("/v1/tokens")).toBe(1);
  });
});
