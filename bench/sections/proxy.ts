import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { MantleVendClient } from "../../client/src/client.js";
import { KeyAdmin } from "../../lambda/admin/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../../lambda/config.js";
import { EMULATOR_CREDENTIALS } from "../../lambda/local/index.js";
import { FileParameterStore } from "../../lambda/store/index.js";
import { buildClient, CLI } from "../../test/support/client-support.js";
import { BENCH_DIR, cleanEnv, cpuSecondsOf, log, median, percentile, round, startChild, stopChild, waitForStderr, type Figure } from "../lib.js";

const REGION = "us-east-1";
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
/** The proxy against the floor forwarder over the same upstream: the targets. */
const THROUGHPUT_TARGET = 0.8;
const ADDED_P50_TARGET = 1.3;

export interface ProxyBenchOptions {
  /** Sequential requests per path for the latency figures. */
  iterations: number;
  /** Seconds of measured load per forwarder, split into `slices` alternating runs. */
  durationSeconds: number;
  slices: number;
  warmupSeconds: number;
  connections: number;
}

interface Timing {
  /** Request start to the first body byte, ms. */
  firstByteMs: number;
  /** Request start to the end of the body, ms. */
  totalMs: number;
}

/** One POST over a keep-alive agent; the body is drained, times in ms. */
function timedPost(agent: Agent, url: string, body: string, headers: Record<string, string>): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let firstByteMs: number | undefined;
      res.on("data", () => {
        firstByteMs ??= performance.now() - t0;
      });
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
        else resolve({ firstByteMs: firstByteMs ?? performance.now() - t0, totalMs: performance.now() - t0 });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

type Path = "direct" | "floor" | "proxy";

/**
 * The three ways to the upstream, called one after the other in a rotating order, so that all
 * three see the same machine load; added latency is the difference of percentiles in one run.
 */
async function rounds(iterations: number, call: Record<Path, () => Promise<Timing>>): Promise<Record<Path, Timing[]>> {
  const out: Record<Path, Timing[]> = { direct: [], floor: [], proxy: [] };
  const order: Path[] = ["direct", "floor", "proxy"];
  for (let i = 0; i < iterations; i++) {
    for (let j = 0; j < order.length; j++) {
      const path = order[(i + j) % order.length] as Path;
      out[path].push(await call[path]());
    }
  }
  return out;
}

const p = (timings: Timing[], pick: (t: Timing) => number, q: number): number => percentile(timings.map(pick), q);
const total = (t: Timing): number => t.totalMs;
const first = (t: Timing): number => t.firstByteMs;

interface Load {
  requests: number;
  seconds: number;
  /** CPU seconds the forwarder's process used during the load, when /proc says. */
  cpuSeconds: number | undefined;
}

