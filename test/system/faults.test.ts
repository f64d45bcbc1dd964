/**
 * Fault injection at every step of the service's life: key load at cold start, the key-version
 * poll and reload, token minting, the catalog read from SSM, the catalog write, the live fetch
 * from Mantle and the scheduled refresh. SSM faults come from the wire fake (throttling, 5xx,
 * a dropped connection, and a request held until the SDK times it out); Mantle faults from the
 * emulator. Each test names the degraded behaviour it expects, then checks that no key, token or
 * catalog was lost or corrupted: stored parameters are compared byte for byte, and a catalog
 * served before a fault is served after it.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { SSMClient } from "@aws-sdk/client-ssm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import { CatalogStore } from "../../lambda/catalog/store.js";
import type { Catalog } from "../../lambda/catalog/models.js";
import { DependencyUnavailableError } from "../../lambda/errors.js";
import { DEFAULT_REQUEST_DEADLINE_MS } from "../../lambda/config.js";
import { SsmParameterStore } from "../../lambda/store/ssm.js";
import type { CredentialSource } from "../../lambda/tokens/mint.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/events.js";
import { EMULATOR_CREDENTIALS, verifyBearerToken, type MantleEmulator, type EmulatorModel, type FailureMode } from "../../lambda/local/mantle-emulator.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { startFixture } from "../support/fixture.js";
import { bundleEnv, synthesizeBundle } from "../support/bundle.js";
import { ManualClock } from "../support/clock.js";
import { FakeTime, tracked } from "../support/fake-time.js";
import { functionUrlEvent } from "../support/events.js";
import { deadlineOnHold, startService, type TestService } from "../support/service.js";
import { FakeTimeoutHandler, ssmStore, timingOutSsmClient } from "../support/ssm.js";
import { parameterPaths } from "../../lambda/store/index.js";

const PREFIX = "/mantle-vend";
const REGION = "us-west-2";
/** Short enough that twice the TTL stays inside the key cache's 900 s maximum age. */
const TTL_SECONDS = 300;
/** Never reached on a real clock: a held live fetch times out when the emulator holds it. */
const UPSTREAM_TIMEOUT_MS = 300;
/** Keys in SSM: more than one GetParametersByPath page (10). */
const KEY_COUNT = 15;
/** What a key load lists, page by page (the identity policies are listed beside it, in parallel). */
const KEYS_PATH = parameterPaths(PREFIX).keys;

type SsmFault = "throttle" | "5xx" | "timeout" | "down";
const SSM_FAULTS: SsmFault[] = ["throttle", "5xx", "timeout", "down"];
const MANTLE_FAULTS: FailureMode[] = ["http500", "timeout", "garbage", "not-list", "non-utf8", "oversized", "slow"];

let fixture: Awaited<ReturnType<typeof startFixture>>;
let ssm: SsmFake;
let emulator: MantleEmulator;
let services: TestService[];
let clients: SSMClient[];
/** The live fetches' deadline: it passes when the emulator holds a request. */
let upstreamTimer: (ms: number) => AbortSignal;
/** Every key in SSM; `key` is the first. */
let allKeys: string[];
let key: string;

beforeEach(async () => {
  // Fresh fakes per test: faults and call counts never leak from one test to the next.
  fixture = await startFixture({ ssm: true, emulator: true });
  ({ ssm, emulator } = fixture);
  services = [];
  clients = [];
  upstreamTimer = deadlineOnHold(emulator);
  const admin = new KeyAdmin(ssmStore(ssm), PREFIX);
  allKeys = [];
  for (let i = 0; i < KEY_COUNT; i++) allKeys.push((await admin.create({ name: `faults-${i}` })).key);
  key = allKeys[0] as string;
  ssm.resetCalls();
});

afterEach(async () => {
  ssm.clearFaults();
  emulator.setFailure(REGION, null);
  for (const service of services) {
    await service.settle();
    await service.close();
  }
  for (const client of clients) client.destroy();
  await fixture.close();
});

// ---------------------------------------------------------------- helpers

function inject(fault: SsmFault, action?: string, times?: number, path?: string): void {
  if (fault === "timeout") ssm.inject({ kind: "hang", action, times, path });
  else ssm.inject({ kind: fault, action, times, path });
}

/** Lets the next `count` calls of `action` through untouched, so that a fault injected after it hits a later call. */
function passThrough(action: string, count: number, path?: string): void {
  if (count > 0) ssm.inject({ kind: "pass", action, times: count, path });
}

