import { describe, expect, it } from "vitest";
import { CatalogError } from "../../lambda/catalog/errors.js";
import {
  MAX_SERVED_CATALOG_BYTES,
  MAX_UPSTREAM_BYTES,
  parseUpstreamModels,
  sameModels,
  type CatalogModel,
} from "../../lambda/catalog/models.js";
import { isReasoningModel } from "../../lambda/rules.js";
import { NO_OVERRIDES, servedEtag, serveModels, type ServedModel } from "../../lambda/catalog/overrides.js";

const ROOT = "https://bedrock-mantle.us-east-1.api.aws";
const served = (models: CatalogModel[]): ServedModel[] => serveModels(models, NO_OVERRIDES, ROOT);
const modelsEtag = (models: ServedModel[]): string => servedEtag(models);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const parse = (value: unknown): CatalogModel[] => parseUpstreamModels(bytes(JSON.stringify(value)));
const ids = (models: CatalogModel[]): string[] => models.map((m) => m.id);

function rejects(body: Uint8Array, message: RegExp): void {
  let thrown: unknown;
  try {
    parseUpstreamModels(body);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CatalogError);
  expect((thrown as Error).message).toMatch(message);
}

const MANTLE_ANSWER = {
  object: "list",
  data: [
    { id: "openai.gpt-oss-120b", object: "model", created: 1_754_000_000, owned_by: "openai" },
    { id: "moonshotai.kimi-k2-thinking", object: "model", created: 1_762_000_000, owned_by: "moonshotai" },
    { id: "deepseek.v3.2", object: "model", created: 1_765_000_000, owned_by: "deepseek" },
  ],
};

describe("parseUpstreamModels maps the OpenAI list shape to catalog models", () => {
  it("maps id, owned_by and created, names each model by its id and infers reasoning", () => {
    expect(parse(MANTLE_ANSWER)).toEqual([
      { id: "deepseek.v3.2", name: "deepseek.v3.2", ownedBy: "deepseek", created: 1_765_000_000, reasoning: false },
      {
        id: "moonshotai.kimi-k2-thinking",
        name: "moonshotai.kimi-k2-thinking",
        ownedBy: "moonshotai",
        created: 1_762_000_000,
        reasoning: true,
      },
      { id: "openai.gpt-oss-120b", name: "openai.gpt-oss-120b", ownedBy: "openai", created: 1_754_000_000, reasoning: true },
    ]);
  });

  it("accepts a list without the optional top-level object field", () => {
    expect(ids(parse({ data: [{ id: "a.b" }] }))).toEqual(["a.b"]);
  });

  it("accepts an empty list: an upstream may legitimately list nothing", () => {
    expect(parse({ object: "list", data: [] })).toEqual([]);
  });

  it("removes duplicate ids, keeping the first occurrence", () => {
    const models = parse({ data: [{ id: "x.y", owned_by: "first" }, { id: "x.y", owned_by: "second" }, { id: "a.b" }] });
    expect(models.map((m) => [m.id, m.ownedBy])).toEqual([
      ["a.b", null],
      ["x.y", "first"],
    ]);
  });
});

describe("parseUpstreamModels ignores unknown fields and tolerates missing optional ones", () => {
  it("drops unknown fields at every level", () => {
    const models = parse({ object: "list", has_more: false, data: [{ id: "a.b", permission: [{}], root: "a", extra: { x: 1 } }] });
    expect(models).toEqual([{ id: "a.b", name: "a.b", ownedBy: null, created: null, reasoning: false }]);
    expect(Object.keys(models[0] ?? {}).sort()).toEqual(["created", "id", "name", "ownedBy", "reasoning"]);
  });

  it("gives null for a missing owned_by and created", () => {
    expect(parse({ data: [{ id: "a.b" }] })[0]).toMatchObject({ ownedBy: null, created: null });
  });

  it.each([
    ["a string", "1754000000"],
    ["a fraction", 1_754_000_000.5],
    ["negative", -5],
    ["null", null],
    ["an object", { s: 1 }],
  ])("gives null for a created that is %s", (_label, created) => {
    expect(parse({ data: [{ id: "a.b", created }] })[0]?.created).toBeNull();
  });

  it.each([
    ["a number", 7],
    ["empty", ""],
    ["null", null],
  ])("gives null for an owned_by that is %s", (_label, owned_by) => {
    expect(parse({ data: [{ id: "a.b", owned_by }] })[0]?.ownedBy).toBeNull();
  });
});

