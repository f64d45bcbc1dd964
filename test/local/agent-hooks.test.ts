/**
 * What the Mantle emulator offers tests of real agents (test/agents): a prompt directive that picks the
 * tool call, tool results found behind an agent's own trailing context, token fingerprints in
 * /_emulator/calls, and a first token that dies mid-session.
 */
import { request as httpRequest } from "node:http";
import { getToken } from "@aws/bedrock-token-generator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS, MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import { planTurn, readConversation, type Conversation } from "../../lambda/local/mantle-wire.js";

const bash = { type: "function", function: { name: "bash", parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] } } };
const read = { type: "function", function: { name: "read", parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } } };
const encode = (args: unknown): string => Buffer.from(JSON.stringify(args)).toString("base64url");
const JSON_TYPE = { "content-type": "application/json" };

function conversation(messages: unknown[]): Conversation {
  const parsed = readConversation("chat-completions", { model: "openai.gpt-oss-120b", messages, tools: [read, bash] });
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

describe("a `mantle-emulator: call <tool> <base64url JSON>` directive picks the tool call", () => {
  it("calls the named offered tool with exactly those arguments, wherever the agent put the text", () => {
    const args = { command: `echo "a b" | tee proof.txt` };
    for (const text of [`do it. mantle-emulator: call bash ${encode(args)}`, JSON.stringify(`mantle-emulator: call bash ${encode(args)}`)]) {
      expect(planTurn(conversation([{ role: "system", content: "You may read files." }, { role: "user", content: text }]), "hi")).toEqual({
        kind: "tool",
        name: "bash",
        arguments: JSON.stringify(args),
      });
    }
  });

  it("ignores a directive naming a tool that is not offered, or arguments that are not a JSON object", () => {
    for (const text of [`mantle-emulator: call shell ${encode({ command: "x" })}`, `mantle-emulator: call bash ${encode([1])}`, "mantle-emulator: call bash !!"]) {
      const turn = planTurn(conversation([{ role: "user", content: text }]), "hi");
      expect(turn.kind).toBe("tool");
      expect(turn.kind === "tool" && turn.arguments).not.toContain("proof");
    }
  });
});

describe("a tool result answers the turn even when the agent appends its own user text behind it", () => {
  it("text after a tool result followed by user context; a new tool call after a plain user turn", () => {
    const call = { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "bash", arguments: "{}" } }] };
    const answered = conversation([{ role: "user", content: "go" }, call, { role: "tool", tool_call_id: "c1", content: "nonce-1" }, { role: "user", content: "<<<context>>>" }]);
    expect(planTurn(answered, "hi")).toEqual({ kind: "text", text: "The tool returned: nonce-1" });
    const fresh = conversation([{ role: "user", content: "go" }, call, { role: "tool", tool_call_id: "c1", content: "x" }, { role: "assistant", content: "done" }, { role: "user", content: "again" }]);
    expect(planTurn(fresh, "hi").kind).toBe("tool");
  });
});

