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
type Summary = Record<"token" | "jwt" | "jwtFresh" | "models" | "mint", Quantiles> & { tokens: number };

/** One warm run of the bundled handler in a child: `[rounds, per round, warm-up]` iterations of each subject. */
async function warmRun(apiBundle: string, fixture: Fixture, env: NodeJS.ProcessEnv, iterations: [number, number, number]): Promise<Summary> {
  const child = fork(join(BENCH_DIR, "children/warm.ts"), [apiBundle, fixture.apiKey, fixture.jwt, fixture.freshJwtsFile, ...iterations.map(String)], {
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
 * Warm handler cost: p50/p99 of POST /v1/tokens (with a key and with a workload's JWT) and of a cached
 * GET /v1/models through the bundled handler, in-process (no HTTP), against a bare getToken() in the same
 * process; then the same token requests with fleet limits on (the DynamoDB fake on loopback), and the
 * DynamoDB calls each admitted token request made.
 */
export async function benchWarm(fixture: Fixture, apiBundle: string): Promise<Figure[]> {
  const summary = await warmRun(apiBundle, fixture, fixture.env, [10, 2000, 3000]);
  fixture.dynamo.resetCalls();
  const limited = await warmRun(apiBundle, fixture, fixture.limitsEnv, [5, 1000, 500]);
  const writes = fixture.dynamo.count("UpdateItem");
  const { token, jwt, jwtFresh, models, mint } = summary;
  const us = (v: number): number => round(v, 1);
  /** A p50 (with its target, if any) and a p99 figure of one subject against one baseline. */
  const pair = (name: string, of: Quantiles, baselineName: string, baseline: Quantiles, p50: Partial<Figure> = {}): Figure[] => [
    { section: "warm handler", name: `${name}, p50`, value: us(of.p50), unit: "µs", baseline: { name: `${baselineName} p50`, value: us(baseline.p50) }, ratio: round(of.p50 / baseline.p50), ...p50 },
    { section: "warm handler", name: `${name}, p99`, value: us(of.p99), unit: "µs", baseline: { name: `${baselineName} p99`, value: us(baseline.p99) }, ratio: round(of.p99 / baseline.p99) },
  ];
  return [
    ...pair("POST /v1/tokens via bundled handler", token, "bare getToken()", mint, {
      target: { text: `p50 <= ${TARGET_P50_RATIO}x bare mint`, met: token.p50 / mint.p50 <= TARGET_P50_RATIO },
      detail: { iterations: token.n },
    }),
    ...pair("POST /v1/tokens authenticated by a JWT (RS256, JWKS cached)", jwt, "the same with an API key,", token, {
      target: { text: `p50 <= ${TARGET_JWT_RATIO}x the key's`, met: jwt.p50 / token.p50 <= TARGET_JWT_RATIO },
      detail: { iterations: jwt.n, "a token's verification is remembered per container": "up to 10 min, never past exp" },
    }),
    ...pair("POST /v1/tokens with a JWT presented for the first time (signature checked)", jwtFresh, "the same with an API key,", token, { detail: { iterations: jwtFresh.n } }),
    ...pair("POST /v1/tokens with fleet limits (DynamoDB fake on loopback)", limited.token, "the same without fleet limits, same run,", token, { detail: { iterations: limited.token.n } }),
    {
      section: "warm handler",
      name: "DynamoDB calls per admitted POST /v1/tokens",
      value: round(writes / limited.tokens, 2),
      unit: "calls",
      target: { text: "<= 2", met: writes / limited.tokens <= 2 },
      detail: { "UpdateItem calls": writes, "token requests admitted": limited.tokens, "calls of other kinds": fixture.dynamo.count() - writes },
    },
    ...pair("GET /v1/models (cached) via bundled handler", models, "bare getToken()", mint, { detail: { iterations: models.n } }),
  ];
}
