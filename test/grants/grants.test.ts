import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lambda/config.js";
import { InvalidRequestError, RateLimitedError } from "../../lambda/errors.js";
import { Grants, RateLimiter, RegionNotAllowedError, type Grant, type Principal } from "../../lambda/grants/index.js";
import { ManualClock } from "../support/clock.js";

const config = loadConfig({ MANTLE_VEND_REGIONS: "us-east-1,us-west-2,eu-west-1", MANTLE_VEND_DEFAULT_REGION: "us-east-1" });
const attributed = loadConfig({ MANTLE_VEND_MAX_TTL_SECONDS: "43200", MANTLE_VEND_TOKEN_ROLE_ARN: "arn:aws:iam::123456789012:role/token" });

function principal(grant: Partial<Grant> = {}, kind: Principal["kind"] = "key"): Principal {
  return {
    id: kind === "key" ? "key:0123456789abcdef" : "identity:ci:repo:acme/app",
    kind,
    name: "team",
    grant: { regions: ["*"], maxTtlSeconds: 43_200, ...grant },
    session: { sessionName: "mvk-0123456789abcdef-team", sourceIdentity: "mvk-0123456789abcdef" },
    logFields: {},
  };
}

const grantsFor = (c = config, clock = new ManualClock()): Grants => new Grants(c, new RateLimiter(clock.now));

describe("a principal's regions are its grant's, in allowlist order, within the allowlist", () => {
  it.each<[string[], string[]]>([
    [["*"], ["us-east-1", "us-west-2", "eu-west-1"]],
    [["eu-west-1", "us-east-1"], ["us-east-1", "eu-west-1"]],
    [["eu-west-1", "ap-south-1"], ["eu-west-1"]],
    [["ap-south-1"], []],
  ])("grant %j → %j", (regions, expected) => {
    expect(grantsFor().regions(principal({ regions }))).toEqual(expected);
  });
});

describe("a principal's default region is the service's when it may use it, else the first of its own", () => {
  it.each<[string[], string | undefined]>([
    [["*"], "us-east-1"],
    [["eu-west-1", "us-west-2"], "eu-west-1"],
    [["ap-south-1", "us-west-2"], "us-west-2"],
    [["ap-south-1"], undefined],
  ])("grant %j → %s", (regions, expected) => {
    expect(grantsFor().defaultRegion(principal({ regions }))).toBe(expected);
  });
});

describe("the region a request gets: served (else 400), then allowed to the principal (else 403)", () => {
  const grants = grantsFor();

  it("is the named region when the grant allows it, else the principal's default", () => {
    expect(grants.region(principal({ regions: ["us-west-2", "eu-west-1"] }), "eu-west-1")).toBe("eu-west-1");
    expect(grants.region(principal({ regions: ["us-west-2", "eu-west-1"] }), undefined)).toBe("us-west-2");
  });

  it("refuses a region the service does not serve as an invalid request, naming the served ones", () => {
    expect(() => grants.region(principal(), "ap-south-1")).toThrow(new InvalidRequestError("region must be one of: us-east-1, us-west-2, eu-west-1"));
  });

  it("refuses a served region outside the grant as forbidden, saying which region and which ones it may use", () => {
    const refusal = (() => {
      try {
        grants.region(principal({ regions: ["us-west-2"] }), "eu-west-1");
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(RegionNotAllowedError);
    expect(refusal).toMatchObject({ region: "eu-west-1", allowed: ["us-west-2"], message: "this key may not use eu-west-1; it may use: us-west-2" });
  });

  it("refuses a principal with no usable region at all, and names an identity as one", () => {
    expect(() => grants.region(principal({ regions: ["ap-south-1"] }), undefined)).toThrow("this key may not use any region; it may use no region this service serves");
    expect(() => grants.region(principal({ regions: ["us-west-2"] }, "identity"), "eu-west-1")).toThrow("this identity may not use eu-west-1; it may use: us-west-2");
  });
});

describe("a token's TTL is the asked or default one, clamped to the smaller of the server's and the grant's maximum", () => {
  it.each<[string, number | undefined, number, number]>([
    ["the default", undefined, 43_200, 3600],
    ["an asked TTL under both maxima", 900, 43_200, 900],
    ["an asked TTL over the server's maximum", 7200, 43_200, 3600],
    ["an asked TTL over the grant's maximum", 3000, 600, 600],
    ["the default over the grant's maximum", undefined, 600, 600],
    ["a grant maximum under the token minimum", undefined, 30, 60],
  ])("%s", (_what, asked, grantMax, expected) => {
    expect(grantsFor().ttlSeconds(principal({ maxTtlSeconds: grantMax }), asked)).toBe(expected);
  });

  it("caps tokens at one hour in attribution mode, whatever the server's own maximum", () => {
    const grants = grantsFor(attributed);
    expect(grants.serverMaxTtlSeconds()).toBe(3600);
    expect(grants.ttlSeconds(principal(), 43_200)).toBe(3600);
    expect(grantsFor(loadConfig({ MANTLE_VEND_MAX_TTL_SECONDS: "43200" })).ttlSeconds(principal(), 43_200)).toBe(43_200);
  });
});

describe("the rate limit is the grant's own, else the server's default, per principal", () => {
  it("uses the grant's limit when it has one", () => {
    expect(grantsFor().rateLimit(principal({ rateLimit: { perSecond: 1, burst: 2 } }))).toEqual({ perSecond: 1, burst: 2 });
    expect(grantsFor().rateLimit(principal())).toEqual(config.rateLimit);
  });

  it("admits a burst, then refuses with the seconds until the bucket holds one again", () => {
    const clock = new ManualClock();
    const grants = grantsFor(config, clock);
    const limited = principal({ rateLimit: { perSecond: 0.5, burst: 2 } });
    grants.admit(limited);
    grants.admit(limited);
    expect(() => grants.admit(limited)).toThrow(new RateLimitedError("rate limit exceeded for this key", 2));
    clock.advanceSeconds(2);
    expect(() => grants.admit(limited)).not.toThrow();
  });

  it("keeps one bucket per principal id: another principal is not slowed", () => {
    const grants = grantsFor();
    const limited = principal({ rateLimit: { perSecond: 1, burst: 1 } });
    grants.admit(limited);
    expect(() => grants.admit(limited)).toThrow(RateLimitedError);
    expect(() => grants.admit({ ...limited, id: "key:fedcba9876543210" })).not.toThrow();
  });
});

describe("the attribution session is the principal's, its policy narrowed to the grant's regions", () => {
  it("names the principal's STS session and allows Mantle only in its regions", () => {
    const subject = grantsFor().signingSubject(principal({ regions: ["eu-west-1", "us-west-2"] }));
    expect(subject).toMatchObject({ sessionName: "mvk-0123456789abcdef-team", sourceIdentity: "mvk-0123456789abcdef" });
    const policy = JSON.parse(subject.policy) as { Statement: Array<{ Condition: { StringEquals: Record<string, string[]> } }> };
    expect(policy.Statement[0]?.Condition.StringEquals["aws:RequestedRegion"]).toEqual(["us-west-2", "eu-west-1"]);
  });
});
