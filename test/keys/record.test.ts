import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyIdOf } from "../../lambda/rules.js";
import { digestKey, digestMatches, generateKey, hashKey, isUsable, parseKeyRecord, recordAccepts } from "../../lambda/keys/record.js";

describe("key format", () => {
  it("is mvk_<16 hex keyId>_<43 base64url secret>, and only its hash is returned for storage", () => {
    const { key, keyId, sha256 } = generateKey();
    expect(key).toMatch(/^mvk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(keyIdOf(key)).toBe(keyId);
    expect(sha256).toBe(createHash("sha256").update(key).digest("hex"));
    expect(hashKey(key)).toBe(sha256);
  });

  it("makes a different key every time", () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateKey().key));
    expect(keys.size).toBe(100);
  });

  it.each(["mvk_0123456789ABCDEF_" + "a".repeat(43), "mvk_0123456789abcde_" + "a".repeat(43), "mvk_0123456789abcdef_" + "a".repeat(42), "xyz_0123456789abcdef_" + "a".repeat(43), ""])(
    "rejects the malformed key %j",
    (key) => expect(keyIdOf(key)).toBeUndefined(),
  );
});

describe("hash comparison", () => {
  const { key, sha256 } = generateKey();
  it("accepts the key whose hash is stored", () => expect(digestMatches(digestKey(key), sha256)).toBe(true));
  it("rejects another key", () => expect(digestMatches(digestKey(generateKey().key), sha256)).toBe(false));
  it("rejects when nothing or garbage is stored", () => {
    expect(digestMatches(digestKey(key), undefined)).toBe(false);
    expect(digestMatches(digestKey(key), "zz")).toBe(false);
  });
  it("accepts the previous secret of a rotated key only until its grace ends", () => {
    const next = generateKey(keyIdOf(key));
    const record = { name: "n", sha256: next.sha256, previousSha256: sha256, previousExpiresAt: "2026-06-01T00:00:00Z", regions: ["*"], maxTtlSeconds: 60, createdAt: "2026-01-01T00:00:00Z" };
    const before = Date.parse("2026-05-31T23:59:59Z");
    expect(recordAccepts(record, digestKey(next.key), before)).toBe(true);
    expect(recordAccepts(record, digestKey(key), before)).toBe(true);
    expect(recordAccepts(record, digestKey(key), before + 2000)).toBe(false);
    // The grace ends at its instant: not one millisecond of it is left then.
    const end = Date.parse(record.previousExpiresAt);
    expect(recordAccepts(record, digestKey(key), end - 1)).toBe(true);
    expect(recordAccepts(record, digestKey(key), end)).toBe(false);
  });
});

describe("stored records", () => {
  const valid = { name: "n", sha256: "a".repeat(64), regions: ["*"], maxTtlSeconds: 3600, createdAt: "2026-01-01T00:00:00Z" };

  it("parses a valid record and keeps the optional fields", () => {
    const full = { ...valid, expiresAt: "2027-01-01T00:00:00Z", disabled: false, rateLimit: { perSecond: 1, burst: 5 } };
    expect(parseKeyRecord(JSON.stringify(full))).toEqual(full);
  });

  it.each([
    ["not JSON", "{"],
    ["a bad hash", JSON.stringify({ ...valid, sha256: "abc" })],
    ["a bad region", JSON.stringify({ ...valid, regions: ["moon-1"] })],
    ["a non-integer max TTL", JSON.stringify({ ...valid, maxTtlSeconds: 1.5 })],
    ["an unparsable expiry", JSON.stringify({ ...valid, expiresAt: "soon" })],
    ["a bad rate limit", JSON.stringify({ ...valid, rateLimit: { perSecond: 0, burst: 1 } })],
  ])("treats a record with %s as absent", (_, text) => expect(parseKeyRecord(text)).toBeUndefined());

  it("counts disabled and expired keys as unusable", () => {
    const now = Date.parse("2026-06-01T00:00:00Z");
    expect(isUsable({ ...valid }, now)).toBe(true);
    expect(isUsable({ ...valid, disabled: true }, now)).toBe(false);
    expect(isUsable({ ...valid, expiresAt: "2026-05-31T23:59:59Z" }, now)).toBe(false);
    expect(isUsable({ ...valid, expiresAt: "2026-06-01T00:00:01Z" }, now)).toBe(true);
  });

  it("a key is refused at the exact instant of its expiry, and usable a millisecond before", () => {
    const expiresAt = "2026-06-01T00:00:00.000Z";
    expect(isUsable({ ...valid, expiresAt }, Date.parse(expiresAt))).toBe(false);
    expect(isUsable({ ...valid, expiresAt }, Date.parse(expiresAt) - 1)).toBe(true);
  });
});
