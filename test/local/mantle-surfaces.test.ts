process.env.AWS_EC2_METADATA_DISABLED = "true";

import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { getToken } from "@aws/bedrock-token-generator";
import { EMULATOR_CREDENTIALS, MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import { sampleArguments } from "../../lambda/local/mantle-wire.js";
import { useFixture } from "../support/fixture.js";

const REGION = "us-east-1";
const fixture = useFixture({ emulator: true });
let emu: MantleEmulator;
let token: string;

beforeAll(async () => {
  emu = fixture.emulator;
  token = await getToken({ credentials: EMULATOR_CREDENTIALS, region: REGION, expiresInSeconds: 900 });
});
beforeEach(() => {
  emu.setCatalog(REGION, []);
  emu.resetCalls();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${emu.rootFor(REGION)}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const chat = (model: string) => ({ model, messages: [{ role: "user", content: "hi" }] });
const openai = (prefix: "/v1" | "/openai/v1") => new OpenAI({ apiKey: token, baseURL: `${emu.rootFor(REGION)}${prefix}`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: token, baseURL: `${emu.rootFor(REGION)}/anthropic`, maxRetries: 0 });

const WEATHER = {
  name: "get_weather",
  description: "Weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] },
};

describe("the emulator serves each model on its own prefix only, with Mantle's messages", () => {
  beforeEach(() => emu.setCatalog(REGION, [{ id: "openai.gpt-oss-120b" }, { id: "openai.gpt-5.5" }, { id: "anthropic.claude-haiku-4-5" }]));

  it("a model on the wrong prefix gets 400 'isn't supported on this route'", async () => {
    for (const [path, model] of [
      ["/v1/responses", "openai.gpt-5.5"],
      ["/openai/v1/chat/completions", "openai.gpt-oss-120b"],
      ["/v1/chat/completions", "anthropic.claude-haiku-4-5"],
    ] as const) {
      const { status, body } = await post(path, { ...chat(model), input: "hi" });
      expect(status, path).toBe(400);
      expect(body).toEqual({ error: { message: `model \`${model}\` isn't supported on this route`, type: "invalid_request_error", param: null, code: "validation_error" } });
    }
  });

  it("an API the model lacks on its own prefix gets 400 naming the API", async () => {
    const { status, body } = await post("/openai/v1/chat/completions", chat("openai.gpt-5.5"));
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { message: "The model 'openai.gpt-5.5' does not support the '/openai/v1/chat/completions' API" } });
  });

  it("an OpenAI model on /anthropic/v1/messages gets 400 in the Anthropic shape", async () => {
    const { status, body } = await post("/anthropic/v1/messages", { ...chat("openai.gpt-oss-120b"), max_tokens: 10 });
    expect(status).toBe(400);
    expect(body).toEqual({ type: "error", error: { type: "invalid_request_error", message: "The model 'openai.gpt-oss-120b' does not support the '/anthropic/v1/messages' API" } });
  });

  it("an unknown model gets 404 in the called API's shape", async () => {
    expect(await post("/v1/chat/completions", chat("no.such-model"))).toEqual({
      status: 404,
      body: { error: { message: "The model 'no.such-model' does not exist", type: "not_found_error", param: null, code: "not_found_error" } },
    });
    expect(await post("/anthropic/v1/messages", { ...chat("no.such-model"), max_tokens: 10 })).toEqual({
      status: 404,
      body: { type: "error", error: { type: "not_found_error", message: "The model 'no.such-model' does not exist" } },
    });
  });

  it("a model's own serving beats the family rules, and an unlisted model is served but not listed", async () => {
    emu.setCatalog(REGION, [{ id: "acme.secret-model", unlisted: true, serving: { route: "/openai/v1", apis: ["responses"] } }]);
    expect((await post("/openai/v1/responses", { model: "acme.secret-model", input: "hi" })).status).toBe(200);
    expect((await post("/v1/chat/completions", chat("acme.secret-model"))).status).toBe(400);
    const list = await fetch(`${emu.rootFor(REGION)}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
    expect(await list.json()).toEqual({ object: "list", data: [] });
  });

  it("GET /openai/v1/models is not a route (only /v1/models lists models)", async () => {
    const res = await fetch(`${emu.rootFor(REGION)}/openai/v1/models`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
  });
});

describe("the default catalog has a model of each route", () => {
  it("lists gpt-oss (/v1), gpt-5.5 (/openai/v1) and Claude (/anthropic)", async () => {
    const fresh = await MantleEmulator.start();
    try {
      const list = await fetch(`${fresh.rootFor(REGION)}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
      const ids = ((await list.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
      expect(ids).toEqual(expect.arrayContaining(["openai.gpt-oss-120b", "openai.gpt-5.5", "anthropic.claude-haiku-4-5"]));
    } finally {
      await fresh.close();
    }
  });
});

describe("tool arguments satisfy the tool's schema", () => {
  it("fills required properties from default, examples, enum or type", () => {
    expect(
      sampleArguments({
        type: "object",
        properties: { a: { type: "string" }, b: { type: "integer" }, c: { enum: ["x", "y"] }, d: { default: 7 }, e: { type: "boolean" }, f: { type: "string" } },
        required: ["a", "b", "c", "d", "e"],
      }),
    ).toEqual({ a: "emulator", b: 1, c: "x", d: 7, e: true });
  });
});

describe("the real openai SDK parses chat completions: text, stream, tool call, then text after the result", () => {
  beforeEach(() => emu.setCatalog(REGION, [{ id: "openai.gpt-oss-120b" }]));

  it("non-streaming text", async () => {
    const answer = await openai("/v1").chat.completions.create(chat("openai.gpt-oss-120b") as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(answer.choices[0]?.message.content).toContain(REGION);
  });

  it("a streamed tool call and a streamed answer to its result", async () => {
    const client = openai("/v1");
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: WEATHER }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const first = await client.chat.completions.stream({ model: "openai.gpt-oss-120b", messages, tools, stream_options: { include_usage: true } }).finalChatCompletion();
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call).toMatchObject({ type: "function", function: { name: "get_weather", arguments: '{"city":"emulator"}' } });
    expect(first.usage?.total_tokens).toBeGreaterThan(0);
    if (call === undefined) throw new Error("no tool call");
    messages.push(first.choices[0]!.message, { role: "tool", tool_call_id: call.id, content: "sunny" });
    const second = await client.chat.completions.stream({ model: "openai.gpt-oss-120b", messages, tools }).finalChatCompletion();
    expect(second.choices[0]).toMatchObject({ finish_reason: "stop", message: { content: "The tool returned: sunny" } });
  });
});

describe("the real openai SDK parses responses: create, stream, tool call, then text after the result", () => {
  beforeEach(() => emu.setCatalog(REGION, [{ id: "openai.gpt-5.5" }]));

  it("non-streaming create gets output_text", async () => {
    const answer = await openai("/openai/v1").responses.create({ model: "openai.gpt-5.5", input: "hi" });
    expect(answer.output_text).toContain("openai.gpt-5.5");
  });

  it("responses.stream: a function call, then text after function_call_output", async () => {
    const client = openai("/openai/v1");
    const tools: OpenAI.Responses.FunctionTool[] = [{ type: "function", name: WEATHER.name, parameters: WEATHER.parameters, strict: false }];
    const deltas: string[] = [];
    const first = await client.responses.stream({ model: "openai.gpt-5.5", input: "Weather?", tools }).on("response.function_call_arguments.delta", (e) => deltas.push(e.delta)).finalResponse();
    const call = first.output[0];
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"emulator"}', status: "completed" });
    expect(deltas.length).toBe(2);
    if (call?.type !== "function_call") throw new Error("no function call");
    const input: OpenAI.Responses.ResponseInput = [{ role: "user", content: "Weather?" }, call, { type: "function_call_output", call_id: call.call_id, output: "rain" }];
    const second = await client.responses.stream({ model: "openai.gpt-5.5", input, tools }).finalResponse();
    expect(second.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "The tool returned: rain" }] });
  });
});

