import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CatalogError, InconsistentCatalogError } from "../../lambda/catalog/errors.js";
import { parseUpstreamModels, type Catalog, type CatalogModel } from "../../lambda/catalog/models.js";
import { CatalogStore, SHARD_MAX_CHARS } from "../../lambda/catalog/store.js";
import { SsmParameterStore } from "../../lambda/store/ssm.js";
import type { Parameter, ParameterStore, PutOptions } from "../../lambda/store/types.js";
import { SsmFake } from "../fakes/ssm-fake.js";
import { parameterPaths, StoreUnavailableError } from "../../lambda/store/index.js";

process.env.AWS_EC2_METADATA_DISABLED = "true";

const REGION = "us-east-1";
const T0 = "2026-11-25T12:00:00.000Z";
const T1 = "2026-11-25T13:00:00.000Z";
const T2 = "2026-11-25T14:00:00.000Z";

let fake: SsmFake;
let client: SSMClient;
let ssm: SsmParameterStore;
let prefix: string;
let testNumber = 0;

beforeAll(async () => {
  fake = await SsmFake.start();
  client = new SSMClient({
    endpoint: fake.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  ssm = new SsmParameterStore(client);
});

afterAll(async () => {
  client.destroy();
  await fake.close();
});

beforeEach(() => {
  // A fresh prefix per test keeps tests independent while sharing one fake.
  testNumber += 1;
  prefix = `/mv-test-${testNumber}`;
  fake.resetCalls();
  fake.clearFaults();
});

// ---------------------------------------------------------------- helpers

const newStore = (store: ParameterStore = ssm): CatalogStore => new CatalogStore(store, parameterPaths(prefix), { retryDelayMs: 0 });
const indexName = (region = REGION): string => `${prefix}/catalogs/${region}`;
const shardName = (i: number, region = REGION): string => `${prefix}/catalogs/${region}/${i}`;
const catalog = (models: CatalogModel[], checkedAt = T0, changedAt = checkedAt): Catalog => ({ checkedAt, changedAt, models });

interface StoredIndex {
  v: number;
  checkedAt: string;
  changedAt: string;
  sha256: string;
  parts: number;
}

function storedIndex(region = REGION): StoredIndex {
  const raw = fake.value(indexName(region));
  if (raw === undefined) throw new Error("no index stored");
  return JSON.parse(raw) as StoredIndex;
}

function shardValues(region = REGION): string[] {
  return Array.from({ length: storedIndex(region).parts }, (_, i) => fake.value(shardName(i, region)) ?? "");
}

// Deterministic, so a failure reproduces.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct ids of 20–45 characters shaped like Mantle's, through the real parser. */
function realisticModels(count: number, seed: number): CatalogModel[] {
  const random = mulberry32(seed);
  const pick = (items: readonly string[]): string => items[Math.floor(random() * items.length)] ?? "x";
  const vendors = ["openai", "anthropic", "meta", "mistral", "deepseek", "qwen", "moonshotai", "google", "cohere", "amazon", "nvidia", "writer", "minimax", "zai"];
  const families = ["gpt-oss", "llama4", "devstral", "qwen3", "kimi-k2", "gemma-3", "command-r", "nova", "nemotron", "palmyra", "glm", "magistral"];
  const variants = ["instruct", "chat", "coder", "vision", "thinking", "base", "lite", "pro", "mini", "reasoning", "safeguard"];
  const ids = new Set<string>();
  while (ids.size < count) {
    let id = `${pick(vendors)}.${pick(families)}-${pick(variants)}-${1 + Math.floor(random() * 400)}b-v${1 + Math.floor(random() * 9)}`;
    if (random() < 0.5) id += `:${Math.floor(random() * 3)}`;
    if (id.length >= 20 && id.length <= 45) ids.add(id);
  }
  const data = [...ids].map((id) => ({
    id,
    object: "model",
    created: 1_600_000_000 + Math.floor(random() * 200_000_000),
    owned_by: id.slice(0, id.indexOf(".")),
  }));
  return parseUpstreamModels(new TextEncoder().encode(JSON.stringify({ object: "list", data })));
}

const EIGHT = realisticModels(8, 1);
const FIVE_HUNDRED = realisticModels(500, 2);
const OTHER_FIVE_HUNDRED = realisticModels(500, 3);

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected a rejection");
}

type Method = "get" | "getMany" | "getByPath" | "put" | "delete";

type When = "before" | "after";

/**
 * The real SSM store with hooks run before or after the n-th call of a method, so a
 * test can interleave a writer with a reader at an exact point instead of hoping for a
 * race. A hook that throws makes that call fail (after it was applied, for "after").
 */
class InterleavingStore implements ParameterStore {
  private readonly calls = new Map<Method, number>();
  private readonly hooks: Array<{ when: When; method: Method; call: number; run: () => Promise<void> }> = [];

  constructor(private readonly inner: ParameterStore) {}

  before(method: Method, call: number, run: () => Promise<void>): this {
    this.hooks.push({ when: "before", method, call, run });
    return this;
  }

  after(method: Method, call: number, run: () => Promise<void>): this {
    this.hooks.push({ when: "after", method, call, run });
    return this;
  }

  count(method: Method): number {
    return this.calls.get(method) ?? 0;
  }

  private async around<T>(method: Method, call: () => Promise<T>): Promise<T> {
    const n = this.count(method) + 1;
    this.calls.set(method, n);
    const due = (when: When) => this.hooks.filter((h) => h.when === when && h.method === method && h.call === n);
    for (const hook of due("before")) await hook.run();
    const result = await call();
    for (const hook of due("after")) await hook.run();
    return result;
  }

  get(name: string): Promise<string | undefined> {
    return this.around("get", () => this.inner.get(name));
  }

  getMany(names: readonly string[]): Promise<Parameter[]> {
    return this.around("getMany", () => this.inner.getMany(names));
  }

  getByPath(path: string): Promise<Parameter[]> {
    return this.around("getByPath", () => this.inner.getByPath(path));
  }

  put(name: string, value: string, options?: PutOptions): Promise<void> {
    return this.around("put", () => this.inner.put(name, value, options));
  }

  delete(name: string): Promise<void> {
    return this.around("delete", () => this.inner.delete(name));
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A write of `next` over `previous` that stops just before its second shard: shard 0
 * holds the new version while the other shards and the index still hold the old one.
 */
async function pausedWrite(next: Catalog, previous: Catalog): Promise<{ release: () => void; done: Promise<unknown> }> {
  const reached = deferred();
  const gate = deferred();
  const writer = new InterleavingStore(ssm).before("put", 2, async () => {
    reached.resolve();
    await gate.promise;
  });
  const done = newStore(writer).write(REGION, next, previous);
  await reached.promise;
  return { release: gate.resolve, done };
}

// ---------------------------------------------------------------- behaviours

describe("a catalog round-trips through SSM", () => {
  it.each([
    ["8 models", EIGHT],
    ["500 realistic models", FIVE_HUNDRED],
    ["an empty model list", [] as CatalogModel[]],
  ])("reads back %s exactly, with their times, through a fresh store", async (_label, models) => {
    await newStore().write(REGION, catalog(models, T1, T0));
    expect(await newStore().read(REGION)).toEqual({ checkedAt: T1, changedAt: T0, models });
  });

  it("keeps regions apart", async () => {
    const store = newStore();
    await store.write("us-east-1", catalog(EIGHT));
    await store.write("eu-west-1", catalog(FIVE_HUNDRED, T1));
    expect((await store.read("us-east-1"))?.models).toEqual(EIGHT);
    expect(await store.read("eu-west-1")).toEqual(catalog(FIVE_HUNDRED, T1));
  });

  it("returns the catalog as stored from write", async () => {
    const result = await newStore().write(REGION, catalog(EIGHT, T1, T0));
    expect(result).toEqual({ wroteShards: true, catalog: catalog(EIGHT, T1, T0) });
  });
});

describe("the stored layout follows docs/catalog.md", () => {
  it("stores the index at <prefix>/catalogs/<region> and shards at /0../n-1, nothing else", async () => {
    await new CatalogStore(ssm, parameterPaths(`${prefix}/`), { retryDelayMs: 0 }).write(REGION, catalog(FIVE_HUNDRED));
    const { parts } = storedIndex();
    expect(fake.names(`${prefix}/`)).toEqual([indexName(), ...Array.from({ length: parts }, (_, i) => shardName(i))].sort());
  });

  it("writes an index of exactly {v:1, checkedAt, changedAt, sha256, parts}", async () => {
    await newStore().write(REGION, catalog(EIGHT, T1, T0));
    const index = storedIndex();
    expect(Object.keys(index)).toEqual(["v", "checkedAt", "changedAt", "sha256", "parts"]);
    expect(index).toMatchObject({ v: 1, checkedAt: T1, changedAt: T0, parts: 1 });
  });

  it("shards are base64 gzip of the JSON {v:1, models}, and sha256 is the hex digest of that uncompressed JSON", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED));
    const payload = gunzipSync(Buffer.from(shardValues().join(""), "base64"));
    expect(createHash("sha256").update(payload).digest("hex")).toBe(storedIndex().sha256);
    expect(JSON.parse(payload.toString("utf8"))).toEqual({ v: 1, models: FIVE_HUNDRED });
  });

  it("rejects a region name that could escape its parameter path", async () => {
    const store = newStore();
    await expect(store.write("../keys", catalog(EIGHT))).rejects.toBeInstanceOf(CatalogError);
    await expect(store.read("us-east-1/0")).rejects.toBeInstanceOf(CatalogError);
    expect(fake.count()).toBe(0);
  });
});

