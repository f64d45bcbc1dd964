/**
 * `mantle-vend setup <tool>` against the local service and its emulator catalog: each tool's native
 * config on stdout, one line on stderr, models and base URLs from the catalog's routes, the right
 * token mechanism, never the API key. (The real tools run these configs in test/agents.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClient, CLI, runCli } from "../../support/client-support.js";
import { startService, type TestService } from "../../support/service.js";

let service: TestService;
let serverUrl: string;
let apiKey: string;
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-setup-"));

const env = (): Record<string, string> => ({
  // The client is not installed on this PATH: configs hold the CLI's path (a warning says so).
  PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
  HOME: scratch,
  XDG_CACHE_HOME: join(scratch, "cache"),
  MANTLE_VEND_URL: serverUrl,
  MANTLE_VEND_API_KEY: apiKey,
  AWS_REGION: "us-east-1",
});

async function setup(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const result = await runCli(["setup", ...args], env());
  expect(result.stdout).not.toContain(apiKey);
  expect(result.stderr).not.toContain(apiKey);
  return result;
}

beforeAll(async () => {
  await buildClient();
  service = await startService();
  serverUrl = await service.listen();
  apiKey = (await service.createKey()).key;
});

afterAll(async () => {
  await service?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("setup names its tools: an unknown or missing tool is a usage error that lists them", () => {
  it("exit 2 with the six tools named", async () => {
    for (const args of [["vim"], []]) {
      const result = await runCli(["setup", ...args], env());
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      for (const tool of ["openclaw", "claude-code", "codex", "pi", "opencode", "openai-env"]) expect(result.stderr).toContain(tool);
    }
  });
});

describe("each tool gets its own format and its own way to a fresh token, with one line on stderr", () => {
  const root = (): string => `${service.emulator.rootFor("us-east-1")}`;

  it("claude-code: settings.json in Mantle mode on <root>/anthropic, a Claude model, apiKeyHelper asking the server each time", async () => {
    const { code, stdout, stderr } = await setup("claude-code");
    expect(code).toBe(0);
    expect(stderr.trim().split("\n").filter((line) => !line.startsWith("mantle-vend: warning:"))).toEqual([
      expect.stringMatching(/^mantle-vend: this goes in .+\/\.claude\/settings\.json \(mantle-vend setup claude-code --write merges it into the file there\); then run `claude` with MANTLE_VEND_URL and MANTLE_VEND_API_KEY exported$/),
    ]);
    const settings = JSON.parse(stdout) as { apiKeyHelper: string; env: Record<string, string> };
    expect(settings.apiKeyHelper).toBe(`${CLI} token --region us-east-1 --no-cache`);
    expect(settings.env).toMatchObject({
      CLAUDE_CODE_USE_MANTLE: "1",
      CLAUDE_CODE_SKIP_MANTLE_AUTH: "1",
      ANTHROPIC_BEDROCK_MANTLE_BASE_URL: `${root()}/anthropic`,
      AWS_REGION: "us-east-1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
    });
    expect(settings.env["ANTHROPIC_MODEL"]).toMatch(/^anthropic\.claude-/);
    // Every alias Claude Code resolves names a catalog model: it probes nothing outside the catalog.
    for (const alias of ["OPUS", "SONNET", "HAIKU", "FABLE"]) expect(settings.env[`ANTHROPIC_DEFAULT_${alias}_MODEL`], alias).toMatch(/^anthropic\.claude-/);
    expect(settings.env["ANTHROPIC_SMALL_FAST_MODEL"]).toMatch(/^anthropic\.claude-haiku/);
  });

  it("codex: config.toml with a Responses model on its own base URL (GPT-5 on /openai/v1) and auth.command by absolute path", async () => {
    const { code, stdout } = await setup("codex", "--model", "openai.gpt-5.5");
    expect(code).toBe(0);
    expect(stdout).toContain('model = "openai.gpt-5.5"');
    expect(stdout).toContain(`base_url = "${root()}/openai/v1"`);
    expect(stdout).toContain('wire_api = "responses"');
    expect(stdout).toContain(`command = "${CLI}"`);
    expect(stdout).toContain('args = ["token", "--region", "us-east-1", "--no-cache"]');
    for (const line of ["plugins = false", "remote_plugin = false", "apps = false", "[analytics]\nenabled = false", "check_for_update_on_startup = false"]) {
      expect(stdout).toContain(line);
    }
  });

  it("pi: models.json whose apiKey runs the cached `mantle-vend token` (pi calls it before every request), each model on its API", async () => {
    const { code, stdout } = await setup("pi");
    expect(code).toBe(0);
    const config = JSON.parse(stdout) as { providers: Record<string, { apiKey: string; authHeader?: boolean; models: Array<{ id: string; api: string; baseUrl: string }> }> };
    const openai = config.providers["mantle-vend"];
    expect(openai?.apiKey).toBe(`!${CLI} token --region us-east-1`);
    expect(openai?.models.find((m) => m.id === "openai.gpt-oss-120b")).toMatchObject({ api: "openai-completions", baseUrl: `${root()}/v1` });
    expect(openai?.models.find((m) => m.id === "openai.gpt-5.5")).toMatchObject({ api: "openai-responses", baseUrl: `${root()}/openai/v1` });
    const claude = config.providers["mantle-vend-anthropic"];
    expect(claude?.authHeader).toBe(true);
    expect(claude?.models.every((m) => m.api === "anthropic-messages" && m.baseUrl === `${root()}/anthropic`)).toBe(true);
  });

  it("opencode and openai-env: through the proxy (default 127.0.0.1:8788), with a placeholder key", async () => {
    const opencode = await setup("opencode");
    expect(opencode.code).toBe(0);
    const config = JSON.parse(opencode.stdout) as { provider: Record<string, { npm: string; options: { baseURL: string; apiKey: string } }>; autoupdate: boolean; share: string };
    expect(config.provider["mantle-vend"]?.options).toEqual({ baseURL: "http://127.0.0.1:8788/v1", apiKey: "mantle-vend-proxy" });
    expect(config.provider["mantle-vend-anthropic"]?.options.baseURL).toBe("http://127.0.0.1:8788/anthropic/v1");
    expect([config.autoupdate, config.share]).toEqual([false, "disabled"]);
    const exports = await setup("openai-env", "--proxy", "http://127.0.0.1:9999/v1");
    expect(exports.stdout).toContain("export OPENAI_BASE_URL='http://127.0.0.1:9999/v1'\nexport OPENAI_API_KEY='mantle-vend-proxy'\n");
  });

  it("openclaw: a model OpenClaw reaches only through the proxy is refused with --proxy named", async () => {
    const result = await setup("openclaw", "--model", "openai.gpt-5.5");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--model openai\.gpt-5\.5 is not one OpenClaw can call straight from Mantle in us-east-1 \(it can: .+\); with --proxy http:\/\/127\.0\.0\.1:8788 \(and mantle-vend proxy running\) it can/);
    expect((await setup("openclaw", "--model", "openai.gpt-5.5", "--proxy", "http://127.0.0.1:8788")).code).toBe(0);
  });

  it("openclaw: the secret-ref config of openclaw-config, plus the agent's default model and update checks off", async () => {
    const { code, stdout } = await setup("openclaw", "--model", "openai.gpt-oss-120b");
    expect(code).toBe(0);
    const config = JSON.parse(stdout) as Record<string, unknown> & { secrets: { providers: Record<string, { command: string }> } };
    expect(config.secrets.providers["mantle-vend"]?.command).toBe(CLI);
    expect(config["agents"]).toEqual({ defaults: { model: { primary: "amazon-bedrock-mantle/openai.gpt-oss-120b" } } });
    expect(config["update"]).toEqual({ checkOnStart: false });
  });

  it("--proxy sends a command-mode tool through the proxy instead, on the model's prefix", async () => {
    const { stdout } = await setup("claude-code", "--proxy", "http://127.0.0.1:8788");
    const settings = JSON.parse(stdout) as { apiKeyHelper?: string; env: Record<string, string> };
    expect(settings.apiKeyHelper).toBeUndefined();
    expect(settings.env["ANTHROPIC_BEDROCK_MANTLE_BASE_URL"]).toBe("http://127.0.0.1:8788/anthropic");
    expect(settings.env["AWS_BEARER_TOKEN_BEDROCK"]).toBe("mantle-vend-proxy");
  });
});

describe("--model must be a catalog model the tool can call", () => {
  it("a Chat-Completions-only model for Codex, or an unknown one, is a usage error naming what would do", async () => {
    for (const model of ["deepseek.v3.2", "no.such-model"]) {
      const result = await setup("codex", "--model", model);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("openai.gpt-5.5");
    }
  });
});

describe("setup offers only the models the key's grant admits", () => {
  it("pi's models.json, for a key scoped to openai.gpt-oss-*, lists those models and no other", async () => {
    const scoped = (await service.createKey({ name: "scoped", models: ["openai.gpt-oss-*"] })).key;
    const result = await runCli(["setup", "pi"], { ...env(), MANTLE_VEND_API_KEY: scoped });
    expect(result.code).toBe(0);
    const config = JSON.parse(result.stdout) as { providers: Record<string, { models: Array<{ id: string }> }> };
    const ids = Object.values(config.providers).flatMap((provider) => provider.models.map((model) => model.id));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.startsWith("openai.gpt-oss-"))).toBe(true);
    expect(ids).not.toContain("openai.gpt-5.5");
  });
});