describe("the real @anthropic-ai/sdk parses messages: create, stream, tool_use, then text after tool_result", () => {
  beforeEach(() => emu.setCatalog(REGION, [{ id: "anthropic.claude-haiku-4-5" }]));

  it("non-streaming create", async () => {
    const answer = await anthropic().messages.create({ model: "anthropic.claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
    expect(answer.content[0]).toMatchObject({ type: "text", text: expect.stringContaining(REGION) });
  });

  it("messages.stream: a tool_use block, then text after the tool_result", async () => {
    const client = anthropic();
    const tools: Anthropic.Tool[] = [{ name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.parameters as Anthropic.Tool.InputSchema }];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const first = await client.messages.stream({ model: "anthropic.claude-haiku-4-5", max_tokens: 64, messages, tools }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    expect(use).toMatchObject({ name: "get_weather", input: { city: "emulator" } });
    if (use?.type !== "tool_use") throw new Error("no tool_use");
    messages.push({ role: "assistant", content: first.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "windy" }] });
    const second = await client.messages.stream({ model: "anthropic.claude-haiku-4-5", max_tokens: 64, messages, tools }).finalMessage();
    expect(second).toMatchObject({ stop_reason: "end_turn", content: [{ type: "text", text: "The tool returned: windy" }] });
    expect(emu.calls.map((c) => c.status)).toEqual([200, 200]);
  });
});
