process.env.AWS_EC2_METADATA_DISABLED = "true";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getToken } from "@aws/bedrock-token-generator";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import {
  EMULATOR_CREDENTIALS,
  MantleEmulator,
  verifyBearerToken,
  type EmulatorCredentials,
  type FailureMode,
} from "../../lambda/local/mantle-emulator.js";

const REGION = "us-west-2";
const OTHER_REGION = "eu-central-1";
const PREFIX = "bedrock-api-key-";

// --- helpers ----------------------------------------------------------------

function mint(region = REGION, credentials: EmulatorCredentials = EMULATOR_CREDENTIALS, expiresInSeconds = 900): Promise<string> {
  return getToken({ credentials, region, expiresInSeconds });
}

function decode(token: string): string {
  return Buffer.from(token.slice(PREFIX.length), "base64").toString("utf8");
}

function encode(url: string): string {
  return PREFIX + Buffer.from(url, "utf8").toString("base64");
}

/** X-Amz-Date of a token, parsed independently of the code under test. */
function signedAtMs(token: string): number {
  const m = /X-Amz-Date=(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(decode(token));
  if (!m) throw new Error("token has no X-Amz-Date");
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function withSignatureCharChanged(token: string): string {
  return encode(
    decode(token).replace(/X-Amz-Signature=([0-9a-f]{64})/, (_all, sig: string) => {
      const last = sig.slice(-1) === "0" ? "1" : "0";
      return `X-Amz-Signature=${sig.slice(0, -1)}${last}`;
    }),
  );
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

const CHAT_BODY = JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "Say hello" }] });
const ANTHROPIC_BODY = JSON.stringify({
  model: "anthropic.claude-sonnet-4-5",
  max_tokens: 64,
  messages: [{ role: "user", content: "Say hello" }],
});

let emu: MantleEmulator;

beforeAll(async () => {
  emu = await MantleEmulator.start({ streamChunkDelayMs: 40 });
});

afterAll(async () => {
  await emu.close();
});

beforeEach(() => {
  emu.setNow(Date.now);
  emu.setGzip(false);
  emu.resetCalls();
  for (const region of [REGION, OTHER_REGION]) emu.setFailure(region, null);
});

// --- verifyBearerToken --------------------------------------------------------