/**
 * The store a container uses. The timeout cases need an SDK that gives up: the test services'
 * default client has no request timeout and would wait on a held request for ever. Their client
 * times a request out the moment the fake holds it, so no test waits on a real timer.
 */
function storeFor(fault?: SsmFault, handler?: FakeTimeoutHandler): SsmParameterStore {
  if (fault !== "timeout") return ssmStore(ssm);
  const client = timingOutSsmClient(ssm, handler);
  clients.push(client);
  return new SsmParameterStore(client);
}

/** A fresh container: its own memory, the shared SSM fake and emulator. */
async function container(options: { fault?: SsmFault; handler?: FakeTimeoutHandler; clock?: ManualClock; credentials?: CredentialSource } = {}): Promise<TestService> {
  const service = await startService({
    emulator,
    store: storeFor(options.fault, options.handler),
    pollIntervalMs: 60_000,
    upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
    upstreamTimeoutSignal: upstreamTimer,
    env: { MANTLE_VEND_CATALOG_TTL_SECONDS: String(TTL_SECONDS), MANTLE_VEND_RATE_LIMIT_BURST: "100000" },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  services.push(service);
  return service;
}

/** Runs one request, then waits for any key poll it started in the background. */
async function call(service: TestService, init: Parameters<typeof functionUrlEvent>[0]): Promise<FunctionUrlResult> {
  const result = await service.api(functionUrlEvent(init));
  await service.settle();
  return result;
}

const mint = (service: TestService, withKey = key, body?: string): Promise<FunctionUrlResult> =>
  call(service, { method: "POST", path: "/v1/tokens", key: withKey, ...(body === undefined ? {} : { body }) });
const regions = (service: TestService, withKey = key): Promise<FunctionUrlResult> => call(service, { path: "/v1/regions", key: withKey });
const models = (service: TestService, region = REGION): Promise<FunctionUrlResult> => call(service, { path: "/v1/models", query: `region=${region}`, key });
const healthz = (service: TestService): Promise<FunctionUrlResult> => call(service, { path: "/healthz" });

interface TokenAnswer {
  token: string;
  region: string;
  expiresAt: string;
}

interface CatalogAnswer {
  region: string;
  checkedAt: string;
  changedAt: string;
  stale: boolean;
  models: Array<{ id: string; name: string; ownedBy: string | null; created: number | null; reasoning: boolean }>;
}

/** A served model as the store keeps it: Mantle's fields, without the routes and limits added on serving. */
const asStored = (models: CatalogAnswer["models"]) => models.map(({ id, name, ownedBy, created, reasoning }) => ({ id, name, ownedBy, created, reasoning }));

/** A 200 token answer whose token the emulator accepts in its region until expiresAt. */
async function expectWorkingToken(result: FunctionUrlResult): Promise<TokenAnswer> {
  expect(result.statusCode, result.body).toBe(200);
  const answer = JSON.parse(result.body) as TokenAnswer;
  const verified = await verifyBearerToken(answer.token, { region: answer.region, nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] });
  expect(verified).toMatchObject({ ok: true });
  if (verified.ok) expect(verified.expiresAt.toISOString()).toBe(answer.expiresAt);
  return answer;
}

function expectEnvelope(result: FunctionUrlResult, status: number, code: string): void {
  expect(result.statusCode, result.body).toBe(status);
  expect(JSON.parse(result.body)).toEqual({ error: { code, message: expect.any(String), requestId: result.headers["x-request-id"] } });
  expect(result.body).not.toMatch(/bedrock-api-key-|mvk_|\bat \S+ \(|\.(?:ts|mjs):\d/);
}

function catalogOf(result: FunctionUrlResult): CatalogAnswer {
  expect(result.statusCode, result.body).toBe(200);
  return JSON.parse(result.body) as CatalogAnswer;
}

/** Every stored parameter under `under`, name → value. */
function snapshot(under: string): Record<string, string | undefined> {
  return Object.fromEntries(ssm.names(under).map((name) => [name, ssm.value(name)]));
}
const keyParameters = (): Record<string, string | undefined> => ({ ...snapshot(`${PREFIX}/keys/`), version: ssm.value(`${PREFIX}/keys-version`) });
const catalogParameters = (region = REGION): Record<string, string | undefined> => snapshot(`${PREFIX}/catalogs/${region}`);

/** The region's stored catalog as any reader sees it (throws when it is inconsistent), through a healthy client. */
function readStored(region = REGION): Promise<Catalog | undefined> {
  return new CatalogStore(ssmStore(ssm), parameterPaths(PREFIX), { retryDelayMs: 0 }).read(region);
}

/** Every key still authenticates. */
async function expectAllKeysWork(service: TestService): Promise<void> {
  for (const each of allKeys) expect((await regions(service, each)).statusCode).toBe(200);
}

/** Model lists with enough random ids to need several 4,096-character shards. */
function bigCatalog(count: number, tag: string): EmulatorModel[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `vendor${i % 17}.${tag}-model-${randomBytes(10).toString("hex")}-${i}`,
    created: 1_750_000_000 + i,
    owned_by: `vendor${i % 17}`,
  }));
}

