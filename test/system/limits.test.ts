/**
 * Fleet-wide limits (SPEC §14) proven on the deployed artifact: four bundled API handlers, each in a
 * process of its own (a container), share one limits table — the real @aws-sdk/client-dynamodb against
 * the wire-level DynamoDB fake — while the test moves their clocks (fake time: no real waits). Their
 * EMF output is parsed for the metrics of §14.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import { DEFAULT_PARAMETER_PREFIX, DEFAULT_REQUEST_DEADLINE_MS } from "../../lambda/config.js";
import type { FunctionUrlResult } from "../../lambda/http/events.js";
import { DynamoDbFake, type FaultKind } from "../fakes/dynamodb-fake.js";
import { bundleEnv, synthesizeBundle } from "../support/bundle.js";
import { Container, emfLines, type EmfLine, type Invoked } from "../support/containers.js";
import { functionUrlEvent } from "../support/events.js";
import { useFixture } from "../support/fixture.js";
import { ssmStore } from "../support/ssm.js";

const TABLE = "mantle-vend-limits";
/** Half a second past a whole second: a 10-second interval from here meets 11 one-second windows. */
const START = Date.parse("2026-11-25T12:00:00.500Z");

/** The emulator's clock follows the containers', so the tokens they sign (for catalogs) verify. */
let emulatorNow = START;
const fixture = useFixture({ ssm: true, emulator: { now: () => emulatorNow } });
let dynamo: DynamoDbFake;
let apiBundle: string;
let refreshBundle: string;
let env: Record<string, string>;
const containers: Container[] = [];
/** Every container's output, kept when it stops, for the metrics' tests. */
const outputs: string[] = [];
const keys: Record<"limited" | "quota" | "plain" | "open" | "closed", string> = { limited: "", quota: "", plain: "", open: "", closed: "" };

beforeAll(async () => {
  ({ apiBundle, refreshBundle } = await synthesizeBundle());
  dynamo = await DynamoDbFake.start();
  dynamo.createTable(TABLE);
  const admin = new KeyAdmin(ssmStore(fixture.ssm), DEFAULT_PARAMETER_PREFIX);
  keys.limited = (await admin.create({ name: "limited", rateLimit: { perSecond: 5, burst: 10 } })).key;
  keys.quota = (await admin.create({ name: "quota", mintsPerDay: 7 })).key;
  keys.plain = (await admin.create({ name: "plain" })).key;
  keys.open = (await admin.create({ name: "open" })).key;
  keys.closed = (await admin.create({ name: "closed" })).key;
  env = {
    ...bundleEnv({ ssmUrl: fixture.ssm.url, mantleEndpoint: fixture.emulator.endpointTemplate, dynamodbUrl: dynamo.url }),
    MANTLE_VEND_LIMITS_TABLE: TABLE,
    POWERTOOLS_LOG_LEVEL: "WARN",
  };
});

afterAll(async () => {
  for (const container of containers.splice(0)) {
    outputs.push(container.stdout());
    await container.stop();
  }
  await dynamo?.close();
});

beforeEach(() => {
  dynamo.clearFaults();
  dynamo.resetCalls();
});

async function fleet(count: number, extra: Record<string, string> = {}, now = START, fakeTimers = false): Promise<Container[]> {
  const started = await Promise.all(Array.from({ length: count }, () => Container.start(apiBundle, { ...env, ...extra }, now, fakeTimers)));
  containers.push(...started);
  return started;
}

/** Sets every container's clock, and the emulator's. */
async function at(nowMs: number, which: Container[] = containers): Promise<void> {
  emulatorNow = nowMs;
  await Promise.all(which.map((container) => container.setTime(nowMs)));
}

const mint = (container: Container, key: string): Promise<Invoked> => container.invoke(functionUrlEvent({ method: "POST", path: "/v1/tokens", key }));

