process.env.AWS_EC2_METADATA_DISABLED = "true";

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelsAdmin } from "../../lambda/admin/models-admin.js";
import { OverridesError } from "../../lambda/catalog/errors.js";
import { checkOverrides, mergeOverride, NO_OVERRIDES, removeOverride, serveModels, type Overrides, type ServedModel } from "../../lambda/catalog/overrides.js";
import { OverridesStore } from "../../lambda/catalog/overrides-store.js";
import { FAMILY_RULES, FAMILY_RULES_CHECKED, familyTraits } from "../../lambda/catalog/routes.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CatalogModel } from "../../lambda/catalog/models.js";
import type { MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { startFixture, useFixture } from "../support/fixture.js";
import { functionUrlEvent } from "../support/events.js";
import { startService, type TestService } from "../support/service.js";
import { ssmStore } from "../support/ssm.js";
import { parameterPaths } from "../../lambda/store/index.js";
import { HOSTILE_IDS } from "../support/hostile-text.js";

const ROOT = "https://bedrock-mantle.us-east-1.api.aws";
const model = (id: string): CatalogModel => ({ id, name: id, ownedBy: null, created: null, reasoning: false });
const serve = (ids: string[], overrides: Overrides = NO_OVERRIDES): ServedModel[] => serveModels(ids.map(model), overrides, ROOT);
const one = (id: string, overrides: Overrides = NO_OVERRIDES): ServedModel | undefined => serve([id], overrides).find((m) => m.id === id);

describe("the family rules give each model its API families, prefix, limits and input", () => {
  it("GPT-5 is Responses-only on /openai/v1, Claude Messages on /anthropic, gpt-oss both OpenAI APIs on /v1", () => {
    expect(one("openai.gpt-5.5")).toMatchObject({ apis: ["responses"], baseUrl: `${ROOT}/openai/v1`, contextWindow: 1_050_000, input: ["text", "image"] });
    expect(one("anthropic.claude-haiku-4-5")).toMatchObject({ apis: ["messages"], baseUrl: `${ROOT}/anthropic`, contextWindow: 200_000, maxOutputTokens: 64_000 });
    expect(one("openai.gpt-oss-120b")).toMatchObject({ apis: ["chat-completions", "responses"], baseUrl: `${ROOT}/v1`, contextWindow: 128_000 });
  });

  it("the longest matching prefix wins, and an unknown family gets chat-completions on /v1 with unknown limits", () => {
    expect(one("anthropic.claude-opus-4-1")?.maxOutputTokens).toBe(32_000);
    expect(one("anthropic.claude-opus-9")?.maxOutputTokens).toBe(128_000);
    expect(one("acme.new-model")).toMatchObject({ apis: ["chat-completions"], baseUrl: `${ROOT}/v1`, contextWindow: null, maxOutputTokens: null, input: ["text"] });
  });

  it("every rule is well formed: known APIs, a prefix that fits its APIs, positive or null limits, a source", () => {
    for (const rule of FAMILY_RULES) {
      expect(rule.apis.includes("messages"), rule.prefix).toBe(rule.route === "/anthropic");
      for (const limit of [rule.contextWindow, rule.maxOutputTokens]) expect(limit === null || limit > 0).toBe(true);
      expect(rule.source.length).toBeGreaterThan(0);
      expect(familyTraits(rule.prefix)).toMatchObject({ apis: rule.apis, route: rule.route });
    }
  });
});

describe("docs/catalog.md documents every rule with its source and the date the sources were checked", () => {
  it("has a row per rule with the same APIs, route and limits", () => {
    const doc = readFileSync(join(import.meta.dirname, "../../docs/catalog.md"), "utf8");
    expect(doc).toContain(`read on **${FAMILY_RULES_CHECKED}**`);
    const n = (v: number | null): string => (v === null ? "—" : v.toLocaleString("en-US"));
    for (const r of FAMILY_RULES) {
      expect(doc).toContain(`| \`${r.prefix}\` | ${r.apis.join(", ")} | \`${r.route}\` | ${n(r.contextWindow)} | ${n(r.maxOutputTokens)} | ${r.input.join(", ")} | ${r.source} |`);
    }
  });
});

describe("overrides always win, more specific entries over less specific ones", () => {
  const overrides = checkOverrides({
    "*": { maxOutputTokens: 1000 },
    "openai.*": { input: ["text"] },
    "openai.gpt-5.*": { apis: ["chat-completions", "responses"], reasoning: true },
    "openai.gpt-5.5": { contextWindow: 400_000, route: "/v1" },
    "deepseek.*": { hidden: true },
    "deepseek.r1": { hidden: false },
    "anthropic.claude-haiku-4-5": { add: true },
  });

  it("applies * then prefixes by length then the exact id", () => {
    expect(one("openai.gpt-5.5", overrides)).toMatchObject({
      apis: ["chat-completions", "responses"],
      baseUrl: `${ROOT}/v1`,
      contextWindow: 400_000,
      maxOutputTokens: 1000,
      reasoning: true,
      input: ["text"],
    });
  });

  it("hidden models are absent; an exact --show beats a hidden prefix", () => {
    expect(serve(["deepseek.v3.2", "deepseek.r1", "qwen.qwen3-32b"], overrides).map((m) => m.id)).toEqual(["anthropic.claude-haiku-4-5", "deepseek.r1", "qwen.qwen3-32b"]);
  });

  it("add serves a model Mantle's list lacks, in id order, and changes nothing when the list has it", () => {
    expect(serve(["zai.glm-5"], overrides).map((m) => m.id)).toEqual(["anthropic.claude-haiku-4-5", "zai.glm-5"]);
    expect(one("anthropic.claude-haiku-4-5", overrides)).toMatchObject({ ownedBy: null, created: null, apis: ["messages"] });
    expect(serve(["anthropic.claude-haiku-4-5"], overrides)).toHaveLength(1);
  });
});

describe("bad override values are refused with a message naming the problem", () => {
  it.each<[string, unknown, RegExp]>([
    ["a route outside the three prefixes", { m: { route: "/v2" } }, /route must be one of/],
    ["an unknown API", { m: { apis: ["chat"] } }, /apis must be a non-empty list/],
    ["an empty API list", { m: { apis: [] } }, /apis must be a non-empty list/],
    ["a negative limit", { m: { contextWindow: -1 } }, /contextWindow must be a whole number/],
    ["a fractional limit", { m: { maxOutputTokens: 1.5 } }, /maxOutputTokens must be a whole number/],
    ["an unknown modality", { m: { input: ["audio"] } }, /input must be a non-empty list of text, image/],
    ["a non-boolean flag", { m: { hidden: "yes" } }, /hidden must be true or false/],
    ["add on a prefix", { "m*": { add: true } }, /add needs an exact model id/],
    ["an unknown field", { m: { colour: "red" } }, /unknown fields: colour/],
    ["an empty entry", { m: {} }, /sets nothing/],
    ["a * inside a key", { "a*b": { hidden: true } }, /not a model id or an id prefix/],
    ["a key with a space", { "a b": { hidden: true } }, /not a model id or an id prefix/],
    ["a key outside the Mantle id alphabet", { "$(id)": { add: true } }, /not a model id or an id prefix/],
  ])("%s", (_label, value, message) => {
    expect(() => checkOverrides(value)).toThrow(OverridesError);
    expect(() => checkOverrides(value)).toThrow(message);
  });

  it("set merges fields into the entry and unset removes it", () => {
    const first = mergeOverride(NO_OVERRIDES, "m", { hidden: true });
    const second = mergeOverride(first, "m", { contextWindow: 10, hidden: false });
    expect(second).toEqual({ m: { hidden: false, contextWindow: 10 } });
    expect(removeOverride(second, "m")).toEqual({});
  });
});

describe("override ids are Mantle ids: letters, digits, '.', '-', '_' and ':', where they enter", () => {
  it.each(HOSTILE_IDS)("%j is refused, as an id and as a prefix", (id) => {
    expect(() => checkOverrides({ [id]: { add: true } })).toThrow(/is not a model id or an id prefix ending in \*/);
    expect(() => checkOverrides({ [`${id}*`]: { hidden: true } })).toThrow(/is not a model id or an id prefix ending in \*/);
    expect(() => mergeOverride(NO_OVERRIDES, id, { add: true })).toThrow(OverridesError);
  });

  it("real ids and prefixes are kept", () => {
    const ids = ["openai.gpt-oss-120b", "anthropic.claude-3-5-sonnet-20240620-v1:0", "moonshotai.kimi-k2-thinking", "deepseek.v3.2", "acme.model_x", "openai.gpt-5.*", "*"];
    expect(Object.keys(checkOverrides(Object.fromEntries(ids.map((id) => [id, { hidden: true }]))))).toEqual([...ids].sort());
  });

  it("the message quotes a refused id as JSON, so it cannot break the line it is printed on", () => {
    expect(() => checkOverrides({ "a\nb\u001b[2J": { hidden: true } })).toThrow('"a\\nb\\u001b[2J" is not a model id');
  });
});

describe("__proto__, constructor and prototype are refused as override ids, and no prototype is touched", () => {
  it.each(["__proto__", "constructor", "prototype"])("%s: set is refused, a stored document holding it is refused, Object.prototype unchanged", (id) => {
    expect(() => mergeOverride(NO_OVERRIDES, id, { hidden: true })).toThrow(`"${id}" is reserved`);
    // As JSON.parse makes it (an own property, even for __proto__), what a hand-written document holds.
    expect(() => checkOverrides(JSON.parse(`{"${id}":{"hidden":true}}`))).toThrow(`"${id}" is reserved`);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(Object.getOwnPropertyNames(Object.getPrototypeOf({})).sort());
    expect(({} as Record<string, unknown>)["hidden"]).toBeUndefined();
  });

  it("a document's entries are its own: lookups never find an inherited one", () => {
    const overrides = checkOverrides({ "acme.a": { hidden: true } });
    expect(Object.getPrototypeOf(overrides)).toBe(Object.prototype);
    expect(mergeOverride(overrides, "acme.b", { hidden: true })).toEqual({ "acme.a": { hidden: true }, "acme.b": { hidden: true } });
    expect(removeOverride(overrides, "acme.a")).toEqual({});
  });
});

describe("a running service picks up an override change on its next key-version poll, at no steady-state SSM cost", () => {
  let ssm: SsmFake;
  let emulator: MantleEmulator;
  let service: TestService;
  let key: string;
  const models = () => service.api(functionUrlEvent({ path: "/v1/models", query: "region=us-east-1", key }));
  const ids = async (): Promise<string[]> => ((JSON.parse((await models()).body) as { models: ServedModel[] }).models).map((m) => m.id);

  let fixture: Awaited<ReturnType<typeof startFixture>>;

  beforeEach(async () => {
    // A fresh service per test: each one moves its clock and its stored overrides.
    fixture = await startFixture({ ssm: true, service: ({ ssm }) => ({ store: ssm && ssmStore(ssm), pollIntervalMs: 60_000 }) });
    ({ ssm, emulator, service } = fixture);
    emulator.setCatalog("us-east-1", [{ id: "openai.gpt-oss-120b" }, { id: "deepseek.v3.2" }]);
    ({ key } = await service.createKey());
    await models();
    await service.settle();
  });
  afterEach(() => fixture.close());

  it("hides a model and moves the etag within a minute; a minute without changes costs one GetParameter", async () => {
    const before = await models();
    await new ModelsAdmin(ssmStore(ssm), "/mantle-vend").set("deepseek.v3.2", { hidden: true });
    expect(await ids()).toEqual(["deepseek.v3.2", "openai.gpt-oss-120b"]); // not polled yet
    service.clock.advanceSeconds(61);
    await models(); // the poll runs in the background
    await service.settle();
    const after = await models();
    expect((JSON.parse(after.body) as { models: ServedModel[] }).models.map((m) => m.id)).toEqual(["openai.gpt-oss-120b"]);
    expect(after.headers?.["etag"]).not.toBe(before.headers?.["etag"]);
    const stale = await service.api(functionUrlEvent({ path: "/v1/models", query: "region=us-east-1", key, headers: { "if-none-match": String(before.headers?.["etag"]) } }));
    expect(stale.statusCode).toBe(200);

    ssm.resetCalls();
    service.clock.advanceSeconds(61);
    await models();
    await service.settle();
    expect(ssm.calls.map((c) => `${c.action} ${c.name ?? ""}`)).toEqual(["GetParameter /mantle-vend/keys-version"]);
  });

  it("a corrupt stored document is ignored and logged; the catalog is still served, with the last good overrides", async () => {
    await new ModelsAdmin(ssmStore(ssm), "/mantle-vend").set("deepseek.v3.2", { hidden: true });
    service.clock.advanceSeconds(61);
    await models();
    await service.settle();
    expect(await ids()).toEqual(["openai.gpt-oss-120b"]);
    // A writer that bypassed the CLI: a valid shard set whose document breaks the rules.
    const store = ssmStore(ssm);
    await new OverridesStore(store, parameterPaths("/mantle-vend")).write(NO_OVERRIDES, new Date());
    await store.put("/mantle-vend/catalog-overrides/0", "not base64 gzip at all");
    await store.put("/mantle-vend/keys-version", "bumped");
    service.clock.advanceSeconds(61);
    await models();
    await service.settle();
    const result = await models();
    expect(result.statusCode).toBe(200);
    expect(await ids()).toEqual(["openai.gpt-oss-120b"]);
  });

  it("a corrupt document in a fresh container serves the catalog without overrides", async () => {
    const store = ssmStore(ssm);
    await store.put("/mantle-vend/catalog-overrides", "{not json");
    const fresh = await startService({ store, emulator, pollIntervalMs: 60_000 });
    try {
      const result = await fresh.api(functionUrlEvent({ path: "/v1/models", query: "region=us-east-1", key }));
      expect(result.statusCode).toBe(200);
      expect((JSON.parse(result.body) as { models: ServedModel[] }).models.map((m) => m.id)).toEqual(["deepseek.v3.2", "openai.gpt-oss-120b"]);
    } finally {
      await fresh.close();
    }
  });
});

describe("the overrides document is sharded like catalogs when it outgrows one parameter", () => {
  const fixture = useFixture({ ssm: true });

  it("round-trips 400 entries through the SSM fake's 4,096-character limit", async () => {
    const store = ssmStore(fixture.ssm);
    const overrides: Record<string, { contextWindow: number; apis: ["chat-completions"] }> = {};
    for (let i = 0; i < 400; i++) overrides[`vendor${i}.model-${(i * 7919).toString(36)}-${i}`] = { contextWindow: 1000 + i * 17, apis: ["chat-completions"] };
    await new OverridesStore(store, parameterPaths("/mantle-vend")).write(overrides, new Date());
    const index = JSON.parse((await store.get("/mantle-vend/catalog-overrides")) ?? "{}") as { parts: number };
    expect(index.parts).toBeGreaterThan(1);
    expect(await new OverridesStore(store, parameterPaths("/mantle-vend")).read()).toEqual(checkOverrides(overrides));
  });
});
