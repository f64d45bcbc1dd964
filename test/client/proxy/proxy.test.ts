import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import { EMULATOR_CREDENTIALS, MantleEmulator, verifyBearerToken } from "../../../lambda/local/mantle-emulator.js";
import { useFixture } from "../../support/fixture.js";
import { startService, type TestService } from "../../support/service.js";
import { startSseGate } from "../../support/sse-gate.js";

let emulator: MantleEmulator;
let service: TestService;
let serverUrl: string;
let apiKey: string;
let client: MantleVendClient;
let proxy: RunningProxy;

const tokenRequests = (s: TestService = service): number => s.events.filter((e) => e.rawPath === "/v1/tokens").length;
const chat = (stream: boolean): string =>
  JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "Say something long." }], stream });

/** A raw node:http request: no decompression, the exact bytes. */
function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

const fixture = useFixture({ emulator: true, service: true });

beforeAll(async () => {
  ({ emulator, service } = fixture);
  serverUrl = await service.listen();
  apiKey = (await service.createKey()).key;
  client = new MantleVendClient({ url: serverUrl, apiKey, region: "us-east-1" });
  proxy = await startProxy({ client, port: 0 });
});

afterAll(async () => {
  await proxy?.close();
});

afterEach(() => {
  emulator.setGzip(false);
});

describe("a plain-fetch OpenAI-style client streams chat completions through the proxy", () => {
  it("the emulator accepts the injected token and each SSE event arrives before the next is produced", async () => {
    // The gate writes each event only after the test has received the previous one: a buffering proxy
    // would deliver nothing and the test would time out.
    const gate = await startSseGate(emulator.url);
    const paced = await startService({ emulator, env: { MANTLE_VEND_MANTLE_ENDPOINT: gate.endpointTemplate } });
    const pacedUrl = await paced.listen();
    const pacedProxy = await startProxy({ client: new MantleVendClient({ url: pacedUrl, apiKey: (await paced.createKey()).key, region: "us-east-1" }), port: 0 });
    try {
      const before = emulator.calls.length;
      const response = await fetch(`${pacedProxy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer sk-placeholder", accept: "text/event-stream" },
        body: chat(true),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      let received = 0;
      const writtenAtArrival: number[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        for (const complete = text.split("\n\n").length - 1; received < complete; received++) {
          writtenAtArrival.push(gate.written);
          gate.release();
        }
      }
      const events = text.split("\n\n").filter((e) => e !== "");
      expect(events.at(-1)).toBe("data: [DONE]");
      expect(events.length).toBeGreaterThanOrEqual(4);
      // Event i reached the client while the gate had written only i events: nothing was held back.
      expect(writtenAtArrival).toEqual(events.map((_, i) => i + 1));
      // The service's own catalog fetch (the proxy routes by the catalog) is not a proxied call.
      expect(emulator.calls.slice(before).filter((c) => c.path !== "/v1/models")).toEqual([{ region: "us-east-1", method: "POST", path: "/v1/chat/completions", status: 200 }]);
    } finally {
      await pacedProxy.close();
      await paced.close();
      await gate.close();
    }

    // Without the proxy the placeholder is refused: the proxy really replaced it.
    const direct = await fetch(`${emulator.rootFor("us-east-1")}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-placeholder" },
      body: chat(false),
    });
    expect(direct.status).toBe(401);
  }, 10_000);
});

describe("bodies pass through byte for byte", () => {
  it("a gzip upstream body arrives byte-identical, still compressed, with its headers", async () => {
    emulator.setGzip(true);
    const token = await client.getToken();
    // GET /v1/models is the proxy's own answer, so a forwarded JSON answer stands in: Mantle's 404.
    const viaProxy = await rawRequest(`${proxy.url}/v1/nowhere`, { headers: { "accept-encoding": "gzip", authorization: "Bearer x" } });
    const direct = await rawRequest(`${emulator.rootFor("us-east-1")}/v1/nowhere`, {
      headers: { "accept-encoding": "gzip", authorization: `Bearer ${token.token}` },
    });
    expect(viaProxy.status).toBe(404);
    expect(viaProxy.headers["content-encoding"]).toBe("gzip");
    expect(viaProxy.headers["content-length"]).toBe(direct.headers["content-length"]);
    expect(viaProxy.body.equals(direct.body)).toBe(true);
    expect((JSON.parse(gunzipSync(viaProxy.body).toString("utf8")) as { error: { code: string } }).error.code).toBe("not_found");
  });
});

