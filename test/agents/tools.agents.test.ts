/**
 * The real tools, for real (npm run test:agents; not part of npm test): each pinned tool runs one
 * headless turn that includes a tool call, inside its own network namespace, against
 * `npm start --offline` (and the proxy where its mode uses it, with --require-key), configured by what
 * `mantle-vend setup <tool> --write --default` merged into a config that already held the user's own
 * settings, with `mantle-vend` installed on PATH. The Mantle emulator verifies the bearer token of
 * every request.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROXY_URL, type JobCredential } from "./support/job.js";
import { runInNamespace, type Run } from "./support/namespace.js";
import { execCount } from "./support/strace.js";
import { EXISTING, TOOLS, type ToolOptions, type ToolRun } from "./support/tools.js";

type ToolName = keyof typeof TOOLS;

interface Turn {
  run: Run;
  nonce: string;
  proofFile: string;
}

/** Models of the emulator's default catalog, one per API family the tools speak. */
const CHAT_MODEL = "openai.gpt-oss-120b";
/** GPT-5 answers only on <root>/openai/v1: Codex must be pointed there. */
const RESPONSES_MODEL = "openai.gpt-5.5";
const CLAUDE_MODEL = "anthropic.claude-sonnet-4-5";

async function turn(
  name: string,
  tool: ToolName,
  options: Omit<ToolOptions, "nonce">,
  extra: { setupArgs?: string[]; emulatorFaults?: Record<string, number>; credential?: JobCredential; requireKey?: boolean } = {},
): Promise<Turn> {
  const nonce = `nonce-${randomBytes(6).toString("hex")}`;
  let made: ToolRun | undefined;
  const run = await runInNamespace(name, (dir) => {
    made = TOOLS[tool](dir, { ...options, nonce });
    return {
      timeoutMs: 120_000,
      serverEnv: {},
      credential: extra.credential ?? "key",
      setupArgs: ["--model", options.model, ...(options.viaProxy === true ? ["--proxy", PROXY_URL] : []), ...(extra.setupArgs ?? [])],
      emulatorFaults: extra.emulatorFaults ?? {},
      requireKey: extra.requireKey ?? false,
      ...made.job,
    };
  });
  return { run, nonce, proofFile: (made as ToolRun).proofFile };
}

/** Enough of a run to tell what went wrong, never a token (the emulator lists fingerprints only). */
function story(run: Run): string {
  return JSON.stringify({ phase: run.phase, error: run.error, setup: run.setupStderr, exit: run.exitCode, timedOut: run.timedOut, stderr: run.stderr.slice(-2000), stdout: run.stdout.slice(-2000), calls: run.emulator, dns: run.dnsQueries, dir: run.dir }, null, 1);
}

/** The config setup wrote still holds the user's own settings, and runs `mantle-vend` by name (it is on PATH). */
function expectMergedConfig(run: Run, kept: string, command: string | undefined): void {
  expect(run.config, story(run)).toContain(kept);
  if (command !== undefined) expect(run.config, story(run)).toContain(command);
  expect(run.config, story(run)).not.toContain("client/dist/cli.cjs token");
}

const modelCalls = (run: Run): Run["emulator"] => run.emulator.filter((c) => c.method === "POST");

/** The turn ran to its end, the tool's shell tool ran the nonce command, and the answer carried its output. */
function expectTurnWithToolCall(t: Turn): void {
  const { run } = t;
  expect(run.phase, story(run)).toBe("done");
  expect(run.timedOut, story(run)).toBe(false);
  expect(run.exitCode, story(run)).toBe(0);
  expect(existsSync(t.proofFile) ? readFileSync(t.proofFile, "utf8").trim() : "(no proof file)", story(run)).toBe(t.nonce);
  // The emulator's answer after a tool result quotes it: the tool's output went back to the model.
  expect(run.stdout, story(run)).toContain(t.nonce);
}

/** Nothing tried to leave loopback: no DNS query reached the stub, no connect() to another address. */
function expectLoopbackOnly(run: Run): void {
  expect(run.dnsQueries, story(run)).toEqual([]);
  expect(run.leaks.map((c) => c.line), story(run)).toEqual([]);
  expect(run.connects.length, story(run)).toBeGreaterThan(0);
}