describe("parseUpstreamModels bounds and sanitises hostile field values", () => {
  const NOW = Date.parse("2026-11-25T12:00:00Z");
  const one = (entry: object): CatalogModel | undefined => parseUpstreamModels(bytes(JSON.stringify({ data: [{ id: "a.b", ...entry }] })), NOW)[0];

  it.each([
    ["3 MB long", "x".repeat(3_000_000)],
    ["just over 100 characters", "o".repeat(101)],
    ["carrying a terminal escape sequence", "openai\u001b]0;pwned\u0007"],
    ["carrying a newline", "open\nai"],
    ["carrying a bidirectional override", "open\u202eai"],
    ["non-ASCII", "opénai"],
  ])("drops an owned_by %s (null)", (_label, owned_by) => {
    expect(one({ owned_by })?.ownedBy).toBeNull();
  });

  it("keeps a printable owned_by of up to 100 characters, spaces included", () => {
    expect(one({ owned_by: "Mistral AI" })?.ownedBy).toBe("Mistral AI");
    expect(one({ owned_by: "o".repeat(100) })?.ownedBy).toBe("o".repeat(100));
  });

  it.each([
    ["1e15 (year 31 million)", 1e15],
    ["two days ahead", NOW / 1000 + 2 * 86_400],
    ["Number.MAX_SAFE_INTEGER", Number.MAX_SAFE_INTEGER],
  ])("gives null for a created %s", (_label, created) => {
    expect(one({ created })?.created).toBeNull();
  });

  it("keeps a created from 0 up to a day ahead", () => {
    expect(one({ created: 0 })?.created).toBe(0);
    expect(one({ created: NOW / 1000 + 3_600 })?.created).toBe(NOW / 1000 + 3_600);
  });

  it("rejects a list whose served form would exceed the cap below Lambda's 6 MB response limit, and says so", () => {
    expect(MAX_SERVED_CATALOG_BYTES).toBeLessThan(6 * 1024 * 1024 * 0.8);
    // Under the 4 MiB upstream limit, yet twice the size once every model carries its id as its name.
    const id = (i: number): string => `m.${String(i).padStart(6, "0")}${"x".repeat(180)}`;
    const data = Array.from({ length: 20_000 }, (_, i) => ({ id: id(i) }));
    const body = bytes(JSON.stringify({ data }));
    expect(body.byteLength).toBeLessThan(MAX_UPSTREAM_BYTES);
    rejects(body, /too large to serve.*Lambda's 6 MB response limit/);
  });
});

describe("parseUpstreamModels rejects every invalid answer with a CatalogError", () => {
  it("rejects a body over 4 MiB, even if it is a valid list", () => {
    const head = '{"data":[{"id":"a.b"}],"pad":"';
    const body = bytes(head + "x".repeat(MAX_UPSTREAM_BYTES - head.length - 1) + '"}');
    expect(body.byteLength).toBe(MAX_UPSTREAM_BYTES + 1);
    rejects(body, /larger than/);
  });

  it("accepts a valid list of exactly 4 MiB", () => {
    const head = '{"data":[{"id":"a.b"}],"pad":"';
    const body = bytes(head + "x".repeat(MAX_UPSTREAM_BYTES - head.length - 2) + '"}');
    expect(body.byteLength).toBe(MAX_UPSTREAM_BYTES);
    expect(ids(parseUpstreamModels(body))).toEqual(["a.b"]);
  });

  it("rejects bytes that are not UTF-8", () => {
    const body = bytes('{"data":[{"id":"a.b"}]}');
    const broken = new Uint8Array([...body.slice(0, 14), 0xff, 0xfe, ...body.slice(14)]);
    rejects(broken, /UTF-8/);
  });

  it.each([["empty", ""], ["truncated", '{"data":['], ["HTML", "<html>502 Bad Gateway</html>"]])(
    "rejects a body that is not JSON (%s)",
    (_label, text) => rejects(bytes(text), /not JSON/),
  );

  it.each<[string, unknown, RegExp]>([
    ["a bare array", [{ id: "a.b" }], /not a JSON object/],
    ["null", null, /not a JSON object/],
    ["a string", "list", /not a JSON object/],
    ["an object other than list", { object: "model", data: [] }, /"object"/],
    ["missing data", { object: "list" }, /"data"/],
    ["data null", { data: null }, /"data"/],
    ["data an object", { data: { id: "a.b" } }, /"data"/],
    ["an entry that is a string", { data: ["a.b"] }, /not an object/],
    ["an entry that is null", { data: [null] }, /not an object/],
    ["an entry without id", { data: [{ owned_by: "x" }] }, /no string id/],
    ["a numeric id", { data: [{ id: 42 }] }, /no string id/],
    ["an empty id", { data: [{ id: "" }] }, /no string id/],
    ["an id with a space", { data: [{ id: "a b" }] }, /invalid id/],
    ["an id with a newline", { data: [{ id: "a\nb" }] }, /invalid id/],
    ["an id with a control character", { data: [{ id: "a\u0007b" }] }, /invalid id/],
    ["a non-ASCII id", { data: [{ id: "modèle" }] }, /invalid id/],
    ["an id over 200 characters", { data: [{ id: "a".repeat(201) }] }, /invalid id/],
  ])("rejects %s", (_label, value, message) => rejects(bytes(JSON.stringify(value)), message));

  it("accepts an id of exactly 200 characters", () => {
    expect(ids(parse({ data: [{ id: "a".repeat(200) }] }))).toEqual(["a".repeat(200)]);
  });

  it("rejects the whole list when one entry is invalid, rather than serving part of it", () => {
    rejects(bytes(JSON.stringify({ data: [{ id: "a.b" }, { id: "" }] })), /model 1/);
  });
});

describe("parseUpstreamModels sorts by id in UTF-16 code-unit order, not locale order", () => {
  it("puts uppercase before lowercase", () => {
    expect(ids(parse({ data: [{ id: "b" }, { id: "a" }, { id: "B" }, { id: "A" }] }))).toEqual(["A", "B", "a", "b"]);
  });

  it("puts '-' (0x2d) before '.' (0x2e) before digits before '_'", () => {
    expect(ids(parse({ data: [{ id: "a_b" }, { id: "a.b" }, { id: "a1b" }, { id: "a-b" }] }))).toEqual(["a-b", "a.b", "a1b", "a_b"]);
  });

  it("orders digits by code unit, so 10 comes before 9", () => {
    expect(ids(parse({ data: [{ id: "m-9b" }, { id: "m-10b" }] }))).toEqual(["m-10b", "m-9b"]);
  });

  it("differs from localeCompare on these ids", () => {
    const sample = ["a.b", "a-b", "B", "a"];
    expect(ids(parse({ data: sample.map((id) => ({ id })) }))).not.toEqual([...sample].sort((x, y) => x.localeCompare(y)));
  });
});

describe("isReasoningModel follows the documented id patterns, case-insensitively", () => {
  it.each([
    // every pattern on its own
    ["thinking", true],
    ["reasoner", true],
    ["reasoning", true],
    ["deepseek.r", true],
    ["gpt-oss-120b", true],
    ["gpt-oss-safeguard-120b", true],
    // realistic positives
    ["moonshotai.kimi-k2-thinking", true],
    ["deepseek.r1", true],
    ["deepseek.r1-v1:0", true],
    ["openai.gpt-oss-120b", true],
    ["openai.gpt-oss-safeguard-120b", true],
    ["qwen.qwen3-235b-a22b-thinking-2507", true],
    ["deepseek.deepseek-reasoner", true],
    ["vendor.model-reasoning-large", true],
    ["MoonshotAI.Kimi-K2-THINKING", true],
    ["DeepSeek.R1", true],
    ["OpenAI.GPT-OSS-120B", true],
    // realistic negatives
    ["openai.gpt-oss-20b", false],
    ["openai.gpt-oss-safeguard-20b", false],
    ["deepseek.v3.2", false],
    ["mistral.devstral-2-123b", false],
    ["qwen.qwen3-32b", false],
    ["moonshotai.kimi-k2-instruct", false],
    ["google.gemma-3-27b-it", false],
    ["think", false],
    ["reason", false],
    ["deepseek-r1", false],
  ])("%s → %s", (id, expected) => {
    expect(isReasoningModel(id)).toBe(expected);
  });

  it("is what parseUpstreamModels reports per model", () => {
    const models = parse({ data: [{ id: "deepseek.r1" }, { id: "deepseek.v3.2" }] });
    expect(models.map((m) => [m.id, m.reasoning])).toEqual([
      ["deepseek.r1", true],
      ["deepseek.v3.2", false],
    ]);
  });
});

describe("the catalog etag is a strong etag that changes if and only if the served models change", () => {
  const base = served(parse(MANTLE_ANSWER));
  const copy = (): ServedModel[] => base.map((m) => ({ ...m, apis: [...m.apis], input: [...m.input] }));

  it("is a quoted strong etag of etag characters", () => {
    expect(modelsEtag(base)).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
  });

  it("is the same for equal models, however their objects were built", () => {
    const reordered = base.map((m) => ({
      input: m.input,
      maxOutputTokens: m.maxOutputTokens,
      contextWindow: m.contextWindow,
      baseUrl: m.baseUrl,
      apis: m.apis,
      reasoning: m.reasoning,
      created: m.created,
      ownedBy: m.ownedBy,
      name: m.name,
      id: m.id,
    }));
    expect(modelsEtag(copy())).toBe(modelsEtag(base));
    expect(modelsEtag(reordered)).toBe(modelsEtag(base));
  });

  it("is the same for the same upstream answer with different unknown fields or entry order", () => {
    const shuffled = { data: [...MANTLE_ANSWER.data].reverse().map((m) => ({ ...m, served_at: Date.now() })) };
    expect(modelsEtag(served(parse(shuffled)))).toBe(modelsEtag(base));
  });

  it.each<[string, (models: ServedModel[]) => void]>([
    ["a model is added", (m) => m.push({ ...(m[0] as ServedModel), id: "z.z" })],
    ["a model is removed", (m) => m.pop()],
    ["an id changes", (m) => Object.assign(m[0] ?? {}, { id: "deepseek.v3.3" })],
    ["a name changes", (m) => Object.assign(m[0] ?? {}, { name: "DeepSeek V3.2" })],
    ["ownedBy changes", (m) => Object.assign(m[0] ?? {}, { ownedBy: null })],
    ["created changes", (m) => Object.assign(m[0] ?? {}, { created: 1 })],
    ["reasoning changes", (m) => Object.assign(m[0] ?? {}, { reasoning: !(m[0] as ServedModel).reasoning })],
    ["apis change", (m) => (m[0] as ServedModel).apis.push("responses")],
    ["baseUrl changes", (m) => Object.assign(m[0] ?? {}, { baseUrl: `${ROOT}/openai/v1` })],
    ["contextWindow changes", (m) => Object.assign(m[0] ?? {}, { contextWindow: 7 })],
    ["maxOutputTokens changes", (m) => Object.assign(m[0] ?? {}, { maxOutputTokens: 7 })],
    ["input changes", (m) => (m[0] as ServedModel).input.push("image")],
  ])("changes when %s", (_label, mutate) => {
    const changed = copy();
    mutate(changed);
    expect(modelsEtag(changed)).not.toBe(modelsEtag(base));
  });

  it("is the etag of an empty list too, distinct from any non-empty one", () => {
    expect(modelsEtag([])).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(modelsEtag([])).not.toBe(modelsEtag(base));
  });
});

describe("sameModels compares every served field", () => {
  const base = parse(MANTLE_ANSWER);

  it("is true for field-equal copies", () => {
    expect(sameModels(base, base.map((m) => ({ ...m })))).toBe(true);
    expect(sameModels([], [])).toBe(true);
  });

  it("is false for different lengths", () => {
    expect(sameModels(base, base.slice(1))).toBe(false);
    expect(sameModels(base.slice(1), base)).toBe(false);
  });
});