async function load(url: string, headers: Record<string, string>, body: string, connections: number, duration: number, pid: number | undefined): Promise<Load> {
  const before = cpuSecondsOf(pid);
  const result = await autocannon({ url: `${url}/v1/chat/completions`, method: "POST", headers: { "content-type": "application/json", ...headers }, body, connections, duration });
  const after = cpuSecondsOf(pid);
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`load against ${url} had ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return { requests: result.latency.totalCount, seconds: result.duration, cpuSeconds: before === undefined || after === undefined ? undefined : after - before };
}

/**
 * The local proxy (the real CLI bundle, `mantle-vend proxy`) next to a 20-line node:http forwarder
 * (bench/children/floor-forwarder.mjs), both in front of the same upstream: the Mantle emulator of
 * `npm start --offline`, in a process of its own. Latency: sequential calls, direct and through each.
 * Throughput: autocannon from this process, alternating slices, counted requests, and the CPU each
 * forwarder's process spent per request.
 */
// 8,000 sequential calls per path: with 2,000 the difference of two p50s moved the added-latency ratio
// by ±0.05 from run to run (sampling alone), as much as the target's margin.
export async function benchProxy(options: ProxyBenchOptions = { iterations: 8_000, durationSeconds: 12, slices: 12, warmupSeconds: 2, connections: 10 }): Promise<Figure[]> {
  await buildClient();
  const dataDir = await mkdtemp(join(tmpdir(), "mantle-vend-bench-proxy-"));
  const { key } = await new KeyAdmin(new FileParameterStore(dataDir), DEFAULT_PARAMETER_PREFIX).create({ name: "proxy-bench" });
  const env = cleanEnv({
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    XDG_CACHE_HOME: dataDir,
  });
  const upstream = startChild(process.execPath, ["--import", "tsx", "lambda/local/main.ts", "--offline", "--port", "0", "--data-dir", dataDir], env);
  const children = [upstream];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const serviceUrl = (await waitForStderr(upstream, LISTENING))[1] as string;
    const token = await new MantleVendClient({ url: serviceUrl, apiKey: key, region: REGION }).getToken();
    const root = token.baseUrl.replace(/\/v1$/, "");
    const proxy = startChild(process.execPath, [CLI, "proxy", "--port", "0"], { ...env, MANTLE_VEND_URL: serviceUrl, MANTLE_VEND_API_KEY: key, AWS_REGION: REGION });
    const floor = startChild(process.execPath, [join(BENCH_DIR, "children", "floor-forwarder.mjs")], { ...env, FLOOR_UPSTREAM: root, FLOOR_TOKEN: token.token });
    children.push(proxy, floor);
    const [proxyUrl, floorUrl] = (await Promise.all([waitForStderr(proxy, LISTENING), waitForStderr(floor, LISTENING)])).map((m) => m[1] as string);
    const urls: Record<Path, string> = { direct: root, floor: floorUrl as string, proxy: proxyUrl as string };
    const auth: Record<Path, Record<string, string>> = { direct: { authorization: `Bearer ${token.token}` }, floor: {}, proxy: {} };

    const chat = (stream: boolean): string => JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "Say hello" }], stream });
    const post = (path: string, body: string): Record<Path, () => Promise<Timing>> => ({
      direct: () => timedPost(agent, `${urls.direct}${path}`, body, auth.direct),
      floor: () => timedPost(agent, `${urls.floor}${path}`, body, auth.floor),
      proxy: () => timedPost(agent, `${urls.proxy}${path}`, body, auth.proxy),
    });
    const responses = JSON.stringify({ model: "openai.gpt-5.5", input: "Say hello" });
    const moved: Record<Path, () => Promise<Timing>> = {
      // The floor cannot route: it gets the path Mantle serves the model on, the proxy the one a gateway sends.
      direct: () => timedPost(agent, `${urls.direct}/openai/v1/responses`, responses, auth.direct),
      floor: () => timedPost(agent, `${urls.floor}/openai/v1/responses`, responses, auth.floor),
      proxy: () => timedPost(agent, `${urls.proxy}/v1/responses`, responses, auth.proxy),
    };

    // Warm-up: sockets, JIT, the proxy's token and catalog.
    await rounds(300, post("/v1/chat/completions", chat(false)));
    const plain = await rounds(options.iterations, post("/v1/chat/completions", chat(false)));
    const rewritten = await rounds(Math.ceil(options.iterations / 4), moved);
    // The emulator paces its SSE frames with a timer tick each: fewer rounds keep the section short.
    const sse = await rounds(Math.ceil(options.iterations / 16), post("/v1/chat/completions", chat(true)));

    const pids: Record<Path, number | undefined> = { direct: undefined, floor: floor.pid, proxy: proxy.pid };
    const measured: Record<Path, Load> = {
      direct: { requests: 0, seconds: 0, cpuSeconds: 0 },
      floor: { requests: 0, seconds: 0, cpuSeconds: 0 },
      proxy: { requests: 0, seconds: 0, cpuSeconds: 0 },
    };
    const loaded: Path[] = ["proxy", "floor", "direct"];
    for (const path of loaded) await load(urls[path], auth[path], chat(false), options.connections, options.warmupSeconds, pids[path]);
    // Short slices in a rotating order: whatever else the shared machine does hits all three alike.
    const slice = options.durationSeconds / options.slices;
    const roundRatios: number[] = [];
    for (let i = 0; i < options.slices; i++) {
      const round: Partial<Record<Path, Load>> = {};
      for (let j = 0; j < loaded.length; j++) {
        const path = loaded[(i + j) % loaded.length] as Path;
        const one = await load(urls[path], auth[path], chat(false), options.connections, slice, pids[path]);
        round[path] = one;
        const sum = measured[path];
        sum.requests += one.requests;
        sum.seconds += one.seconds;
        sum.cpuSeconds = sum.cpuSeconds === undefined || one.cpuSeconds === undefined ? undefined : sum.cpuSeconds + one.cpuSeconds;
      }
      const [ours, theirs] = [round.proxy, round.floor];
      if (ours !== undefined && theirs !== undefined) roundRatios.push(ours.requests / ours.seconds / (theirs.requests / theirs.seconds));
    }
    const rps = (path: Path): number => measured[path].requests / measured[path].seconds;
    const cpuPerRequestUs = (path: Path): number | undefined => {
      const cpu = measured[path].cpuSeconds;
      return cpu === undefined ? undefined : (cpu / measured[path].requests) * 1e6;
    };
    log(`proxy ${Math.round(rps("proxy"))} req/s, floor ${Math.round(rps("floor"))} req/s, upstream directly ${Math.round(rps("direct"))} req/s`);

    const direct50 = p(plain.direct, total, 50);
    const added50 = p(plain.proxy, total, 50) - direct50;
    const floorAdded50 = p(plain.floor, total, 50) - direct50;
    const added99 = p(plain.proxy, total, 99) - p(plain.direct, total, 99);
    const throughputRatio = rps("proxy") / rps("floor");
    const addedRatio = added50 / floorAdded50;
    const proxyCpu = cpuPerRequestUs("proxy");
    const floorCpu = cpuPerRequestUs("floor");
    const figures: Figure[] = [
      {
        section: "proxy",
        name: `throughput, chat completion routed by model (autocannon, ${options.connections} connections, ${options.durationSeconds} s each)`,
        value: Math.round(rps("proxy")),
        unit: "req/s",
        baseline: { name: "20-line node:http forwarder, same upstream", value: Math.round(rps("floor")) },
        ratio: round(throughputRatio),
        target: { text: `>= ${THROUGHPUT_TARGET}x floor`, met: throughputRatio >= THROUGHPUT_TARGET },
        detail: {
          "proxy requests": measured.proxy.requests,
          "floor requests": measured.floor.requests,
          "median of the rounds' ratios": round(median(roundRatios)),
          "upstream called directly, req/s": Math.round(rps("direct")),
          slices: options.slices,
        },
      },
      {
        section: "proxy",
        name: "added latency per request, p50 (chat completion, routed by model)",
        value: round(added50, 3),
        unit: "ms",
        baseline: { name: "the floor forwarder's added p50", value: round(floorAdded50, 3) },
        ratio: round(addedRatio),
        target: { text: `<= ${ADDED_P50_TARGET}x floor's`, met: addedRatio <= ADDED_P50_TARGET },
        detail: {
          "upstream called directly, p50 ms": round(direct50, 3),
          "proxied p50 ms": round(p(plain.proxy, total, 50), 3),
          "floor p50 ms": round(p(plain.floor, total, 50), 3),
          "rewritten /v1/responses → /openai/v1/responses: added p50 ms": round(p(rewritten.proxy, total, 50) - p(rewritten.direct, total, 50), 3),
          "the floor on /openai/v1/responses: added p50 ms": round(p(rewritten.floor, total, 50) - p(rewritten.direct, total, 50), 3),
          iterations: options.iterations,
        },
      },
      {
        section: "proxy",
        name: "added latency per request, p99",
        value: round(added99, 3),
        unit: "ms",
        baseline: { name: "the floor forwarder's added p99", value: round(p(plain.floor, total, 99) - p(plain.direct, total, 99), 3) },
        detail: { "proxied p99 ms": round(p(plain.proxy, total, 99), 3), "upstream directly p99 ms": round(p(plain.direct, total, 99), 3) },
      },
      {
        section: "proxy",
        name: "time to first SSE byte through the proxy, p50",
        value: round(p(sse.proxy, first, 50), 3),
        unit: "ms",
        baseline: { name: "through the floor forwarder, p50", value: round(p(sse.floor, first, 50), 3) },
        ratio: round(p(sse.proxy, first, 50) / p(sse.floor, first, 50)),
        detail: { "upstream directly p50 ms": round(p(sse.direct, first, 50), 3), "proxied p99 ms": round(p(sse.proxy, first, 99), 3), "floor p99 ms": round(p(sse.floor, first, 99), 3) },
      },
    ];
    if (proxyCpu !== undefined && floorCpu !== undefined) {
      figures.push({
        section: "proxy",
        name: "CPU per request under load (the forwarder's process)",
        value: round(proxyCpu, 1),
        unit: "µs",
        baseline: { name: "the floor forwarder's process", value: round(floorCpu, 1) },
        ratio: round(proxyCpu / floorCpu),
      });
    }
    return figures;
  } finally {
    agent.destroy();
    await Promise.all(children.map((child) => stopChild(child)));
    await rm(dataDir, { recursive: true, force: true });
  }
}
