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

const { authenticateKey, loadKeys, UnknownKeyError } = await import("../../lambda/keys/index.js");
const { generateKey } = await import("../../lambda/keys/record.js");
const { FileParameterStore, parameterPaths } = await import("../../lambda/store/index.js");
const { mkdtemp, rm } = await import("node:fs/promises");
const { tmpdir } = await import("node:os");
const { join } = await import("node:path");

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

type Keys = Awaited<ReturnType<typeof loadKeys>>;

async function keysWith(record: object, keyId: string): Promise<Keys> {
  const dir = await mkdtemp(join(tmpdir(), "mantle-vend-timing-"));
  dirs.push(dir);
  const store = new FileParameterStore(dir);
  const paths = parameterPaths("/p");
  await store.put(paths.key(keyId), JSON.stringify(record));
  return loadKeys(store, paths, silent);
}

function comparisonsFor(keys: Keys, key: string): number[] {
  compared.calls.length = 0;
  expect(() => authenticateKey(keys, key, Date.now())).toThrow(UnknownKeyError);
  return [...compared.calls];
}

describe("an unknown key id costs the same comparisons as a known id with a wrong secret", () => {
  it.each([
    ["a key never rotated", {}],
    ["a rotated key in its grace period", { previousSha256: "ab".repeat(32), previousExpiresAt: "2999-01-01T00:00:00Z" }],
  ])("for %s", async (_label, extra) => {
    const real = generateKey();
    const record = { name: "n", sha256: real.sha256, regions: ["*"], maxTtlSeconds: 3600, createdAt: "2026-01-01T00:00:00Z", ...extra };
    const keys = await keysWith(record, real.keyId);
    const wrongSecret = generateKey(real.keyId).key;
    const unknownId = generateKey().key;
    const known = comparisonsFor(keys, wrongSecret);
    const unknown = comparisonsFor(keys, unknownId);
    expect(known.length).toBeGreaterThan(0);
    expect(unknown).toEqual(known);
  });
});