const statuses = (answers: FunctionUrlResult[]): Record<number, number> =>
  answers.reduce<Record<number, number>>((counts, answer) => ({ ...counts, [answer.statusCode]: (counts[answer.statusCode] ?? 0) + 1 }), {});

const errorCode = (answer: FunctionUrlResult): string => (JSON.parse(answer.body) as { error: { code: string } }).error.code;

describe("a principal's rate limit holds across the fleet: at most burst + perSecond × 10 (+10 %) in any 10 s", () => {
  let four: Container[];
  beforeAll(async () => {
    four = await fleet(4);
  });

  it("four containers driven at once admit at most 10 + 5 × 10 (+10 %) tokens of a 5/s, burst 10 key in 10 s of their clock", async () => {
    const answers: FunctionUrlResult[] = [];
    // Every 100 ms for 10 s, each container gets two requests: 80 a second asked, 5 a second allowed.
    for (let step = 0; step < 100; step += 1) {
      await at(START + step * 100, four);
      const round = await Promise.all(four.flatMap((container) => [mint(container, keys.limited), mint(container, keys.limited)]));
      answers.push(...round.map((invoked) => invoked.result));
    }
    const admitted = answers.filter((answer) => answer.statusCode === 200).length;
    expect(statuses(answers)).toEqual({ 200: admitted, 429: answers.length - admitted });
    expect(admitted).toBeLessThanOrEqual((10 + 5 * 10) * 1.1);
    // Each container's own bucket alone would have let 4 × 60 through; the sustained rate still flows.
    expect(admitted).toBeGreaterThanOrEqual(5 * 10);
    for (const refused of answers.filter((answer) => answer.statusCode === 429)) {
      expect(errorCode(refused)).toBe("rate_limited");
      expect(refused.headers["retry-after"]).toMatch(/^[1-9]\d*$/);
    }
    // Two conditional writes per admitted request at most; a refusal costs one, or none.
    expect(dynamo.count("UpdateItem")).toBeLessThanOrEqual(2 * admitted + (answers.length - admitted));
    expect(dynamo.count()).toBe(dynamo.count("UpdateItem"));
  });

  it("token answers carry RateLimit-Policy and RateLimit, and a refusal says the window's remaining is 0", async () => {
    const [first] = four;
    if (first === undefined) throw new Error("no container");
    await at(START + 60_000, four);
    const { result } = await mint(first, keys.limited);
    expect(result.statusCode).toBe(200);
    expect(result.headers["ratelimit-policy"]).toBe('"rate";q=6;w=1');
    expect(result.headers["ratelimit"]).toBe('"rate";r=5;t=1');
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push((await mint(first, keys.limited)).result);
    const refused = answers.find((answer) => answer.statusCode === 429);
    expect(refused?.headers["ratelimit"]).toBe('"rate";r=0;t=1');
    expect(refused?.headers["retry-after"]).toBe("1");
  });

  it("a daily quota of 7 across four containers admits exactly 7, then 429 quota_exceeded until the UTC day turns", async () => {
    const evening = Date.parse("2026-11-25T23:59:50Z");
    await at(evening, four);
    dynamo.resetCalls();
    const first = await Promise.all(four.flatMap((container) => [0, 1, 2].map(() => mint(container, keys.quota))));
    expect(statuses(first.map((invoked) => invoked.result))).toEqual({ 200: 7, 429: 5 });
    // Admitted: two writes each; refused by the quota: two (the rate window's and the day's).
    expect(dynamo.count("UpdateItem")).toBe(2 * 12);
    const admitted = first.find((invoked) => invoked.result.statusCode === 200)?.result;
    expect(admitted?.headers["ratelimit-policy"]).toBe('"rate";q=20;w=1, "day";q=7;w=86400');
    expect(admitted?.headers["ratelimit"]).toMatch(/^"rate";r=\d+;t=1, "day";r=[0-6];t=10$/);

    await at(evening + 5_000, four);
    const later = await Promise.all(four.map((container) => mint(container, keys.quota)));
    for (const { result } of later) {
      expect(result.statusCode).toBe(429);
      expect(errorCode(result)).toBe("quota_exceeded");
      expect(JSON.parse(result.body).error.message).toBe("daily token quota of 7 reached for this key; it resets at 2026-11-26T00:00:00.000Z");
      expect(result.headers["retry-after"]).toBe("5");
      expect(result.headers["ratelimit"]).toMatch(/"day";r=0;t=5$/);
    }

    await at(Date.parse("2026-11-26T00:00:01Z"), four);
    const nextDay = await Promise.all(four.flatMap((container) => [0, 1].map(() => mint(container, keys.quota))));
    expect(statuses(nextDay.map((invoked) => invoked.result))).toEqual({ 200: 7, 429: 1 });
  });

  it("unauthenticated floods and every route but POST /v1/tokens make no DynamoDB call", async () => {
    await at(Date.parse("2026-11-26T06:00:00Z"), four);
    const flood = await Promise.all(
      four.flatMap((container) =>
        Array.from({ length: 25 }, (_, i) =>
          container.invoke(functionUrlEvent({ method: "POST", path: "/v1/tokens", ...(i % 2 === 0 ? {} : { key: `mvk_${"0".repeat(16)}_${"A".repeat(43)}` }) })),
        ),
      ),
    );
    expect(flood.every((invoked) => invoked.result.statusCode === 401)).toBe(true);
    const routes = await Promise.all(
      four.flatMap((container) => [
        container.invoke(functionUrlEvent({ path: "/healthz" })),
        container.invoke(functionUrlEvent({ path: "/v1/regions", key: keys.plain })),
        container.invoke(functionUrlEvent({ path: "/v1/models", query: "region=us-west-2", key: keys.plain })),
        container.invoke(functionUrlEvent({ path: "/v1/whoami", key: keys.plain })),
      ]),
    );
    expect(routes.map((invoked) => invoked.result.statusCode)).toEqual(Array(16).fill(200));
    expect(dynamo.count()).toBe(0);
  });

  it("/v1/whoami shows the day's mints as its container last counted them, without a call", async () => {
    const [first] = four;
    if (first === undefined) throw new Error("no container");
    await at(Date.parse("2026-11-27T08:00:00Z"), four);
    for (let i = 0; i < 3; i += 1) expect((await mint(first, keys.plain)).result.statusCode).toBe(200);
    dynamo.resetCalls();
    const whoami = JSON.parse((await first.invoke(functionUrlEvent({ path: "/v1/whoami", key: keys.plain }))).result.body) as { mintsToday: number };
    expect(whoami.mintsToday).toBe(3);
    expect(dynamo.count()).toBe(0);
  });
});

