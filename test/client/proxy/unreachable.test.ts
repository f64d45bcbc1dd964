import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import { MantleEmulator } from "../../../lambda/local/mantle-emulator.js";
import { sendJson, startStub, type Stub } from "../../support/client-support.js";
import { REFUSED_PORT } from "../../support/ports.js";
import { startService, type TestService } from "../../support/service.js";

let emulator: MantleEmulator;
let service: TestService;
let front: Stub;
let deadRoot: string;
/** How many of the next token answers name a Mantle address nobody listens on. */
let deadAnswers = 0;
let proxy: RunningProxy | undefined;

beforeAll(async () => {
  emulator = await MantleEmulator.start();
  service = await startService({ emulator });
  const serviceUrl = await service.listen();
  deadRoot = `http://127.0.0.1:${REFUSED_PORT}/us-east-1`;
  // The real service, except that a token answer may name a dead Mantle root: what a client holds
  // when the address it cached is gone (a local server whose emulator came back elsewhere).
  front = await startStub(async (req, res) => {
    const answer = await fetch(`${serviceUrl}${req.url}`, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? "", "content-type": "application/json" },
      ...(req.method === "POST" ? { body: req.body } : {}),
    });
    const body = (await answer.json()) as Record<string, unknown>;
    if (req.url === "/v1/tokens" && answer.status === 200 && deadAnswers > 0) {
      deadAnswers -= 1;
      body["baseUrl"] = `${deadRoot}/v1`;
    }
    // The dead root is one the service lists (it did before it moved), so the proxy's allowlist lets the
    // token through and it is the refused connection that the proxy must handle.
    if (req.url === "/v1/regions" && answer.status === 200 && Array.isArray(body["regions"])) {
      body["regions"] = [...body["regions"], { region: "us-east-1", baseUrl: `${deadRoot}/v1` }];
    }
    sendJson(res, answer.status, body);
  });
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  deadAnswers = 0;
});

afterAll(async () => {
  await front?.close();
  await service?.close();
  await emulator?.close();
});

async function throughProxy(): Promise<{ url: string; tokenRequests: () => number }> {
  const { key } = await service.createKey();
  const client = new MantleVendClient({ url: front.url, apiKey: key, region: "us-east-1" });
  proxy = await startProxy({ client, port: 0 });
  const before = front.requests.filter((r) => r.url === "/v1/tokens").length;
  return { url: proxy.url, tokenRequests: () => front.requests.filter((r) => r.url === "/v1/tokens").length - before };
}

const chat = (url: string, model: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });

describe("the proxy drops a token whose Mantle address refuses connections and retries once with a fresh one", () => {
  it("answers from the fresh token's address, with the request body intact", async () => {
    const { url, tokenRequests } = await throughProxy();
    deadAnswers = 1;
    // Chat calls alone: routing's catalog lookup makes the service list the models from the emulator too.
    const chats = (): number => emulator.count({ path: "/v1/chat/completions" });
    const calls = chats();
    const answer = await chat(url, "deepseek.v3.2");
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { model: string; object: string };
    expect(body).toMatchObject({ object: "chat.completion", model: "deepseek.v3.2" });
    expect(tokenRequests()).toBe(2);
    expect(chats() - calls).toBe(1);
    // The dead token was dropped: the next request reuses the fresh one.
    expect((await chat(url, "deepseek.v3.2")).status).toBe(200);
    expect(tokenRequests()).toBe(2);
  });

  it("a routed request (Responses for GPT-5, moved to /openai/v1) keeps its route and its body on the retry", async () => {
    const { url, tokenRequests } = await throughProxy();
    deadAnswers = 1;
    const routed = (): number => emulator.count({ path: "/openai/v1/responses" });
    const before = routed();
    const answer = await fetch(`${url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "openai.gpt-5.5", input: "hi" }),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ object: "response", model: "openai.gpt-5.5" });
    expect(tokenRequests()).toBe(2);
    expect(routed() - before).toBe(1);
  });

  it("answers 502 when the fresh token's address refuses too, after exactly one retry", async () => {
    const { url, tokenRequests } = await throughProxy();
    deadAnswers = 2;
    const answer = await chat(url, "deepseek.v3.2");
    expect(answer.status).toBe(502);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("upstream_error");
    expect(tokenRequests()).toBe(2);
  });

  it("does not retry once Mantle has answered, whatever the status", async () => {
    const { url, tokenRequests } = await throughProxy();
    const answer = await fetch(`${url}/v1/no-such-route`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(answer.status).toBe(404);
    expect(tokenRequests()).toBe(1);
  });
});
