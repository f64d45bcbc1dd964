import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config.js";
import { UnauthenticatedError } from "../../lambda/errors.js";
import { Grants, RateLimiter, stsName, type Authenticate, type Principal } from "../../lambda/grants/index.js";
import { NO_METRICS } from "../../lambda/metrics/index.js";
import { createApi, type Api } from "../../lambda/http/index.js";
import type { Log } from "../../lambda/logger.js";
import { EMULATOR_CREDENTIALS, MantleEmulator, verifyBearerToken } from "../../lambda/local/mantle-emulator.js";
import { createCatalogs } from "../../lambda/service.js";
import { FileParameterStore } from "../../lambda/store/index.js";
import { staticCredentialSource, TokenIssuer } from "../../lambda/tokens/index.js";
import { ManualClock } from "../support/clock.js";
import { functionUrlEvent } from "../support/events.js";

/**
 * http/ knows no kind of principal: whatever the authenticator resolves a credential to is served by
 * its grant. An identity (the identity issue's principal) is used here to prove it joins without a
 * change to the HTTP layer.
 */
const identity: Principal = {
  id: "identity:ci:repo:acme/app:ref:refs/heads/main",
  kind: "identity",
  name: "ci",
  grant: { regions: ["us-west-2"], maxTtlSeconds: 900, rateLimit: { perSecond: 1, burst: 4 } },
  session: { sessionName: stsName("mvo-ci-0123456789ab"), sourceIdentity: "mvo-ci-0123456789ab", attributedAs: "identity:ci:0123456789ab" },
  logFields: { policy: "ci", subject: "repo:acme/app:ref:refs/heads/main" },
};

const authenticate: Authenticate = async (credential) => {
  if (credential !== "a-workload-jwt") throw new UnauthenticatedError("missing or invalid credential");
  return identity;
};

let emulator: MantleEmulator;
let dir: string;
let api: Api;
const clock = new ManualClock();
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  emulator = await MantleEmulator.start();
  dir = await mkdtemp(join(tmpdir(), "mantle-vend-principals-"));
  const config = loadConfig({ MANTLE_VEND_MANTLE_ENDPOINT: emulator.endpointTemplate, MANTLE_VEND_REGIONS: "us-east-1,us-west-2" });
  const credentials = staticCredentialSource(EMULATOR_CREDENTIALS);
  const log: Log = {
    debug: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    info: (message, ...extra) => void logged.push({ message: String(message), ...extra.find((item) => typeof item === "object") }),
  };
  const store = new FileParameterStore(dir);
  const grants = new Grants(config, new RateLimiter(clock.now));
  api = createApi({
    config,
    authenticate,
    grants,
    tokens: new TokenIssuer(config, grants, credentials),
    metrics: NO_METRICS,
    catalogs: createCatalogs({ config, store, credentials, log, clock: clock.now }),
    clock: clock.now,
    log,
    version: "test",
  });
});

// Each test starts with a full bucket: the grant allows bursts of 4.
beforeEach(() => clock.advanceSeconds(10));

afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

const call = async (init: Parameters<typeof functionUrlEvent>[0]): Promise<{ status: number; json: Record<string, unknown> }> => {
  const result = await api(functionUrlEvent({ headers: { authorization: "Bearer a-workload-jwt" }, ...init }));
  return { status: result.statusCode, json: result.body === "" ? {} : (JSON.parse(result.body) as Record<string, unknown>) };
};

describe("any principal the authenticator resolves is served by its grant, with no change to http/", () => {
  it("mints a token in the grant's region, clamped to its TTL, that Mantle accepts", async () => {
    const { status, json } = await call({ method: "POST", path: "/v1/tokens", body: '{"ttlSeconds":3600}' });
    expect(status).toBe(200);
    expect(json).toMatchObject({ region: "us-west-2", expiresInSeconds: 900 });
    const verdict = await verifyBearerToken(json["token"] as string, { region: "us-west-2", nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] });
    expect(verdict.ok).toBe(true);
  });

  it("lists only the grant's regions and refuses another as this identity's", async () => {
    expect((await call({ path: "/v1/regions" })).json).toMatchObject({ defaultRegion: "us-west-2", regions: [{ region: "us-west-2" }] });
    const refused = await call({ method: "POST", path: "/v1/tokens", body: '{"region":"us-east-1"}' });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { message: "this identity may not use us-east-1; it may use: us-west-2" } });
  });

  it("logs the principal id and the principal's own fields on the request line", async () => {
    logged.length = 0;
    await call({ method: "POST", path: "/v1/tokens", body: '{"ttlSeconds":3600}' });
    const line = logged.find((entry) => entry["message"] === "request" && entry["status"] === 200);
    expect(line).toMatchObject({ principal: identity.id, policy: "ci", subject: "repo:acme/app:ref:refs/heads/main", region: "us-west-2", ttlSeconds: 900 });
  });

  it("holds the principal to its grant's rate limit, not the server's default", async () => {
    for (let i = 0; i < 4; i++) expect((await call({ path: "/v1/regions" })).status).toBe(200);
    expect((await call({ path: "/v1/regions" })).status).toBe(429);
  });

  it("answers an unknown credential 401 with the authenticator's message", async () => {
    const { status, json } = await call({ path: "/v1/regions", headers: { authorization: "Bearer something-else" } });
    expect(status).toBe(401);
    expect(json).toMatchObject({ error: { code: "unauthorized", message: "missing or invalid credential" } });
  });
});
