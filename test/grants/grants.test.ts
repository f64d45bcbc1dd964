import { describe, expect, it } from "vitest";
import type { ServedModel } from "../../lambda/catalog/index.js";
import { loadConfig } from "../../lambda/config.js";
import { InvalidRequestError, RateLimitedError } from "../../lambda/errors.js";
import { Grants, RateLimiter, RegionNotAllowedError, tagValue, type Grant, type Principal } from "../../lambda/grants/index.js";
import { ManualClock } from "../support/clock.js";
import { keyAs } from "../support/principals.js";

const config = loadConfig({ MANTLE_VEND_REGIONS: "us-east-1,us-west-2,eu-west-1", MANTLE_VEND_DEFAULT_REGION: "us-east-1" });
const attributed = loadConfig({ MANTLE_VEND_MAX_TTL_SECONDS: "43200", MANTLE_VEND_TOKEN_ROLE_ARN: "arn:aws:iam::123456789012:role/token" });

/** A key's principal; as an identity, the same grant under an identity's id and kind. */
function principal(grant: Partial<Grant> = {}, kind: Principal["kind"] = "key"): Principal {
  const key = keyAs("team", grant);
  return kind === "key" ? key : { ...key, id: "identity:ci:repo:acme/app", kind };
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

describe("a grant's models decide which models a principal is served and may call", () => {
  const model = (id: string): ServedModel => ({ id, name: id, ownedBy: null, created: null, reasoning: false, apis: ["chat-completions"], baseUrl: "", contextWindow: null, maxOutputTokens: null, input: ["text"] });
  const served = (ids: string[]) => ({ models: ids.map(model), etag: '"catalog"' });
  const catalog = served(["anthropic.claude-haiku-4-5", "deepseek.v3.2", "openai.gpt-oss-120b", "openai.gpt-oss-20b"]);

  it("an unscoped grant sees the whole catalog under the catalog's own etag", () => {
    expect(grantsFor().catalogView(principal(), catalog)).toBe(catalog);
  });

  it("a scoped grant sees only the models its patterns admit, under an etag of its own", () => {
    const grants = grantsFor();
    const openai = grants.catalogView(principal({ models: ["openai.*"] }), catalog);
    const deepseek = grants.catalogView(principal({ models: ["deepseek.v3.2", "mistral.*"] }), catalog);
    expect(openai.models.map((m) => m.id)).toEqual(["openai.gpt-oss-120b", "openai.gpt-oss-20b"]);
    expect(deepseek.models.map((m) => m.id)).toEqual(["deepseek.v3.2"]);
    expect(new Set([openai.etag, deepseek.etag, catalog.etag]).size).toBe(3);
    // The etag moves with the catalog even when the admitted ids do not.
    expect(grants.catalogView(principal({ models: ["openai.*"] }), { ...catalog, etag: '"catalog-2"' }).etag).not.toBe(openai.etag);
    expect(grants.catalogView(principal({ models: ["openai.*"] }), catalog)).toEqual(openai);
  });

  it.each<[string[] | undefined, string, boolean]>([
    [undefined, "anything.at-all", true],
    [["openai.*"], "openai.gpt-oss-120b", true],
    [["openai.*"], "OpenAI.gpt-oss-120b", false],
    [["openai.gpt-oss-120b"], "openai.gpt-oss-120b-v2", false],
    [["*"], "x.y", true],
    [["deepseek.v3.2", "anthropic.*"], "anthropic.claude-sonnet-4-5", true],
  ])("patterns %j admit %s: %s", (models, id, admitted) => {
    expect(grantsFor().admitsModel(principal(models === undefined ? {} : { models }), id)).toBe(admitted);
  });

  it("narrows inference to the patterns in the attribution session policy and tags the session with the principal", () => {
    const subject = grantsFor().signingSubject(principal({ regions: ["us-west-2"], models: ["openai.*"] }));
    const policy = JSON.parse(subject.policy) as { Statement: Array<{ Action: unknown; Condition: Record<string, Record<string, string[]>> }> };
    expect(policy.Statement[1]?.Action).toBe("bedrock-mantle:CreateInference");
    expect(policy.Statement[1]?.Condition.StringLike?.["bedrock-mantle:Model"]).toEqual(["openai.*"]);
    expect(policy.Statement[0]?.Action).not.toContain("bedrock-mantle:CreateInference");
    expect(subject.tags).toEqual({ "mantle-vend-principal": "key:0123456789abcdef", "mantle-vend-name": "team" });
  });

  it("tags a principal as its session names it for attribution, and reduces names to the tag alphabet", () => {
    const base = principal({}, "identity");
    const identity = { ...base, name: "ci (github) — main!", session: { ...base.session, attributedAs: "identity:ci:0123456789ab" } };
    expect(grantsFor().signingSubject(identity).tags).toEqual({ "mantle-vend-principal": "identity:ci:0123456789ab", "mantle-vend-name": "ci -github- - main-" });
    expect(tagValue("x".repeat(300))).toHaveLength(256);
  });

  it("says the quota and, in whoami's view, models and quota only when the grant sets them", () => {
    const grants = grantsFor();
    expect(grants.mintsPerDay(principal({ mintsPerDay: 7 }))).toBe(7);
    expect(grants.effective(principal())).not.toHaveProperty("models");
    expect(grants.effective(principal({ models: ["a.*"], mintsPerDay: 3 }))).toMatchObject({ models: ["a.*"], mintsPerDay: 3 });
  });
});
