// The user's path: `npm start --offline`, `mantle-vend proxy`, and the real openai and
// @anthropic-ai/sdk packages pointed at the proxy, each for the API family of its model.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { getToken } from "@aws/bedrock-token-generator";
import { CALLS_PATH, EMULATOR_CREDENTIALS, type EmulatorCall } from "../../lambda/local/mantle-emulator.js";
import { buildClient, CLI } from "../support/client-support.js";
import { credentialFreeEnv, start, type Started } from "../support/process.js";

const root = join(import.meta.dirname, "../..");
const REGION = "us-east-1";
let home: string;
let server: Started;
let proxy: Started;
let emulatorUrl: string;
let proxyUrl: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "mantle-vend-sdk-"));
  const [, started] = await Promise.all([
    buildClient(),
    (async () => {
      server = start("npm", ["start", "--", "--offline", "--port", "0", "--data-dir", join(home, "data")], { cwd: root, env: credentialFreeEnv(home) });
      emulatorUrl = (await server.waitFor(/bundled Mantle emulator at (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
      const url = (await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
      const key = (await server.waitFor(/mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/))[0];
      return { url, key };
    })(),
  ]);
  proxy = start(process.execPath, [CLI, "proxy", "--port", "0"], {
    cwd: root,
    env: credentialFreeEnv(home, { MANTLE_VEND_URL: started.url, MANTLE_VEND_API_KEY: started.key, AWS_REGION: REGION }),
  });
  proxyUrl = (await proxy.waitFor(/proxy listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
  await rm(home, { recursive: true, force: true });
});

async function allCalls(): Promise<EmulatorCall[]> {
  return ((await (await fetch(`${emulatorUrl}${CALLS_PATH}`)).json()) as { calls: EmulatorCall[] }).calls;
}

/** How many calls the emulator has answered so far. */
const callCount = async (): Promise<number> => (await allCalls()).length;

/** The inference calls since `from` (not the server's catalog fetches): a status other than 401 means the emulator verified the token the proxy injected. */
async function emulatorCalls(from: number): Promise<EmulatorCall[]> {
  return (await allCalls()).slice(from).filter((c) => c.path !== "/v1/models");
}

// The SDKs need some key; the proxy replaces it with a Mantle token.
const openai = () => new OpenAI({ apiKey: "placeholder", baseURL: `${proxyUrl}/v1`, maxRetries: 0 });
const WEATHER = { type: "object", properties: { city: { type: "string" } }, required: ["city"] } as const;

describe("openai SDK through the proxy: chat stream on /v1 with a tool call", () => {
  it("gets a tool call, then the answer to its result; the emulator verified the token both times", async () => {
    const from = await callCount();
    const client = openai();
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "get_weather", parameters: WEATHER } }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const first = await client.chat.completions.stream({ model: "openai.gpt-oss-120b", messages, tools }).finalChatCompletion();
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(call).toMatchObject({ function: { name: "get_weather", arguments: '{"city":"emulator"}' } });
    messages.push(first.choices[0]!.message, { role: "tool", tool_call_id: call!.id, content: "sunny" });
    const second = await client.chat.completions.stream({ model: "openai.gpt-oss-120b", messages, tools }).finalChatCompletion();
    expect(second.choices[0]?.message.content).toBe("The tool returned: sunny");
    expect(await emulatorCalls(from)).toEqual([
      { region: REGION, method: "POST", path: "/v1/chat/completions", status: 200 },
      { region: REGION, method: "POST", path: "/v1/chat/completions", status: 200 },
    ]);
  });
});

describe("openai SDK through the proxy: responses.stream for a /v1 model and for a /openai/v1 model", () => {
  it("gpt-oss stays on /v1/responses; GPT-5 is moved to /openai/v1/responses; both stream to the end", async () => {
    const from = await callCount();
    for (const model of ["openai.gpt-oss-120b", "openai.gpt-5.5"]) {
      const deltas: string[] = [];
      const final = await openai().responses.stream({ model, input: "hello" }).on("response.output_text.delta", (e) => deltas.push(e.delta)).finalResponse();
      expect(final.status).toBe("completed");
      expect(final.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", text: deltas.join("") }] });
      expect(deltas.join("")).toContain(model);
    }
    expect(await emulatorCalls(from)).toEqual([
      { region: REGION, method: "POST", path: "/v1/responses", status: 200 },
      { region: REGION, method: "POST", path: "/openai/v1/responses", status: 200 },
    ]);
  });

  it("GPT-5 on /v1/chat/completions gets the proxy's 400 naming the Responses API, and Mantle is never asked", async () => {
    const from = await callCount();
    const error = await openai()
      .chat.completions.create({ model: "openai.gpt-5.5", messages: [{ role: "user", content: "hi" }] })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: "unsupported_api", param: "model" });
    expect((error as Error).message).toContain("responses at POST /openai/v1/responses");
    expect(await emulatorCalls(from)).toEqual([]);
  });
});

describe("@anthropic-ai/sdk through the proxy: messages.stream on /anthropic with a tool call", () => {
  it("gets tool_use, then the answer to the tool_result; the emulator verified the token both times", async () => {
    const from = await callCount();
    const client = new Anthropic({ apiKey: "placeholder", baseURL: `${proxyUrl}/anthropic`, maxRetries: 0 });
    const tools: Anthropic.Tool[] = [{ name: "get_weather", input_schema: WEATHER as unknown as Anthropic.Tool.InputSchema }];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "Weather in Paris?" }];
    const first = await client.messages.stream({ model: "anthropic.claude-haiku-4-5", max_tokens: 256, messages, tools }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
    expect(use).toMatchObject({ name: "get_weather", input: { city: "emulator" } });
    messages.push({ role: "assistant", content: first.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: use!.id, content: "windy" }] });
    const second = await client.messages.stream({ model: "anthropic.claude-haiku-4-5", max_tokens: 256, messages, tools }).finalMessage();
    expect(second.content).toEqual([{ type: "text", text: "The tool returned: windy" }]);
    expect(await emulatorCalls(from)).toEqual([
      { region: REGION, method: "POST", path: "/anthropic/v1/messages", status: 200 },
      { region: REGION, method: "POST", path: "/anthropic/v1/messages", status: 200 },
    ]);
  });
});

describe("the emulator refuses what the proxy fixed, so the routing is what made the GPT-5 call work", () => {
  it("GPT-5 sent straight to the emulator's /v1/responses with a valid token gets Mantle's route error", async () => {
    const token = await getToken({ credentials: EMULATOR_CREDENTIALS, region: REGION, expiresInSeconds: 300 });
    const res = await fetch(`${emulatorUrl}/${REGION}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai.gpt-5.5", input: "hi" }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: "model `openai.gpt-5.5` isn't supported on this route", code: "validation_error" } });
  });
});