/** Every model request reached the emulator with a token it verified (a tool call needs at least two). */
function expectEveryModelRequestVerified(run: Run): void {
  const calls = modelCalls(run);
  expect(calls.length, story(run)).toBeGreaterThanOrEqual(2);
  expect(calls.filter((c) => c.status === 401), story(run)).toEqual([]);
  expect(calls.every((c) => c.status === 200), story(run)).toBe(true);
}

describe("each tool completes a headless turn with a tool call through the config `mantle-vend setup --write` merged into the user's, with every request's token verified and nothing leaving loopback", () => {
  const cases: Array<[string, ToolName, Omit<ToolOptions, "nonce">, { requireKey?: boolean; kept: string; command?: string }]> = [
    ["pi: models.json, `!mantle-vend token` before every request", "pi", { model: CHAT_MODEL }, { kept: "qwen2.5-coder:7b", command: '"apiKey": "!mantle-vend token --region us-east-1"' }],
    ["opencode: opencode.json through a --require-key proxy, started by setup's start line", "opencode", { model: CHAT_MODEL }, { requireKey: true, kept: "// opencode, as the user keeps it (JSONC)" }],
    ["openai-env: .env through a --require-key proxy, the openai SDK's tool loop", "openaiEnv", { model: CHAT_MODEL }, { requireKey: true, kept: "LOG_LEVEL=info" }],
    ["OpenClaw: openclaw.json with the exec secret provider", "openclaw", { model: CHAT_MODEL }, { kept: "// OpenClaw, JSON5" }],
    ["Claude Code: settings.json with apiKeyHelper", "claudeCode", { model: CLAUDE_MODEL }, { kept: "BASH_DEFAULT_TIMEOUT_MS", command: '"apiKeyHelper": "mantle-vend token --region us-east-1 --no-cache"' }],
    ["Claude Code through a --require-key proxy", "claudeCode", { model: CLAUDE_MODEL, viaProxy: true }, { requireKey: true, kept: "BASH_DEFAULT_TIMEOUT_MS" }],
    ["Codex: config.toml with auth.command, a Responses model", "codex", { model: RESPONSES_MODEL }, { kept: "# the laptop's local models", command: 'command = "mantle-vend"' }],
  ];
  for (const [title, tool, options, { requireKey, kept, command }] of cases) {
    it(title, async () => {
      const t = await turn(`turn-${tool}${requireKey === true ? "-keyed" : ""}`, tool, options, { requireKey: requireKey === true });
      expectTurnWithToolCall(t);
      expectEveryModelRequestVerified(t.run);
      expectLoopbackOnly(t.run);
      expectMergedConfig(t.run, kept, command);
      if (requireKey === true) expect(t.run.config, story(t.run)).toMatch(/mvp_[A-Za-z0-9_-]{43}/);
    });
  }
});

describe("tool-specific promises of setup", () => {
  it("opencode started with setup's start line asks no npm registry for its plugin (no DNS query at all)", async () => {
    const t = await turn("opencode-start-line", "opencode", { model: CHAT_MODEL });
    expectTurnWithToolCall(t);
    expect(t.run.startEnv, story(t.run)).toMatchObject({ npm_config_offline: "true" });
    expect(t.run.dnsQueries, story(t.run)).toEqual([]);
  });

  it("Claude Code through the proxy asks for no model outside the catalog (its aliases point into it)", async () => {
    const t = await turn("claude-proxy-catalog", "claudeCode", { model: CLAUDE_MODEL, viaProxy: true });
    expectTurnWithToolCall(t);
    // The emulator answers 404 for a model it does not serve: none was asked for.
    expect(t.run.emulator.filter((c) => c.status === 404), story(t.run)).toEqual([]);
    expect(JSON.parse(t.run.config ?? "{}"), story(t.run)).toMatchObject({ env: { ANTHROPIC_DEFAULT_OPUS_MODEL: expect.stringMatching(/^anthropic\./), ANTHROPIC_DEFAULT_SONNET_MODEL: expect.stringMatching(/^anthropic\./), ANTHROPIC_DEFAULT_HAIKU_MODEL: expect.stringMatching(/^anthropic\./) } });
    expect(EXISTING.claudeCode).not.toContain("ANTHROPIC_DEFAULT");
  });
});

