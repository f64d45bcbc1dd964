/**
 * `npm run soak`: the proxy under a long streaming load through a full restart of the local server.
 *
 * `npm start --offline` (a process of its own, on a fixed port and data dir) behind the real CLI proxy
 * (`mantle-vend proxy`, the built bundle). 50 workers stream chat completions through the proxy for
 * 60 s; a third of the way in the local server is stopped and started again on the same port and data
 * dir (its emulator keeps its address, so the proxy's token stays good). Every request must end: a
 * complete stream, an error answer, or a stream cut when the server went away — never a hang — and the
 * proxy must live through it. Prints the figures; exits 1 when a rule is broken.
 *
 * Options: --seconds 60 --streams 50 --restart-at 20 (seconds into the load).
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KeyAdmin } from "../lambda/admin/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../lambda/config.js";
import { EMULATOR_CREDENTIALS } from "../lambda/local/index.js";
import { FileParameterStore } from "../lambda/store/index.js";
import { buildClient, CLI } from "../test/support/client-support.js";
import { closedPort } from "../test/support/ports.js";
import { cleanEnv, percentile, round, startChild, stopChild, waitForStderr } from "./lib.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    streams: { type: "string", default: "50" },
    "restart-at": { type: "string", default: "20" },
  },
});
const SECONDS = Number(values.seconds);
const STREAMS = Number(values.streams);
const RESTART_AT = Number(values["restart-at"]);
/** A request that has not ended by then is hung: the one outcome the proxy must never produce. */
const HUNG_AFTER_MS = 30_000;
/** Full load before the measured run, so that "before" is the proxy's memory under load, not at rest. */
const WARMUP_SECONDS = 10;

type Outcome = "completed" | "error_answer" | "cut" | "socket_error" | "hung";

interface Result {
  outcome: Outcome;
  status: number;
  ms: number;
  /** When it started, in ms since the load began. */
  at: number;
}

const say = (line: string): void => void process.stderr.write(`[soak] ${line}\n`);

/** Resident memory of a process, MiB, from /proc. */
function rssMiB(pid: number | undefined): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : round(Number(kb) / 1024, 1);
  } catch {
    return undefined;
  }
}

const CHAT = JSON.stringify({ model: "openai.gpt-oss-120b", stream: true, messages: [{ role: "user", content: "Say something long." }] });

/** One streamed chat completion through the proxy, classified by how it ended. */
function stream(agent: Agent, proxyUrl: string, started: number): Promise<Result> {
  const t0 = performance.now();
  const at = t0 - started;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome, status: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, status, ms: performance.now() - t0, at });
    };
    const req = request(`${proxyUrl}/v1/chat/completions`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(CHAT)) } }, (res) => {
      const status = res.statusCode ?? 0;
      let tail = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (tail = (tail + chunk).slice(-64)));
      res.on("end", () => finish(status !== 200 ? "error_answer" : tail.includes("[DONE]") ? "completed" : "cut", status));
      res.on("aborted", () => finish("cut", status));
      res.on("error", () => finish("cut", status));
      res.on("close", () => finish(status === 200 ? "cut" : "error_answer", status));
    });
    const timer = setTimeout(() => {
      finish("hung", 0);
      req.destroy();
    }, HUNG_AFTER_MS);
    req.on("error", () => finish("socket_error", 0));
    req.end(CHAT);
  });
}

