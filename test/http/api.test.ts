import { beforeAll, describe, expect, it } from "vitest";
import { DependencyUnavailableError } from "../../lambda/errors.js";
import type { FunctionUrlResult } from "../../lambda/http/events.js";
import { hasDuplicateKeys } from "../../lambda/http/json.js";
import { verifyBearerToken, EMULATOR_CREDENTIALS, type MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import { functionUrlEvent, type EventInit } from "../support/events.js";
import { useFixture } from "../support/fixture.js";
import { startService, type TestService } from "../support/service.js";

const fixture = useFixture({ service: { env: { MANTLE_VEND_REGIONS: "us-east-1,us-west-2,eu-west-1" } } });

let emulator: MantleEmulator;
let service: TestService;
let key: string;

beforeAll(async () => {
  ({ emulator, service } = fixture);
  key = (await service.createKey()).key;
});

async function call(init: EventInit, on: TestService = service): Promise<{ status: number; headers: Record<string, string>; json: Record<string, unknown> }> {
  const result: FunctionUrlResult = await on.api(functionUrlEvent(init));
  return { status: result.statusCode, headers: result.headers, json: result.body === "" ? {} : JSON.parse(result.body) };
}

function expectEnvelope(response: { status: number; headers: Record<string, string>; json: Record<string, unknown> }, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.json).toEqual({
    error: { code, message: expect.any(String), requestId: response.headers["x-request-id"] },
  });
  expect(Object.keys(response.json)).toEqual(["error"]);
  expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
}

describe("GET /healthz", () => {
  it("answers ok and the version without a key", async () => {
    const response = await call({ path: "/healthz" });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: "ok", version: "test" });
    expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("GET /v1/identity", () => {
  it("answers without a credential how people log in here: null when no login provider is configured, cacheable for 5 minutes", async () => {
    const response = await call({ path: "/v1/identity" });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ login: null });
    expect(response.headers["cache-control"]).toBe("max-age=300");
    expectEnvelope(await call({ method: "POST", path: "/v1/identity" }), 405, "method_not_allowed");
  });

  it("advertises the configured issuer, client id and scopes", async () => {
    const own = await startService({
      emulator,
      env: { MANTLE_VEND_LOGIN_ISSUER: "https://idp.example.com/realms/acme", MANTLE_VEND_LOGIN_CLIENT_ID: "mantle-vend-cli", MANTLE_VEND_LOGIN_SCOPES: "openid email offline_access" },
    });
    try {
      const response = await call({ path: "/v1/identity", headers: { authorization: "Bearer whatever" } }, own);
      expect(response.json).toEqual({ login: { issuer: "https://idp.example.com/realms/acme", clientId: "mantle-vend-cli", scopes: ["openid", "email", "offline_access"] } });
    } finally {
      await own.close();
    }
  });
});

describe("GET /v1/regions", () => {
  it("lists the allowlisted regions with their Mantle base URLs and the default", async () => {
    const response = await call({ path: "/v1/regions", key });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      defaultRegion: "us-east-1",
      regions: ["us-east-1", "us-west-2", "eu-west-1"].map((region) => ({ region, baseUrl: `${emulator.rootFor(region)}/v1` })),
    });
  });

  it("lists only the regions a scoped key may use, and its own default", async () => {
    const scoped = (await service.createKey({ regions: ["eu-west-1", "us-west-2"] })).key;
    const response = await call({ path: "/v1/regions", key: scoped });
    expect(response.json.defaultRegion).toBe("eu-west-1");
    expect((response.json.regions as { region: string }[]).map((r) => r.region)).toEqual(["us-west-2", "eu-west-1"]);
  });
});

describe("GET /v1/whoami", () => {
  it("names the key as a principal and its grant as it applies here: regions resolved, TTL ceiling and rate limit in force", async () => {
    const { key: scoped, keyId } = await service.createKey({ name: "scoped", regions: ["eu-west-1", "ap-south-1"], maxTtlSeconds: 43_200 });
    const response = await call({ path: "/v1/whoami", key: scoped });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      principal: `key:${keyId}`,
      kind: "key",
      name: "scoped",
      grant: { regions: ["eu-west-1"], maxTtlSeconds: 3600, rateLimit: { perSecond: 10, burst: 100 } },
      mintsToday: null,
    });
  });

  it("gives a key's own rate limit and TTL ceiling when they are tighter", async () => {
    const { key: tight } = await service.createKey({ maxTtlSeconds: 600, rateLimit: { perSecond: 2, burst: 5 } });
    const response = await call({ path: "/v1/whoami", key: tight });
    expect(response.json["grant"]).toMatchObject({ maxTtlSeconds: 600, rateLimit: { perSecond: 2, burst: 5 } });
  });

  it("is authenticated like every /v1 route", async () => {
    expectEnvelope(await call({ path: "/v1/whoami" }), 401, "unauthorized");
    expectEnvelope(await call({ method: "POST", path: "/v1/whoami", key }), 405, "method_not_allowed");
  });
});

