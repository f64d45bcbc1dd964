import { getToken } from "@aws/bedrock-token-generator";
import { MantleVendClient } from "../../client/src/client.js";
import { EMULATOR_CREDENTIALS } from "../../lambda/local/index.js";
import { startService, type TestService } from "../../test/support/service.js";
import { percentile, round, type Figure } from "../lib.js";

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
    ];
  } finally {
    await service?.close();
  }
}
