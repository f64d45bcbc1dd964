import { pathToFileURL } from "node:url";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/events.js";
import { DEFAULT_PARAMETER_PREFIX } from "../../lambda/config.js";
import { verifyBearerToken, type MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import type { StsFake } from "../fakes/sts-fake.js";
import { useFixture } from "../support/fixture.js";
import { bundleEnv, synthesizeBundle } from "../support/bundle.js";
import { functionUrlEvent } from "../support/events.js";
import { FakeTime, tracked } from "../support/fake-time.js";
import { ssmStore } from "../support/ssm.js";

const ROLE_ARN = "arn:aws:iam::123456789012:role/mantle-vend-token";
// The emulator knows only the STS sessions' credentials: a token signed any other way fails.
const fixture = useFixture({ ssm: true, sts: true, emulator: ({ sts }) => ({ credentials: sts ? [sts.credentials] : [] }) });
let ssm: SsmFake;
let sts: StsFake;
let emulator: MantleEmulator;
let handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;
/** One key per test: a key's STS session is cached in the container, so no test inherits another's. */
let pool: { key: string; keyId: string }[];
let key: string;
let keyId: string;

/** Fifty patterns of realistic length (real ids run 13–27 characters), some of them prefixes. */
const FIFTY_PATTERNS = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? `vendor${i}.family-${i}*` : `vendor${i % 7}.model-${i}-instruct`));
let scoped: { key: string; keyId: string };
let fifty: { key: string; keyId: string };

beforeAll(async () => {
  const { apiBundle } = await synthesizeBundle({ perKeyAttribution: true });
  ({ ssm, sts, emulator } = fixture);
  const admin = new KeyAdmin(ssmStore(ssm), DEFAULT_PARAMETER_PREFIX);
  pool = [];
  for (let i = 0; i < 12; i += 1) pool.push(await admin.create({ name: "team a", regions: ["us-east-1", "eu-west-1"] }));
  scoped = await admin.create({ name: "Team B (models)", regions: ["us-east-1"], models: ["openai.gpt-oss-*", "deepseek.v3.2", "acme.what?$x"] });
  fifty = await admin.create({ name: "fifty", models: FIFTY_PATTERNS });
  Object.assign(process.env, {
    ...bundleEnv({ ssmUrl: ssm.url, mantleEndpoint: emulator.endpointTemplate, stsUrl: sts.url }),
    MANTLE_VEND_TOKEN_ROLE_ARN: ROLE_ARN,
    MANTLE_VEND_MAX_TTL_SECONDS: "43200",
  });
  ({ handler } = (await import(pathToFileURL(apiBundle).href)) as { handler: typeof handler });
});

beforeEach(() => {
  const next = pool.pop();
  if (next === undefined) throw new Error("the key pool is used up: add keys for the new tests");
  ({ key, keyId } = next);
  sts.calls.length = 0;
  sts.inject(undefined);
  sts.setSessionSeconds(3600);
});

async function mint(body: object): Promise<FunctionUrlResult> {
  return handler(functionUrlEvent({ method: "POST", path: "/v1/tokens", key, body: JSON.stringify(body) }));
}

describe("attribution mode narrows inference to the grant's models in the session policy (IAM-enforced)", () => {
  it("allows CreateInference only for the grant's patterns through a StringLike condition on bedrock-mantle:Model", async () => {
    const result = await handler(functionUrlEvent({ method: "POST", path: "/v1/tokens", key: scoped.key }));
    expect(result.statusCode, result.body).toBe(200);
    expect(sts.calls).toHaveLength(1);
    expect(JSON.parse(sts.calls[0]?.Policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["bedrock-mantle:CallWithBearerToken", "bedrock-mantle:Get*", "bedrock-mantle:List*"],
          Resource: "*",
          Condition: { StringEquals: { "aws:RequestedRegion": ["us-east-1"] } },
        },
        {
          Effect: "Allow",
          Action: "bedrock-mantle:CreateInference",
          Resource: "*",
          Condition: {
            StringEquals: { "aws:RequestedRegion": ["us-east-1"] },
            // IAM's own wildcards in an id are written as literals; only a pattern's trailing * stays one.
            StringLike: { "bedrock-mantle:Model": ["openai.gpt-oss-*", "deepseek.v3.2", "acme.what${?}${$}x"] },
          },
        },
      ],
    });
    expect(sts.calls[0]?.Tags).toEqual({ "mantle-vend-principal": `key:${scoped.keyId}`, "mantle-vend-name": "Team B -models-" });
  });

  it("keeps the session policy of 50 patterns in all 12 regions under STS's 2,048-character limit, and STS accepts it", async () => {
    const result = await handler(functionUrlEvent({ method: "POST", path: "/v1/tokens", key: fifty.key }));
    expect(result.statusCode, result.body).toBe(200);
    const policy = sts.calls[0]?.Policy as string;
    expect(policy.length).toBeLessThanOrEqual(2048);
    const statement = JSON.parse(policy).Statement[1];
    expect(statement.Condition.StringLike["bedrock-mantle:Model"]).toEqual(FIFTY_PATTERNS);
    expect(statement.Condition.StringEquals["aws:RequestedRegion"]).toHaveLength(12);
  });
});

