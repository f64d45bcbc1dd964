import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openClawConfig } from "../../../client/src/openclaw/config.js";
import type { Catalog } from "../../../client/src/types.js";
import { buildClient, catalogFixture, runCli, sendJson, startStub, type Stub } from "../../support/client-support.js";

const catalog: Catalog = {
  region: "us-east-1",
  baseUrl: "https://bedrock-mantle.us-east-1.api.aws/v1",
  checkedAt: "2026-11-25T11:00:00.000Z",
  changedAt: "2026-11-20T09:30:00.000Z",
  stale: false,
  models: [
    {
      id: "openai.gpt-oss-120b",
      name: "openai.gpt-oss-120b",
      created: null,
      reasoning: true,
      apis: ["chat-completions", "responses"],
      baseUrl: "https://bedrock-mantle.us-east-1.api.aws/v1",
      contextWindow: 128000,
      maxOutputTokens: 16000,
      input: ["text"],
    },
  ],
};
const baseUrlOf = (config: ReturnType<typeof openClawConfig>): string | undefined => config.models.providers["amazon-bedrock-mantle"]?.baseUrl;

describe("openclaw-config --proxy URL yields exactly one /v1, whatever the URL ends with", () => {
  it.each([
    ["http://127.0.0.1:8788", "http://127.0.0.1:8788/v1"],
    ["http://127.0.0.1:8788/", "http://127.0.0.1:8788/v1"],
    ["http://127.0.0.1:8788/v1", "http://127.0.0.1:8788/v1"],
    ["http://127.0.0.1:8788/v1/", "http://127.0.0.1:8788/v1"],
    ["http://127.0.0.1:8788/team", "http://127.0.0.1:8788/team/v1"],
    ["http://127.0.0.1:8788/team/v1", "http://127.0.0.1:8788/team/v1"],
  ])("%s → %s", (url, expected) => {
    expect(baseUrlOf(openClawConfig(catalog, { kind: "proxy", url }))).toBe(expected);
  });
});

describe("the CLI normalises --proxy the same way", () => {
  let stub: Stub;
  const home = mkdtempSync(join(tmpdir(), "mantle-vend-openclaw-"));
  beforeAll(async () => {
    await buildClient();
    stub = await startStub((req, res) => sendJson(res, 200, catalogFixture("us-east-1", "https://bedrock-mantle.us-east-1.api.aws/v1"), { etag: '"x"', "x-request-id": req.url }));
  });
  afterAll(async () => {
    await stub?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it.each(["http://127.0.0.1:8788/v1", "http://127.0.0.1:8788/v1/", "http://127.0.0.1:8788"])("mantle-vend openclaw-config --proxy %s", async (url) => {
    const result = await runCli(["openclaw-config", "--proxy", url], {
      PATH: process.env.PATH ?? "",
      HOME: home,
      MANTLE_VEND_URL: stub.url,
      MANTLE_VEND_API_KEY: "mvk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).models.providers["amazon-bedrock-mantle"].baseUrl).toBe("http://127.0.0.1:8788/v1");
  });
});