describe("when the limits table fails, open admits and counts DependencyErrors, closed answers 503; both within the deadline", () => {
  let open: Container;
  let closed: Container;
  beforeAll(async () => {
    // The SDK's timeouts and retry pauses run on the containers' clocks, moved by the test.
    [open] = (await fleet(1, {}, START, true)) as [Container];
    [closed] = (await fleet(1, { MANTLE_VEND_LIMITS_FAILURE: "closed" }, START, true)) as [Container];
  });

  /** One token request while the fault lasts, the container's time moved on until it answers. */
  async function underFault(container: Container, key: string, fault: FaultKind): Promise<Invoked> {
    dynamo.inject({ kind: fault });
    const pending = mint(container, key);
    let done = false;
    void pending.then(() => (done = true));
    for (let step = 0; step < 400 && !done; step += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      await container.advance(25);
    }
    const invoked = await pending;
    dynamo.clearFaults();
    dynamo.release();
    return invoked;
  }

  it.each<FaultKind>(["down", "throttle", "5xx", "hang"])("DynamoDB %s: open admits, closed answers 503 unavailable", async (fault) => {
    const admitted = await underFault(open, keys.open, fault);
    expect(admitted.result.statusCode, admitted.result.body).toBe(200);
    expect(admitted.endedAt - admitted.startedAt).toBeLessThan(DEFAULT_REQUEST_DEADLINE_MS);
    // Unknown counts: the policy is still said, the remaining is not.
    expect(admitted.result.headers["ratelimit-policy"]).toBe('"rate";q=20;w=1');
    expect(admitted.result.headers["ratelimit"]).toBeUndefined();

    const refused = await underFault(closed, keys.closed, fault);
    expect(refused.result.statusCode).toBe(503);
    expect(errorCode(refused.result)).toBe("unavailable");
    expect(refused.endedAt - refused.startedAt).toBeLessThan(DEFAULT_REQUEST_DEADLINE_MS);
    expect(refused.result.body).not.toMatch(/dynamo|Throughput|Internal server/i);
  });

  it("logs the failure and counts it as DependencyErrors with dependency dynamodb, in both modes", async () => {
    const failures = async (container: Container): Promise<EmfLine[]> => emfLines(await container.settledStdout()).filter((line) => "DependencyErrors" in line);
    const [fromOpen, fromClosed] = [await failures(open), await failures(closed)];
    expect(fromOpen.length).toBeGreaterThanOrEqual(4);
    expect(fromClosed.length).toBeGreaterThanOrEqual(4);
    for (const line of [...fromOpen, ...fromClosed]) expect(line["dependency"]).toBe("dynamodb");
    expect(open.stderr()).toMatch(/"message":"limits table unavailable; failing open"/);
    expect(closed.stderr()).toMatch(/"message":"limits table unavailable; failing closed"/);
  });
});