async function main(): Promise<number> {
  await buildClient();
  const dataDir = await mkdtemp(join(tmpdir(), "mantle-vend-soak-"));
  const { key } = await new KeyAdmin(new FileParameterStore(dataDir), DEFAULT_PARAMETER_PREFIX).create({ name: "soak" });
  const env = cleanEnv({ AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey, XDG_CACHE_HOME: dataDir });
  // A port free right now: the local server must come back on the one it had.
  const port = await closedPort();
  const serviceUrl = `http://127.0.0.1:${port}`;
  const startServer = async (): Promise<ChildProcess> => {
    const child = startChild(process.execPath, ["--import", "tsx", "lambda/local/main.ts", "--offline", "--port", String(port), "--data-dir", dataDir], env);
    await waitForStderr(child, /listening on http:\/\/127\.0\.0\.1:\d+/);
    return child;
  };
  let server = await startServer();
  const proxy = startChild(process.execPath, [CLI, "proxy", "--port", "0"], { ...env, MANTLE_VEND_URL: serviceUrl, MANTLE_VEND_API_KEY: key, AWS_REGION: "us-east-1" });
  let proxyLog = "";
  proxy.stderr?.on("data", (chunk: Buffer) => (proxyLog += chunk.toString()));
  let proxyExit: string | undefined;
  proxy.once("exit", (code, signal) => (proxyExit = `code ${code} signal ${signal}`));
  const agent = new Agent({ keepAlive: true, maxSockets: STREAMS });
  try {
    const proxyUrl = (await waitForStderr(proxy, /listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    // Warm: the proxy's token, catalog and region list, its code paths and its heap under the full load.
    const load = (until: number, started: number, into: Result[]): Array<Promise<void>> =>
      Array.from({ length: STREAMS }, async () => {
        while (performance.now() < until && proxyExit === undefined) into.push(await stream(agent, proxyUrl, started));
      });
    const warm: Result[] = [];
    await Promise.all(load(performance.now() + WARMUP_SECONDS * 1000, performance.now(), warm));
    const rssBefore = rssMiB(proxy.pid);
    say(`${STREAMS} streams for ${SECONDS} s through ${proxyUrl} (after ${warm.length} in ${WARMUP_SECONDS} s of warm-up); the local server restarts at ${RESTART_AT} s`);

    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    const results: Result[] = [];
    // Resident memory every 10 s: a leak grows with the requests, a heap that found its size stays.
    const trend: number[] = [];
    let rssPeak = rssBefore ?? 0;
    const sampler = setInterval(() => {
      const rss = rssMiB(proxy.pid) ?? 0;
      rssPeak = Math.max(rssPeak, rss);
      if (Math.round((performance.now() - started) / 1000) % 10 === 0) trend.push(rss);
    }, 1_000);
    const workers = load(deadline, started, results);
    const restart = (async () => {
      await new Promise((resolve) => setTimeout(resolve, RESTART_AT * 1000));
      const down = performance.now();
      await stopChild(server);
      server = await startServer();
      return { downAt: down - started, upAt: performance.now() - started };
    })();
    const [window] = await Promise.all([restart, ...workers]);
    clearInterval(sampler);
    const loadSeconds = (performance.now() - started) / 1000;
    // Idle a moment, so what the load left behind and what was only in flight can be told apart.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const rssAfter = rssMiB(proxy.pid);

    const count = (outcome: Outcome, from = 0, to = Infinity): number => results.filter((r) => r.outcome === outcome && r.at >= from && r.at < to).length;
    const completedMs = results.filter((r) => r.outcome === "completed").map((r) => r.ms);
    const statuses: Record<string, number> = {};
    for (const r of results) if (r.outcome === "error_answer") statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const figures = {
      streams: STREAMS,
      seconds: round(loadSeconds, 1),
      requests: results.length,
      perSecond: round(results.length / loadSeconds, 0),
      completed: count("completed"),
      errorAnswers: count("error_answer"),
      errorStatuses: statuses,
      cut: count("cut"),
      socketErrors: count("socket_error"),
      hung: count("hung"),
      completedAfterRestart: count("completed", window.upAt),
      restart: { downAtS: round(window.downAt / 1000, 1), upAtS: round(window.upAt / 1000, 1), downForS: round((window.upAt - window.downAt) / 1000, 1) },
      completedStreamMs: completedMs.length === 0 ? undefined : { p50: round(percentile(completedMs, 50), 1), p99: round(percentile(completedMs, 99), 1), max: round(completedMs.reduce((most, ms) => Math.max(most, ms), 0), 1) },
      proxyRssMiB: { before: rssBefore, every10s: trend, peak: rssPeak, after: rssAfter, growthPercent: rssBefore === undefined || rssAfter === undefined ? undefined : round(((rssAfter - rssBefore) / rssBefore) * 100, 1) },
      proxyAlive: proxyExit === undefined,
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);

    const broken: string[] = [];
    if (proxyExit !== undefined) broken.push(`the proxy exited (${proxyExit})`);
    if (figures.hung > 0) broken.push(`${figures.hung} requests hung past ${HUNG_AFTER_MS / 1000} s`);
    if (figures.socketErrors > 0) broken.push(`${figures.socketErrors} requests got no answer at all (socket errors)`);
    if (figures.completedAfterRestart === 0) broken.push("no stream completed after the restart");
    if (/^\s+at /m.test(proxyLog)) broken.push("the proxy logged a stack trace");
    for (const line of broken) say(`BROKEN: ${line}`);
    if (broken.length === 0) say("every request answered or cleanly failed; the proxy lived through the restart");
    return broken.length === 0 ? 0 : 1;
  } finally {
    agent.destroy();
    await stopChild(proxy);
    await stopChild(server);
    await rm(dataDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