describe("every stored value fits the Standard tier (4,096 characters)", () => {
  it("splits 500 models over several shards, each at most 4,096 characters", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED));
    const shards = shardValues();
    // More than one shard: unsharded, the fake (like SSM) would have refused the value.
    expect(shards.length).toBeGreaterThan(1);
    for (const name of fake.names(`${prefix}/`)) expect((fake.value(name) ?? "").length).toBeLessThanOrEqual(SHARD_MAX_CHARS);
    // Every shard but the last is full: no more parameters than needed.
    for (const shard of shards.slice(0, -1)) expect(shard.length).toBe(SHARD_MAX_CHARS);
  });

  it("makes one accepted PutParameter per shard plus one for the index", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED));
    const puts = fake.calls.filter((c) => c.action === "PutParameter");
    expect(puts).toHaveLength(storedIndex().parts + 1);
    expect(puts.every((c) => c.status === 200)).toBe(true);
  });
});

describe("a refresh with unchanged models rewrites only the index", () => {
  it("makes exactly one PutParameter, for the index, and no delete", async () => {
    const store = newStore();
    await store.write(REGION, catalog(FIVE_HUNDRED, T0));
    const previous = await store.read(REGION);
    const shardsBefore = shardValues();
    fake.resetCalls();

    const result = await store.write(REGION, catalog(FIVE_HUNDRED.map((m) => ({ ...m })), T1), previous);

    expect(result.wroteShards).toBe(false);
    expect(fake.calls.filter((c) => c.action === "PutParameter").map((c) => c.name)).toEqual([indexName()]);
    expect(fake.count("DeleteParameter")).toBe(0);
    expect(shardValues()).toEqual(shardsBefore);
  });

  it("moves checkedAt and keeps the stored changedAt, whatever changedAt the caller passed", async () => {
    const store = newStore();
    await store.write(REGION, catalog(EIGHT, T0));
    const previous = await store.read(REGION);
    const result = await store.write(REGION, catalog(EIGHT, T1, T1), previous);
    expect(result.catalog).toEqual(catalog(EIGHT, T1, T0));
    expect(await store.read(REGION)).toEqual(catalog(EIGHT, T1, T0));
  });

  it("writes every shard when there is no previous catalog to compare with", async () => {
    const store = newStore();
    await store.write(REGION, catalog(EIGHT, T0));
    fake.resetCalls();
    expect((await store.write(REGION, catalog(EIGHT, T1))).wroteShards).toBe(true);
    expect(fake.count("PutParameter")).toBe(2);
  });

  it("writes every shard when another writer changed the stored models since previous was read", async () => {
    const store = newStore();
    await store.write(REGION, catalog(FIVE_HUNDRED, T0));
    const previous = await store.read(REGION);
    await newStore().write(REGION, catalog(OTHER_FIVE_HUNDRED, T1));

    const result = await store.write(REGION, catalog(FIVE_HUNDRED, T2), previous);

    expect(result.wroteShards).toBe(true);
    expect(await store.read(REGION)).toEqual(catalog(FIVE_HUNDRED, T2));
  });
});

