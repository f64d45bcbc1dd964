import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { KeyAdmin } from "../../lambda/admin/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../../lambda/config.js";
import { FileParameterStore } from "../../lambda/store/index.js";
import { EMULATOR_CREDENTIALS } from "../../lambda/local/index.js";
import { BENCH_DIR, cleanEnv, log, median, round, startChild, stopChild, waitForStderr, type Figure } from "../lib.js";

const TARGET_RATIO = 0.6;
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

export interface ThroughputOptions {
  /** Seconds of measured load per server, split into `slices` alternating runs. */
  durationSeconds: number;
  slices: number;
  /** Seconds of unmeasured load first (JIT, sockets, caches). */
  warmupSeconds: number;
  connections: number;
  /** Entry point of the local server; a scratch copy's main.ts to measure a proposed change. */
  localEntry?: string;
  /** Extra environment for both servers. */
  env?: Record<string, string>;
}

interface Measured {
  requests: number;
  seconds: number;
  /** Latencies in ms (autocannon's resolution). */
  p50: number[];
  p99: number[];
}

async function load(url: string, apiKey: string | undefined, connections: number, duration: number): Promise<autocannon.Result> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
  const result = await autocannon({
    url: `${url}/v1/tokens`,
    method: "POST",
    headers,
    body: '{"region":"us-east-1","ttlSeconds":900}',
    connections,
    duration,
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) {
    throw new Error(`load against ${url} had ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts: ${JSON.stringify(result.statusCodeStats)}`);
  }
  return result;
}

function add(into: Measured, result: autocannon.Result): void {
  into.requests += result.latency.totalCount;
  into.seconds += result.duration;
  into.p50.push(result.latency.p50);
  into.p99.push(result.latency.p99);
}

/**
 * Requests/s of POST /v1/tokens through the real local server (`npm start`'s entry point,
 * offline, file store) against a bare node:http server minting one token per request. Each
 * server runs in its own process; autocannon runs here. The rate limit is raised via env so
 * the figure is the server's, not the limiter's.
 */
export async function benchThroughput(options: ThroughputOptions): Promise<Figure[]> {
  const dataDir = await mkdtemp(join(tmpdir(), "mantle-vend-bench-"));
  const { key } = await new KeyAdmin(new FileParameterStore(dataDir), DEFAULT_PARAMETER_PREFIX).create({ name: "bench" });
  const env = cleanEnv({
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    MANTLE_VEND_RATE_LIMIT_PER_SECOND: "1000000",
    MANTLE_VEND_RATE_LIMIT_BURST: "1000000",
    ...options.env,
  });
  const local = startChild(process.execPath, ["--import", "tsx", options.localEntry ?? "lambda/local/main.ts", "--offline", "--port", "0", "--data-dir", dataDir], env);
  const bare = startChild(process.execPath, ["--import", "tsx", join(BENCH_DIR, "children/bare-server.ts")], env);
  try {
    const [localUrl, bareUrl] = (await Promise.all([waitForStderr(local, LISTENING), waitForStderr(bare, LISTENING)])).map((m) => m[1] as string);
    const urls = { ours: localUrl as string, floor: bareUrl as string };
    const keys = { ours: key, floor: undefined };
    const measured: Record<"ours" | "floor", Measured> = {
      ours: { requests: 0, seconds: 0, p50: [], p99: [] },
      floor: { requests: 0, seconds: 0, p50: [], p99: [] },
    };
    for (const server of ["ours", "floor"] as const) await load(urls[server], keys[server], options.connections, options.warmupSeconds);
    // Alternating slices: whatever else the machine does hits both servers alike.
    const slice = options.durationSeconds / options.slices;
    for (let i = 0; i < options.slices; i++) {
      const order = i % 2 === 0 ? (["ours", "floor"] as const) : (["floor", "ours"] as const);
      for (const server of order) add(measured[server], await load(urls[server], keys[server], options.connections, slice));
    }
    const ours = { ...measured.ours, rps: measured.ours.requests / measured.ours.seconds };
    const floor = { ...measured.floor, rps: measured.floor.requests / measured.floor.seconds };
    log(`local server ${Math.round(ours.rps)} req/s, bare server ${Math.round(floor.rps)} req/s`);
    const ratio = ours.rps / floor.rps;
    return [
      {
        section: "local throughput",
        name: `POST /v1/tokens, local server (autocannon, ${options.connections} connections, ${options.durationSeconds} s)`,
        value: Math.round(ours.rps),
        unit: "req/s",
        baseline: { name: "bare node:http server, one getToken() per request", value: Math.round(floor.rps) },
        ratio: round(ratio),
        target: { text: `>= ${TARGET_RATIO}x bare server`, met: ratio >= TARGET_RATIO },
        detail: {
          "local p99 latency ms (median of slices)": median(ours.p99),
          "bare p99 latency ms (median of slices)": median(floor.p99),
          "local requests": ours.requests,
          "bare requests": floor.requests,
          slices: options.slices,
        },
      },
    ];
  } finally {
    await Promise.all([stopChild(local), stopChild(bare)]);
    await rm(dataDir, { recursive: true, force: true });
  }
}