describe("POST /v1/tokens", () => {
  it("mints a token for the default region with the default TTL, which Mantle accepts", async () => {
    const response = await call({ method: "POST", path: "/v1/tokens", key });
    expect(response.status).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    const body = response.json as Record<string, string | number>;
    expect(body).toMatchObject({ tokenType: "bearer", region: "us-east-1", baseUrl: `${emulator.rootFor("us-east-1")}/v1`, expiresInSeconds: 3600 });
    expect(Object.keys(body).sort()).toEqual(["baseUrl", "expiresAt", "expiresInSeconds", "issuedAt", "region", "token", "tokenType"]);
    expect(Date.parse(body.expiresAt as string) - Date.parse(body.issuedAt as string)).toBe(3600_000);
    const verdict = await verifyBearerToken(body.token as string, { region: "us-east-1", nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] });
    expect(verdict).toMatchObject({ ok: true });
    if (verdict.ok) expect(verdict.expiresAt.toISOString()).toBe(body.expiresAt);
  });

  it("honours region and ttlSeconds from the body", async () => {
    const response = await call({ method: "POST", path: "/v1/tokens", key, body: '{"region":"eu-west-1","ttlSeconds":120}' });
    expect(response.json).toMatchObject({ region: "eu-west-1", expiresInSeconds: 120 });
  });

  it("clamps a TTL above the server maximum and says so", async () => {
    const response = await call({ method: "POST", path: "/v1/tokens", key, body: '{"ttlSeconds":43200}' });
    expect(response.json.expiresInSeconds).toBe(3600);
  });

  it("clamps to the key's own maximum when it is smaller", async () => {
    const short = (await service.createKey({ maxTtlSeconds: 600 })).key;
    const response = await call({ method: "POST", path: "/v1/tokens", key: short, body: '{"ttlSeconds":3000}' });
    expect(response.json.expiresInSeconds).toBe(600);
  });

  it("gives a key without the service default region its first allowed region", async () => {
    const scoped = (await service.createKey({ regions: ["eu-west-1"] })).key;
    const response = await call({ method: "POST", path: "/v1/tokens", key: scoped });
    expect(response.json.region).toBe("eu-west-1");
  });

  it("never reports an expiry past the signing credentials' own expiry", async () => {
    const expiration = new Date(Date.now() + 600_000);
    const limited = await startService({
      emulator,
      credentials: async () => ({ ...EMULATOR_CREDENTIALS, expiration }),
    });
    try {
      const own = (await limited.createKey()).key;
      const response = await call({ method: "POST", path: "/v1/tokens", key: own, body: '{"ttlSeconds":3600}' }, limited);
      expect(response.json.expiresAt).toBe(expiration.toISOString());
      expect(response.json.expiresInSeconds).toBeLessThanOrEqual(600);
    } finally {
      await limited.close();
    }
  });
});