describe("a refresh with changed models writes shards, then the index, then deletes leftovers", () => {
  it("shrinking from 500 to 8 models: shard 0, the index, then deletes shards 1..n-1", async () => {
    const store = newStore();
    await store.write(REGION, catalog(FIVE_HUNDRED, T0));
    const oldParts = storedIndex().parts;
    const previous = await store.read(REGION);
    fake.resetCalls();

    const result = await store.write(REGION, catalog(EIGHT, T1), previous);

    const writes = fake.calls.filter((c) => c.action === "PutParameter" || c.action === "DeleteParameter");
    expect(writes.map((c) => `${c.action} ${c.name ?? ""}`)).toEqual([
      `PutParameter ${shardName(0)}`,
      `PutParameter ${indexName()}`,
      ...Array.from({ length: oldParts - 1 }, (_, i) => `DeleteParameter ${shardName(i + 1)}`),
    ]);
    expect(result.wroteShards).toBe(true);
    expect(fake.names(`${prefix}/`)).toEqual([indexName(), shardName(0)]);
  });

  it("growing from 8 to 500 models: every shard before the index, nothing deleted", async () => {
    const store = newStore();
    await store.write(REGION, catalog(EIGHT, T0));
    const previous = await store.read(REGION);
    fake.resetCalls();

    await store.write(REGION, catalog(FIVE_HUNDRED, T1), previous);

    const parts = storedIndex().parts;
    const writes = fake.calls.filter((c) => c.action === "PutParameter" || c.action === "DeleteParameter");
    expect(writes.map((c) => c.name)).toEqual([...Array.from({ length: parts }, (_, i) => shardName(i)), indexName()]);
  });

  it("records the new changedAt and checkedAt", async () => {
    const store = newStore();
    await store.write(REGION, catalog(EIGHT, T0));
    const previous = await store.read(REGION);
    const changed = EIGHT.map((m, i) => (i === 0 ? { ...m, created: (m.created ?? 0) + 1 } : m));

    await store.write(REGION, catalog(changed, T1), previous);

    expect(await store.read(REGION)).toEqual(catalog(changed, T1, T1));
  });

  it("deletes the leftovers of the stored version even when previous is not given", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED, T0));
    await newStore().write(REGION, catalog(EIGHT, T1));
    expect(fake.names(`${prefix}/`)).toEqual([indexName(), shardName(0)]);
  });
});

