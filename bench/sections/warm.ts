import { fork } from "node:child_process";
import { join } from "node:path";
import type { Fixture } from "../fixture.js";
import { BENCH_DIR, REPO_ROOT, round, type Figure } from "../lib.js";

const TARGET_P50_RATIO = 3;
/** A JWT costs a signature check on top of a key's hash compare: at most this much more at p50. */
const TARGET_JWT_RATIO = 1.5;

interface Quantiles {
  p50: number;
  p99: number;
  n: number;
}
type Summary = Record<"token" | "jwt" | "jwtFresh" | "models" | "mint", Quantiles>;

/**
 * Warm handler cost: p50/p99 of POST /v1/tokens and of a cached GET /v1/models through the
 * bundled handler, in-process (no HTTP), against a bare getToken() in the same process.
 */
export async function benchWarm(fixture: Fixture, apiBundle: string): Promise<Figure[]> {
  const child = fork(join(BENCH_DIR, "children/warm.ts"), [apiBundle, fixture.apiKey, fixture.jwt, fixture.freshJwtsFile, "10", "2000", "3000"], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    // The rate limit is raised so the loop measures the handler, not 429s.
    env: { ...fixture.env, MANTLE_VEND_RATE_LIMIT_PER_SECOND: "1000000", MANTLE_VEND_RATE_LIMIT_BURST: "1000000" },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const summary = await new Promise<Summary>((resolve, reject) => {
    child.once("message", (message) => resolve(message as Summary));
    child.once("exit", (code) => reject(new Error(`warm benchmark child exited with ${code}:\n${stderr}`)));
  });
  const { token, jwt, jwtFresh, models, mint } = summary;
  const us = (v: number): number => round(v, 1);
  return [
    {
      section: "warm handler",
      name: "POST /v1/tokens via bundled handler, p50",
      value: us(token.p50),
      unit: "µs",
      baseline: { name: "bare getToken() p50", value: us(mint.p50) },
      ratio: round(token.p50 / mint.p50),
      target: { text: `p50 <= ${TARGET_P50_RATIO}x bare mint`, met: token.p50 / mint.p50 <= TARGET_P50_RATIO },
      detail: { iterations: token.n },
    },
    {
      section: "warm handler",
      name: "POST /v1/tokens via bundled handler, p99",
      value: us(token.p99),
      unit: "µs",
      baseline: { name: "bare getToken() p99", value: us(mint.p99) },
      ratio: round(token.p99 / mint.p99),
    },
    {
      section: "warm handler",
      name: "POST /v1/tokens authenticated by a JWT (RS256, JWKS cached), p50",
      value: us(jwt.p50),
      unit: "µs",
      baseline: { name: "the same with an API key, p50", value: us(token.p50) },
      ratio: round(jwt.p50 / token.p50),
      target: { text: `p50 <= ${TARGET_JWT_RATIO}x the key's`, met: jwt.p50 / token.p50 <= TARGET_JWT_RATIO },
      detail: { iterations: jwt.n, "a token's verification is remembered per container": "up to 10 min, never past exp" },
    },
    {
      section: "warm handler",
      name: "POST /v1/tokens with a JWT presented for the first time (signature checked), p50",
      value: us(jwtFresh.p50),
      unit: "µs",
      baseline: { name: "the same with an API key, p50", value: us(token.p50) },
      ratio: round(jwtFresh.p50 / token.p50),
      detail: { iterations: jwtFresh.n, "p99 µs": us(jwtFresh.p99) },
    },
    {
      section: "warm handler",
      name: "POST /v1/tokens authenticated by a JWT, p99",
      value: us(jwt.p99),
      unit: "µs",
      baseline: { name: "the same with an API key, p99", value: us(token.p99) },
      ratio: round(jwt.p99 / token.p99),
    },
    {
      section: "warm handler",
      name: "GET /v1/models (cached) via bundled handler, p50",
      value: us(models.p50),
      unit: "µs",
      baseline: { name: "bare getToken() p50", value: us(mint.p50) },
      ratio: round(models.p50 / mint.p50),
      detail: { iterations: models.n },
    },
    {
      section: "warm handler",
      name: "GET /v1/models (cached) via bundled handler, p99",
      value: us(models.p99),
      unit: "µs",
      baseline: { name: "bare getToken() p99", value: us(mint.p99) },
      ratio: round(models.p99 / mint.p99),
    },
  ];
}