describe("error statuses carry the envelope", () => {
  it.each([
    ["malformed JSON", '{"region":'],
    ["a body that is not an object", "[1]"],
    ["an unknown field", '{"region":"us-east-1","extra":true}'],
    ["a region of the wrong type", '{"region":7}'],
    ["a TTL that is not an integer", '{"ttlSeconds":90.5}'],
    ["a TTL given as a string", '{"ttlSeconds":"90"}'],
    ["a TTL under 60 seconds", '{"ttlSeconds":59}'],
    ["a region outside the allowlist", '{"region":"ap-south-1"}'],
    ["a null region", '{"region":null}'],
  ])("400 bad_request for %s", async (_, body) => {
    expectEnvelope(await call({ method: "POST", path: "/v1/tokens", key, body }), 400, "bad_request");
  });

  it("400 for a query string over 1 KiB", async () => {
    expectEnvelope(await call({ path: "/v1/regions", key, query: `x=${"a".repeat(1030)}` }), 400, "bad_request");
  });

  it("400 for a body that is not UTF-8", async () => {
    expectEnvelope(await call({ method: "POST", path: "/v1/tokens", key, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }), 400, "bad_request");
  });

  it("400 never echoes the body back, even a key placed in it", async () => {
    const response = await call({ method: "POST", path: "/v1/tokens", key, body: `{"region": ${key}` });
    expect(JSON.stringify(response.json)).not.toContain(key);
  });

  it.each([
    ["a key pasted as a field name", (k: string) => `{${JSON.stringify(k)}:1}`],
    ["a key pasted as a field name of an otherwise good body", (k: string) => `{"region":"us-east-1",${JSON.stringify(k)}:true}`],
    ["a key pasted as the region", (k: string) => `{"region":${JSON.stringify(k)}}`],
    ["a key pasted as the TTL", (k: string) => `{"ttlSeconds":${JSON.stringify(k)}}`],
  ])("400 never echoes request content: %s", async (_label, body) => {
    const response = await call({ method: "POST", path: "/v1/tokens", key, body: body(key) });
    expectEnvelope(response, 400, "bad_request");
    const text = JSON.stringify(response.json);
    // Not the key, nor any 12-character piece of it (a truncated echo leaks as much).
    for (let i = 0; i + 12 <= key.length; i += 6) expect(text).not.toContain(key.slice(i, i + 12));
  });
});

