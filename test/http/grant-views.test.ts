import { describe, expect, it } from "vitest";
import { functionUrlEvent } from "../support/events.js";
import { useFixture } from "../support/fixture.js";

const fixture = useFixture({ service: true });

interface Catalog {
  models: Array<{ id: string }>;
}

describe("GET /v1/models lists only the models a principal's grant admits, each view with its own etag", () => {
  it("two keys with different models get two views and two etags; each revalidates its own", async () => {
    const { service } = fixture;
    const openai = await service.createKey({ name: "openai", models: ["openai.*"] });
    const claude = await service.createKey({ name: "claude", models: ["anthropic.claude-haiku-4-5", "deepseek.*"] });
    const everyone = await service.createKey({ name: "all" });
    const list = (key: string, etag?: string) =>
      service.api(functionUrlEvent({ path: "/v1/models", query: "region=us-west-2", key, ...(etag === undefined ? {} : { headers: { "if-none-match": etag } }) }));

    const [a, b, all] = await Promise.all([list(openai.key), list(claude.key), list(everyone.key)]);
    const ids = (answer: typeof a) => (JSON.parse(answer.body) as Catalog).models.map((model) => model.id);
    expect(ids(a).length).toBeGreaterThan(0);
    expect(ids(a).every((id) => id.startsWith("openai."))).toBe(true);
    expect(ids(b).every((id) => id === "anthropic.claude-haiku-4-5" || id.startsWith("deepseek."))).toBe(true);
    expect(ids(b)).toContain("anthropic.claude-haiku-4-5");
    expect(ids(all).length).toBeGreaterThan(ids(a).length + ids(b).length - 1);
    expect(new Set([a.headers.etag, b.headers.etag, all.headers.etag]).size).toBe(3);

    expect((await list(openai.key, a.headers.etag)).statusCode).toBe(304);
    expect((await list(claude.key, a.headers.etag)).statusCode).toBe(200);
  });
});
