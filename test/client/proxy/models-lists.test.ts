/**
 * The proxy's model lists, as the real SDKs read them: `GET /v1/models` holds only the models an
 * OpenAI SDK can call (Chat Completions or Responses), `GET /anthropic/v1/models` only the Messages
 * models, in Anthropic's list shape. A discovery-based gateway never lists a model it cannot call.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import { useFixture } from "../../support/fixture.js";

const fixture = useFixture({ service: true });
let proxy: RunningProxy;
let catalog: Array<{ id: string; apis: string[] }>;

beforeAll(async () => {
  const url = await fixture.service.listen();
  const client = new MantleVendClient({ url, apiKey: (await fixture.service.createKey()).key, region: "us-east-1" });
  catalog = (await client.listModels()).models.map((m) => ({ id: m.id, apis: [...m.apis] }));
  proxy = await startProxy({ client, port: 0, requireKey: true });
});

afterAll(async () => {
  await proxy?.close();
});

const ids = (filter: (apis: string[]) => boolean): string[] => catalog.filter((m) => filter(m.apis)).map((m) => m.id);

describe("GET /v1/models through the proxy lists only OpenAI-API models (the openai SDK's models.list)", () => {
  it("every Chat Completions or Responses model of the catalog, and no Messages-only model", async () => {
    const openai = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: proxy.key ?? "", maxRetries: 0 });
    const listed: string[] = [];
    for await (const model of openai.models.list()) listed.push(model.id);
    const expected = ids((apis) => apis.includes("chat-completions") || apis.includes("responses"));
    expect(listed).toEqual(expected);
    expect(listed).toContain("openai.gpt-5.5");
    expect(listed.filter((id) => id.startsWith("anthropic."))).toEqual([]);
    expect(ids((apis) => apis.includes("messages")).length).toBeGreaterThan(0);
  });

  it("the same list on /openai/v1, the prefix of the Responses models", async () => {
    const openai = new OpenAI({ baseURL: `${proxy.url}/openai/v1`, apiKey: proxy.key ?? "", maxRetries: 0 });
    const listed: string[] = [];
    for await (const model of openai.models.list()) listed.push(model.id);
    expect(listed).toEqual(ids((apis) => apis.includes("chat-completions") || apis.includes("responses")));
  });
});

describe("GET /anthropic/v1/models lists the Messages models in Anthropic's shape (the @anthropic-ai/sdk's models.list)", () => {
  it("exactly the catalog's Messages models, with Anthropic's fields", async () => {
    const anthropic = new Anthropic({ baseURL: `${proxy.url}/anthropic`, apiKey: proxy.key ?? "", maxRetries: 0 });
    const listed: Array<{ id: string; type: string; display_name: string; created_at: string }> = [];
    for await (const model of anthropic.models.list()) listed.push(model);
    expect(listed.map((m) => m.id)).toEqual(ids((apis) => apis.includes("messages")));
    for (const model of listed) {
      expect(model.type).toBe("model");
      expect(model.display_name).toBe(model.id);
      expect(model.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });
});
