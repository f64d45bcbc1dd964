// Loopback load test (issue 5, acceptance 3): autocannon against the real local server — the
// entry point `npm start` runs, offline, in a process of its own started with --expose-gc —
// mixing valid, invalid and rate-limited keys. It asserts on counts (no 5xx, no socket errors,
// every expected status seen) and on memory (rss after a forced GC grows < 20 % between the
// end of a warm-up and the end of the run); never on speed.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import { parameterPaths } from "../../lambda/store/index.js";
import { FileParameterStore } from "../../lambda/store/file.js";
import type { ParameterStore } from "../../lambda/store/types.js";
import { credentialFreeEnv } from "../support/process.js";
import type { RssAnswer } from "../support/rss-probe.js";

const ROOT = join(import.meta.dirname, "../..");
const PREFIX = "/mantle-vend";
// Counted in requests, not seconds: the run lasts as long as the work takes, and a slow machine
// does the same work as a fast one instead of a run timed on the wall clock.
const WARMUP_REQUESTS = 15_000;
const RUN_REQUESTS = 45_000;
const CONNECTIONS = 16;

let dir: string;
let server: ChildProcess;
let url: string;
const keys = { valid: "", narrow: "", limited: "", wrongSecret: "", unknown: "" };

/** Asks the server process for its rss after a forced full GC. */
function rssAfterGc(): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      const answer = message as RssAnswer;
      if (answer.type !== "rss") return;
      server.off("message", onMessage);
      if ("error" in answer) reject(new Error(answer.error));
      else resolve(answer.rss);
    };
    server.on("message", onMessage);
    server.send({ type: "rss" });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mantle-vend-load-"));
  const store: ParameterStore = new FileParameterStore(join(dir, "data"));
  const admin = new KeyAdmin(store, PREFIX);
  keys.valid = (await admin.create({ name: "load-valid" })).key;
  keys.narrow = (await admin.create({ name: "load-narrow", regions: ["us-east-1"] })).key;
  const limited = await admin.create({ name: "load-limited" });
  keys.limited = limited.key;
  // KeyAdmin has no rate-limit option: the record is written as an operator would edit it.
  const record = JSON.parse((await store.get(parameterPaths(PREFIX).key(limited.keyId))) as string) as Record<string, unknown>;
  await store.put(parameterPaths(PREFIX).key(limited.keyId), JSON.stringify({ ...record, rateLimit: { perSecond: 1, burst: 2 } }), { secure: true });
  keys.wrongSecret = `${keys.valid.slice(0, -1)}${keys.valid.endsWith("A") ? "B" : "A"}`;
  keys.unknown = `mvk_${"f".repeat(16)}_${"A".repeat(43)}`;

  server = fork(join(ROOT, "lambda/local/main.ts"), ["--offline", "--port", "0", "--data-dir", join(dir, "data")], {
    cwd: ROOT,
    execArgv: ["--expose-gc", "--import", "tsx", "--import", pathToFileURL(join(ROOT, "test/support/rss-probe.ts")).href],
    env: credentialFreeEnv(dir, {
      // Everyone but the limited key gets a limit the run cannot reach, so 429s come from that key alone.
      MANTLE_VEND_RATE_LIMIT_PER_SECOND: "1000000",
      MANTLE_VEND_RATE_LIMIT_BURST: "1000000",
      // Request logging stays on, as in production; its lines go to /dev/null.
      POWERTOOLS_LOG_LEVEL: "INFO",
    }),
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  url = await new Promise<string>((resolve, reject) => {
    let stderr = "";
    server.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1] as string);
    });
    server.once("exit", (code) => reject(new Error(`local server exited (${code}) before listening:\n${stderr}`)));
  });
});

afterAll(async () => {
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
    if (server.connected) server.disconnect();
    server.kill("SIGTERM");
    const timer = setTimeout(() => server.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function mix(): autocannon.Request[] {
  const json = { "content-type": "application/json" };
  const auth = (key: string): Record<string, string> => ({ ...json, authorization: `Bearer ${key}` });
  return [
    { method: "POST", path: "/v1/tokens", headers: auth(keys.valid), body: '{"region":"us-west-2","ttlSeconds":900}' },
    { method: "GET", path: "/v1/models?region=us-east-1", headers: auth(keys.valid) },
    { method: "POST", path: "/v1/tokens", headers: auth(keys.limited) },
    { method: "POST", path: "/v1/tokens", headers: auth(keys.wrongSecret) },
    { method: "GET", path: "/v1/regions", headers: auth(keys.valid) },
    { method: "POST", path: "/v1/tokens", headers: auth(keys.unknown) },
    { method: "GET", path: "/v1/models?region=us-east-1", headers: json },
    { method: "POST", path: "/v1/tokens", headers: { ...json, authorization: "Bearer not-a-key" } },
    { method: "POST", path: "/v1/tokens", headers: auth(keys.valid), body: '{"ttlSeconds":5}' },
    { method: "POST", path: "/v1/tokens", headers: auth(keys.narrow), body: '{"region":"eu-west-1"}' },
    { method: "GET", path: "/v1/models?region=us-east-1", headers: auth(keys.limited) },
    { method: "GET", path: "/healthz" },
    { method: "GET", path: "/v1/nothing-here", headers: auth(keys.valid) },
    { method: "DELETE", path: "/v1/tokens", headers: auth(keys.valid) },
    { method: "POST", path: "/v1/tokens", headers: auth(keys.valid), body: `{"region":"us-east-1","pad":"${"x".repeat(9 * 1024)}"}` },
    { method: "POST", path: "/v1/tokens", headers: auth(keys.narrow) },
  ];
}

function load(amount: number): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, amount, timeout: 10, requests: mix() });
}

describe("the local server under loopback load", () => {
  it("answers a mix of valid, invalid and rate-limited keys with no 5xx, no socket errors and flat memory", async () => {
    const warmup = await load(WARMUP_REQUESTS);
    expect(warmup["5xx"]).toBe(0);
    const before = await rssAfterGc();

    const result = await load(RUN_REQUESTS);
    const after = await rssAfterGc();

    const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
    const growth = (after - before) / before;
    console.log(
      `load: ${result.latency.totalCount} requests in ${result.duration.toFixed(1)} s, statuses ${JSON.stringify(statuses)}; ` +
        `rss after GC ${(before / 2 ** 20).toFixed(1)} MiB → ${(after / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(1)} %)`,
    );

    expect(result["5xx"]).toBe(0);
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.latency.totalCount).toBe(RUN_REQUESTS);
    // Every kind of answer the mix asks for really happened (the test is not all 401s, say).
    for (const status of ["200", "400", "401", "403", "404", "405", "413", "429"]) {
      expect(statuses[status] ?? 0, `responses with status ${status}`).toBeGreaterThan(0);
    }
    expect(Object.keys(statuses).every((code) => Number(code) < 500)).toBe(true);
    expect(growth).toBeLessThan(0.2);
  });
});
