import { describe, expect, it } from "vitest";
import { loadConfig } from "../lambda/config.js";
import { ConfigError } from "../lambda/errors.js";
import { MANTLE_REGIONS } from "../lambda/regions.js";

describe("configuration defaults", () => {
  it("matches docs/configuration.md with an empty environment", () => {
    expect(loadConfig({})).toEqual({
      parameterPrefix: "/mantle-vend",
      regions: [...MANTLE_REGIONS],
      defaultRegion: "us-east-1",
      defaultTtlSeconds: 3600,
      maxTtlSeconds: 3600,
      catalogTtlSeconds: 3600,
      keyCacheMaxAgeSeconds: 900,
      rateLimit: { perSecond: 10, burst: 100 },
      mantleEndpoint: "https://bedrock-mantle.{region}.api.aws",
      requestDeadlineMs: 8000,
      limitsFailure: "open",
      allowLoopbackIssuers: false,
    });
    expect(MANTLE_REGIONS).toEqual([
      "us-east-1",
      "us-east-2",
      "us-west-2",
      "ap-northeast-1",
      "ap-south-1",
      "ap-southeast-3",
      "eu-central-1",
      "eu-west-1",
      "eu-west-2",
      "eu-south-1",
      "eu-north-1",
      "sa-east-1",
    ]);
  });
});

describe("default region", () => {
  it("is MANTLE_VEND_DEFAULT_REGION when set", () => {
    expect(loadConfig({ MANTLE_VEND_DEFAULT_REGION: "eu-west-1", AWS_REGION: "us-west-2" }).defaultRegion).toBe("eu-west-1");
  });

  it("is AWS_REGION when it is allowlisted", () => {
    expect(loadConfig({ AWS_REGION: "us-west-2" }).defaultRegion).toBe("us-west-2");
  });

  it("is the first allowlisted region when AWS_REGION is not allowlisted", () => {
    expect(loadConfig({ AWS_REGION: "ca-central-1", MANTLE_VEND_REGIONS: "eu-west-2,us-east-2" }).defaultRegion).toBe("eu-west-2");
  });
});

describe("values are read from the environment", () => {
  it("parses every variable", () => {
    const config = loadConfig({
      MANTLE_VEND_PARAMETER_PREFIX: "/team/vend",
      MANTLE_VEND_REGIONS: " us-west-2 , eu-west-1,us-west-2",
      MANTLE_VEND_DEFAULT_TTL_SECONDS: "900",
      MANTLE_VEND_MAX_TTL_SECONDS: "43200",
      MANTLE_VEND_CATALOG_TTL_SECONDS: "600",
      MANTLE_VEND_KEY_CACHE_MAX_AGE_SECONDS: "300",
      MANTLE_VEND_RATE_LIMIT_PER_SECOND: "2.5",
      MANTLE_VEND_RATE_LIMIT_BURST: "20",
      MANTLE_VEND_MANTLE_ENDPOINT: "http://127.0.0.1:9999/{region}",
      MANTLE_VEND_REQUEST_DEADLINE_MS: "2500",
      MANTLE_VEND_TOKEN_ROLE_ARN: "arn:aws:iam::123456789012:role/mantle-vend-token",
      MANTLE_VEND_LIMITS_TABLE: "MantleVendStack-Limits.1_x",
      MANTLE_VEND_LIMITS_FAILURE: "closed",
      MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1",
      MANTLE_VEND_LOGIN_ISSUER: "http://127.0.0.1:8080",
      MANTLE_VEND_LOGIN_CLIENT_ID: "cli",
      MANTLE_VEND_LOGIN_SCOPES: "openid,email",
    });
    expect(config).toEqual({
      parameterPrefix: "/team/vend",
      regions: ["us-west-2", "eu-west-1"],
      defaultRegion: "us-west-2",
      defaultTtlSeconds: 900,
      maxTtlSeconds: 43200,
      catalogTtlSeconds: 600,
      keyCacheMaxAgeSeconds: 300,
      rateLimit: { perSecond: 2.5, burst: 20 },
      mantleEndpoint: "http://127.0.0.1:9999/{region}",
      requestDeadlineMs: 2500,
      tokenRoleArn: "arn:aws:iam::123456789012:role/mantle-vend-token",
      limitsTable: "MantleVendStack-Limits.1_x",
      limitsFailure: "closed",
      allowLoopbackIssuers: true,
      login: { issuer: "http://127.0.0.1:8080", clientId: "cli", scopes: ["openid", "email"] },
    });
  });

  it("lowers the default TTL to a smaller maximum when no default is given", () => {
    expect(loadConfig({ MANTLE_VEND_MAX_TTL_SECONDS: "900" }).defaultTtlSeconds).toBe(900);
  });
});

