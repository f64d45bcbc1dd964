import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getToken } from "@aws/bedrock-token-generator";
import { MantleVendClient } from "../../client/src/client.js";
import { EMULATOR_CREDENTIALS } from "../../lambda/local/index.js";
import { buildClient, CLI } from "../../test/support/client-support.js";
import { startService, type TestService } from "../../test/support/service.js";
import { cleanEnv, median, percentile, round, runTimed, type Figure } from "../lib.js";

const CALLERS = 1_000;

async function timeEach(iterations: number, run: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return samples;
}

/** The ratio `mantle-vend token` on a warm cache may cost over a bare Node start (tools run it before every request). */
const TOKEN_PROCESS_TARGET = 1.15;

/**
 * `mantle-vend token` as pi runs it before every request: a whole process, on a warm per-user cache,
 * next to `node -e 0` on the same Node, interleaved so that machine load hits both alike.
 */
async function benchTokenProcess(url: string, apiKey: string, runs: number): Promise<Figure> {
  await buildClient();
  const cacheHome = mkdtempSync(join(tmpdir(), "mantle-vend-bench-cache-"));
  try {
    const env = cleanEnv({ MANTLE_VEND_URL: url, MANTLE_VEND_API_KEY: apiKey, AWS_REGION: "us-east-1", XDG_CACHE_HOME: cacheHome });
    const token = async (): Promise<number> => {
      const exited = await runTimed(process.execPath, [CLI, "token"], env);
      if (exited.code !== 0 || !exited.stdout.startsWith("bedrock-api-key-")) throw new Error(`mantle-vend token failed: ${exited.stderr}`);
      return exited.wallMs;
    };
    const bare = async (): Promise<number> => (await runTimed(process.execPath, ["-e", "0"], env)).wallMs;
    await token(); // fills the cache
    // Warm-up: the file system cache and, on Node 22+, the compile cache.
    for (let i = 0; i < 5; i++) {
      await token();
      await bare();
    }
    const tokenMs: number[] = [];
    const bareMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      tokenMs.push(await token());
      bareMs.push(await bare());
    }
    const ratio = median(tokenMs) / median(bareMs);
    return {
      section: "client",
      name: "`mantle-vend token` process, warm cache, median wall time",
      value: round(median(tokenMs), 1),
      unit: "ms",
      baseline: { name: "`node -e 0`, same Node, interleaved", value: round(median(bareMs), 1) },
      ratio: round(ratio, 3),
      target: { text: `<= ${TOKEN_PROCESS_TARGET}x`, met: ratio <= TOKEN_PROCESS_TARGET },
      detail: { runs, "token p90 ms": round(percentile(tokenMs, 90), 1), "node -e 0 p90 ms": round(percentile(bareMs, 90), 1), node: process.version },
    };
  } finally {
    rmSync(cacheHome, { recursive: true, force: true });
  }
}

/**
 * The client library against the real handler on loopback: what a cached getToken() costs a
 * gateway (next to minting locally with getToken()), and how many requests 1,000 concurrent
 * callers of a cold client send.
 */
export async function benchClient(iterations = 20_000): Promise<Figure[]> {
  let service: TestService | undefined;
  try {
    service = await startService();
    const url = await service.listen();
    const { key } = await service.createKey({ name: "client-bench" });
    const tokenRequests = (): number => (service as TestService).events.filter((e) => e.rawPath === "/v1/tokens").length;

    const warm = new MantleVendClient({ url, apiKey: key, region: "us-east-1" });
    await warm.getToken();
    const mint = (): Promise<string> => getToken({ credentials: EMULATOR_CREDENTIALS, region: "us-east-1", expiresInSeconds: 900 });
    await timeEach(2_000, () => warm.getToken());
    await timeEach(2_000, mint);
    const hits = await timeEach(iterations, () => warm.getToken());
    const mints = await timeEach(iterations, mint);

    const cold = new MantleVendClient({ url, apiKey: key, region: "us-east-1" });
    const before = tokenRequests();
    const tokens = await Promise.all(Array.from({ length: CALLERS }, () => cold.getToken()));
    const sent = tokenRequests() - before;
    if (new Set(tokens.map((t) => t.token)).size !== 1) throw new Error("concurrent callers got different tokens");

    const tokenProcess = await benchTokenProcess(url, key, 60);
    const hit50 = percentile(hits, 50);
    const mint50 = percentile(mints, 50);
    return [
      {
        section: "client",
        name: "getToken() cache hit, p50",
        value: round(hit50, 2),
        unit: "µs",
        baseline: { name: "bare getToken() mint p50 (what a gateway with AWS credentials pays)", value: round(mint50, 1) },
        ratio: round(hit50 / mint50, 3),
        detail: { "cache hit p99 µs": round(percentile(hits, 99), 2), iterations },
      },
      {
        section: "client",
        name: `token requests sent for ${CALLERS} concurrent getToken() callers`,
        value: sent,
        unit: "requests",
        baseline: { name: "one request per caller without sharing", value: CALLERS },
        ratio: round(sent / CALLERS, 3),
        target: { text: "1", met: sent === 1 },
      },
      tokenProcess,
    ];
  } finally {
    await service?.close();
  }
}