describe("every path is forwarded unchanged to the Mantle root", () => {
  it("/anthropic/v1/messages with an x-api-key header reaches the emulator's Claude surface", async () => {
    const response = await fetch(`${proxy.url}/anthropic/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "sk-ant-placeholder", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "anthropic.claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ type: "message", role: "assistant" });
    expect(emulator.calls.at(-1)).toEqual({ region: "us-east-1", method: "POST", path: "/anthropic/v1/messages", status: 200 });
  });

  it("upstream errors pass through with their status; an absolute-form target is refused", async () => {
    const missing = await fetch(`${proxy.url}/v1/nowhere`);
    expect(missing.status).toBe(404);
    expect(emulator.calls.at(-1)).toMatchObject({ path: "/v1/nowhere", status: 404 });
    const absolute = await new Promise<number>((resolve, reject) => {
      const { port } = new URL(proxy.url);
      const req = httpRequest({ host: "127.0.0.1", port, path: "http://169.254.169.254/latest/meta-data/" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(absolute).toBe(400);
  });
});

describe("the proxy replaces a token once it expires", () => {
  afterEach(() => {
    vi.useRealTimers();
    emulator.setNow(Date.now);
  });

  it("after the first token expires (emulator and client clocks past it) a request still succeeds with a new token", async () => {
    // Everything in this process, the server's signer included, starts two hours in the past.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() - 2 * 3600_000 });
    emulator.setNow(() => Date.now());
    const own = new MantleVendClient({ url: serverUrl, apiKey, region: "us-east-1", now: () => Date.now() });
    const ownProxy = await startProxy({ client: own, port: 0 });
    try {
      const before = tokenRequests();
      const first = await fetch(`${ownProxy.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat(false) });
      expect(first.status).toBe(200);
      const firstToken = (await own.getToken()).token;
      expect(tokenRequests() - before).toBe(1);

      // Back to now: the first token (1 h) expired an hour ago, for the emulator and for the client.
      vi.useRealTimers();
      const verdict = await verifyBearerToken(firstToken, { region: "us-east-1", nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] });
      expect(verdict.ok).toBe(false);
      const second = await fetch(`${ownProxy.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat(false) });
      expect(second.status).toBe(200);
      expect(tokenRequests() - before).toBe(2);
      expect((await own.getToken()).token).not.toBe(firstToken);
    } finally {
      await ownProxy.close();
    }
  });

  it("a token Mantle refuses before its expiry (401) is dropped and the request, held whole, goes again with a new token", async () => {
    // Tokens are signed to the second: the replacement must come from a later one to differ.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    emulator.setNow(() => Date.now());
    const own = new MantleVendClient({ url: serverUrl, apiKey, region: "us-east-1", now: () => Date.now() });
    const ownProxy = await startProxy({ client: own, port: 0 });
    try {
      // Warm: the catalog the proxy routes by, and the proxy's first token.
      expect((await fetch(`${ownProxy.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat(false) })).status).toBe(200);
      const firstToken = (await own.getToken()).token;
      emulator.expireFirstTokenAfter(0);
      vi.setSystemTime(Date.now() + 2_000);
      const before = tokenRequests();
      const from = emulator.calls.length;
      const response = await fetch(`${ownProxy.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat(false) });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { object: string }).object).toBe("chat.completion");
      expect(emulator.calls.slice(from).map((c) => c.status)).toEqual([401, 200]);
      expect(tokenRequests() - before).toBe(1);
      expect((await own.getToken()).token).not.toBe(firstToken);
      // A second one is not: a refused token whose replacement is the same string comes back as the 401.
      emulator.expireFirstTokenAfter(0);
      const refusedAgain = await fetch(`${ownProxy.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat(false) });
      expect(refusedAgain.status).toBe(401);
      expect(emulator.calls.slice(-1).map((c) => c.status)).toEqual([401]);
    } finally {
      await ownProxy.close();
    }
  });

  it("never sends a token with less than 60 s left: with 60 s server TTLs every request gets a new token", async () => {
    const short = await startService({ emulator, env: { MANTLE_VEND_DEFAULT_TTL_SECONDS: "60" } });
    const shortUrl = await short.listen();
    const shortKey = (await short.createKey()).key;
    const shortProxy = await startProxy({ client: new MantleVendClient({ url: shortUrl, apiKey: shortKey }), port: 0 });
    try {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${shortProxy.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat(false) });
        expect(response.status).toBe(200);
      }
      expect(tokenRequests(short)).toBe(2);
    } finally {
      await shortProxy.close();
      await short.close();
    }
  });

  it("answers 503 with a JSON error, and no token, when no token can be had", async () => {
    const down = await startProxy({
      client: new MantleVendClient({ url: "http://127.0.0.1:9", apiKey, maxRetries: 0 }),
      port: 0,
    });
    try {
      const response = await fetch(`${down.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: chat(false) });
      expect(response.status).toBe(503);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("token_unavailable");
      expect(JSON.stringify(body)).not.toContain(apiKey);
    } finally {
      await down.close();
    }
  });
});
