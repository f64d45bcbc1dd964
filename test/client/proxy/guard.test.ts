/**
 * The proxy's own defences and the token handling mutants used to slip past: a stub mantle-vend service
 * and a recording stub Mantle on loopback, so each rule is checked on the wire, fast.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import { catalogFixture, sendJson, startStub, type Stub } from "../../support/client-support.js";

const API_KEY = "mvk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";

let mantle: Stub;
let elsewhere: Stub;
let service: Stub;
/** What the stub service answers: the allowlist's Mantle roots and the baseUrl tokens carry. */
let allowedBaseUrls: string[];
let tokenBaseUrl: string;
let issued = 0;
/** The stub Mantle answers 401 this many times before it answers 200. */
let mantle401s = 0;

const tokenRequests = (): number => service.requests.filter((r) => r.url === "/v1/tokens").length;
const catalogRequests = (): number => service.requests.filter((r) => r.url.startsWith("/v1/models")).length;
// A GET the proxy forwards as it is (GET /v1/models is answered from the team catalog instead).
const FORWARDED = "/v1/files";
const mantleBaseUrl = (): string => `${mantle.url}/us-east-1/v1`;

function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    // An empty Host means none at all (as an HTTP/1.0 client sends).
    const setHost = init.headers?.["host"] !== "";
    const headers = Object.fromEntries(Object.entries(init.headers ?? {}).filter(([name, value]) => name !== "host" || value !== ""));
    const req = httpRequest(url, { method: init.method ?? "GET", headers, setHost }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

beforeAll(async () => {
  mantle = await startStub((_req, res) => {
    if (mantle401s > 0) {
      mantle401s--;
      sendJson(res, 401, { error: { message: "token expired" } });
      return;
    }
    sendJson(res, 200, { object: "list", data: [] }, { "access-control-allow-origin": "*" });
  });
  elsewhere = await startStub((_req, res) => sendJson(res, 200, { stolen: true }));
  service = await startStub((req, res) => {
    if (req.url.startsWith("/v1/models")) {
      sendJson(res, 200, catalogFixture("us-east-1", mantleBaseUrl()), { "cache-control": "private, max-age=3600" });
      return;
    }
    if (req.url === "/v1/regions") {
      sendJson(res, 200, { defaultRegion: "us-east-1", regions: allowedBaseUrls.map((baseUrl, i) => ({ region: i === 0 ? "us-east-1" : `us-west-${i}`, baseUrl })) });
      return;
    }
    issued++;
    const now = Date.now();
    sendJson(res, 200, {
      token: `bedrock-api-key-stub${issued}`,
      tokenType: "bearer",
      region: "us-east-1",
      baseUrl: tokenBaseUrl,
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 3_600_000).toISOString(),
      expiresInSeconds: 3600,
    });
  });
});

afterAll(async () => {
  await Promise.all([mantle?.close(), elsewhere?.close(), service?.close()]);
});

let proxies: RunningProxy[] = [];
async function proxy(options: { requireKey?: boolean } = {}): Promise<RunningProxy> {
  const running = await startProxy({ client: new MantleVendClient({ url: service.url, apiKey: API_KEY, maxRetries: 0 }), port: 0, ...options });
  proxies.push(running);
  return running;
}

function reset(): void {
  allowedBaseUrls = [mantleBaseUrl()];
  tokenBaseUrl = mantleBaseUrl();
  mantle401s = 0;
}

afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
  reset();
});
beforeAll(reset);

const portOf = (p: RunningProxy): string => new URL(p.url).port;

describe("the proxy serves only Host values naming its own loopback listener (DNS rebinding)", () => {
  it("refuses a foreign Host with 403 and a JSON error, before fetching a token or calling Mantle", async () => {
    const p = await proxy();
    const before = { tokens: tokenRequests(), mantle: mantle.requests.length };
    // A loopback name without the port is a page on port 80 (any DNS name can point at loopback).
    for (const host of [`rebind.attacker.example:${portOf(p)}`, "127.0.0.1:1", `127.0.0.1.attacker.example:${portOf(p)}`, "127.0.0.1", "localhost", "[::1]"]) {
      const answer = await raw(`${p.url}${FORWARDED}`, { headers: { host } });
      expect(answer.status, host).toBe(403);
      expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect((JSON.parse(answer.body) as { error: { code: string; message: string } }).error).toMatchObject({ code: "forbidden", message: expect.stringMatching(/Host/) });
    }
    // No Host at all: node's server itself answers 400 to such an HTTP/1.1 request.
    expect((await raw(`${p.url}${FORWARDED}`, { headers: { host: "" } })).status).toBe(400);
    expect(tokenRequests()).toBe(before.tokens);
    expect(mantle.requests.length).toBe(before.mantle);
  });

  it("serves 127.0.0.1, localhost and [::1] with its own port, in any letter case", async () => {
    const p = await proxy();
    for (const host of [`127.0.0.1:${portOf(p)}`, `localhost:${portOf(p)}`, `LocalHost:${portOf(p)}`, `[::1]:${portOf(p)}`]) {
      expect((await raw(`${p.url}${FORWARDED}`, { headers: { host } })).status, host).toBe(200);
    }
  });
});