const indexOf = (region = REGION): { parts: number } => JSON.parse(ssm.value(`${PREFIX}/catalogs/${region}`) ?? "null") as { parts: number };

/**
 * A container that served `region`'s catalog once (fetched live and stored), with the emulator
 * then told to answer a different catalog, so that the next refresh rewrites the shards.
 */
async function storedCatalog(options: { fault?: SsmFault; before?: EmulatorModel[]; after?: EmulatorModel[] } = {}) {
  if (options.before !== undefined) emulator.setCatalog(REGION, options.before);
  const service = await container(options.fault === undefined ? {} : { fault: options.fault });
  const first = await models(service);
  const served = catalogOf(first);
  const etag = first.headers.etag;
  const stored = catalogParameters();
  expect(await readStored()).toMatchObject({ models: asStored(served.models) });
  if (options.after !== undefined) emulator.setCatalog(REGION, options.after);
  ssm.resetCalls();
  emulator.resetCalls();
  return { service, served, etag, stored };
}

// ================================================================ key load (cold start)

describe("a cold start that cannot load the keys fails closed with 503, keeps healthz up, and loses no key", () => {
  it.each(SSM_FAULTS)("%s on the keys-version read: 503 unavailable, then every key works once SSM answers", async (fault) => {
    const before = keyParameters();
    inject(fault, "GetParameter");
    const cold = await container({ fault });
    // A held request never ends by itself: an answer at all means the SDK's timeout let go of it.
    expectEnvelope(await mint(cold), 503, "unavailable");
    if (fault === "timeout") expect(ssm.calls.find((c) => c.action === "GetParameter")?.status).toBe(0);
    expect((await healthz(cold)).statusCode).toBe(200);
    ssm.clearFaults();
    cold.clock.advanceSeconds(6); // past the retry backoff
    await expectWorkingToken(await mint(cold));
    await expectAllKeysWork(cold);
    expect(keyParameters()).toEqual(before);
  });

  it.each(SSM_FAULTS)("%s on the first GetParametersByPath page: 503 unavailable, then every key works", async (fault) => {
    const before = keyParameters();
    inject(fault, "GetParametersByPath", undefined, KEYS_PATH);
    const cold = await container({ fault });
    expectEnvelope(await mint(cold), 503, "unavailable");
    ssm.clearFaults();
    cold.clock.advanceSeconds(6);
    await expectAllKeysWork(cold);
    expect(keyParameters()).toEqual(before);
  });

  it.each(SSM_FAULTS)("%s on the second GetParametersByPath page: no key of the first page is served from a partial load", async (fault) => {
    passThrough("GetParametersByPath", 1, KEYS_PATH);
    inject(fault, "GetParametersByPath", undefined, KEYS_PATH);
    const cold = await container({ fault });
    for (const each of allKeys) expectEnvelope(await regions(cold, each), 503, "unavailable");
    expect(ssm.count("GetParametersByPath", KEYS_PATH)).toBe(2);
    ssm.clearFaults();
    cold.clock.advanceSeconds(6);
    await expectAllKeysWork(cold);
  });

  it("during the retry backoff after a failed cold-start load, requests fail fast without calling SSM again", async () => {
    inject("throttle");
    const cold = await container();
    expectEnvelope(await mint(cold), 503, "unavailable");
    const calls = ssm.calls.length;
    for (let i = 0; i < 10; i++) expectEnvelope(await mint(cold), 503, "unavailable");
    expect(ssm.calls.length).toBe(calls);
  });
});

// ================================================================ key poll