describe("long sessions: a tool keeps working once its first token has died", () => {
  it("proxy mode: an opencode turn succeeds although the proxy's first token expired mid-turn", async () => {
    const t = await turn("expiry-proxy-opencode", "opencode", { model: CHAT_MODEL, slow: true }, { emulatorFaults: { expireFirstTokenAfter: 1 } });
    expectTurnWithToolCall(t);
    expectLoopbackOnly(t.run);
    const calls = modelCalls(t.run);
    // The expired token's request was refused, then repeated by the proxy with a new token.
    expect(calls.filter((c) => c.status === 401).length, story(t.run)).toBe(1);
    expect(new Set(calls.map((c) => c.token)).size, story(t.run)).toBeGreaterThanOrEqual(2);
  });

  for (const [tool, model, label] of [
    ["claudeCode", CLAUDE_MODEL, "Claude Code re-runs its apiKeyHelper"],
    ["codex", RESPONSES_MODEL, "Codex re-runs its auth command"],
  ] as const) {
    it(`${label} after a 401 and finishes the turn with a fresh token, without a restart`, async () => {
      const t = await turn(`expiry-${tool}`, tool, { model, slow: true }, { emulatorFaults: { expireFirstTokenAfter: 1 } });
      expectTurnWithToolCall(t);
      expectLoopbackOnly(t.run);
      const calls = modelCalls(t.run);
      const refused = calls.filter((c) => c.status === 401);
      expect(refused.length, story(t.run)).toBeGreaterThanOrEqual(1);
      const last = calls.at(-1);
      expect(last?.status, story(t.run)).toBe(200);
      expect(last?.token, story(t.run)).not.toBe(refused[0]?.token);
    });
  }

  it("pi runs `mantle-vend token` before every model request (served from the warm cache)", async () => {
    const t = await turn("per-request-pi", "pi", { model: CHAT_MODEL });
    expectTurnWithToolCall(t);
    const trace = readFileSync(join(t.run.dir, "strace.txt"), "utf8");
    expect(execCount(trace, ["token", "--region"]), story(t.run)).toBe(modelCalls(t.run).length);
  });
});

describe("identity instead of a key: no API key in any environment the tool, setup or the proxy sees", () => {
  /** No key: not in the tool's environment, not in the config setup printed; and the service saw the identity. */
  function expectNoKeyAnywhere(run: Run, principal: string): void {
    expect(run.toolEnvNames?.filter((name) => name.startsWith("MANTLE_VEND_API_KEY")), story(run)).toEqual([]);
    expect(run.config ?? "", story(run)).not.toMatch(/mvk_[0-9a-f]{16}_/);
    expect(run.whoami, story(run)).toMatchObject({ principal, kind: "identity" });
  }

  it("Claude Code (apiKeyHelper) with MANTLE_VEND_IDENTITY=file:… — a workload's token in a file", async () => {
    const t = await turn("identity-claudeCode", "claudeCode", { model: CLAUDE_MODEL }, { credential: "identity-file" });
    expectTurnWithToolCall(t);
    expectEveryModelRequestVerified(t.run);
    expectLoopbackOnly(t.run);
    expect(t.run.toolEnvNames, story(t.run)).toContain("MANTLE_VEND_IDENTITY");
    expectNoKeyAnywhere(t.run, "identity:agents:workload:claude-code");
  });

  it("openai-env through the proxy with MANTLE_VEND_IDENTITY=file:…", async () => {
    const t = await turn("identity-openaiEnv", "openaiEnv", { model: CHAT_MODEL }, { credential: "identity-file" });
    expectTurnWithToolCall(t);
    expectEveryModelRequestVerified(t.run);
    expectLoopbackOnly(t.run);
    expectNoKeyAnywhere(t.run, "identity:agents:workload:openai-env");
  });

  it("pi after `mantle-vend login` (an OpenID Provider's device flow): nothing but MANTLE_VEND_URL set", async () => {
    const t = await turn("login-pi", "pi", { model: CHAT_MODEL }, { credential: "login" });
    expectTurnWithToolCall(t);
    expectEveryModelRequestVerified(t.run);
    expectLoopbackOnly(t.run);
    expect(t.run.toolEnvNames?.filter((name) => name.startsWith("MANTLE_VEND_")), story(t.run)).toEqual(["MANTLE_VEND_URL"]);
    expectNoKeyAnywhere(t.run, "identity:people:agent-user@acme.example");
  });
});
