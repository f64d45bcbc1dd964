import { describe, expect, it } from "vitest";
import { modelsProblem, parseGrant, sessionPolicy, STS_SESSION_POLICY_MAX_CHARS } from "../../lambda/grants/index.js";
import { MANTLE_REGIONS } from "../../lambda/regions.js";

const base = { regions: ["us-east-1", "*"], maxTtlSeconds: 3600 };

describe("a stored grant is read field by field, and one bad field grants nothing", () => {
  it("reads regions, maxTtlSeconds and an optional rateLimit, and nothing else", () => {
    expect(parseGrant({ ...base, rateLimit: { perSecond: 2.5, burst: 5, extra: 1 }, name: "x" })).toEqual({
      ...base,
      rateLimit: { perSecond: 2.5, burst: 5 },
    });
    expect(parseGrant(base)).toEqual(base);
  });

  it.each<[string, Record<string, unknown>]>([
    ["regions missing", { maxTtlSeconds: 3600 }],
    ["a region that is not a region name", { ...base, regions: ["us-east-1", "US-EAST-1"] }],
    ["regions not a list", { ...base, regions: "*" }],
    ["maxTtlSeconds fractional", { ...base, maxTtlSeconds: 60.5 }],
    ["maxTtlSeconds zero", { ...base, maxTtlSeconds: 0 }],
    ["maxTtlSeconds a string", { ...base, maxTtlSeconds: "3600" }],
    ["a rate of zero", { ...base, rateLimit: { perSecond: 0, burst: 5 } }],
    ["an infinite rate", { ...base, rateLimit: { perSecond: Infinity, burst: 5 } }],
    ["a fractional burst", { ...base, rateLimit: { perSecond: 1, burst: 1.5 } }],
    ["a rate limit that is not an object", { ...base, rateLimit: [1, 2] }],
  ])("%s → no grant", (_what, record) => {
    expect(parseGrant(record)).toBeUndefined();
  });
});

describe("a grant's models and daily quota are read like its other fields", () => {
  it("reads models (ids and prefixes) and mintsPerDay", () => {
    expect(parseGrant({ ...base, models: ["openai.*", "deepseek.v3.2"], mintsPerDay: 7 })).toEqual({ ...base, models: ["openai.*", "deepseek.v3.2"], mintsPerDay: 7 });
  });

  it.each<[string, Record<string, unknown>]>([
    ["models not a list", { ...base, models: "openai.*" }],
    ["an empty model list", { ...base, models: [] }],
    ["a pattern with * inside", { ...base, models: ["openai.*-120b"] }],
    ["a pattern that is not a string", { ...base, models: [42] }],
    ["51 patterns", { ...base, models: Array.from({ length: 51 }, (_, i) => `m.${i}`) }],
    ["a quota of 0", { ...base, mintsPerDay: 0 }],
    ["a fractional quota", { ...base, mintsPerDay: 1.5 }],
    ["a quota as a string", { ...base, mintsPerDay: "7" }],
  ])("%s → no grant", (_what, record) => {
    expect(parseGrant(record)).toBeUndefined();
  });
});

describe("a grant's patterns must fit the attribution session policy STS accepts", () => {
  it("accepts 50 realistic patterns, refuses 50 long ones with the sizes, and grants nothing for a stored one over the limit", () => {
    const realistic = Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? `vendor${i}.family-${i}*` : `vendor${i % 7}.model-${i}-instruct`));
    expect(modelsProblem(realistic)).toBeUndefined();
    const long = Array.from({ length: 50 }, (_, i) => `vendor-with-a-long-name.a-model-id-that-goes-on-${i}`);
    expect(modelsProblem(long)).toMatch(/^make an attribution session policy of \d{4} characters, over STS's limit of 2048; use fewer or shorter patterns/);
    expect(parseGrant({ ...base, models: long })).toBeUndefined();
    expect(sessionPolicy(MANTLE_REGIONS, realistic).length).toBeLessThanOrEqual(STS_SESSION_POLICY_MAX_CHARS);
  });
});