describe("the proxy refuses browser requests: any Origin, a cross-site Sec-Fetch-Site (CSRF)", () => {
  it("answers 403 without a token or an upstream call", async () => {
    const p = await proxy();
    const before = { tokens: tokenRequests(), mantle: mantle.requests.length };
    const browserHeaders: Array<Record<string, string>> = [
      { origin: "https://attacker.example" },
      { origin: p.url },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of browserHeaders) {
      const answer = await raw(`${p.url}/v1/chat/completions`, { method: "POST", headers: { ...headers, "content-type": "text/plain" }, body: "{}" });
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe("forbidden");
      expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
    }
    expect(tokenRequests()).toBe(before.tokens);
    expect(mantle.requests.length).toBe(before.mantle);
  });

  it("serves a user's own navigation (Sec-Fetch-Site: none) and non-browser callers", async () => {
    const p = await proxy();
    expect((await raw(`${p.url}${FORWARDED}`, { headers: { "sec-fetch-site": "none" } })).status).toBe(200);
    expect((await raw(`${p.url}${FORWARDED}`)).status).toBe(200);
  });
});

describe("OPTIONS is answered by the proxy itself, never forwarded", () => {
  it("204 with no CORS allow headers, no token fetched, nothing upstream", async () => {
    const p = await proxy();
    const before = { tokens: tokenRequests(), mantle: mantle.requests.length };
    const answer = await raw(`${p.url}/v1/chat/completions`, { method: "OPTIONS", headers: { "access-control-request-method": "POST" } });
    expect(answer.status).toBe(204);
    expect(Object.keys(answer.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
    expect(tokenRequests()).toBe(before.tokens);
    expect(mantle.requests.length).toBe(before.mantle);
  });
});

describe("--require-key: the proxy demands its own random secret and strips it", () => {
  it("401 without it or with a wrong one; Bearer or x-api-key with it is forwarded, without the secret", async () => {
    const p = await proxy({ requireKey: true });
    expect(p.key).toMatch(/^mvp_[A-Za-z0-9_-]{43}$/);
    const other = await proxy({ requireKey: true });
    expect(other.key).not.toBe(p.key);
    const before = tokenRequests();
    const wrong: Array<Record<string, string>> = [{}, { authorization: "Bearer wrong" }, { "x-api-key": `${p.key}x` }, { authorization: `Bearer ${other.key}` }];
    for (const headers of wrong) {
      const answer = await raw(`${p.url}${FORWARDED}`, { headers });
      expect(answer.status, JSON.stringify(headers)).toBe(401);
      expect(answer.headers["www-authenticate"]).toBe("Bearer");
      expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe("unauthorized");
    }
    expect(tokenRequests()).toBe(before);

    const right: Array<Record<string, string>> = [{ authorization: `Bearer ${p.key}` }, { "x-api-key": p.key! }];
    for (const headers of right) {
      const start = mantle.requests.length;
      expect((await raw(`${p.url}${FORWARDED}`, { headers })).status).toBe(200);
      const seen = mantle.requests.slice(start);
      expect(seen).toHaveLength(1);
      expect(JSON.stringify(seen[0]!.headers)).not.toContain(p.key);
      expect(seen[0]!.headers.authorization).toMatch(/^Bearer bedrock-api-key-stub\d+$/);
    }
  });

  it("without requireKey there is no key and none is asked for", async () => {
    const p = await proxy();
    expect(p.key).toBeUndefined();
    expect((await raw(`${p.url}${FORWARDED}`)).status).toBe(200);
  });
});

describe("the proxy sends a token only to a Mantle root the service's allowlist names", () => {
  it("a token whose baseUrl is not among /v1/regions' baseUrls gets 502 and is never sent", async () => {
    tokenBaseUrl = `${elsewhere.url}/v1`;
    const p = await proxy();
    const answer = await raw(`${p.url}${FORWARDED}`);
    expect(answer.status).toBe(502);
    const error = (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("upstream_not_allowed");
    expect(error.message).toContain(elsewhere.url);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("a baseUrl in the allowlist is served", async () => {
    allowedBaseUrls = [`${elsewhere.url}/v1`, mantleBaseUrl()];
    const p = await proxy();
    expect((await raw(`${p.url}${FORWARDED}`)).status).toBe(200);
  });

  it("a non-https, non-loopback baseUrl is refused with 502 even when the allowlist names it", async () => {
    allowedBaseUrls = ["http://gateway.invalid/us-east-1/v1"];
    tokenBaseUrl = "http://gateway.invalid/us-east-1/v1";
    const p = await proxy();
    const answer = await raw(`${p.url}${FORWARDED}`);
    expect(answer.status).toBe(502);
    expect((JSON.parse(answer.body) as { error: { message: string } }).error.message).toMatch(/https/);
  });
});

describe("the upstream request is built from the token, never from the caller's headers", () => {
  it("the upstream host is the token's Mantle root whatever Host the caller sent", async () => {
    const p = await proxy();
    const start = mantle.requests.length;
    expect((await raw(`${p.url}${FORWARDED}`, { headers: { host: `localhost:${portOf(p)}` } })).status).toBe(200);
    const seen = mantle.requests.slice(start);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.host).toBe(new URL(mantle.url).host);
    expect(seen[0]!.url).toBe(`/us-east-1${FORWARDED}`);
  });

  it("the caller's x-api-key and authorization are replaced by the token, not forwarded", async () => {
    const p = await proxy();
    const start = mantle.requests.length;
    await raw(`${p.url}/anthropic/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-caller-secret", authorization: "Bearer sk-caller-bearer" }, body: "{}" });
    const headers = mantle.requests[start]!.headers;
    expect(headers["x-api-key"]).toBeUndefined();
    expect(headers.authorization).toMatch(/^Bearer bedrock-api-key-stub\d+$/);
    expect(JSON.stringify(headers)).not.toContain("sk-caller");
  });

  it("after a Mantle 401 the token is dropped and the request (held whole: a GET) goes again with a fresh one", async () => {
    const p = await proxy();
    mantle401s = 1;
    const tokensBefore = tokenRequests();
    const start = mantle.requests.length;
    expect((await raw(`${p.url}${FORWARDED}`)).status).toBe(200);
    const [first, second] = mantle.requests.slice(start);
    expect(tokenRequests() - tokensBefore).toBe(2);
    expect(second!.headers.authorization).not.toBe(first!.headers.authorization);
    expect((await raw(`${p.url}${FORWARDED}`)).status).toBe(200);
    expect(tokenRequests() - tokensBefore).toBe(2);
  });

  it("a Mantle 401 drops only the token: the catalog is kept, and the next routed request is still routed by it", async () => {
    const p = await proxy();
    const routed = (): Promise<{ status: number }> =>
      raw(`${p.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "openai.gpt-5.5", input: "hi" }) });
    expect((await routed()).status).toBe(200);
    const catalogsBefore = catalogRequests();
    mantle401s = 1;
    const start = mantle.requests.length;
    expect((await routed()).status).toBe(200);
    expect((await routed()).status).toBe(200);
    expect(mantle.requests.slice(start).map((r) => r.url)).toEqual(["/us-east-1/openai/v1/responses", "/us-east-1/openai/v1/responses", "/us-east-1/openai/v1/responses"]);
    expect(catalogRequests()).toBe(catalogsBefore);
  });
});

describe("the guard runs before the catalog routing: a refused request never reads the catalog", () => {
  it("GET /v1/models with a foreign Host, an Origin or without the proxy key is refused and asks the service for nothing", async () => {
    const open = await proxy();
    const keyed = await proxy({ requireKey: true });
    const before = { catalogs: catalogRequests(), tokens: tokenRequests() };
    expect((await raw(`${open.url}/v1/models`, { headers: { host: `rebind.attacker.example:${portOf(open)}` } })).status).toBe(403);
    expect((await raw(`${open.url}/v1/models`, { headers: { origin: "https://attacker.example" } })).status).toBe(403);
    expect((await raw(`${keyed.url}/v1/models`)).status).toBe(401);
    const routed = { model: "openai.gpt-5.5", input: "hi" };
    const post = { method: "POST", headers: { "content-type": "application/json", origin: "https://attacker.example" }, body: JSON.stringify(routed) };
    expect((await raw(`${open.url}/v1/responses`, post)).status).toBe(403);
    expect(catalogRequests()).toBe(before.catalogs);
    expect(tokenRequests()).toBe(before.tokens);
  });

  it("the same GET /v1/models let through is answered from the team catalog, not forwarded", async () => {
    const p = await proxy({ requireKey: true });
    const start = mantle.requests.length;
    const answer = await raw(`${p.url}/v1/models`, { headers: { authorization: `Bearer ${p.key}` } });
    expect(answer.status).toBe(200);
    const ids = (JSON.parse(answer.body) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(ids).toContain("openai.gpt-5.5");
    expect(mantle.requests.length).toBe(start);
  });
});