describe("POST /_emulator/faults {expireFirstTokenAfter: n}: the next token seen answers n inference requests, then is refused as expired", () => {
  let emulator: MantleEmulator;
  beforeAll(async () => {
    emulator = await MantleEmulator.start();
  });
  afterAll(async () => {
    await emulator.close();
  });

  const chat = (token: string): Promise<Response> =>
    fetch(`${emulator.rootFor("us-east-1")}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hi" }] }),
    });

  it("one request with the first token, then 401 for it (calls list fingerprints, not tokens); another token is served", async () => {
    const armed = await fetch(`${emulator.url}/_emulator/faults`, { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ expireFirstTokenAfter: 1 }) });
    expect(armed.status).toBe(200);
    const first = await getToken({ credentials: EMULATOR_CREDENTIALS, region: "us-east-1", expiresInSeconds: 900 });
    const second = await getToken({ credentials: EMULATOR_CREDENTIALS, region: "us-east-1", expiresInSeconds: 600 });
    expect((await chat(first)).status).toBe(200);
    expect((await chat(first)).status).toBe(401);
    expect((await chat(second)).status).toBe(200);
    const listed = await (await fetch(`${emulator.url}/_emulator/calls?fingerprints=1`)).text();
    expect(listed).not.toContain(first.slice(20, 60));
    const calls = (JSON.parse(listed) as { calls: Array<{ status: number; token: string }> }).calls;
    expect(calls.map((c) => c.status)).toEqual([200, 401, 200]);
    expect(calls[0]?.token).toMatch(/^[0-9a-f]{12}$/);
    expect(calls[0]?.token).toBe(calls[1]?.token);
    expect(calls[2]?.token).not.toBe(calls[0]?.token);
  });

  it("refuses a body that is not {expireFirstTokenAfter: integer >= 0}", async () => {
    for (const body of ["{}", '{"expireFirstTokenAfter":-1}', '{"expireFirstTokenAfter":1,"x":2}', "nope"]) {
      expect((await fetch(`${emulator.url}/_emulator/faults`, { method: "POST", headers: JSON_TYPE, body })).status, body).toBe(400);
    }
  });
});

describe("the hooks serve a local program only: the emulator's own Host, no browser, JSON bodies", () => {
  let emulator: MantleEmulator;
  beforeAll(async () => {
    emulator = await MantleEmulator.start();
  });
  afterAll(async () => {
    await emulator.close();
  });

  /** A raw request, so that Host, Origin and the content type are exactly what a browser or a rebinding page would send. */
  function hook(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${emulator.url}${path}`, { method, headers, setHost: headers["host"] === undefined }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }
  const port = (): string => new URL(emulator.url).port;
  const arm = JSON.stringify({ expireFirstTokenAfter: 0 });
  const token = () => getToken({ credentials: EMULATOR_CREDENTIALS, region: "us-east-1", expiresInSeconds: 900 });
  const chat = async (): Promise<number> =>
    (
      await fetch(`${emulator.rootFor("us-east-1")}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${await token()}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hi" }] }),
      })
    ).status;

  it("a foreign Host (DNS rebinding) can neither read the calls nor arm a fault: 403", async () => {
    for (const host of [`rebind.attacker.example:${port()}`, `127.0.0.1.attacker.example:${port()}`, "127.0.0.1:1", "127.0.0.1"]) {
      expect((await hook("GET", "/_emulator/calls?fingerprints=1", { host })).status, host).toBe(403);
      expect((await hook("POST", "/_emulator/faults", { host, "content-type": "application/json" }, arm)).status, host).toBe(403);
    }
    for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, `LOCALHOST:${port()}`, `[::1]:${port()}`]) {
      expect((await hook("GET", "/_emulator/calls", { host })).status, host).toBe(200);
    }
  });

  it("a browser's request is refused whatever its Host: any Origin, a cross-site Sec-Fetch-Site", async () => {
    const browsers: Array<Record<string, string>> = [{ origin: "https://attacker.example" }, { origin: "null" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }];
    for (const headers of browsers) {
      expect((await hook("GET", "/_emulator/calls", headers)).status, JSON.stringify(headers)).toBe(403);
      expect((await hook("POST", "/_emulator/faults", { ...headers, "content-type": "application/json" }, arm)).status, JSON.stringify(headers)).toBe(403);
    }
    expect((await hook("GET", "/_emulator/calls", { "sec-fetch-site": "none" })).status).toBe(200);
  });

  it("a POST that is not JSON (the no-preflight text/plain and form posts a page can send) is 415, and arms nothing", async () => {
    for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
      const headers: Record<string, string> = type === undefined ? {} : { "content-type": type };
      expect((await hook("POST", "/_emulator/faults", headers, arm)).status, String(type)).toBe(415);
    }
    expect(await chat()).toBe(200);
    expect((await hook("POST", "/_emulator/faults", { "content-type": "application/json; charset=utf-8" }, arm)).status).toBe(200);
    expect(await chat()).toBe(401);
  });

  it("refused hook requests are not calls: the call log holds Mantle's routes only", async () => {
    emulator.resetCalls();
    await hook("GET", "/_emulator/calls", { origin: "https://attacker.example" });
    await hook("POST", "/_emulator/faults", { "content-type": "text/plain" }, arm);
    expect(emulator.calls).toEqual([]);
  });
});
