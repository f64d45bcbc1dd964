// Warm request cost, in a process of its own (forked with IPC): the bundled handler, imported as
// Lambda imports it, with its log lines going where Lambda's go (here /dev/null), against a bare
// getToken() with the same credentials. Sends one summary message to the parent.
import { pathToFileURL } from "node:url";
import { getToken } from "@aws/bedrock-token-generator";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/index.js";

const [bundle, apiKey, roundsArg, perRoundArg, warmupArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 10);
const perRound = Number(perRoundArg ?? 2_000);
const warmup = Number(warmupArg ?? 3_000);

const { handler } = (await import(pathToFileURL(bundle as string).href)) as {
  handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;
};

function event(method: string, path: string, query = "", body?: string): FunctionUrlEvent {
  const e: FunctionUrlEvent = {
    version: "2.0",
    rawPath: path,
    rawQueryString: query,
    headers: { host: "abc.lambda-url.us-east-1.on.aws", authorization: `Bearer ${apiKey as string}`, "content-type": "application/json" },
    isBase64Encoded: body !== undefined,
    requestContext: { requestId: "warm", http: { method, path, sourceIp: "203.0.113.9" } },
  };
  if (body !== undefined) e.body = Buffer.from(body).toString("base64");
  return e;
}

const tokenEvent = event("POST", "/v1/tokens", "", '{"region":"us-east-1","ttlSeconds":900}');
const modelsEvent = event("GET", "/v1/models", "region=us-east-1");
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID as string, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY as string };

type Subject = "token" | "models" | "mint";
const subjects: Record<Subject, () => Promise<unknown>> = {
  token: async () => {
    const r = await handler(tokenEvent);
    if (r.statusCode !== 200) throw new Error(`POST /v1/tokens answered ${r.statusCode}: ${r.body}`);
  },
  models: async () => {
    const r = await handler(modelsEvent);
    if (r.statusCode !== 200) throw new Error(`GET /v1/models answered ${r.statusCode}: ${r.body}`);
  },
  mint: () => getToken({ credentials, region: "us-east-1", expiresInSeconds: 900 }),
};

// The first /v1/models fills the catalog (SSM, then Mantle); every later one is served from memory.
for (const subject of Object.keys(subjects) as Subject[]) {
  for (let i = 0; i < warmup; i++) await subjects[subject]();
}

const samples: Record<Subject, number[]> = { token: [], models: [], mint: [] };
for (let round = 0; round < rounds; round++) {
  for (const subject of Object.keys(subjects) as Subject[]) {
    const run = subjects[subject];
    const into = samples[subject];
    for (let i = 0; i < perRound; i++) {
      const t0 = process.hrtime.bigint();
      await run();
      into.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
}

const summary = Object.fromEntries(
  (Object.keys(samples) as Subject[]).map((subject) => {
    const sorted = samples[subject].sort((a, b) => a - b);
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
    return [subject, { p50: at(50), p99: at(99), n: sorted.length }];
  }),
);
process.send?.({ ...summary, tokens: warmup + rounds * perRound }, () => process.exit(0));
