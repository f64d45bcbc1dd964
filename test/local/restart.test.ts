import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEmulatorPort } from "../../lambda/local/emulator-port.js";
import { REPO } from "../support/checkout.js";
import { buildClient, runCli, runProcess } from "../support/client-support.js";
import { occupy, relay } from "../support/ports.js";
import { npmStart, type LocalServer } from "../support/local-server.js";
import { credentialFreeEnv, start, type Started } from "../support/process.js";

let scratch: string;
const running: Started[] = [];
const relays: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  await buildClient();
  scratch = mkdtempSync(join(tmpdir(), "mantle-vend-restart-"));
});

afterAll(async () => {
  for (const server of running) await server.stop();
  for (const r of relays) await r.close();
  rmSync(scratch, { recursive: true, force: true });
});

const env = () => credentialFreeEnv(join(scratch, "home"));

/** `npm start` on `dataDir`, and the emulator address it announced. */
async function startOn(dataDir: string): Promise<LocalServer & { emulator: string }> {
  const local = await npmStart(["--port", "0", "--data-dir", dataDir], { env: env() });
  running.push(local.process);
  const emulator = (await local.process.waitFor(/bundled Mantle emulator at (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
  return { ...local, emulator };
}

/** `npm start` that is expected to give up: its exit status and what it wrote. */
const failedStart = (args: string[]) => runProcess("npm", ["start", "--", ...args], { cwd: REPO, env: env(), timeoutMs: 60_000 });

/** stderr minus npm's own lines about the script that failed: what mantle-vend said. */
const ownLines = (stderr: string): string[] => stderr.split("\n").filter((line) => line !== "" && !line.startsWith("npm "));

async function chat(baseUrl: string, token: string): Promise<number> {
  const answer = await fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "hi" }] }),
  });
  await answer.arrayBuffer();
  return answer.status;
}

describe("npm start keeps the emulator on the same address across restarts of one data dir", () => {
  it("a token cached before the restart still works after it, and so does a running proxy", async () => {
    const dataDir = join(scratch, "kept");
    const first = await startOn(dataDir);
    // Clients key their caches by the service URL; a relay keeps that URL while the server restarts.
    let serverPort = Number(new URL(first.url).port);
    const service = await relay(() => serverPort);
    relays.push(service);
    const key = await first.firstKey();
    expect(parseEmulatorPort(readFileSync(join(dataDir, "emulator.json"), "utf8"))).toBe(Number(new URL(first.emulator).port));

    const cliEnv = { PATH: process.env.PATH ?? "", HOME: join(scratch, "home"), XDG_CACHE_HOME: join(scratch, "cache"), MANTLE_VEND_URL: service.url, MANTLE_VEND_API_KEY: key };
    const cached = await runCli(["token", "--json", "--region", "us-west-2"], cliEnv);
    expect(cached.code, cached.stderr).toBe(0);
    const token = JSON.parse(cached.stdout) as { token: string; baseUrl: string };
    const proxy = start(process.execPath, [join(REPO, "client", "dist", "cli.cjs"), "proxy", "--port", "0"], { cwd: scratch, env: cliEnv });
    running.push(proxy);
    const proxyUrl = (await proxy.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;

    await first.process.stop();
    const second = await startOn(dataDir);
    serverPort = Number(new URL(second.url).port);
    expect(second.emulator).toBe(first.emulator);
    expect(second.process.stdout()).not.toMatch(/mvk_/);

    // The file cache hands out the same token, and the emulator that came back accepts it.
    const again = await runCli(["token", "--json", "--region", "us-west-2"], cliEnv);
    expect((JSON.parse(again.stdout) as { token: string }).token).toBe(token.token);
    expect(await chat(token.baseUrl, token.token)).toBe(200);
    // The proxy keeps its token too: no new token request reaches the restarted server.
    expect(await chat(`${proxyUrl}/v1`, "placeholder")).toBe(200);
    expect(second.process.stdout()).not.toContain('"route":"tokens"');
  }, 120_000);
});

describe("a port in use stops npm start with one line and a non-zero exit, before anything is created", () => {
  it("the server's port: no data dir, no key", async () => {
    const busy = await occupy();
    try {
      const dataDir = join(scratch, "never");
      const result = await failedStart(["--port", String(busy.port), "--data-dir", dataDir]);
      expect(result.code).not.toBe(0);
      expect(ownLines(result.stderr)).toEqual([
        `mantle-vend: 127.0.0.1:${busy.port} is already in use; is mantle-vend already running? Stop it or choose another --port`,
      ]);
      expect(result.stdout).not.toMatch(/mvk_/);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      busy.server.close();
    }
  }, 60_000);

  it("the server's port, with a data dir that has keys: the data dir stays as it was", async () => {
    const dataDir = join(scratch, "existing");
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "parameters.json"), "{}\n");
    const busy = await occupy();
    try {
      const result = await failedStart(["--port", String(busy.port), "--data-dir", dataDir]);
      expect(result.code).not.toBe(0);
      expect(ownLines(result.stderr)).toHaveLength(1);
      expect(readdirSync(dataDir)).toEqual(["parameters.json"]);
      expect(readFileSync(join(dataDir, "parameters.json"), "utf8")).toBe("{}\n");
    } finally {
      busy.server.close();
    }
  }, 60_000);

  it("the emulator's kept port: one line naming the file that keeps it; no key", async () => {
    const busy = await occupy();
    try {
      const dataDir = join(scratch, "emulator-busy");
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, "emulator.json"), JSON.stringify({ port: busy.port }));
      const result = await failedStart(["--port", "0", "--data-dir", dataDir]);
      expect(result.code).not.toBe(0);
      const lines = ownLines(result.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`the Mantle emulator's port 127.0.0.1:${busy.port} (kept in ${join(dataDir, "emulator.json")}) is already in use`);
      expect(result.stdout).not.toMatch(/mvk_/);
      expect(readdirSync(dataDir)).toEqual(["emulator.json"]);
    } finally {
      busy.server.close();
    }
  }, 60_000);
});

describe("the kept emulator port is read strictly", () => {
  it.each([
    ['{"port":43210}', 43210],
    ['{"port":0}', undefined],
    ['{"port":70000}', undefined],
    ['{"port":"43210"}', undefined],
    ["not json", undefined],
    ["null", undefined],
  ])("%s → %s", (text, port) => {
    expect(parseEmulatorPort(text)).toBe(port);
  });
});
