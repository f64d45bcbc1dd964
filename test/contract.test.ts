/**
 * Server and client are two packages that must agree on the same rules. Each table below is
 * fed to both sides; the types at the bottom make the compiler hold the server's answers to
 * the client's types, so a field renamed on one side fails `tsc` before it fails a user.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { REASONING_MARKERS, identityUrlProblem, isLoopbackHost, isModelPattern, isReasoningModel, isRegionName, keyIdOf as serverKeyIdOf, modelAdmitted } from "../lambda/rules.js";
import type { CatalogBody, ErrorBody, RegionsBody, TokenBody, WhoamiBody } from "../lambda/http/index.js";
import {
  REASONING_MARKERS as CLIENT_REASONING_MARKERS,
  identityUrlProblem as clientIdentityUrlProblem,
  inferReasoning,
  isModelPattern as clientIsModelPattern,
  isRegionName as clientIsRegionName,
  keyIdOf as clientKeyIdOf,
  modelAdmitted as clientModelAdmitted,
} from "../client/src/rules.js";
import { isLoopbackHost as clientIsLoopbackHost } from "../client/src/loopback.js";
import { resolveSecrets } from "../client/src/openclaw/resolver.js";
import { redact } from "../client/src/errors.js";
import { parseCatalog, parseRegionsResponse, parseTokenResponse, parseWhoamiResponse } from "../client/src/responses.js";
import { MantleVendClient } from "../client/src/client.js";
import { RegionRefusedError } from "../client/src/cli/errors.js";
import { explainFailure } from "../client/src/cli/explain.js";
import { MantleVendError } from "../client/src/errors.js";
import { RegionNotAllowedError, type Principal } from "../lambda/grants/index.js";
import type { Catalog, RegionsResponse, TokenResponse, WhoamiResponse } from "../client/src/types.js";
import { functionUrlEvent } from "./support/events.js";
import { startService, type TestService } from "./support/service.js";

describe("both sides infer reasoning from the model id by the same markers, in any letter case", () => {
  it.each<[string, boolean]>([
    ["moonshotai.kimi-k2-thinking", true],
    ["deepseek.reasoner-v1", true],
    ["acme.reasoning-large", true],
    ["deepseek.r1", true],
    ["deepseek.r2-distill", true],
    ["openai.gpt-oss-120b", true],
    ["openai.gpt-oss-safeguard-120b", true],
    ["openai.gpt-oss-20b", false],
    ["deepseek.v3.2", false],
    ["mistral.devstral-2-123b", false],
    ["qwen.qwen3-32b", false],
    // Letter case: the server lower-cases the id before matching, so the client must too.
    ["acme.Reasoning-X", true],
    ["MOONSHOTAI.KIMI-K2-THINKING", true],
    ["DeepSeek.R1", true],
    ["OpenAI.GPT-OSS-120B", true],
    ["OpenAI.GPT-OSS-20B", false],
    // Edges: empty, a marker that is the whole id, at the start, at the end, cut short.
    ["", false],
    ["thinking", true],
    ["Thinking.model", true],
    ["acme.model-REASONER", true],
    ["acme.thinkin", false],
    ["acme.think-ing", false],
    // Unicode case: both sides lower-case the same way. The Kelvin sign lower-cases to k; a dotless ı,
    // a Turkish İ (to i plus a combining dot) and fullwidth letters do not make the ASCII marker.
    ["acme.thin\u212Aing", true],
    ["acme.th\u0131nk\u0131ng", false],
    ["acme.TH\u0130NK\u0130NG", false],
    ["acme.\uFF54\uFF48\uFF49\uFF4E\uFF4B\uFF49\uFF4E\uFF47", false],
  ])("%j → %s", (id, reasoning) => {
    expect(isReasoningModel(id)).toBe(reasoning);
    expect(inferReasoning(id)).toBe(reasoning);
  });

  it("both sides hold the same markers", () => {
    expect([...CLIENT_REASONING_MARKERS].sort()).toEqual([...REASONING_MARKERS].sort());
  });
});

describe("both sides accept the same region names", () => {
  it.each<[string, boolean]>([
    ["us-east-1", true],
    ["ap-southeast-3", true],
    ["eu-south-1", true],
    ["us-gov-west-1", true],
    ["US-EAST-1", false],
    ["us-east", false],
    ["us-east-123", false],
    ["useast1", false],
    ["us-east-1/", false],
    ["../us-east-1", false],
    ["", false],
    ["Us-East-1", false],
    ["us-East-1", false],
    ["us-east-1\n", false],
    [" us-east-1", false],
    ["us-\u0435ast-1", false],
  ])("%j → %s", async (region, valid) => {
    expect(isRegionName(region)).toBe(valid);
    expect(clientIsRegionName(region)).toBe(valid);
    // The OpenClaw resolver decides by the same rule which ids it asks the server about.
    const answer = await resolveSecrets({ protocolVersion: 1, provider: "mantle-vend", ids: [region] }, async () => ({
      token: "bedrock-api-key-x",
      tokenType: "bearer",
      region,
      baseUrl: "",
      issuedAt: "",
      expiresAt: "",
      expiresInSeconds: 0,
    }));
    expect(Object.hasOwn(answer.values, region)).toBe(valid);
  });
});

describe("both sides read the same API key format, and the client redacts every key the server accepts", () => {
  const secret = "A".repeat(42) + "_";
  it.each<[string, string | undefined]>([
    [`mvk_0123456789abcdef_${secret}`, "0123456789abcdef"],
    [`mvk_0123456789abcdef_${"-".repeat(43)}`, "0123456789abcdef"],
    [`mvk_0123456789ABCDEF_${secret}`, undefined],
    [`mvk_0123456789abcde_${secret}`, undefined],
    [`mvk_0123456789abcdef_${secret}A`, undefined],
    [`mvk_0123456789abcdef_${secret.slice(1)}`, undefined],
    [`mvk_0123456789abcdef_${"A".repeat(42)}=`, undefined],
    [`xyz_0123456789abcdef_${secret}`, undefined],
  ])("%s → %s", (key, keyId) => {
    expect(serverKeyIdOf(key)).toBe(keyId);
    expect(clientKeyIdOf(key)).toBe(keyId);
    if (keyId !== undefined) expect(redact(`key ${key} here`)).not.toContain(secret);
  });
});

describe("both sides read model patterns and admit model ids by the same rule (the proxy's refusal, the server's view and IAM's StringLike)", () => {
  it.each<[string, boolean]>([
    ["openai.gpt-oss-120b", true],
    ["openai.*", true],
    ["*", true],
    ["anthropic.claude-haiku-4-5", true],
    ["acme.what?$x", true],
    ["openai.*-120b", false],
    ["**", false],
    ["", false],
    ["open ai.x", false],
    ["modèle.x", false],
    [`vendor.${"x".repeat(193)}`, true],
    [`vendor.${"x".repeat(194)}`, false],
  ])("pattern %j is valid: %s", (pattern, valid) => {
    expect(isModelPattern(pattern)).toBe(valid);
    expect(clientIsModelPattern(pattern)).toBe(valid);
  });

  it.each<[string[] | undefined, string, boolean]>([
    [undefined, "any.model", true],
    [["*"], "any.model", true],
    [["openai.*"], "openai.gpt-oss-120b", true],
    [["openai.*"], "openai.", true],
    [["openai.*"], "OpenAI.gpt-oss-120b", false],
    [["openai.*"], "xopenai.gpt", false],
    [["openai.gpt-oss-120b"], "openai.gpt-oss-120b", true],
    [["openai.gpt-oss-120b"], "openai.gpt-oss-120b-v2", false],
    [["openai.gpt-oss-120b"], "OPENAI.GPT-OSS-120B", false],
    [["deepseek.v3.2", "anthropic.*"], "anthropic.claude-sonnet-4-5", true],
    [["deepseek.v3.2", "anthropic.*"], "mistral.devstral-2-123b", false],
    [["acme.what?$x"], "acme.whatZ$x", false],
    [["acme.what?$x"], "acme.what?$x", true],
  ])("patterns %j admit %j: %s", (patterns, id, admitted) => {
    expect(modelAdmitted(patterns, id)).toBe(admitted);
    expect(clientModelAdmitted(patterns, id)).toBe(admitted);
  });
});

describe("both sides call the same identity provider URLs: https, plain http only to loopback", () => {
  it.each<[string, boolean]>([
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["[::1]", true],
    ["::1", true],
    ["127.0.0.01", false],
    ["128.0.0.1", false],
    ["127.0.0.1.nip.io", false],
    ["localhost.example.com", false],
    ["[::ffff:127.0.0.1]", false],
    ["0.0.0.0", false],
  ])("loopback %j → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
    expect(clientIsLoopbackHost(host)).toBe(loopback);
  });

  it.each<[string, boolean, boolean]>([
    ["https://token.actions.githubusercontent.com", true, true],
    ["https://login.microsoftonline.com/tenant/v2.0", true, true],
    ["https://sts.windows.net/tenant/", true, true],
    ["http://127.0.0.1:8080/realms/dev", false, true],
    ["http://[::1]:8080", false, true],
    ["http://localhost:8080", false, true],
    ["http://idp.example.com", false, false],
    ["HTTP://127.0.0.1", false, true],
    ["ftp://idp.example.com", false, false],
    ["https://user:pass@idp.example.com", false, false],
    ["https://idp.example.com/?tenant=x", false, false],
    ["https://idp.example.com/#x", false, false],
    ["https://idp.example.com?", false, false],
    ["not a url", false, false],
    ["", false, false],
  ])("issuer %j: https-only %s, loopback allowed %s", (url, httpsOnly, loopbackAllowed) => {
    for (const allowLoopbackHttp of [false, true]) {
      const expected = allowLoopbackHttp ? loopbackAllowed : httpsOnly;
      expect(identityUrlProblem(url, { allowLoopbackHttp, issuer: true }) === undefined, `server, loopback ${allowLoopbackHttp}`).toBe(expected);
      expect(clientIdentityUrlProblem(url, { allowLoopbackHttp, issuer: true }) === undefined, `client, loopback ${allowLoopbackHttp}`).toBe(expected);
      expect(clientIdentityUrlProblem(url, { allowLoopbackHttp, issuer: true })).toBe(identityUrlProblem(url, { allowLoopbackHttp, issuer: true }));
    }
  });

  it("a JWKS or endpoint URL may carry a query, an issuer may not", () => {
    for (const check of [identityUrlProblem, clientIdentityUrlProblem]) {
      expect(check("https://login.example.com/keys?appid=1", { allowLoopbackHttp: false })).toBeUndefined();
      expect(check("https://login.example.com/keys?appid=1", { allowLoopbackHttp: false, issuer: true })).toBe("must not have a query or fragment");
    }
  });
});

describe("a 403 for a region is recognised by the client as a region refusal, whoever the principal is", () => {
  it.each<[Principal["kind"], string | undefined, string[]]>([
    ["key", "eu-west-1", ["us-west-2"]],
    ["identity", "eu-west-1", ["us-west-2", "us-east-1"]],
    ["key", undefined, []],
  ])("%s, region %s", async (kind, region, allowed) => {
    const principal = { id: "p", kind, name: "n", grant: { regions: allowed, maxTtlSeconds: 3600 }, session: { sessionName: "s", sourceIdentity: "s", attributedAs: "p" }, logFields: {} } satisfies Principal;
    const refused = new RegionNotAllowedError(principal, region, allowed);
    const answered = new MantleVendError({ status: 403, code: "forbidden", message: refused.message });
    const settings = { region, regionSource: region === undefined ? undefined : ("AWS_REGION" as const) };
    const explained = await explainFailure(answered, settings, () => Promise.reject(new Error("not asked")));
    expect(explained).toBeInstanceOf(RegionRefusedError);
    expect((explained as Error).message.startsWith(refused.message)).toBe(true);
  });
});

describe("the client parses every answer the server gives, keeping every field", () => {
  let service: TestService;
  let key: string;
  beforeAll(async () => {
    service = await startService();
    ({ key } = await service.createKey());
  });
  afterAll(() => service.close());

  const call = async (init: Parameters<typeof functionUrlEvent>[0]): Promise<unknown> => {
    const result = await service.api(functionUrlEvent({ key, ...init }));
    expect(result.statusCode).toBe(200);
    return JSON.parse(result.body);
  };

  it("POST /v1/tokens", async () => {
    const body = await call({ method: "POST", path: "/v1/tokens", body: '{"region":"us-west-2"}' });
    expect(parseTokenResponse(body)).toEqual(body);
  });

  it("GET /v1/regions", async () => {
    const body = await call({ path: "/v1/regions" });
    expect(parseRegionsResponse(body)).toEqual(body);
  });

  it("GET /v1/models", async () => {
    const body = await call({ path: "/v1/models", query: "region=us-east-1" });
    expect(parseCatalog(body)).toEqual(body);
  });

  it("GET /v1/whoami, of an unscoped key and of one with models and a quota", async () => {
    expect(parseWhoamiResponse(await call({ path: "/v1/whoami" }))).toEqual(await call({ path: "/v1/whoami" }));
    const scoped = await service.createKey({ models: ["openai.*"], mintsPerDay: 9 });
    const body = JSON.parse((await service.api(functionUrlEvent({ key: scoped.key, path: "/v1/whoami" }))).body) as unknown;
    expect(parseWhoamiResponse(body)).toEqual(body);
    expect(parseWhoamiResponse(body).grant).toMatchObject({ models: ["openai.*"], mintsPerDay: 9 });
  });

  it("an error envelope becomes a MantleVendError with the server's status, code and request id", async () => {
    const url = await service.listen();
    const client = new MantleVendClient({ url, apiKey: `mvk_0123456789abcdef_${"A".repeat(43)}`, maxRetries: 0 });
    const error = await client.getToken().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 401, code: "unauthorized", message: "missing or invalid API key" });
    const last = service.events.at(-1);
    expect(error).toMatchObject({ requestId: last?.requestContext.requestId });
  });
});

describe("the server's answer types are assignable to the client's", () => {
  it("holds at compile time", () => {
    expectTypeOf<TokenBody>().toExtend<TokenResponse>();
    expectTypeOf<RegionsBody>().toExtend<RegionsResponse>();
    expectTypeOf<CatalogBody>().toExtend<Catalog>();
    expectTypeOf<WhoamiBody>().toExtend<WhoamiResponse>();
    expectTypeOf<ErrorBody["error"]>().toExtend<{ code: string; message: string; requestId?: string }>();
  });
});
