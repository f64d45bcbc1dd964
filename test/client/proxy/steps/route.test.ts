import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { splitTarget } from "../../../../client/src/proxy/routing.js";
import { MAX_ROUTED_BODY_BYTES, route } from "../../../../client/src/proxy/steps/route.js";
import type { CatalogView } from "../../../../client/src/proxy/catalog.js";
import { parseCatalog } from "../../../../client/src/responses.js";
import { catalogFixture } from "../../../support/client-support.js";
import { incoming, parsedCatalog } from "../../../support/incoming.js";

const catalog = parsedCatalog();
const known = async (): Promise<CatalogView> => ({ catalog, note: undefined });
const down = async (): Promise<CatalogView> => ({ catalog: undefined, note: "unavailable; reason=network_error" });
const stale = async (): Promise<CatalogView> => ({ catalog, note: "stale; reason=no_answer" });
/** The route step's sources: a catalog, and a grant that admits every model unless given one. */
const via = (catalog: () => Promise<CatalogView>, models?: readonly string[]) => ({ catalog, grantModels: async () => models });
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  incoming({ method: "POST", url, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("GET /v1/models is answered with the team catalog in the OpenAI list shape", () => {
  it("every model of the catalog an OpenAI SDK can call, none fetched from Mantle; the Messages models on the Anthropic list", async () => {
    const answer = await route(incoming({ url: "/v1/models" }), via(known));
    expect(answer).toMatchObject({ kind: "answer", status: 200 });
    const body = JSON.parse(answer.kind === "answer" ? answer.body : "{}") as { object: string; data: Array<{ id: string }> };
    expect(body.object).toBe("list");
    const openAi = catalog.models.filter((m) => m.apis.some((api) => api !== "messages"));
    expect(body.data.map((m) => m.id)).toEqual(openAi.map((m) => m.id));
    const anthropic = await route(incoming({ url: "/anthropic/v1/models?limit=20" }), via(known));
    const list = JSON.parse(anthropic.kind === "answer" ? anthropic.body : "{}") as { data: Array<{ id: string; type: string }> };
    expect(list.data.map((m) => m.id)).toEqual(catalog.models.filter((m) => m.apis.includes("messages")).map((m) => m.id));
    expect(list.data.length).toBeGreaterThan(0);
  });

  it("503 catalog_unavailable when no catalog is held, saying why in x-mantle-vend-catalog", async () => {
    expect(await route(incoming({ url: "/v1/models" }), via(down))).toMatchObject({ kind: "answer", status: 503, headers: { "x-mantle-vend-catalog": "unavailable; reason=network_error" } });
  });

  it("a stale catalog is listed, and the answer says it is stale", async () => {
    expect(await route(incoming({ url: "/v1/models" }), via(stale))).toMatchObject({ kind: "answer", status: 200, headers: { "x-mantle-vend-catalog": "stale; reason=no_answer" } });
  });
});

describe("a JSON POST to an API path is read for its model and sent to the model's route", () => {
  it("/v1/responses for a GPT-5 model → /openai/v1/responses, query kept, the body held whole", async () => {
    const body = { model: "openai.gpt-5.5", input: "hi" };
    const routed = await route(post("/v1/responses?trace=1", body), via(known));
    expect(routed).toMatchObject({ kind: "forward", path: "/openai/v1/responses?trace=1", peeked: { complete: true } });
    expect(routed.kind === "forward" && Buffer.concat(routed.peeked?.chunks ?? []).toString()).toBe(JSON.stringify(body));
  });

  it("a model on its own route goes unchanged; one the catalog does not know too", async () => {
    expect(await route(post("/v1/chat/completions", { model: "deepseek.v3.2" }), via(known))).toMatchObject({ kind: "forward", path: "/v1/chat/completions" });
    expect(await route(post("/v1/chat/completions", { model: "acme.unknown" }), via(known))).toMatchObject({ kind: "forward", path: "/v1/chat/completions" });
  });

  it("a model that lacks the called API: the proxy's 400 in that API's error shape", async () => {
    const openai = await route(post("/v1/chat/completions", { model: "openai.gpt-5.5" }), via(known));
    expect(openai).toMatchObject({ kind: "answer", status: 400 });
    expect(JSON.parse(openai.kind === "answer" ? openai.body : "{}")).toMatchObject({ error: { code: "unsupported_api", param: "model" } });
    const anthropic = await route(post("/anthropic/v1/messages", { model: "deepseek.v3.2" }), via(known));
    expect(JSON.parse(anthropic.kind === "answer" ? anthropic.body : "{}")).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("without a catalog the request goes on unrouted, with what was read, and the answer will say why", async () => {
    const routed = await route(post("/v1/responses", { model: "openai.gpt-5.5" }), via(down));
    expect(routed).toMatchObject({ kind: "forward", path: "/v1/responses", peeked: { complete: true }, note: "unavailable; reason=network_error" });
  });

  it("a stale catalog still routes, and its decisions carry the note: a move, and the proxy's own 400", async () => {
    expect(await route(post("/v1/responses", { model: "openai.gpt-5.5" }), via(stale))).toMatchObject({ kind: "forward", path: "/openai/v1/responses", note: "stale; reason=no_answer" });
    expect(await route(post("/v1/chat/completions", { model: "openai.gpt-5.5" }), via(stale))).toMatchObject({ kind: "answer", status: 400, headers: { "x-mantle-vend-catalog": "stale; reason=no_answer" } });
  });

  it("a current catalog adds no note", async () => {
    const routed = await route(post("/v1/responses", { model: "openai.gpt-5.5" }), via(known));
    expect(routed.kind === "forward" && "note" in routed).toBe(false);
  });
});

describe("a model's route counts only when its base URL is on the catalog's own Mantle root", () => {
  it("a model the catalog places under another root is forwarded unchanged: neither moved nor refused", async () => {
    const root = "https://bedrock-mantle.us-east-1.api.aws";
    const foreign = parseCatalog({
      ...catalogFixture("us-east-1", `${root}/v1`),
      models: [
        { id: "acme.elsewhere", name: "acme.elsewhere", ownedBy: null, created: null, reasoning: false, apis: ["responses"], baseUrl: "https://gateway.example/openai/v1", contextWindow: null, maxOutputTokens: null, input: ["text"] },
        { id: "acme.here", name: "acme.here", ownedBy: null, created: null, reasoning: false, apis: ["responses"], baseUrl: `${root}/openai/v1`, contextWindow: null, maxOutputTokens: null, input: ["text"] },
      ],
    });
    const view = async (): Promise<CatalogView> => ({ catalog: foreign, note: undefined });
    expect(await route(post("/v1/responses", { model: "acme.elsewhere" }), via(view))).toMatchObject({ kind: "forward", path: "/v1/responses" });
    expect(await route(post("/v1/chat/completions", { model: "acme.elsewhere" }), via(view))).toMatchObject({ kind: "forward", path: "/v1/chat/completions" });
    // The same model on the catalog's root is moved (and refused on an API it lacks).
    expect(await route(post("/v1/responses", { model: "acme.here" }), via(view))).toMatchObject({ kind: "forward", path: "/openai/v1/responses" });
    expect(await route(post("/v1/chat/completions", { model: "acme.here" }), via(view))).toMatchObject({ kind: "answer", status: 400 });
  });
});

describe("what is not read for a model goes on unchanged and unread", () => {
  it("other methods and paths never ask for the catalog", async () => {
    const catalogAsked = vi.fn(known);
    for (const req of [incoming({ url: "/v1/files" }), post("/v1/embeddings", { model: "x" }), incoming({ method: "DELETE", url: "/v1/responses/r1" })]) {
      const routed = await route(req, via(catalogAsked));
      expect(routed).toEqual({ kind: "forward", path: req.url });
    }
    expect(catalogAsked).not.toHaveBeenCalled();
  });

  it("a compressed body, and one announced larger than 1 MiB", async () => {
    expect(await route(post("/v1/responses", { model: "openai.gpt-5.5" }, { "content-encoding": "gzip" }), via(known))).toEqual({ kind: "forward", path: "/v1/responses" });
    const large = post("/v1/responses", { model: "openai.gpt-5.5" }, { "content-length": String(MAX_ROUTED_BODY_BYTES + 1) });
    expect(await route(large, via(known))).toMatchObject({ kind: "forward", path: "/v1/responses", peeked: { complete: false, chunks: [] } });
  });
});

describe("a request target is read as a URL parser reads it, without parsing the usual one", () => {
  const chars = [..."/?#%.:@!$&'()*+,;=-_~ab09AZ\\\"<>`{}|^[]é"];
  const target = fc.array(fc.constantFrom(...chars), { maxLength: 24 }).map((cs) => `/${cs.join("")}`);

  it("splitTarget(t) is new URL(t, base)'s pathname and search, for any target (and fails where it fails)", () => {
    const parsed = (t: string): unknown => {
      try {
        const url = new URL(t, "http://proxy");
        return { pathname: url.pathname, search: url.search };
      } catch (error) {
        return error instanceof TypeError ? "invalid" : error;
      }
    };
    const split = (t: string): unknown => {
      try {
        return splitTarget(t);
      } catch (error) {
        return error instanceof TypeError ? "invalid" : error;
      }
    };
    fc.assert(
      fc.property(target, (t) => {
        expect(split(t)).toEqual(parsed(t));
      }),
      { numRuns: 5_000 },
    );
  });

  it("the usual targets, and the ones a parser changes", () => {
    expect(splitTarget("/v1/chat/completions")).toEqual({ pathname: "/v1/chat/completions", search: "" });
    expect(splitTarget("/v1/responses?trace=1&x=%20")).toEqual({ pathname: "/v1/responses", search: "?trace=1&x=%20" });
    expect(splitTarget("/v1/./models")).toEqual({ pathname: "/v1/models", search: "" });
    expect(splitTarget("//evil.example/v1/models")).toEqual({ pathname: "/v1/models", search: "" });
  });
});

describe("a model the key's grant does not admit is refused before anything is sent", () => {
  const grant = ["openai.*", "deepseek.v3.2"];

  it("403 in the OpenAI error shape, whether or not the catalog lists the model; the catalog is not asked", async () => {
    const catalogAsked = vi.fn(known);
    for (const model of ["anthropic.claude-haiku-4-5", "acme.not-in-the-catalog", "OpenAI.gpt-oss-120b"]) {
      const refused = await route(post("/v1/chat/completions", { model }), via(catalogAsked, grant));
      expect(refused).toMatchObject({ kind: "answer", status: 403 });
      expect(JSON.parse(refused.kind === "answer" ? refused.body : "{}")).toEqual({
        error: { message: `model ${model} is not allowed for this key: its grant admits openai.*, deepseek.v3.2 (mantle-vend)`, type: "permission_error", param: "model", code: "model_not_allowed" },
      });
    }
    expect(catalogAsked).not.toHaveBeenCalled();
  });

  it("403 in the Anthropic error shape on the Messages API", async () => {
    const refused = await route(post("/anthropic/v1/messages", { model: "anthropic.claude-haiku-4-5" }), via(known, grant));
    expect(refused).toMatchObject({ kind: "answer", status: 403 });
    expect(JSON.parse(refused.kind === "answer" ? refused.body : "{}")).toMatchObject({ type: "error", error: { type: "permission_error" } });
  });

  it("admitted models are routed as before", async () => {
    expect(await route(post("/v1/responses", { model: "openai.gpt-5.5" }), via(known, grant))).toMatchObject({ kind: "forward", path: "/openai/v1/responses" });
    expect(await route(post("/v1/chat/completions", { model: "deepseek.v3.2" }), via(known, grant))).toMatchObject({ kind: "forward", path: "/v1/chat/completions" });
  });
});