describe("verifyBearerToken accepts only a genuine, current token for the given region", () => {
  const opts = (nowMs = Date.now(), region = REGION) => ({ region, nowMs, credentials: [EMULATOR_CREDENTIALS] });

  it("accepts a generator token and reports when it was signed and when it expires", async () => {
    const token = await mint(REGION, EMULATOR_CREDENTIALS, 900);
    const result = await verifyBearerToken(token, opts());
    expect(result).toEqual({
      ok: true,
      accessKeyId: EMULATOR_CREDENTIALS.accessKeyId,
      signedAt: new Date(signedAtMs(token)),
      expiresAt: new Date(signedAtMs(token) + 900_000),
    });
  });

  it("rejects a token signed for another region", async () => {
    const result = await verifyBearerToken(await mint(REGION), opts(Date.now(), OTHER_REGION));
    expect(result).toEqual({ ok: false, reason: "token was signed for another region" });
  });

  it("rejects a token whose X-Amz-Expires was raised after signing", async () => {
    const forged = encode(decode(await mint()).replace("X-Amz-Expires=900", "X-Amz-Expires=3600"));
    expect(await verifyBearerToken(forged, opts())).toEqual({ ok: false, reason: "signature does not match" });
  });

  it("rejects anything that is not exactly the generator's shape", async () => {
    const token = await mint();
    const url = decode(token);
    const variants = [
      "",
      "bedrock-api-key-",
      "not-a-token",
      token.replace(PREFIX, "bedrock-key-"),
      encode(url.replace("&Version=1", "")),
      encode(url.replace("Version=1", "Version=2")),
      encode(`${url}&Extra=1`),
      encode(url.replace("bedrock.amazonaws.com", "evil.example.com")),
      encode(url.replace("Action=CallWithBearerToken", "Action=Other")),
      `${token}!`,
    ];
    for (const variant of variants) {
      expect(await verifyBearerToken(variant, opts())).toEqual({ ok: false, reason: "malformed token" });
    }
  });

  it("rejects X-Amz-Expires above 43200 even when correctly signed", async () => {
    const signer = new SignatureV4({ service: "bedrock", region: REGION, credentials: EMULATOR_CREDENTIALS, sha256: Sha256 });
    const presigned = await signer.presign(
      {
        method: "POST",
        protocol: "https:",
        hostname: "bedrock.amazonaws.com",
        path: "/",
        query: { Action: "CallWithBearerToken" },
        headers: { host: "bedrock.amazonaws.com" },
      },
      { expiresIn: 43_201 },
    );
    const q = presigned.query ?? {};
    const order = ["Action", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature", "X-Amz-SignedHeaders"];
    const qs = order.map((k) => `${k}=${encodeURIComponent(String(q[k]))}`).join("&");
    const token = encode(`bedrock.amazonaws.com/?${qs}&Version=1`);
    expect(await verifyBearerToken(token, opts())).toEqual({ ok: false, reason: "malformed token" });
  });

  it("rejects a token signed more than 5 minutes in the future, tolerates less", async () => {
    const token = await mint();
    const at = signedAtMs(token);
    expect(await verifyBearerToken(token, opts(at - 6 * 60_000))).toEqual({ ok: false, reason: "token is signed in the future" });
    expect((await verifyBearerToken(token, opts(at - 4 * 60_000))).ok).toBe(true);
  });

  it("caps validity at the signing credentials' own expiry", async () => {
    const expiration = new Date(Date.now() + 60_000);
    const credentials = { ...EMULATOR_CREDENTIALS, expiration };
    const token = await mint(REGION, credentials, 3600);
    const ok = await verifyBearerToken(token, { region: REGION, nowMs: Date.now(), credentials: [credentials] });
    expect(ok).toMatchObject({ ok: true, expiresAt: expiration });
    const late = await verifyBearerToken(token, { region: REGION, nowMs: expiration.getTime() + 1000, credentials: [credentials] });
    expect(late).toEqual({ ok: false, reason: "token has expired" });
  });
});

// --- accepted requests ----------------------------------------------------------

describe("a generator token signed with the emulator's credentials is accepted in its region", () => {
  it("lists the region's models in the OpenAI list shape", async () => {
    const res = await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: bearer(await mint()) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(body.object).toBe("list");
    expect(body.data.length).toBeGreaterThanOrEqual(6);
    const ids = body.data.map((m) => m["id"]);
    expect(ids).toEqual(expect.arrayContaining(["openai.gpt-oss-120b", "moonshotai.kimi-k2-thinking", "deepseek.v3.2", "mistral.devstral-2-123b"]));
    for (const model of body.data) {
      expect(model).toMatchObject({ object: "model", id: expect.any(String), created: expect.any(Number), owned_by: expect.any(String) });
    }
  });

  it("answers a chat completion", async () => {
    const res = await fetch(`${emu.rootFor(REGION)}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(await mint()), "content-type": "application/json" },
      body: CHAT_BODY,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "openai.gpt-oss-120b",
      choices: [{ index: 0, message: { role: "assistant", content: expect.stringContaining(REGION) }, finish_reason: "stop" }],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) },
    });
  });

  it("streams a chat completion as separate SSE events ending in [DONE]", async () => {
    const res = await fetch(`${emu.rootFor(REGION)}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(await mint()), "content-type": "application/json" },
      body: JSON.stringify({ ...(JSON.parse(CHAT_BODY) as object), stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const reads: Array<{ at: number; text: string }> = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      reads.push({ at: Date.now(), text: decoder.decode(value, { stream: true }) });
    }
    const events = reads
      .map((r) => r.text)
      .join("")
      .split("\n\n")
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: Array<{ delta: { content?: string }; finish_reason: string | null }> });
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const chunk of chunks) expect(chunk.object).toBe("chat.completion.chunk");
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toContain(REGION);
    // Separate arrival: events come in (almost) one read each, spread over the stream's delays.
    // Two coalesced reads are tolerated so a loaded machine does not make this flaky.
    expect(reads.length).toBeGreaterThanOrEqual(events.length - 2);
    expect(reads.at(-1)!.at - reads[0]!.at).toBeGreaterThanOrEqual((events.length - 3) * 40 * 0.8);
  });

  it("answers Anthropic messages with the bearer token in authorization", async () => {
    const res = await fetch(`${emu.rootFor(REGION)}/anthropic/v1/messages`, {
      method: "POST",
      headers: { ...bearer(await mint()), "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: ANTHROPIC_BODY,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      type: "message",
      role: "assistant",
      model: "anthropic.claude-sonnet-4-5",
      content: [{ type: "text", text: expect.stringContaining(REGION) }],
      stop_reason: "end_turn",
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
  });
});

// --- rejected requests --------------------------------------------------------

describe("every request without a valid bearer token for that root's region gets 401", () => {
  async function expect401(res: Response, token?: string): Promise<void> {
    expect(res.status).toBe(401);
    const text = await res.text();
    const body = JSON.parse(text) as { error: Record<string, unknown> };
    expect(body).toEqual({ error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "invalid_api_key" } });
    if (token) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.slice(PREFIX.length, PREFIX.length + 24));
    }
  }

  it("rejects a token used in another region", async () => {
    const token = await mint(REGION);
    await expect401(await fetch(`${emu.rootFor(OTHER_REGION)}/v1/models`, { headers: bearer(token) }), token);
  });

  it("rejects a token with one character of X-Amz-Signature changed", async () => {
    const token = withSignatureCharChanged(await mint());
    await expect401(await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: bearer(token) }), token);
  });

  it("rejects a token signed with an unknown access key", async () => {
    const stranger = { accessKeyId: "AKIASTRANGERKEY00000", secretAccessKey: EMULATOR_CREDENTIALS.secretAccessKey };
    const token = await mint(REGION, stranger);
    await expect401(
      await fetch(`${emu.rootFor(REGION)}/v1/chat/completions`, { method: "POST", headers: bearer(token), body: CHAT_BODY }),
      token,
    );
  });

  it("rejects a missing authorization header and a non-Bearer scheme", async () => {
    await expect401(await fetch(`${emu.rootFor(REGION)}/v1/models`));
    const token = await mint();
    await expect401(await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: { authorization: `Basic ${token}` } }), token);
  });

  it("does not accept x-api-key as a Mantle credential on the Anthropic surface", async () => {
    const token = await mint();
    const res = await fetch(`${emu.rootFor(REGION)}/anthropic/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": token, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: ANTHROPIC_BODY,
    });
    await expect401(res, token);
  });
});

describe("expiry is judged by the emulator's injected clock", () => {
  it("accepts at expiry − 1 s and rejects at expiry + 1 s", async () => {
    const token = await mint(REGION, EMULATOR_CREDENTIALS, 120);
    const expiry = signedAtMs(token) + 120_000;
    emu.setNow(() => expiry - 1000);
    expect((await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: bearer(token) })).status).toBe(200);
    emu.setNow(() => expiry + 1000);
    expect((await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: bearer(token) })).status).toBe(401);
  });

  it("takes the clock from the start option", async () => {
    const token = await mint(REGION, EMULATOR_CREDENTIALS, 60);
    const late = await MantleEmulator.start({ now: () => signedAtMs(token) + 61_000 });
    try {
      expect((await fetch(`${late.rootFor(REGION)}/v1/models`, { headers: bearer(token) })).status).toBe(401);
    } finally {
      await late.close();
    }
  });
});

describe("session-token credentials work", () => {
  const sessionCredentials: EmulatorCredentials = {
    accessKeyId: "ASIAMANTLEVENDSESSN0",
    secretAccessKey: "sessionSecretKeyForTheMantleEmulator0000",
    sessionToken: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+example/token==",
  };
  let sts: MantleEmulator;

  beforeAll(async () => {
    sts = await MantleEmulator.start({ credentials: [EMULATOR_CREDENTIALS, sessionCredentials] });
  });
  afterAll(async () => {
    await sts.close();
  });

  it("accepts a token signed with the session credentials", async () => {
    const token = await mint(REGION, sessionCredentials);
    expect(decode(token)).toContain("X-Amz-Security-Token=");
    expect((await fetch(`${sts.rootFor(REGION)}/v1/models`, { headers: bearer(token) })).status).toBe(200);
  });

  it("rejects the same key id with a different session token", async () => {
    const token = await mint(REGION, { ...sessionCredentials, sessionToken: "another-session-token" });
    expect((await fetch(`${sts.rootFor(REGION)}/v1/models`, { headers: bearer(token) })).status).toBe(401);
  });

  it("still accepts the fixed local credentials alongside", async () => {
    expect((await fetch(`${sts.rootFor(REGION)}/v1/models`, { headers: bearer(await mint()) })).status).toBe(200);
  });
});

// --- catalogs, routing, gzip, counting ---------------------------------------

describe("each region serves its own catalog; unknown regions and paths are 404", () => {
  it("setCatalog replaces exactly one region's catalog", async () => {
    emu.setCatalog(OTHER_REGION, [{ id: "acme.only-model" }]);
    try {
      const other = (await (await fetch(`${emu.rootFor(OTHER_REGION)}/v1/models`, { headers: bearer(await mint(OTHER_REGION)) })).json()) as {
        data: unknown[];
      };
      expect(other.data).toEqual([{ object: "model", id: "acme.only-model" }]);
      const mine = (await (await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: bearer(await mint()) })).json()) as { data: unknown[] };
      expect(mine.data.length).toBeGreaterThan(1);
    } finally {
      emu.setCatalog(OTHER_REGION, []);
    }
  });

  it("answers 404 for a region outside the Mantle regions and for unknown paths", async () => {
    expect((await fetch(`${emu.url}/mars-north-1/v1/models`, { headers: bearer(await mint("mars-north-1")) })).status).toBe(404);
    expect((await fetch(`${emu.rootFor(REGION)}/v1/nope`, { headers: bearer(await mint()) })).status).toBe(404);
  });

  it("exposes endpointTemplate as the url with a {region} placeholder", () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.endpointTemplate).toBe(`${emu.url}/{region}`);
    expect(emu.endpointTemplate.replace("{region}", REGION)).toBe(emu.rootFor(REGION));
  });
});

describe("gzip is used for JSON only when turned on and accepted", () => {
  it("gzips /v1/models with content-encoding when setGzip(true) and accept-encoding has gzip", async () => {
    const headers = { ...bearer(await mint()), "accept-encoding": "gzip, deflate" };
    const plain = await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers });
    expect(plain.headers.get("content-encoding")).toBeNull();
    await plain.arrayBuffer();
    emu.setGzip(true);
    const zipped = await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(((await zipped.json()) as { object: string }).object).toBe("list");
  });
});

describe("calls are recorded per region, method, path and status", () => {
  it("counts with filters and resets", async () => {
    const token = await mint();
    await (await fetch(`${emu.rootFor(REGION)}/v1/models?x=1`, { headers: bearer(token) })).arrayBuffer();
    await (await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: bearer(token) })).arrayBuffer();
    await (await fetch(`${emu.rootFor(OTHER_REGION)}/v1/models`, { headers: bearer(token) })).arrayBuffer();
    expect(emu.count()).toBe(3);
    expect(emu.count({ region: REGION })).toBe(2);
    expect(emu.count({ region: REGION, path: "/v1/models" })).toBe(2);
    expect(emu.count({ path: "/v1/chat/completions" })).toBe(0);
    expect(emu.calls.at(-1)).toEqual({ region: OTHER_REGION, method: "GET", path: "/v1/models", status: 401 });
    emu.resetCalls();
    expect(emu.count()).toBe(0);
  });
});

// --- failure modes ------------------------------------------------------------

describe("failure modes of /v1/models apply to one region and behave as named", () => {
  async function models(signal?: AbortSignal): Promise<Response> {
    return fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: bearer(await mint()), ...(signal ? { signal } : {}) });
  }
  function fail(mode: FailureMode): void {
    emu.setFailure(REGION, mode);
  }

  it("http500 answers 500", async () => {
    fail("http500");
    const res = await models();
    expect(res.status).toBe(500);
    await res.arrayBuffer();
    const other = await fetch(`${emu.rootFor(OTHER_REGION)}/v1/models`, { headers: bearer(await mint(OTHER_REGION)) });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it("timeout accepts the request and never answers", async () => {
    fail("timeout");
    await expect(models(AbortSignal.timeout(300))).rejects.toMatchObject({ name: "TimeoutError" });
    expect(emu.calls).toEqual([{ region: REGION, method: "GET", path: "/v1/models", status: 0 }]);
  });

  it("garbage answers 200 with a body that is not JSON", async () => {
    fail("garbage");
    const res = await models();
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text) as unknown).toThrow();
  });

  it("not-list answers 200 JSON that is not the list shape", async () => {
    fail("not-list");
    const res = await models();
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body["object"]).not.toBe("list");
    expect(Array.isArray(body["data"])).toBe(false);
  });

  it("non-utf8 answers 200 with invalid UTF-8 bytes", async () => {
    fail("non-utf8");
    const res = await models();
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toThrow();
  });

  it("slow answers 200 and drips the body one byte at a time", async () => {
    fail("slow");
    const res = await models();
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const received: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 300) {
      const { done, value } = await reader.read();
      if (done) break;
      received.push(...value);
    }
    await reader.cancel();
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(received.length).toBeLessThanOrEqual(12);
    expect(Buffer.from(received).toString("utf8")).toBe('{"object":"list"'.slice(0, received.length));
  });

  it("oversized answers 200 with a valid list over 4 MiB", async () => {
    fail("oversized");
    const res = await models();
    expect(res.status).toBe(200);
    const bytes = await res.arrayBuffer();
    expect(bytes.byteLength).toBeGreaterThan(4 * 1024 * 1024);
    const body = JSON.parse(Buffer.from(bytes).toString("utf8")) as { object: string; data: Array<{ id: string }> };
    expect(body.object).toBe("list");
    expect(body.data.every((m) => typeof m.id === "string")).toBe(true);
  });

  it("setFailure(region, null) restores normal answers", async () => {
    fail("http500");
    emu.setFailure(REGION, null);
    const res = await models();
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it("failures do not affect chat completions", async () => {
    fail("timeout");
    const res = await fetch(`${emu.rootFor(REGION)}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(await mint()),
      body: CHAT_BODY,
      signal: AbortSignal.timeout(2000),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});

describe("close() ends hung and keep-alive connections", () => {
  it("resolves promptly while a request hangs, and the request fails", async () => {
    const hung = await MantleEmulator.start();
    hung.setFailure(REGION, "timeout");
    const pending = fetch(`${hung.rootFor(REGION)}/v1/models`, { headers: bearer(await mint()) });
    const settled = pending.then(
      () => "answered",
      () => "failed",
    );
    while (hung.count() === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await hung.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await settled).toBe("failed");
  });
});
