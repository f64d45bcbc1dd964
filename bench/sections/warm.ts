import { fork } from "node:child_process";
import { join } from "node:path";
import type { Fixture } from "../fixture.js";
import { BENCH_DIR, REPO_ROOT, round, type Figure } from "../lib.js";

const TARGET_P50_RATIO = 3;

interface Quantiles {
  p50: number;
  p99: number;
  n: number;
}
type Summary = Record<"token" | "models" | "mint", Quantiles> & { tokens: number };

/** One warm run of the bundled handler in a child: `[rounds, per round, warm-up]` iterations of each subject. */
async function warmRun(apiBundle: string, apiKey: string, env: NodeJS.ProcessEnv, iterations: [number, number, number]): Promise<Summary> {
  const child = fork(join(BENCH_DIR, "children/warm.ts"), [apiBundle, apiKey, ...iterations.map(String)], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    // The rate limit is raised so the loop measures the handler, not 429s.
    env: { ...env, MANTLE_VEND_RATE_LIMIT_PER_SECOND: "1000000", MANTLE_VEND_RATE_LIMIT_BURST: "1000000" },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<Summary>((resolve, reject) => {
    child.once("message", (message) => resolve(message as Summary));
    child.once("exit", (code) => reject(new Error(`warm benchmark child exited with ${code}:\n${stderr}`)));
  });
}

/**
 * Warm handler cost: p50/p99 of POST /v1/tokens and of a cached GET /v1/models through the
 * bundled handler, in-process (no HTTP), against a bare getToken() in the same process; then the
 * same token request with fleet limits on (the DynamoDB fake on loopback), and the DynamoDB calls
 * each admitted token request made.
 */
export async function benchWarm(fixture: Fixture, apiBundle: string): Promise<Figure[]> {
  const summary = await warmRun(apiBundle, fixture.apiKey, fixture.env, [10, 2000, 3000]);
  fixture.dynamo.resetCalls();
  const limited = await warmRun(apiBundle, fixture.apiKey, fixture.limitsEnv, [5, 1000, 500]);
  const writes = fixture.dynamo.count("UpdateItem");
  const { token, models, mint } = summary;
  const us = (v: number): number => round(v, 1);
  return [
    {
      section: "warm handler",
      name: "POST /v1/tokens with fleet limits (DynamoDB fake on loopback), p50",
      value: us(limited.token.p50),
      unit: "µs",
      baseline: { name: "the same without fleet limits, same run", value: us(token.p50) },
      ratio: round(limited.token.p50 / token.p50),
      detail: { iterations: limited.token.n, "p99 µs": us(limited.token.p99), "without limits p99 µs": us(token.p99) },
    },
    {
      section: "warm handler",
      name: "DynamoDB calls per admitted POST /v1/tokens",
      value: round(writes / limited.tokens, 2),
      unit: "calls",
      target: { text: "<= 2", met: writes / limited.tokens <= 2 },
      detail: { "UpdateItem calls": writes, "token requests admitted": limited.tokens, "calls of other kinds": fixture.dynamo.count() - writes },
    },
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