/** §14's metrics and the dimension sets each is published with (Powertools adds its constant `service`). */
const METRICS: Record<string, string[][]> = {
  TokensMinted: [["service"]],
  Refused: [["service", "reason"]],
  ServerErrors: [["service"]],
  DependencyErrors: [["service", "dependency"]],
  CatalogAgeSeconds: [["service", "region"], ["service"]],
  CatalogRefreshFailures: [["service", "region"]],
  ColdStart: [["service"]],
};
const DIMENSION_VALUES: { reason: readonly string[]; dependency: readonly string[] } = {
  reason: ["unauthenticated", "forbidden", "rate_limited", "quota_exceeded", "bad_request", "not_found"],
  dependency: ["ssm", "sts", "dynamodb", "jwks", "mantle"],
};

describe("the bundles' EMF lines carry exactly §14's metrics and dimensions, never a principal", () => {
  let lines: EmfLine[];
  let refreshLines: EmfLine[];

  beforeAll(async () => {
    // Many keys, each refused and served a few ways: the combinations must not grow with them.
    const admin = new KeyAdmin(ssmStore(fixture.ssm), DEFAULT_PARAMETER_PREFIX);
    const many = await Promise.all(Array.from({ length: 30 }, (_, i) => admin.create({ name: `many-${i}`, regions: ["us-west-2"] })));
    const [container] = await fleet(1, {}, Date.parse("2026-11-28T10:00:00Z"));
    if (container === undefined) throw new Error("no container");
    await at(Date.parse("2026-11-28T10:00:00Z"), [container]);
    for (const { key } of many) {
      await mint(container, key);
      await container.invoke(functionUrlEvent({ method: "POST", path: "/v1/tokens", key, body: '{"region":"eu-west-1"}' }));
      await container.invoke(functionUrlEvent({ method: "POST", path: "/v1/tokens", key, body: "{bad" }));
      await container.invoke(functionUrlEvent({ path: "/v1/nope", key }));
    }
    // The refresh function, across all 12 regions, two of them failing.
    fixture.emulator.setFailure("eu-south-1", "http500");
    fixture.emulator.setFailure("sa-east-1", "http500");
    const refresh = await Container.start(refreshBundle, env, Date.parse("2026-11-28T10:00:00Z"));
    try {
      // The refresh answers a summary, not a function-URL result: only its output matters here.
      await refresh.invoke(functionUrlEvent());
      refreshLines = emfLines(await refresh.settledStdout());
    } finally {
      fixture.emulator.setFailure("eu-south-1", null);
      fixture.emulator.setFailure("sa-east-1", null);
      await refresh.stop();
    }
    lines = [...outputs, ...(await Promise.all(containers.map((each) => each.settledStdout())))].flatMap(emfLines);
  });

  it("publishes only §14's metrics, in namespace MantleVend, each with its own dimension sets", () => {
    expect(lines.length).toBeGreaterThan(100);
    for (const line of [...lines, ...refreshLines]) {
      for (const directive of line._aws.CloudWatchMetrics) {
        expect(directive.Namespace).toBe("MantleVend");
        for (const metric of directive.Metrics) {
          expect(Object.keys(METRICS)).toContain(metric.Name);
          expect(directive.Dimensions).toEqual(METRICS[metric.Name]);
        }
      }
      expect(line["service"]).toBe("mantle-vend");
      if ("reason" in line) expect(DIMENSION_VALUES.reason).toContain(line["reason"]);
      if ("dependency" in line) expect(DIMENSION_VALUES.dependency).toContain(line["dependency"]);
    }
    const names = new Set(lines.flatMap((line) => line._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((metric) => metric.Name))));
    expect([...names].sort()).toEqual(["ColdStart", "DependencyErrors", "Refused", "ServerErrors", "TokensMinted"]);
  });

  it("keeps principals, key ids and policies in metadata, never in a dimension", () => {
    const refused = lines.filter((line) => "Refused" in line && line["principal"] !== undefined);
    expect(refused.length).toBeGreaterThan(30);
    for (const line of lines) {
      const dimensions = line._aws.CloudWatchMetrics.flatMap((directive) => directive.Dimensions.flat());
      expect(dimensions).not.toContain("principal");
      expect(dimensions).not.toContain("keyId");
      expect(dimensions).not.toContain("policy");
      for (const dimension of dimensions) expect(String(line[dimension])).not.toMatch(/^key:|^identity:|^[0-9a-f]{16}$/);
    }
    expect(refused[0]?.["principal"]).toMatch(/^key:[0-9a-f]{16}$/);
    expect(refused[0]?.["keyId"]).toMatch(/^[0-9a-f]{16}$/);
  });

  it("the refresh function publishes each region's catalog age and failures", () => {
    const ages = refreshLines.filter((line) => "CatalogAgeSeconds" in line);
    const failures = refreshLines.filter((line) => "CatalogRefreshFailures" in line);
    expect(failures.map((line) => line["region"]).sort()).toHaveLength(12);
    expect(failures.filter((line) => line["CatalogRefreshFailures"] === 1).map((line) => line["region"]).sort()).toEqual(["eu-south-1", "sa-east-1"]);
    // The failing regions were never stored, so their age is unknown: the ten others report theirs.
    expect(ages.map((line) => line["region"]).sort()).toHaveLength(10);
    for (const line of ages) expect(line["CatalogAgeSeconds"]).toBe(0);
    expect(refreshLines.some((line) => "ColdStart" in line)).toBe(true);
  });

  it("makes at most 40 metric and dimension combinations for 12 regions, whatever the number of keys", () => {
    const combinations = new Set<string>();
    for (const line of [...lines, ...refreshLines]) {
      for (const directive of line._aws.CloudWatchMetrics) {
        for (const metric of directive.Metrics) {
          for (const set of directive.Dimensions) combinations.add(JSON.stringify([metric.Name, ...set.map((name) => `${name}=${String(line[name])}`)]));
        }
      }
    }
    // Everything that could ever be published: every reason and dependency, every region's age and failures.
    const possible = 1 + DIMENSION_VALUES.reason.length + 1 + DIMENSION_VALUES.dependency.length + (12 + 1) + 12 + 1;
    expect(combinations.size).toBeLessThanOrEqual(possible);
    expect(possible).toBeLessThanOrEqual(40);
  });
});
