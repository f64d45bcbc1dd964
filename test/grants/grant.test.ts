import { describe, expect, it } from "vitest";
import { parseGrant } from "../../lambda/grants/index.js";

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