describe("attribution mode signs each key's tokens with its own STS session", () => {
  it("assumes the token role named for the key, with a session policy limited to the key's regions", async () => {
    const result = await mint({ region: "eu-west-1", ttlSeconds: 600 });
    expect(result.statusCode).toBe(200);
    expect(sts.calls).toEqual([
      {
        RoleArn: ROLE_ARN,
        RoleSessionName: `mvk-${keyId}-team-a`,
        SourceIdentity: `mvk-${keyId}`,
        DurationSeconds: "3600",
        Policy: expect.any(String),
        Tags: { "mantle-vend-principal": `key:${keyId}`, "mantle-vend-name": "team a" },
      },
    ]);
    expect(JSON.parse(sts.calls[0]?.Policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["bedrock-mantle:CallWithBearerToken", "bedrock-mantle:CreateInference", "bedrock-mantle:Get*", "bedrock-mantle:List*"],
          Resource: "*",
          Condition: { StringEquals: { "aws:RequestedRegion": ["us-east-1", "eu-west-1"] } },
        },
      ],
    });
  });

  it("mints tokens with the session credentials that Mantle accepts", async () => {
    const { token, region } = JSON.parse((await mint({ region: "eu-west-1" })).body) as { token: string; region: string };
    const verdict = await verifyBearerToken(token, { region, nowMs: Date.now(), credentials: [sts.credentials] });
    expect(verdict).toMatchObject({ ok: true, accessKeyId: sts.credentials.accessKeyId });
    const url = Buffer.from(token.slice("bedrock-api-key-".length), "base64").toString();
    expect(new URLSearchParams(url.split("?")[1]).get("X-Amz-Security-Token")).toBe(sts.credentials.sessionToken);
  });

  it("makes one AssumeRole for 20 default-TTL requests of a key, each expiresAt clamped to the session's expiry", async () => {
    const answers = [];
    for (let i = 0; i < 20; i += 1) answers.push(JSON.parse((await mint({ region: "us-east-1" })).body) as { issuedAt: string; expiresAt: string; expiresInSeconds: number });
    expect(sts.calls).toHaveLength(1);
    const sessionEnd = Date.parse(answers[0]?.expiresAt ?? "");
    for (const answer of answers) {
      expect(Date.parse(answer.expiresAt)).toBe(sessionEnd);
      expect(answer.expiresInSeconds).toBe(Math.floor((sessionEnd - Date.parse(answer.issuedAt)) / 1000));
    }
  });

  it("caps the TTL at one hour (role chaining) even when the server allows twelve: the token itself is signed for 3600 s", async () => {
    // A 12 h session, so that nothing but the cap can hold the token to an hour.
    sts.setSessionSeconds(43200);
    const body = JSON.parse((await mint({ ttlSeconds: 43200 })).body) as { token: string; expiresInSeconds: number };
    expect(body.expiresInSeconds).toBeLessThanOrEqual(3600);
    expect(body.expiresInSeconds).toBeGreaterThan(3500);
    const signed = new URL(`https://${Buffer.from(body.token.slice("bedrock-api-key-".length), "base64").toString("utf8")}`);
    expect(signed.searchParams.get("X-Amz-Expires")).toBe("3600");
  });

  it("reports the session's expiry as expiresAt when it is shorter than the requested TTL", async () => {
    sts.setSessionSeconds(900);
    const before = Date.now();
    const body = JSON.parse((await mint({ region: "eu-west-1", ttlSeconds: 3600 })).body) as { expiresAt: string; issuedAt: string; expiresInSeconds: number };
    expect(sts.calls).toHaveLength(1);
    const expiresAt = Date.parse(body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(body.expiresInSeconds).toBeLessThanOrEqual(900);
    const verdict = await verifyBearerToken(
      JSON.parse((await mint({ region: "eu-west-1", ttlSeconds: 3600 })).body).token as string,
      { region: "eu-west-1", nowMs: expiresAt + 1000, credentials: [{ ...sts.credentials, expiration: new Date(expiresAt) }] },
    );
    expect(verdict.ok).toBe(false);
  });

  it.each([
    ["throttles", 2, "throttle"],
    ["fails", 2, "5xx"],
    ["denies the role", 1, "access-denied"],
  ] as const)("answers 503 when STS %s (attempts: %i), and never leaks the failure", async (_label, attempts, fault) => {
    sts.setSessionSeconds(120); // too short to reuse: every request needs a new session
    sts.inject(fault);
    // The SDK's retry pause runs on fake time, so a throttled AssumeRole costs no real wait.
    const time = FakeTime.install();
    try {
      const pending = tracked(mint({ region: "us-east-1" }));
      await time.settle(() => sts.calls.length === 1);
      await time.advance(() => pending.settled());
      const result = await pending.promise;
      expect(result.statusCode).toBe(503);
      expect(JSON.parse(result.body).error.code).toBe("unavailable");
      expect(result.body).not.toMatch(/Rate exceeded|AccessDenied|sts:/);
      expect(sts.calls).toHaveLength(attempts);
    } finally {
      time.restore();
    }
  });

  it("lists models with a catalog session of the token role, not a key's", async () => {
    const result = await handler(functionUrlEvent({ path: "/v1/models", query: "region=eu-west-1", key }));
    expect(result.statusCode).toBe(200);
    expect(sts.calls.map((c) => c.SourceIdentity)).toEqual(["mantle-vend-catalog"]);
    expect(JSON.parse(sts.calls[0]?.Policy as string).Statement[0].Condition.StringEquals["aws:RequestedRegion"]).toEqual(["eu-west-1"]);
  });
});