describe("a reader racing a writer retries once and then sees the new version", () => {
  it("index read before a write, shards read after it (sha mismatch): the retry returns the new catalog", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED, T0));
    const previous = await newStore().read(REGION);
    const reader = new InterleavingStore(ssm).before("getMany", 1, async () => {
      await newStore().write(REGION, catalog(OTHER_FIVE_HUNDRED, T1), previous);
    });

    expect(await newStore(reader).read(REGION)).toEqual(catalog(OTHER_FIVE_HUNDRED, T1));
    expect(reader.count("get")).toBe(2);
  });

  it("index read before a shrinking write, shards deleted meanwhile (missing shard): the retry returns the new catalog", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED, T0));
    const previous = await newStore().read(REGION);
    const reader = new InterleavingStore(ssm).before("getMany", 1, async () => {
      await newStore().write(REGION, catalog(EIGHT, T1), previous);
    });

    expect(await newStore(reader).read(REGION)).toEqual(catalog(EIGHT, T1));
    expect(reader.count("get")).toBe(2);
  });

  it("a writer caught between its shards (mixed versions) that finishes before the retry: the retry succeeds", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED, T0));
    const oldIndex = storedIndex();
    const previous = await newStore().read(REGION);
    const write = await pausedWrite(catalog(OTHER_FIVE_HUNDRED, T1), previous ?? catalog([]));
    // Really mixed: the index still names the old version, shard 0 already holds the new one.
    expect(storedIndex()).toEqual(oldIndex);
    const reader = new InterleavingStore(ssm).before("get", 2, async () => {
      write.release();
      await write.done;
    });

    expect(await newStore(reader).read(REGION)).toEqual(catalog(OTHER_FIVE_HUNDRED, T1));
    expect(reader.count("get")).toBe(2);
  });

  it("a writer still caught between its shards at the retry: the read fails, and succeeds once the write completes", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED, T0));
    const previous = await newStore().read(REGION);
    const write = await pausedWrite(catalog(OTHER_FIVE_HUNDRED, T1), previous ?? catalog([]));

    const error = await failure(newStore().read(REGION));
    expect(error).toBeInstanceOf(InconsistentCatalogError);
    expect(error).toBeInstanceOf(CatalogError);

    write.release();
    await write.done;
    expect(await newStore().read(REGION)).toEqual(catalog(OTHER_FIVE_HUNDRED, T1));
  });

  it("waits retryDelayMs before the retry, giving the writer time to finish", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED, T0));
    const previous = await newStore().read(REGION);
    const write = await pausedWrite(catalog(OTHER_FIVE_HUNDRED, T1), previous ?? catalog([]));
    const reader = new InterleavingStore(ssm);
    const slept: number[] = [];
    // The writer finishes only during the reader's pause between its two attempts.
    const sleep = async (ms: number): Promise<void> => {
      slept.push(ms);
      write.release();
      await write.done;
    };

    const read = new CatalogStore(reader, parameterPaths(prefix), { retryDelayMs: 300, sleep }).read(REGION);
    expect(await read).toEqual(catalog(OTHER_FIVE_HUNDRED, T1));
    expect(slept).toEqual([300]);
    expect(reader.count("get")).toBe(2);
  });
});

