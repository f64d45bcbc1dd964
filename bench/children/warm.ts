// Warm request cost, in a process of its own (forked with IPC): the bundled handler, imported as
// Lambda imports it, with its log lines going where Lambda's go (here /dev/null), against a bare
// getToken() with the same credentials. Sends one summary message to the parent.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { getToken } from "@aws/bedrock-token-generator";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/index.js";

const [bundle, apiKey, jwt, freshJwtsFile, roundsArg, perRoundArg, warmupArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 10);
const perRound = Number(perRoundArg ?? 2_000);
const warmup = Number(warmupArg ?? 3_000);

const { handler } = (await import(pathToFileURL(bundle as string).href)) as {
  handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;
};

function event(method: string, path: string, query = "", body?: string, credential = apiKey as string): FunctionUrlEvent {
  const e: FunctionUrlEvent = {
    version: "2.0",
    rawPath: path,
    rawQueryString: query,
    headers: { host: "abc.lambda-url.us-east-1.on.aws", authorization: `Bearer ${credential}`, "content-type": "application/json" },
    isBase64Encoded: body !== undefined,
    requestContext: { requestId: "warm", http: { method, path, sourceIp: "203.0.113.9" } },
  };
  if (body !== undefined) e.body = Buffer.from(body).toString("base64");
  return e;
}

const tokenEvent = event("POST", "/v1/tokens", "", '{"region":"us-east-1","ttlSeconds":900}');
// The same request presented with a workload's JWT: its issuer's keys are fetched once, in the warm-up.
const jwtEvent = event("POST", "/v1/tokens", "", '{"region":"us-east-1","ttlSeconds":900}', jwt as string);
const modelsEvent = event("GET", "/v1/models", "region=us-east-1");
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID as string, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY as string };

type Subject = "token" | "jwt" | "models" | "mint";
const subjects: Record<Subject, () => Promise<unknown>> = {
  token: async () => {
    const r = await handler(tokenEvent);
    if (r.statusCode !== 200) throw new Error(`POST /v1/tokens answered ${r.statusCode}: ${r.body}`);
  },
  jwt: async () => {
    const r = await handler(jwtEvent);
    if (r.statusCode !== 200) throw new Error(`POST /v1/tokens with a JWT answered ${r.statusCode}: ${r.body}`);
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

const samples: Record<Subject, number[]> = { token: [], jwt: [], models: [], mint: [] };
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

// Each of these JWTs is presented once: its signature is checked (the issuer's keys are cached).
const fresh = readFileSync(freshJwtsFile as string, "utf8").split("\n").filter((line) => line !== "");
const freshSamples: number[] = [];
for (const [i, token] of fresh.entries()) {
  const e = event("POST", "/v1/tokens", "", '{"region":"us-east-1","ttlSeconds":900}', token);
  const t0 = process.hrtime.bigint();
  const r = await handler(e);
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  if (r.statusCode !== 200) throw new Error(`POST /v1/tokens with a fresh JWT answered ${r.statusCode}: ${r.body}`);
  if (i >= fresh.length / 11) freshSamples.push(us);
}

const summary = Object.fromEntries(
  ([...Object.entries(samples), ["jwtFresh", freshSamples]] as Array<[string, number[]]>).map(([subject, values]) => {
    const sorted = values.sort((a, b) => a - b);
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
    return [subject, { p50: at(50), p99: at(99), n: sorted.length }];
  }),
);
// Every token request of the run: the key's and the JWT's (warm-up and measured), and each fresh JWT's.
process.send?.({ ...summary, tokens: 2 * (warmup + rounds * perRound) + fresh.length }, () => process.exit(0));
