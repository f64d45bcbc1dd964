import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import { ModelsAdmin } from "../../../lambda/admin/models-admin.js";
import type { MantleEmulator } from "../../../lambda/local/mantle-emulator.js";
import { useFixture } from "../../support/fixture.js";
import type { TestService } from "../../support/service.js";

let emulator: MantleEmulator;
let service: TestService;
let proxy: RunningProxy;
let serverUrl: string;

const REGION = "us-east-1";
const catalogReads = (): number => service.events.filter((e) => e.rawPath === "/v1/models").length;
const lastCall = () => emulator.calls.at(-1);

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${proxy.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text.startsWith("{") ? JSON.parse(text) : text };
}

const fixture = useFixture({ emulator: true, service: true });

beforeAll(async () => {
  ({ emulator, service } = fixture);
  emulator.setCatalog(REGION, [
    { id: "openai.gpt-oss-120b" },
    { id: "openai.gpt-5.5" },
    { id: "deepseek.v3.2" },
    { id: "anthropic.claude-haiku-4-5", unlisted: true },
  ]);
  const models = new ModelsAdmin(service.store, service.config.parameterPrefix);
  await models.set("deepseek.v3.2", { hidden: true });
  await models.set("anthropic.claude-haiku-4-5", { add: true });
  serverUrl = await service.listen();
  const client = new MantleVendClient({ url: serverUrl, apiKey: (await service.createKey()).key, region: REGION });
  proxy = await startProxy({ client, port: 0 });
});

afterAll(async () => {
  await proxy?.close();
});

describe("the proxy moves each request to its model's prefix", () => {
  it("/v1/responses for a GPT-5 model goes to /openai/v1/responses, query kept", async () => {
    const { status, json } = await post("/v1/responses?trace=1", { model: "openai.gpt-5.5", input: "hi" });
    expect(status).toBe(200);
    expect(json).toMatchObject({ object: "response", model: "openai.gpt-5.5", status: "completed" });
    expect(lastCall()).toEqual({ region: REGION, method: "POST", path: "/openai/v1/responses", status: 200 });
  });

  it("a model on its own prefix goes unchanged", async () => {
    expect((await post("/v1/chat/completions", { model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    expect(lastCall()?.path).toBe("/v1/chat/completions");
  });

  it("a model the catalog does not know is forwarded unchanged, so Mantle's own 404 comes back", async () => {
    const { status, json } = await post("/openai/v1/responses", { model: "no.such-model", input: "hi" });
    expect(status).toBe(404);
    expect(json).toMatchObject({ error: { message: "The model 'no.such-model' does not exist" } });
    expect(lastCall()?.path).toBe("/openai/v1/responses");
  });

  it("a body over 1 MiB is forwarded unchanged and unread", async () => {
    const body = JSON.stringify({ model: "openai.gpt-5.5", input: "x".repeat(1024 * 1024) });
    const before = emulator.calls.length;
    await post("/v1/responses", body);
    expect(emulator.calls.slice(before).map((c) => c.path)).toEqual(["/v1/responses"]);
  });
});

describe("a model whose APIs lack the called one gets the proxy's own 400 in that API's error shape", () => {
  it("GPT-5 on /v1/chat/completions: OpenAI shape, naming Responses and its path; Mantle is not called", async () => {
    const before = emulator.calls.length;
    const { status, json } = await post("/v1/chat/completions", { model: "openai.gpt-5.5", messages: [{ role: "user", content: "hi" }] });
    expect(status).toBe(400);
    expect(json).toEqual({
      error: {
        message: "model openai.gpt-5.5 is not served by the chat-completions API; it is served by responses at POST /openai/v1/responses (mantle-vend catalog)",
        type: "invalid_request_error",
        param: "model",
        code: "unsupported_api",
      },
    });
    expect(emulator.calls.length).toBe(before);
  });

  it("an OpenAI model on /anthropic/v1/messages: Anthropic shape", async () => {
    const { status, json } = await post("/anthropic/v1/messages", { model: "openai.gpt-oss-120b", max_tokens: 5, messages: [] });
    expect(status).toBe(400);
    expect(json).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message: "model openai.gpt-oss-120b is not served by the messages API; it is served by chat-completions at POST /v1/chat/completions and responses at POST /v1/responses (mantle-vend catalog)",
      },
    });
  });
});

describe("GET /v1/models through the proxy answers the curated team catalog in the OpenAI list shape", () => {
  it("hidden models are absent, added ones present; Messages-only models are on the Anthropic list only", async () => {
    const res = await fetch(`${proxy.url}/v1/models`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      object: "list",
      data: [
        { id: "openai.gpt-5.5", object: "model", created: 0, owned_by: "openai" },
        { id: "openai.gpt-oss-120b", object: "model", created: 0, owned_by: "openai" },
      ],
    });
    const anthropic = await fetch(`${proxy.url}/anthropic/v1/models`);
    expect(await anthropic.json()).toEqual({
      data: [{ type: "model", id: "anthropic.claude-haiku-4-5", display_name: "anthropic.claude-haiku-4-5", created_at: "1970-01-01T00:00:00.000Z" }],
      has_more: false,
      first_id: "anthropic.claude-haiku-4-5",
      last_id: "anthropic.claude-haiku-4-5",
    });
  });
});

describe("the proxy reads the catalog once per max-age, however many requests it routes", () => {
  it("one GET /v1/models for a proxy's many routed requests of every kind", async () => {
    const client = new MantleVendClient({ url: serverUrl, apiKey: (await service.createKey()).key, region: REGION });
    const own = await startProxy({ client, port: 0 });
    try {
      const before = catalogReads();
      const calls: [string, unknown][] = [
        ["/v1/responses", { model: "openai.gpt-5.5", input: "hi" }],
        ["/v1/chat/completions", { model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hi" }] }],
        ["/v1/responses", { model: "openai.gpt-oss-120b", input: "hi" }],
        ["/openai/v1/responses", { model: "no.such-model", input: "hi" }],
        ["/v1/responses", { model: "openai.gpt-5.5", input: "again" }],
      ];
      for (const [path, body] of calls) {
        const res = await fetch(`${own.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        await res.arrayBuffer();
      }
      expect((await fetch(`${own.url}/v1/models`)).status).toBe(200);
      expect(catalogReads() - before).toBe(1);
    } finally {
      await own.close();
    }
  });
});

describe("after max-age the proxy revalidates the catalog with its etag", () => {
  it("one conditional GET, answered 304, then no more until the next max-age", async () => {
    let now = Date.now();
    const client = new MantleVendClient({ url: serverUrl, apiKey: (await service.createKey()).key, region: REGION, now: () => now });
    const own = await startProxy({ client, port: 0 });
    try {
      const reads = () => service.events.filter((e) => e.rawPath === "/v1/models");
      const before = reads().length;
      const call = () => fetch(`${own.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "openai.gpt-5.5", input: "hi" }) });
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(200);
      expect(reads().length - before).toBe(1);
      now += (service.config.catalogTtlSeconds + 1) * 1000;
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(200);
      const after = reads().slice(before);
      expect(after).toHaveLength(2);
      expect(after[1]?.headers?.["if-none-match"]).toMatch(/^"/);
    } finally {
      await own.close();
    }
  });
});