describe("a persistently inconsistent catalog fails after exactly one retry", () => {
  async function expectInconsistent(): Promise<void> {
    fake.resetCalls();
    const error = await failure(newStore().read(REGION));
    expect(error).toBeInstanceOf(InconsistentCatalogError);
    expect(error.message).toMatch(/after a retry/);
    expect(fake.calls.filter((c) => c.action === "GetParameter" && c.name === indexName())).toHaveLength(2);
  }

  it("a shard replaced by another version's shard", async () => {
    await newStore().write(REGION, catalog(OTHER_FIVE_HUNDRED));
    const foreign = fake.value(shardName(0)) ?? "";
    await newStore().write(REGION, catalog(FIVE_HUNDRED));
    fake.seed(shardName(0), foreign);
    await expectInconsistent();
  });

  it("a missing shard", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED));
    fake.delete(shardName(1));
    await expectInconsistent();
  });

  it("an index whose sha256 names other content", async () => {
    await newStore().write(REGION, catalog(EIGHT));
    fake.seed(indexName(), JSON.stringify({ ...storedIndex(), sha256: "0".repeat(64) }));
    await expectInconsistent();
  });

  it("shards that are not gzip", async () => {
    await newStore().write(REGION, catalog(EIGHT));
    fake.seed(shardName(0), Buffer.from("not gzip at all").toString("base64"));
    await expectInconsistent();
  });
});

describe("a corrupt index or payload is an error without a retry", () => {
  it.each([
    ["not JSON", "{oops"],
    ["another format version", JSON.stringify({ v: 2, checkedAt: T0, changedAt: T0, sha256: "0".repeat(64), parts: 1 })],
    ["zero parts", JSON.stringify({ v: 1, checkedAt: T0, changedAt: T0, sha256: "0".repeat(64), parts: 0 })],
    ["a bad time", JSON.stringify({ v: 1, checkedAt: "yesterday", changedAt: T0, sha256: "0".repeat(64), parts: 1 })],
  ])("an index that is %s", async (_label, raw) => {
    fake.seed(indexName(), raw);
    const error = await failure(newStore().read(REGION));
    expect(error).toBeInstanceOf(CatalogError);
    expect(error).not.toBeInstanceOf(InconsistentCatalogError);
    expect(fake.count("GetParameter")).toBe(1);
  });

  it("a payload whose sha256 matches but which is not a catalog", async () => {
    const payload = Buffer.from(JSON.stringify({ v: 1, models: [{ id: 5 }] }), "utf8");
    fake.seed(shardName(0), gzipSync(payload).toString("base64"));
    const sha256 = createHash("sha256").update(payload).digest("hex");
    fake.seed(indexName(), JSON.stringify({ v: 1, checkedAt: T0, changedAt: T0, sha256, parts: 1 }));

    const error = await failure(newStore().read(REGION));
    expect(error).toBeInstanceOf(CatalogError);
    expect(error).not.toBeInstanceOf(InconsistentCatalogError);
    expect(fake.count("GetParameter")).toBe(1);
  });

  it("a later write replaces a corrupt index", async () => {
    fake.seed(indexName(), "{oops");
    await newStore().write(REGION, catalog(EIGHT, T1));
    expect(await newStore().read(REGION)).toEqual(catalog(EIGHT, T1));
  });
});

