/**
 * The proxy holds a key to its grant's models (SPEC §12): a request for a model the grant does not
 * admit — listed in the catalog or not — gets 403 in the called API's error shape and never reaches
 * Mantle (the emulator's call log says so); admitted models go through as before.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MantleVendClient } from "../../../client/src/client.js";
import { startProxy, type RunningProxy } from "../../../client/src/proxy/server.js";
import { useFixture } from "../../support/fixture.js";

const fixture = useFixture({ emulator: true, service: true });
let proxy: RunningProxy;
const logged: string[] = [];

beforeAll(async () => {
  const { service } = fixture;
  const serverUrl = await service.listen();
  const { key } = await service.createKey({ name: "scoped", models: ["openai.gpt-oss-*", "anthropic.claude-haiku-4-5"] });
  proxy = await startProxy({ client: new MantleVendClient({ url: serverUrl, apiKey: key, region: "us-east-1" }), port: 0, log: (line) => logged.push(line) });
});

afterAll(async () => {
  await proxy?.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${proxy.url}${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-placeholder" }, body: JSON.stringify(body) });

describe("the proxy refuses a model outside the key's grant before Mantle is called", () => {
  it("403 in the OpenAI shape for a catalog model and for one the catalog does not know; Mantle sees neither", async () => {
    const before = fixture.emulator.calls.length;
    for (const model of ["deepseek.v3.2", "acme.nowhere-1"]) {
      const refused = await post("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: { type: "permission_error", code: "model_not_allowed", param: "model" } });
    }
    expect(fixture.emulator.calls.slice(before)).toEqual([]);
  });

  it("403 in the Anthropic shape on the Messages API; the admitted Claude model goes through", async () => {
    const before = fixture.emulator.calls.length;
    const refused = await post("/anthropic/v1/messages", { model: "anthropic.claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ type: "error", error: { type: "permission_error" } });
    expect(fixture.emulator.calls.slice(before)).toEqual([]);
    const admitted = await post("/anthropic/v1/messages", { model: "anthropic.claude-haiku-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    expect(admitted.status).toBe(200);
    // The service lists the region's models once to build its catalog; the one inference call is the admitted one.
    expect(fixture.emulator.calls.slice(before).map((call) => call.path).filter((path) => path !== "/v1/models")).toEqual(["/anthropic/v1/messages"]);
  });

  it("lists only the admitted models at GET /v1/models (the service's view of the grant)", async () => {
    const list = (await (await fetch(`${proxy.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((model) => model.id.startsWith("openai.gpt-oss-") || model.id === "anthropic.claude-haiku-4-5")).toBe(true);
    expect(logged).toEqual([]);
  });
});