describe("a token request body with a duplicate field is refused, not resolved by last-wins", () => {
  it.each([
    ["region twice", '{"region":"us-east-1","region":"eu-west-1"}'],
    ["ttlSeconds twice", '{"ttlSeconds":600,"ttlSeconds":3600}'],
    ["the same name spelt with an escape", '{"region":"us-east-1","\\u0072egion":"eu-west-1"}'],
    ["a duplicate inside a nested value", '{"region":{"a":1,"a":2}}'],
  ])("400 bad_request for %s", async (_label, body) => {
    const response = await call({ method: "POST", path: "/v1/tokens", key, body });
    expectEnvelope(response, 400, "bad_request");
    expect(JSON.stringify(response.json.error)).toMatch(/duplicate/);
  });

  it("accepts the same name in sibling objects and inside strings", async () => {
    expect(hasDuplicateKeys('[{"a":1},{"a":2}]')).toBe(false);
    expect(hasDuplicateKeys('{"a":"\\"a\\":1,","b":{"a":{"b":1}}}')).toBe(false);
    expect(hasDuplicateKeys('{"a":[{"a":1}],"b":2,"c":{"a":1,"b":[1,{"b":2}]}}')).toBe(false);
    expect(hasDuplicateKeys('{"a":[{"a":1}],"b":2,"c":{"a":1,"b":[1,{"b":2}]},"c":0}')).toBe(true);
  });

  it("401 with www-authenticate for a missing key", async () => {
    const response = await call({ path: "/v1/regions" });
    expectEnvelope(response, 401, "unauthorized");
    expect(response.headers["www-authenticate"]).toBe("Bearer");
  });

  it("403 forbidden for a region the key may not use", async () => {
    const scoped = (await service.createKey({ regions: ["us-west-2"] })).key;
    expectEnvelope(await call({ method: "POST", path: "/v1/tokens", key: scoped, body: '{"region":"eu-west-1"}' }), 403, "forbidden");
  });

  it("404 not_found for an unknown path", async () => {
    expectEnvelope(await call({ path: "/v1/secrets", key }), 404, "not_found");
  });

  it("404 for a known path with a trailing slash", async () => {
    expectEnvelope(await call({ method: "POST", path: "/v1/tokens/", key }), 404, "not_found");
  });

  it("405 method_not_allowed with an allow header", async () => {
    const response = await call({ method: "GET", path: "/v1/tokens", key });
    expectEnvelope(response, 405, "method_not_allowed");
    expect(response.headers.allow).toBe("POST");
  });

  it("413 payload_too_large for a body over 8 KiB", async () => {
    expectEnvelope(await call({ method: "POST", path: "/v1/tokens", key, body: `{"region":"${"x".repeat(8200)}"}` }), 413, "payload_too_large");
  });

  it("accepts a body of exactly 8 KiB", async () => {
    const body = `{"region":"us-east-1"${" ".repeat(8192 - 22)}}`;
    expect(Buffer.byteLength(body)).toBe(8192);
    expect((await call({ method: "POST", path: "/v1/tokens", key, body })).status).toBe(200);
  });

  it("429 rate_limited with retry-after once a key's burst is spent", async () => {
    const limited = await startService({ emulator, env: { MANTLE_VEND_RATE_LIMIT_BURST: "3", MANTLE_VEND_RATE_LIMIT_PER_SECOND: "0.5" } });
    try {
      const own = (await limited.createKey()).key;
      for (let i = 0; i < 3; i++) expect((await call({ path: "/v1/regions", key: own }, limited)).status).toBe(200);
      const response = await call({ path: "/v1/regions", key: own }, limited);
      expectEnvelope(response, 429, "rate_limited");
      expect(response.headers["retry-after"]).toBe("2");
      limited.clock.advanceSeconds(2);
      expect((await call({ path: "/v1/regions", key: own }, limited)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("500 internal for an unexpected failure, with no detail", async () => {
    const broken = await startService({
      emulator,
      credentials: async () => {
        throw new TypeError("secret internal detail at /var/task/index.mjs:1:2");
      },
    });
    try {
      const own = (await broken.createKey()).key;
      const response = await call({ method: "POST", path: "/v1/tokens", key: own }, broken);
      expectEnvelope(response, 500, "internal");
      expect(JSON.stringify(response.json)).not.toMatch(/secret internal detail|index\.mjs|at /);
    } finally {
      await broken.close();
    }
  });

  it("503 unavailable when signing credentials cannot be had", async () => {
    const unsigned = await startService({
      emulator,
      credentials: async () => {
        throw new DependencyUnavailableError("no credentials");
      },
    });
    try {
      const own = (await unsigned.createKey()).key;
      expectEnvelope(await call({ method: "POST", path: "/v1/tokens", key: own }, unsigned), 503, "unavailable");
    } finally {
      await unsigned.close();
    }
  });
});

describe("checks run in the order 404, 405, 413, 401, 429, 400, 403", () => {
  const big = "x".repeat(9000);

  it("404 before 405", async () => {
    expect((await call({ method: "DELETE", path: "/nope" })).status).toBe(404);
  });

  it("405 before 413 and 401", async () => {
    expect((await call({ method: "PUT", path: "/v1/tokens", body: big })).status).toBe(405);
  });

  it("413 before 401", async () => {
    expect((await call({ method: "POST", path: "/v1/tokens", body: big })).status).toBe(413);
  });

  it("401 before 429, 400 and 403", async () => {
    expect((await call({ method: "POST", path: "/v1/tokens", key: "mvk_nope", body: '{"region":"nowhere"}' })).status).toBe(401);
  });

  it("429 before 400", async () => {
    const limited = await startService({ emulator, env: { MANTLE_VEND_RATE_LIMIT_BURST: "1" } });
    try {
      const own = (await limited.createKey()).key;
      await call({ path: "/v1/regions", key: own }, limited);
      expect((await call({ method: "POST", path: "/v1/tokens", key: own, body: "{bad" }, limited)).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("400 before 403", async () => {
    const scoped = (await service.createKey({ regions: ["us-west-2"] })).key;
    expect((await call({ method: "POST", path: "/v1/tokens", key: scoped, body: '{"region":"eu-west-1","x":1}' })).status).toBe(400);
  });
});

describe("every key failure is the same 401", () => {
  it("unknown, malformed, disabled, expired and revoked keys get identical answers", async () => {
    const expired = await service.createKey({ expiresAt: new Date(service.clock.now() + 1000) });
    const revoked = await service.createKey();
    await service.admin.revoke(revoked.keyId);
    service.clock.advanceSeconds(2);
    const secretLess = key.slice(0, key.lastIndexOf("_") + 1);
    const candidates = [
      undefined,
      "Basic abc",
      "mvk_0123456789abcdef_" + "A".repeat(43),
      "mvk_short",
      key.slice(0, -1) + (key.endsWith("A") ? "B" : "A"),
      `${secretLess}${"A".repeat(43)}`,
      expired.key,
      revoked.key,
    ];
    const answers = [];
    for (const candidate of candidates) {
      const headers: Record<string, string> = candidate === undefined ? {} : { authorization: candidate.startsWith("Basic") ? candidate : `Bearer ${candidate}` };
      const response = await call({ path: "/v1/regions", headers });
      expect(response.status).toBe(401);
      answers.push({ ...(response.json.error as Record<string, string>), requestId: "-", auth: response.headers["www-authenticate"] });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  });
});