describe("a bad value stops start-up with a message naming the variable", () => {
  it.each([
    ["MANTLE_VEND_PARAMETER_PREFIX", "mantle-vend"],
    ["MANTLE_VEND_PARAMETER_PREFIX", "/mantle-vend/"],
    ["MANTLE_VEND_PARAMETER_PREFIX", "/a//b"],
    ["MANTLE_VEND_PARAMETER_PREFIX", "/has space"],
    ["MANTLE_VEND_PARAMETER_PREFIX", "/aws/reserved"],
    ["MANTLE_VEND_PARAMETER_PREFIX", "/a/b/c/d/e/f/g/h/i/j/k/l/m"],
    ["MANTLE_VEND_REGIONS", "us-east-1,Mars"],
    ["MANTLE_VEND_REGIONS", " , "],
    ["MANTLE_VEND_DEFAULT_REGION", "ap-south-1"],
    ["MANTLE_VEND_DEFAULT_TTL_SECONDS", "59"],
    ["MANTLE_VEND_DEFAULT_TTL_SECONDS", "12.5"],
    ["MANTLE_VEND_MAX_TTL_SECONDS", "43201"],
    ["MANTLE_VEND_MAX_TTL_SECONDS", "1e4"],
    ["MANTLE_VEND_CATALOG_TTL_SECONDS", "0"],
    ["MANTLE_VEND_REQUEST_DEADLINE_MS", "99"],
    ["MANTLE_VEND_REQUEST_DEADLINE_MS", "8s"],
    ["MANTLE_VEND_KEY_CACHE_MAX_AGE_SECONDS", "-5"],
    ["MANTLE_VEND_RATE_LIMIT_PER_SECOND", "0"],
    ["MANTLE_VEND_RATE_LIMIT_PER_SECOND", "fast"],
    ["MANTLE_VEND_RATE_LIMIT_BURST", "0"],
    ["MANTLE_VEND_MANTLE_ENDPOINT", "https://bedrock-mantle.api.aws"],
    ["MANTLE_VEND_MANTLE_ENDPOINT", "ftp://{region}.example"],
    ["MANTLE_VEND_MANTLE_ENDPOINT", "not a url {region}"],
    ["MANTLE_VEND_TOKEN_ROLE_ARN", "my-role"],
    ["MANTLE_VEND_LIMITS_TABLE", "ab"],
    ["MANTLE_VEND_LIMITS_TABLE", "limits table"],
    ["MANTLE_VEND_LIMITS_TABLE", "arn:aws:dynamodb:us-east-1:123456789012:table/limits"],
    ["MANTLE_VEND_LIMITS_FAILURE", "Open"],
    ["MANTLE_VEND_LIMITS_FAILURE", "fail-open"],
    ["MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS", "yes"],
  ])("%s=%j", (name, value) => {
    const env = { MANTLE_VEND_REGIONS: "us-east-1,us-west-2", [name]: value };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it("rejects a default TTL above the maximum", () => {
    expect(() => loadConfig({ MANTLE_VEND_DEFAULT_TTL_SECONDS: "7200" })).toThrow(/must not exceed MANTLE_VEND_MAX_TTL_SECONDS/);
  });
});

describe("login for people: MANTLE_VEND_LOGIN_ISSUER, _CLIENT_ID and _SCOPES", () => {
  const login = { MANTLE_VEND_LOGIN_ISSUER: "https://idp.example.com/realms/acme", MANTLE_VEND_LOGIN_CLIENT_ID: "mantle-vend-cli" };

  it("is absent unless issuer and client id are set; the scopes default to openid email profile offline_access", () => {
    expect(loadConfig({}).login).toBeUndefined();
    expect(loadConfig(login).login).toEqual({ issuer: login.MANTLE_VEND_LOGIN_ISSUER, clientId: "mantle-vend-cli", scopes: ["openid", "email", "profile", "offline_access"] });
    expect(loadConfig({ ...login, MANTLE_VEND_LOGIN_SCOPES: "openid email groups" }).login?.scopes).toEqual(["openid", "email", "groups"]);
  });

  it("a loopback http issuer only with MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS=1 (npm start sets it)", () => {
    const local = { ...login, MANTLE_VEND_LOGIN_ISSUER: "http://127.0.0.1:8080/realms/dev" };
    expect(() => loadConfig(local)).toThrow(/MANTLE_VEND_LOGIN_ISSUER .*loopback/);
    expect(loadConfig({ ...local, MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1" }).login?.issuer).toBe("http://127.0.0.1:8080/realms/dev");
  });

  it.each([
    ["MANTLE_VEND_LOGIN_ISSUER", { MANTLE_VEND_LOGIN_ISSUER: "https://idp.example.com" }],
    ["MANTLE_VEND_LOGIN_CLIENT_ID", { MANTLE_VEND_LOGIN_CLIENT_ID: "cli" }],
    ["MANTLE_VEND_LOGIN_ISSUER", { ...login, MANTLE_VEND_LOGIN_ISSUER: "http://idp.example.com" }],
    ["MANTLE_VEND_LOGIN_ISSUER", { ...login, MANTLE_VEND_LOGIN_ISSUER: "https://idp.example.com/?x=1" }],
    ["MANTLE_VEND_LOGIN_CLIENT_ID", { ...login, MANTLE_VEND_LOGIN_CLIENT_ID: "has space" }],
    ["MANTLE_VEND_LOGIN_SCOPES", { ...login, MANTLE_VEND_LOGIN_SCOPES: "email profile" }],
    ["MANTLE_VEND_LOGIN_SCOPES", { MANTLE_VEND_LOGIN_SCOPES: "openid" }],
  ])("refuses a bad or half-given %s", (name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});