describe("a region without an index has no catalog", () => {
  it("returns undefined after one GetParameter, reading no shard", async () => {
    expect(await newStore().read(REGION)).toBeUndefined();
    expect(fake.count("GetParameter")).toBe(1);
    expect(fake.count("GetParameters")).toBe(0);
  });

  it("returns undefined when only orphan shards exist (a first write that never reached its index)", async () => {
    fake.seed(shardName(0), "H4sIAAAAAAAAA6uuBQBDv6ajAgAAAA==");
    expect(await newStore().read(REGION)).toBeUndefined();
  });
});

describe("store failures propagate as the store's own error (the SDK's as its cause), never as a catalog error", () => {
  it("a throttled GetParameter rejects with StoreUnavailableError caused by the SDK's ThrottlingException", async () => {
    await newStore().write(REGION, catalog(EIGHT));
    fake.inject({ action: "GetParameter", kind: "throttle", times: 1 });
    const error = await failure(newStore().read(REGION));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error.cause as Error).name).toBe("ThrottlingException");
    expect(error).not.toBeInstanceOf(CatalogError);
  });

  it("a failed first shard write rejects and leaves the previous catalog readable", async () => {
    const store = newStore();
    await store.write(REGION, catalog(EIGHT, T0));
    const previous = await store.read(REGION);
    fake.inject({ action: "PutParameter", kind: "5xx", times: 1 });

    const error = await failure(store.write(REGION, catalog(FIVE_HUNDRED, T1), previous));

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error.cause as Error).name).toBe("InternalServerError");
    expect(await store.read(REGION)).toEqual(catalog(EIGHT, T0));
  });
});

describe("a write that fails part-way puts back the shards it overwrote", () => {
  it("shards 0 and 1 overwritten, shard 2 fails: the previous catalog still reads, without a retry", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED, T0));
    const before = shardValues();
    expect(before.length).toBeGreaterThan(2);
    const previous = await newStore().read(REGION);
    const writer = new InterleavingStore(ssm).before("put", 3, async () => {
      throw new Error("SSM went away");
    });

    const error = await failure(newStore(writer).write(REGION, catalog(OTHER_FIVE_HUNDRED, T1), previous));

    expect(error.message).toBe("SSM went away");
    expect(shardValues()).toEqual(before);
    fake.resetCalls();
    expect(await newStore().read(REGION)).toEqual(catalog(FIVE_HUNDRED, T0));
    expect(fake.count("GetParameter")).toBe(1);
  });

  it("also restores the shard whose put failed, since a failed put (a timeout) may have been applied", async () => {
    await newStore().write(REGION, catalog(FIVE_HUNDRED, T0));
    const before = shardValues();
    const previous = await newStore().read(REGION);
    const writer = new InterleavingStore(ssm).after("put", 2, async () => {
      throw new Error("timed out, but applied");
    });

    await expect(newStore(writer).write(REGION, catalog(OTHER_FIVE_HUNDRED, T1), previous)).rejects.toThrow("applied");

    expect(shardValues()).toEqual(before);
    expect(await newStore().read(REGION)).toEqual(catalog(FIVE_HUNDRED, T0));
  });

  it("puts the old shards back when the index put fails and the index was not written", async () => {
    await newStore().write(REGION, catalog(EIGHT, T0));
    const previous = await newStore().read(REGION);
    const before = shardValues();
    // Put 1 is the new version's only shard, put 2 its index.
    const writer = new InterleavingStore(ssm).before("put", 2, async () => {
      throw new Error("index put failed");
    });

    await expect(newStore(writer).write(REGION, catalog(EIGHT.slice(1), T1), previous)).rejects.toThrow("index put failed");

    expect(shardValues()).toEqual(before);
    expect(await newStore().read(REGION)).toEqual(catalog(EIGHT, T0));
  });
});
