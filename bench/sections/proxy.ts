import { Agent, request } from "node:http";
import { MantleVendClient } from "../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../client/src/proxy.js";
import { MantleEmulator } from "../../lambda/local/index.js";
import { startService, type TestService } from "../../test/support/service.js";
import { percentile, round, type Figure } from "../lib.js";

const REGION = "us-east-1";

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

/**
 * Direct and proxied calls alternate, so both see the same machine load; the proxy's added
 * latency is the difference of their percentiles in the same run.
 */
async function pairs(iterations: number, direct: () => Promise<Timing>, proxied: () => Promise<Timing>): Promise<{ direct: Timing[]; proxied: Timing[] }> {
  const out = { direct: [] as Timing[], proxied: [] as Timing[] };
  for (let i = 0; i < iterations; i++) {
    if (i % 2 === 0) {
      out.direct.push(await direct());
      out.proxied.push(await proxied());
    } else {
      out.proxied.push(await proxied());
      out.direct.push(await direct());
    }
  }
  return out;
}

const p = (timings: Timing[], pick: (t: Timing) => number, q: number): number => percentile(timings.map(pick), q);

/** The local proxy's cost per request (model routing included) and per SSE stream, against the emulator directly. */
export async function benchProxy(iterations = 2_000): Promise<Figure[]> {
  let emulator: MantleEmulator | undefined;
  let service: TestService | undefined;
  let proxy: RunningProxy | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    emulator = await MantleEmulator.start({ streamChunkDelayMs: 0 });
    service = await startService({ emulator });
    const client = new MantleVendClient({ url: await service.listen(), apiKey: (await service.createKey({ name: "proxy-bench" })).key, region: REGION });
    proxy = await startProxy({ client, port: 0 });
    const token = (await client.getToken()).token;
    const root = emulator.rootFor(REGION);
    const auth = { authorization: `Bearer ${token}` };
    const chat = (stream: boolean): string => JSON.stringify({ model: "openai.gpt-oss-120b", messages: [{ role: "user", content: "Say hello" }], stream });
    const responses = JSON.stringify({ model: "openai.gpt-5.5", input: "Say hello" });
    const via = proxy.url;

    // Warm-up: sockets, JIT, the proxy's token and catalog.
    await pairs(200, () => timedPost(agent, `${root}/v1/chat/completions`, chat(false), auth), () => timedPost(agent, `${via}/v1/chat/completions`, chat(false), {}));
    const plain = await pairs(iterations, () => timedPost(agent, `${root}/v1/chat/completions`, chat(false), auth), () => timedPost(agent, `${via}/v1/chat/completions`, chat(false), {}));
    const moved = await pairs(iterations, () => timedPost(agent, `${root}/openai/v1/responses`, responses, auth), () => timedPost(agent, `${via}/v1/responses`, responses, {}));
    const sse = await pairs(iterations, () => timedPost(agent, `${root}/v1/chat/completions`, chat(true), auth), () => timedPost(agent, `${via}/v1/chat/completions`, chat(true), {}));

    const total = (t: Timing): number => t.totalMs;
    const first = (t: Timing): number => t.firstByteMs;
    const added50 = p(plain.proxied, total, 50) - p(plain.direct, total, 50);
    const added99 = p(plain.proxied, total, 99) - p(plain.direct, total, 99);
    const ttfbProxy = p(sse.proxied, first, 50);
    const ttfbDirect = p(sse.direct, first, 50);
    return [
      {
        section: "proxy",
        name: "added latency per request, p50 (chat completion, routed by model)",
        value: round(added50, 3),
        unit: "ms",
        baseline: { name: "emulator called directly, p50", value: round(p(plain.direct, total, 50), 3) },
        ratio: round(p(plain.proxied, total, 50) / p(plain.direct, total, 50), 2),
        target: { text: "<= 1 ms", met: added50 <= 1 },
        detail: {
          "proxied p50 ms": round(p(plain.proxied, total, 50), 3),
          "rewritten /v1/responses → /openai/v1/responses: proxied p50 ms": round(p(moved.proxied, total, 50), 3),
          "the same, emulator's /openai/v1/responses directly, p50 ms": round(p(moved.direct, total, 50), 3),
          "rewritten: added p50 ms": round(p(moved.proxied, total, 50) - p(moved.direct, total, 50), 3),
          iterations,
        },
      },
      {
        section: "proxy",
        name: "added latency per request, p99",
        value: round(added99, 3),
        unit: "ms",
        baseline: { name: "emulator called directly, p99", value: round(p(plain.direct, total, 99), 3) },
        ratio: round(p(plain.proxied, total, 99) / p(plain.direct, total, 99), 2),
        detail: { "proxied p99 ms": round(p(plain.proxied, total, 99), 3) },
      },
      {
        section: "proxy",
        name: "time to first SSE byte through the proxy, p50",
        value: round(ttfbProxy, 3),
        unit: "ms",
        baseline: { name: "emulator called directly, p50", value: round(ttfbDirect, 3) },
        ratio: round(ttfbProxy / ttfbDirect, 2),
        detail: { "proxied p99 ms": round(p(sse.proxied, first, 99), 3), "direct p99 ms": round(p(sse.direct, first, 99), 3) },
      },
    ];
  } finally {
    agent.destroy();
    await proxy?.close();
    await service?.close();
    await emulator?.close();
  }
}
