/**
 * `mantle-vend proxy` as a long-running tool: its own /healthz, a graceful stop on SIGTERM that lets a
 * stream in flight finish and refuses new connections, one line for a port in use, and its
 * `--require-key` key kept across restarts (and replaced by --rotate-key).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../../client/src/version.js";
import { MantleEmulator } from "../../../lambda/local/mantle-emulator.js";
import { buildClient, CLI, runCli } from "../../support/client-support.js";
import { occupy } from "../../support/ports.js";
import { startService, type TestService } from "../../support/service.js";
import { startSseGate, type SseGate } from "../../support/sse-gate.js";

const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-proxy-life-"));
let emulator: MantleEmulator;
let gate: SseGate;
let service: TestService;
let serverUrl: string;
let apiKey: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await buildClient();
  emulator = await MantleEmulator.start();
  gate = await startSseGate(emulator.url);
  service = await startService({ emulator, env: { MANTLE_VEND_MANTLE_ENDPOINT: gate.endpointTemplate } });
  serverUrl = await service.listen();
  apiKey = (await service.createKey()).key;
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await service?.close();
  await gate?.close();
  await emulator?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const env = (): Record<string, string> => ({
  PATH: process.env["PATH"] ?? "/usr/bin:/bin",
  HOME: scratch,
  XDG_CONFIG_HOME: join(scratch, "config"),
  XDG_CACHE_HOME: join(scratch, "cache"),
  MANTLE_VEND_URL: serverUrl,
  MANTLE_VEND_API_KEY: apiKey,
  AWS_REGION: "us-east-1",
});

interface Running {
  child: ChildProcess;
  url: string;
  stderr(): string;
  /** Resolves once stderr matches. */
  said(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

/** `mantle-vend proxy …` once it listens (and, with a key, once it has said which). */
function proxy(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [CLI, "proxy", ...args], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let text = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const said = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(text)) {
          child.stderr?.off("data", check);
          resolve();
        }
      };
      child.stderr?.on("data", check);
      void exited.then(() => (pattern.test(text) ? resolve() : reject(new Error(`proxy exited before ${pattern}: ${text}`))));
      check();
    });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  // With a key, ready once it said which (printed, or the kept one).
  const ready = args.includes("--require-key") ? /listening on .*\n(.|\n)*(mvp_\S+\n|kept in \S+ \(--rotate-key)/ : /listening on http/;
  return said(ready).then(() => ({ child, url: /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1] ?? "", stderr: () => text, said, exited }));
}

/** Whether a new TCP connection to the URL's port is accepted. */
function accepts(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("GET /healthz is the proxy's own answer", () => {
  it("200 with its version, region and whether it needs a key; no key needed, nothing forwarded", async () => {
    const running = await proxy(["--port", "0", "--require-key"]);
    const calls = emulator.calls.length;
    const events = service.events.length;
    const answer = await fetch(`${running.url}/healthz`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ status: "ok", version: VERSION, region: "us-east-1", keyRequired: true });
    expect(emulator.calls.length).toBe(calls);
    expect(service.events.length).toBe(events);
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
  });
});

describe("SIGTERM drains: no new connection, the stream in flight runs to its end, exit 0", () => {
  it("a long SSE answer started before the signal arrives whole", async () => {
    const running = await proxy(["--port", "0", "--drain-seconds", "30"]);
    const response = await fetch(`${running.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "Say something long." }], stream: true }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value, { stream: true });
    expect(text).toContain("data: ");

    running.child.kill("SIGTERM");
    await running.said(/mantle-vend: proxy: stopping: requests in flight may finish for up to 30 s/);
    expect(await accepts(running.url)).toBe(false);

    for (let i = 0; i < 500; i++) {
      gate.release();
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await running.exited).toBe(0);
    expect(running.stderr()).not.toContain("cutting");
  });
});

describe("a port in use is one line naming it, exit 1", () => {
  it("nothing else on stderr but that line", async () => {
    const busy = await occupy();
    try {
      const result = await runCli(["proxy", "--port", String(busy.port)], env());
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`mantle-vend: 127.0.0.1:${busy.port} is already in use (another mantle-vend proxy?): stop it, or choose another --port\n`);
    } finally {
      busy.server.close();
    }
  });
});

describe("--require-key keeps its key in $XDG_CONFIG_HOME/mantle-vend/proxy/<port>.key across restarts", () => {
  it("the first start makes, prints and keeps it (0600); a restart on the port uses it again; --rotate-key replaces it", async () => {
    const first = await proxy(["--port", "0", "--require-key"]);
    const port = new URL(first.url).port;
    const file = join(scratch, "config", "mantle-vend", "proxy", `${port}.key`);
    const key = /^(mvp_[A-Za-z0-9_-]{43})$/m.exec(first.stderr())?.[1] ?? "(none printed)";
    expect(readFileSync(file, "utf8")).toBe(`${key}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const again = await proxy(["--port", port, "--require-key"]);
    expect(again.stderr()).toContain(`mantle-vend proxy key: the one kept in ${file} (--rotate-key makes a new one)`);
    expect(again.stderr()).not.toContain(key);
    expect((await fetch(`${again.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);

    const rotated = await proxy(["--port", port, "--require-key", "--rotate-key"]);
    const fresh = /^(mvp_[A-Za-z0-9_-]{43})$/m.exec(rotated.stderr())?.[1];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(key);
    expect(readFileSync(file, "utf8")).toBe(`${fresh}\n`);
    expect((await fetch(`${rotated.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    rotated.child.kill("SIGTERM");
    expect(await rotated.exited).toBe(0);

    // A kept key others can read is refused, with the fix (exit 3).
    chmodSync(file, 0o644);
    const loose = await runCli(["proxy", "--port", port, "--require-key"], env());
    expect(loose.code).toBe(3);
    expect(loose.stderr).toMatch(/^mantle-vend: the proxy key file ".+" must not be readable or writable by group or others \(chmod 600 .+\)\n$/);
  });
});
