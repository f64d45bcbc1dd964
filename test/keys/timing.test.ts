// Which key ids exist must not show in how long a refusal takes: every presented key goes
// through the same comparisons, counted here at node:crypto's timingSafeEqual and at the
// hex decoding of each stored hash.
import { afterEach, describe, expect, it, vi } from "vitest";

const compared = vi.hoisted(() => ({ calls: [] as number[] }));
vi.mock("node:crypto", async (importOriginal) => {
  const crypto = await importOriginal<typeof import("node:crypto")>();
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.calls.push(b.byteLength);
      return crypto.timingSafeEqual(a, b);
    },
  };
});

const { KeyCache } = await import("../../lambda/keys/cache.js");
const { UnknownKeyError } = await import("../../lambda/keys/errors.js");
const { generateKey, keyParameter, keysVersionParameter } = await import("../../lambda/keys/record.js");
const { FileParameterStore } = await import("../../lambda/store/file.js");
const { mkdtemp, rm } = await import("node:fs/promises");
const { tmpdir } = await import("node:os");
const { join } = await import("node:path");

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

async function cacheWith(record: object, keyId: string): Promise<InstanceType<typeof KeyCache>> {
  const dir = await mkdtemp(join(tmpdir(), "mantle-vend-timing-"));
  dirs.push(dir);
  const store = new FileParameterStore(dir);
  await store.put(keyParameter("/p", keyId), JSON.stringify(record));
  await store.put(keysVersionParameter("/p"), "1");
  return new KeyCache(store, Date.now, silent, { prefix: "/p", maxAgeMs: 900_000 });
}

async function comparisonsFor(cache: InstanceType<typeof KeyCache>, key: string): Promise<number[]> {
  await cache.authenticate(`Bearer ${generateKey().key}`).catch(() => undefined); // loads the keys
  compared.calls.length = 0;
  await expect(cache.authenticate(`Bearer ${key}`)).rejects.toBeInstanceOf(UnknownKeyError);
  return [...compared.calls];
}

describe("an unknown key id costs the same comparisons as a known id with a wrong secret", () => {
  it.each([
    ["a key never rotated", {}],
    ["a rotated key in its grace period", { previousSha256: "ab".repeat(32), previousExpiresAt: "2999-01-01T00:00:00Z" }],
  ])("for %s", async (_label, extra) => {
    const real = generateKey();
    const record = { name: "n", sha256: real.sha256, regions: ["*"], maxTtlSeconds: 3600, createdAt: "2026-01-01T00:00:00Z", ...extra };
    const cache = await cacheWith(record, real.keyId);
    const wrongSecret = generateKey(real.keyId).key;
    const unknownId = generateKey().key;
    const known = await comparisonsFor(cache, wrongSecret);
    const unknown = await comparisonsFor(cache, unknownId);
    expect(known.length).toBeGreaterThan(0);
    expect(unknown).toEqual(known);
  });
});