describe("a failing key-version poll keeps serving the cached keys and retries at the next interval, not per request", () => {
  it.each(SSM_FAULTS)("%s on the poll", async (fault) => {
    const service = await container({ fault });
    await expectWorkingToken(await mint(service)); // cold start: keys loaded
    const before = keyParameters();
    ssm.resetCalls();
    inject(fault, "GetParameter");

    service.clock.advanceSeconds(61);
    await expectWorkingToken(await mint(service)); // starts the poll, answers from memory
    expect(ssm.count("GetParameter")).toBe(1);
    for (let i = 0; i < 5; i++) {
      service.clock.advanceSeconds(5);
      await expectWorkingToken(await mint(service));
    }
    expect(ssm.count("GetParameter")).toBe(1); // no retry storm inside the interval
    service.clock.advanceSeconds(61);
    await expectWorkingToken(await mint(service));
    expect(ssm.count("GetParameter")).toBe(2); // retried at the next interval
    expect(ssm.count("GetParametersByPath")).toBe(0);

    ssm.clearFaults();
    const revoked = allKeys[1] as string;
    await new KeyAdmin(ssmStore(ssm), PREFIX).revoke(keyIdOf(revoked));
    service.clock.advanceSeconds(61);
    await mint(service);
    expectEnvelope(await regions(service, revoked), 401, "unauthorized"); // polling works again
    for (const each of allKeys.filter((k) => k !== revoked)) expect((await regions(service, each)).statusCode).toBe(200);
    // Only the revoked key's record changed; every other key is stored exactly as before.
    expect(withoutKey(keyParameters(), keyIdOf(revoked))).toEqual(withoutKey(before, keyIdOf(revoked)));
  });

  it("a hung poll (held until the SDK times out) never delays a request", async () => {
    // The test, not the fake, decides when the held poll times out: the request is answered first.
    const handler = new FakeTimeoutHandler(ssm, true);
    const service = await container({ fault: "timeout", handler });
    await expectWorkingToken(await mint(service));
    inject("timeout", "GetParameter");
    service.clock.advanceSeconds(61);
    const result = await service.api(functionUrlEvent({ method: "POST", path: "/v1/tokens", key }));
    let pollDone = false;
    void service.settle().then(() => {
      pollDone = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(pollDone).toBe(false); // answered while the poll it started was still waiting on SSM
    await expectWorkingToken(result);
    await handler.whenHeld();
    expect(pollDone).toBe(false);
    handler.expire();
    await service.settle();
    expect(pollDone).toBe(true);
    expect(ssm.calls.filter((c) => c.action === "GetParameter").at(-1)?.status).toBe(0); // the SDK gave up on it
    await expectWorkingToken(await mint(service));
  });
});

describe("a failing reload after a keys-version change keeps the previous key set and reloads at the next poll", () => {
  it.each(SSM_FAULTS)("%s on GetParametersByPath", async (fault) => {
    const service = await container({ fault });
    await expectWorkingToken(await mint(service));
    const admin = new KeyAdmin(ssmStore(ssm), PREFIX);
    const added = (await admin.create({ name: "added" })).key;
    const revoked = allKeys[2] as string;
    await admin.revoke(keyIdOf(revoked));
    const stored = keyParameters();
    ssm.resetCalls();
    inject(fault, "GetParametersByPath", undefined, KEYS_PATH);

    service.clock.advanceSeconds(61);
    await expectWorkingToken(await mint(service));
    expect(ssm.count("GetParametersByPath", KEYS_PATH)).toBe(1);
    // The previous set, whole: the revocation and the new key are not seen yet, no key is lost.
    expect((await regions(service, revoked)).statusCode).toBe(200);
    expectEnvelope(await regions(service, added), 401, "unauthorized");
    await expectAllKeysWork(service);

    ssm.clearFaults();
    service.clock.advanceSeconds(61);
    await mint(service);
    // The failed page, then both pages of the reload: the version seen by the failed poll did not hide it.
    expect(ssm.count("GetParametersByPath", KEYS_PATH)).toBe(3);
    expect((await regions(service, added)).statusCode).toBe(200);
    expectEnvelope(await regions(service, revoked), 401, "unauthorized");
    expect(keyParameters()).toEqual(stored);
  });
});

describe("an SSM outage longer than the key cache's maximum age fails closed with 503, then recovers by itself", () => {
  it.each(SSM_FAULTS)("%s for 902 s", async (fault) => {
    const service = await container({ fault });
    await expectWorkingToken(await mint(service));
    const before = keyParameters();
    inject(fault);
    for (let second = 60; second <= 900; second += 60) {
      service.clock.advanceSeconds(60);
      await expectWorkingToken(await mint(service));
    }
    service.clock.advanceSeconds(2);
    expectEnvelope(await mint(service), 503, "unavailable");
    expectEnvelope(await regions(service), 503, "unavailable");
    expect((await healthz(service)).statusCode).toBe(200);
    ssm.clearFaults();
    service.clock.advanceSeconds(6);
    await expectWorkingToken(await mint(service));
    await expectAllKeysWork(service);
    expect(keyParameters()).toEqual(before);
  });
});

// ================================================================ token minting

describe("minting makes no network call: tokens keep minting through any SSM or Mantle fault", () => {
  it.each(SSM_FAULTS)("%s on every SSM action and every Mantle region failing", async (fault) => {
    const service = await container({ fault });
    const earlier = await expectWorkingToken(await mint(service));
    inject(fault);
    for (const region of ["us-east-1", REGION, "eu-west-1"]) emulator.setFailure(region, "http500");
    ssm.resetCalls();
    for (const region of ["us-east-1", REGION, "eu-west-1"]) {
      const minted = await expectWorkingToken(await mint(service, key, JSON.stringify({ region, ttlSeconds: 900 })));
      expect(minted.region).toBe(region);
    }
    expect(ssm.calls).toHaveLength(0);
    expect(emulator.count()).toBe(0);
    // A token minted before the fault is as good as before.
    const verified = await verifyBearerToken(earlier.token, { region: earlier.region, nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] });
    expect(verified.ok).toBe(true);
  });
});

describe("failing signing credentials answer 503 for tokens and cold catalogs, and nothing else breaks", () => {
  let credentialsDown: boolean;
  /** What defaultCredentialSource throws when the credential chain fails. */
  const flaky: CredentialSource = async () => {
    if (credentialsDown) throw new DependencyUnavailableError("signing credentials are unavailable");
    return EMULATOR_CREDENTIALS;
  };
  beforeEach(() => {
    credentialsDown = false;
  });

  it("a token request answers 503 unavailable without a token, and mints again once the credentials return", async () => {
    const service = await container({ credentials: flaky });
    await expectWorkingToken(await mint(service));
    credentialsDown = true;
    expectEnvelope(await mint(service), 503, "unavailable");
    credentialsDown = false;
    await expectWorkingToken(await mint(service));
  });

  it("regions and an already served catalog keep answering 200 while the credentials fail", async () => {
    const service = await container({ credentials: flaky });
    const before = catalogOf(await models(service));
    credentialsDown = true;
    expect((await regions(service)).statusCode).toBe(200);
    expect(catalogOf(await models(service)).models).toEqual(before.models);
  });

  it("a never-fetched region with no stored catalog answers 503 (not 502), and nothing is written to SSM", async () => {
    const service = await container({ credentials: flaky });
    await regions(service);
    credentialsDown = true;
    expectEnvelope(await models(service), 503, "unavailable");
    expect(emulator.count()).toBe(0);
    expect(catalogParameters()).toEqual({});
  });

  it("a region stored in SSM by another container is served from SSM while this container's credentials fail", async () => {
    const { served } = await storedCatalog();
    const cold = await container({ credentials: flaky });
    await regions(cold);
    credentialsDown = true;
    expect(catalogOf(await models(cold)).models).toEqual(served.models);
    expect(emulator.count()).toBe(0);
  });
});

// ================================================================ catalog read from SSM

/** Each SSM fault on each call of a catalog read: the index (GetParameter), the shards (GetParameters). */
const CATALOG_READ_FAULTS = SSM_FAULTS.flatMap((fault) => [
  [fault, "GetParameter"],
  [fault, "GetParameters"],
]) as Array<[SsmFault, string]>;

describe("a cold container that cannot read the stored catalog serves Mantle's live answer and leaves the stored copy untouched", () => {
  it.each(CATALOG_READ_FAULTS)("%s on %s", async (fault, action) => {
    const { stored } = await storedCatalog({ after: [{ id: "openai.gpt-oss-120b" }, { id: "zai.glm-4.6" }] });
    const cold = await container({ fault });
    await regions(cold); // keys loaded before the fault
    inject(fault, action);
    const served = catalogOf(await models(cold));
    expect(served.models.map((m) => m.id)).toEqual(["openai.gpt-oss-120b", "zai.glm-4.6"]);
    expect(served.stale).toBe(false);
    ssm.clearFaults();
    await ssm.idle();
    expect(catalogParameters()).toEqual(stored);
  });
});

describe("a due catalog whose SSM re-read fails keeps serving the held catalog, byte-identical, marked stale", () => {
  it.each(SSM_FAULTS)("%s on the re-read", async (fault) => {
    const { service, served, etag, stored } = await storedCatalog({ fault });
    inject(fault);
    service.clock.advanceSeconds(TTL_SECONDS + 1);
    const again = await models(service);
    const body = catalogOf(again);
    expect(body.models).toEqual(served.models);
    expect(body.checkedAt).toBe(served.checkedAt);
    expect(again.headers.etag).toBe(etag);
    expect(body.stale).toBe(true);
    expect(emulator.count()).toBe(0); // younger than twice the TTL: no live fetch
    ssm.clearFaults();
    await ssm.idle();
    expect(catalogParameters()).toEqual(stored);
  });
});

describe("a cold region where both SSM and Mantle fail answers 503 unavailable, and writes nothing", () => {
  it.each(SSM_FAULTS)("%s on SSM, http500 from Mantle", async (fault) => {
    const service = await container({ fault });
    await regions(service);
    inject(fault);
    emulator.setFailure(REGION, "http500");
    expectEnvelope(await models(service), 503, "unavailable");
    ssm.clearFaults();
    await ssm.idle();
    expect(catalogParameters()).toEqual({});
  });
});

// ================================================================ catalog write on the request path

describe("a failed catalog write on the request path still serves Mantle's answer and never leaves an index naming missing shards", () => {
  it.each(SSM_FAULTS)("%s on PutParameter", async (fault) => {
    const service = await container({ fault });
    await regions(service);
    inject(fault, "PutParameter");
    const served = catalogOf(await models(service));
    expect(served.models.length).toBeGreaterThan(0);
    ssm.clearFaults();
    await ssm.idle();
    // Either nothing readable was stored, or what was stored is whole.
    const stored = await readStored();
    if (stored !== undefined) expect(stored.models).toEqual(asStored(served.models));
    // The next refresh stores it, and another container then reads it from SSM.
    await service.catalogs.refresh(REGION);
    expect((await readStored())?.models).toEqual(asStored(served.models));
    emulator.setFailure(REGION, "http500");
    const other = await container({ clock: service.clock });
    expect(catalogOf(await models(other)).models).toEqual(served.models);
  });
});

// ================================================================ catalog write during a refresh

describe("a shard write that fails during a refresh leaves the previous catalog readable and byte-identical", () => {
  const cases = SSM_FAULTS.flatMap((fault) => [
    [fault, "first", 0],
    [fault, "second", 1],
    [fault, "last", 2],
  ]) as Array<[SsmFault, string, number]>;

  it.each(cases)("%s on the %s shard of a multi-shard catalog", async (fault, _, at) => {
    const { service, served, stored } = await storedCatalog({ fault, before: bigCatalog(500, "a"), after: bigCatalog(500, "b") });
    expect(indexOf().parts).toBeGreaterThanOrEqual(3);
    passThrough("PutParameter", at);
    inject(fault, "PutParameter", 1);
    await service.catalogs.refresh(REGION).catch(() => undefined); // how it is reported is checked below
    const other = await expectPreviousCatalogKept(service, served, stored);
    expect(catalogOf(await models(other)).models).toEqual(served.models);
  });
});

/**
 * After a refresh failed under a write fault: once SSM is healthy again, every catalog
 * parameter is byte-identical and reads as the previous models. Returns a fresh container
 * that must rely on SSM alone, since Mantle now fails.
 */
async function expectPreviousCatalogKept(
  service: TestService,
  served: CatalogAnswer,
  stored: Record<string, string | undefined>,
): Promise<TestService> {
  ssm.clearFaults();
  await ssm.idle();
  expect(catalogParameters()).toEqual(stored);
  expect((await readStored())?.models).toEqual(asStored(served.models));
  emulator.setFailure(REGION, "http500");
  return container({ clock: service.clock });
}

describe("a failed index write during a refresh leaves the previous catalog readable and byte-identical", () => {
  // The index put is the second PutParameter: the new (one-shard) catalog's shard 0, then its index.
  it.each(["throttle", "5xx", "down"] as SsmFault[])("%s on the index put (the write was not applied)", async (fault) => {
    const { service, served, stored } = await storedCatalog({ fault, after: [{ id: "openai.gpt-oss-120b" }] });
    passThrough("PutParameter", 1);
    inject(fault, "PutParameter", 1);
    await service.catalogs.refresh(REGION).catch(() => undefined);
    const other = await expectPreviousCatalogKept(service, served, stored);
    service.clock.advanceSeconds(2 * TTL_SECONDS + 1);
    const fallback = catalogOf(await models(other));
    expect(fallback.models).toEqual(served.models);
    expect(fallback.stale).toBe(true);
  });

  it("timeout on the index put (applied after the SDK gave up): the stored catalog is the new one, whole", async () => {
    const { service } = await storedCatalog({ fault: "timeout", after: [{ id: "openai.gpt-oss-120b" }] });
    passThrough("PutParameter", 1);
    inject("timeout", "PutParameter", 1);
    await service.catalogs.refresh(REGION).catch(() => undefined);
    ssm.clearFaults();
    await ssm.idle();
    expect((await readStored())?.models.map((m) => m.id)).toEqual(["openai.gpt-oss-120b"]);
  });
});

describe("an index-only rewrite (models unchanged) that fails leaves the stored catalog byte-identical", () => {
  it.each(SSM_FAULTS)("%s on the index put", async (fault) => {
    const { service, served, stored } = await storedCatalog({ fault });
    service.clock.advanceSeconds(TTL_SECONDS + 1);
    inject(fault, "PutParameter", 1);
    await service.catalogs.refresh(REGION).catch(() => undefined);
    expect(emulator.count({ region: REGION, path: "/v1/models" })).toBe(1);
    ssm.clearFaults();
    await ssm.idle();
    if (fault === "timeout") {
      // Applied after the SDK gave up: only checkedAt moved.
      expect((await readStored())?.models).toEqual(asStored(served.models));
    } else {
      expect(catalogParameters()).toEqual(stored);
    }
  });
});

describe("a failed delete of leftover shards after a shrinking refresh leaves the new catalog readable", () => {
  it.each(SSM_FAULTS)("%s on DeleteParameter", async (fault) => {
    const { service } = await storedCatalog({ fault, before: bigCatalog(500, "a"), after: [{ id: "openai.gpt-oss-120b" }, { id: "zai.glm-4.6" }] });
    inject(fault, "DeleteParameter");
    await service.catalogs.refresh(REGION).catch(() => undefined);
    ssm.clearFaults();
    await ssm.idle();
    expect((await readStored())?.models.map((m) => m.id)).toEqual(["openai.gpt-oss-120b", "zai.glm-4.6"]);
    const other = await container({ clock: service.clock });
    expect(catalogOf(await models(other)).models.map((m) => m.id)).toEqual(["openai.gpt-oss-120b", "zai.glm-4.6"]);
  });
});

describe("a scheduled refresh whose catalog cannot be stored is reported as failed, so the refresh summary and its alarm see it", () => {
  it.each(SSM_FAULTS)("%s on PutParameter: refresh(region) rejects", async (fault) => {
    const { service } = await storedCatalog({ fault, after: [{ id: "openai.gpt-oss-120b" }] });
    inject(fault, "PutParameter");
    await expect(service.catalogs.refresh(REGION)).rejects.toThrow();
  });
});

// ================================================================ live fetch from Mantle

describe("a failing Mantle never replaces a good catalog: the last one is served as stale, byte-identical, and SSM is untouched", () => {
  it.each(MANTLE_FAULTS)("%s from Mantle once the stored copy is older than twice the TTL", async (mode) => {
    const { service, served, etag, stored } = await storedCatalog();
    emulator.setFailure(REGION, mode);
    service.clock.advanceSeconds(2 * TTL_SECONDS + 1);
    const again = await models(service);
    const body = catalogOf(again);
    expect(emulator.count({ region: REGION, path: "/v1/models" })).toBe(1);
    expect(body.models).toEqual(served.models);
    expect(body.checkedAt).toBe(served.checkedAt);
    expect(body.stale).toBe(true);
    expect(again.headers.etag).toBe(etag);
    expect(catalogParameters()).toEqual(stored);
    // A fresh container, with Mantle still failing, serves the same catalog from SSM.
    const other = await container({ clock: service.clock });
    expect(catalogOf(await models(other)).models).toEqual(served.models);
  });

});

describe("a failing Mantle answers 502 upstream_error only for a region never fetched, and stores nothing", () => {
  it.each(MANTLE_FAULTS)("%s from Mantle on a region never fetched", async (mode) => {
    const service = await container();
    await regions(service);
    emulator.setFailure(REGION, mode);
    expectEnvelope(await models(service), 502, "upstream_error");
    expect(catalogParameters()).toEqual({});
  });
});

// ================================================================ scheduled refresh

describe("a scheduled refresh against a failing Mantle fails, writes nothing, and the previous catalog keeps serving", () => {
  it.each(MANTLE_FAULTS)("%s from Mantle", async (mode) => {
    const { service, served, stored } = await storedCatalog();
    emulator.setFailure(REGION, mode);
    service.clock.advanceSeconds(TTL_SECONDS + 1);
    await expect(service.catalogs.refresh(REGION)).rejects.toThrow();
    expect(ssm.count("PutParameter")).toBe(0);
    expect(catalogParameters()).toEqual(stored);
    const body = catalogOf(await models(service));
    expect(body.models).toEqual(served.models);
    expect(body.stale).toBe(true);
  });
});

describe("a scheduled refresh that cannot read the stored catalog fails and leaves it byte-identical", () => {
  it.each(CATALOG_READ_FAULTS)("%s on %s", async (fault, action) => {
    const { service, served, stored } = await storedCatalog({ fault, after: [{ id: "openai.gpt-oss-120b" }] });
    inject(fault, action);
    await expect(service.catalogs.refresh(REGION)).rejects.toThrow();
    ssm.clearFaults();
    await ssm.idle();
    expect(catalogParameters()).toEqual(stored);
    expect((await readStored())?.models).toEqual(asStored(served.models));
  });
});

describe("a scheduled refresh after SSM recovers stores Mantle's current catalog whole", () => {
  it.each(SSM_FAULTS)("after %s on PutParameter", async (fault) => {
    const { service } = await storedCatalog({ fault, before: bigCatalog(500, "a"), after: bigCatalog(300, "c") });
    inject(fault, "PutParameter", 2);
    await service.catalogs.refresh(REGION).catch(() => undefined);
    ssm.clearFaults();
    await ssm.idle();
    await service.catalogs.refresh(REGION);
    const stored = await readStored();
    expect(stored?.models).toHaveLength(300);
    expect(stored?.models.every((m) => m.id.includes(".c-model-"))).toBe(true);
  });
});

// ================================================================ token minting in attribution mode (the bundle)

describe("in attribution mode a hung STS AssumeRole answers 503 within the request deadline", () => {
  it("the bundled API answers a token request with 503 unavailable before its deadline while STS never answers", async () => {
    const { apiBundle } = await synthesizeBundle({ perKeyAttribution: true });
    // Accepts requests and never answers: what a hung regional STS endpoint looks like.
    const asked: string[] = [];
    const hung = createServer((request) => asked.push(`${request.method} ${request.url}`));
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    const saved = new Map(["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_STS", "MANTLE_VEND_MANTLE_ENDPOINT", "MANTLE_VEND_TOKEN_ROLE_ARN", "MANTLE_VEND_REQUEST_DEADLINE_MS"].map((name) => [name, process.env[name]]));
    try {
      for (const name of ["AWS_SESSION_TOKEN", "AWS_PROFILE", "MANTLE_VEND_REQUEST_DEADLINE_MS"]) delete process.env[name];
      Object.assign(process.env, {
        ...bundleEnv({
          ssmUrl: ssm.url,
          mantleEndpoint: emulator.endpointTemplate,
          stsUrl: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`,
        }),
        MANTLE_VEND_TOKEN_ROLE_ARN: "arn:aws:iam::123456789012:role/mantle-vend-token",
      });
      const { handler } = (await import(pathToFileURL(apiBundle).href)) as { handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult> };
      // The keys load on a route that needs no STS, so what follows is the token path alone.
      expect((await handler(functionUrlEvent({ path: "/v1/regions", key }))).statusCode).toBe(200);
      // The SDK's request timeouts and retry pause run on fake time: the default 8 s deadline passes in no real time.
      const time = FakeTime.install();
      try {
        const started = Date.now();
        const pending = tracked(handler(functionUrlEvent({ method: "POST", path: "/v1/tokens", key })));
        await time.settle(() => asked.length === 1);
        await time.advance(() => asked.length === 2 || pending.settled());
        expect(asked, "the SDK retried once after timing out the first AssumeRole").toHaveLength(2);
        await time.advance(() => pending.settled());
        expectEnvelope(await pending.promise, 503, "unavailable");
        expect(Date.now() - started, "the token request outlived its deadline").toBeLessThan(DEFAULT_REQUEST_DEADLINE_MS);
      } finally {
        time.restore();
      }
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      hung.closeAllConnections();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });
});

// ---------------------------------------------------------------- small utilities

function keyIdOf(apiKey: string): string {
  return apiKey.split("_")[1] as string;
}

function withoutKey(parameters: Record<string, string | undefined>, keyId: string): Record<string, string | undefined> {
  const copy = { ...parameters };
  delete copy[`${PREFIX}/keys/${keyId}`];
  delete copy.version;
  return copy;
}
