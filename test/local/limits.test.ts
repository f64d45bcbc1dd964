/**
 * `npm start` keeps the fleet's counters in its data dir (limits.json): a daily quota and the
 * fleet-wide rate limit hold offline, and `mantle-vend-admin usage --local` reads them.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../support/checkout.js";
import { buildClient, runCli } from "../support/client-support.js";
import { npmStart, type LocalServer } from "../support/local-server.js";
import { credentialFreeEnv } from "../support/process.js";

let scratch: string;
let server: LocalServer;
const dataDir = () => join(scratch, "data");
const env = () => credentialFreeEnv(join(scratch, "home"));
const admin = (args: string[]) => promisify(execFile)(join(REPO, "bin/mantle-vend-admin.js"), [...args, "--local", "--data-dir", dataDir()], { cwd: REPO, env: env() });

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "mantle-vend-local-limits-"));
  await buildClient();
  server = await npmStart(["--port", "0", "--offline", "--data-dir", dataDir()], { env: env() });
  await server.firstKey();
});

afterAll(async () => {
  await server?.process.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("npm start counts in its file store: quotas, limits and usage work offline", () => {
  it("a key with --mints-per-day 2 mints two tokens, then 429 quota_exceeded; usage --local shows them", async () => {
    const key = (await admin(["keys", "create", "--name", "offline-quota", "--mints-per-day", "2"])).stdout.trim();
    const mint = () => fetch(`${server.url}/v1/tokens`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
    const answers = [await mint(), await mint(), await mint()];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[0]?.headers.get("ratelimit-policy")).toBe('"rate";q=20;w=1, "day";q=2;w=86400');
    const refusal = (await answers[2]?.json()) as { error: { code: string; message: string } };
    expect(refusal.error.code).toBe("quota_exceeded");
    expect(refusal.error.message).toMatch(/^daily token quota of 2 reached for this key; it resets at \d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
    const whoami = (await (await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).json()) as { mintsToday: number; grant: { mintsPerDay: number } };
    expect(whoami).toMatchObject({ mintsToday: 2, grant: { mintsPerDay: 2 } });
    const usage = (await admin(["usage"])).stdout;
    expect(usage).toMatch(new RegExp(`^key:${key.slice(4, 20)}\\s+offline-quota\\s+2\\s+2$`, "m"));
  });
});

describe("the CLI says when a spent quota resets", () => {
  it("mantle-vend token: the first mints, the second exits non-zero with the reset time and the code", async () => {
    const key = (await admin(["keys", "create", "--name", "cli-quota", "--mints-per-day", "1"])).stdout.trim();
    const cliEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: join(scratch, "home"), XDG_CACHE_HOME: join(scratch, "cache"), MANTLE_VEND_URL: server.url, MANTLE_VEND_API_KEY: key, MANTLE_VEND_RETRIES: "0" };
    const first = await runCli(["token", "--no-cache"], cliEnv);
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(["token", "--no-cache"], cliEnv);
    expect(second.code).not.toBe(0);
    expect(second.stdout).toBe("");
    expect(second.stderr).toMatch(/daily token quota of 1 reached for this key; it resets at \d{4}-\d{2}-\d{2}T00:00:00\.000Z \(HTTP 429 quota_exceeded/);
  });
});
