/**
 * `mantle-vend setup <tool> --write` never breaks a user's config. Each tool starts from a realistic
 * existing config (other providers, permissions, hooks, MCP servers, comments): every foreign entry
 * survives (its meaning, and in Codex's TOML and the JSONC/JSON5 files its very text and comments), the
 * entries setup owns are set, `<file>.bak` holds the old file, and a second run changes nothing. With
 * the service down, an unknown model or a read-only directory the file keeps its bytes and mtime and
 * the exit code says why; --dry-run writes nothing.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { useCliService } from "../../support/cli-service.js";
import { CLI, runProcess, type CliResult } from "../../support/client-support.js";
import { REFUSED_PORT } from "../../support/ports.js";

const service = useCliService();
const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-setup-write-"));
let runs = 0;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh home (and working directory) per run of a test. */
function home(): string {
  const dir = join(scratch, `home-${runs++}`);
  mkdirSync(join(dir, "work"), { recursive: true });
  return dir;
}

/** The PATH of a machine where the client is not installed: node and the system only. */
const BARE_PATH = `${dirname(process.execPath)}:/usr/bin:/bin`;

function env(homeDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: BARE_PATH, HOME: homeDir, MANTLE_VEND_URL: service.url, MANTLE_VEND_API_KEY: service.apiKey, AWS_REGION: "us-east-1", MANTLE_VEND_RETRIES: "0", ...extra };
}

function setup(homeDir: string, args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return runProcess(process.execPath, [CLI, "setup", ...args], { env: env(homeDir, extra), cwd: join(homeDir, "work") });
}

/** JSON, JSONC and JSON5 documents as a JavaScript engine reads an object literal: comments, unquoted keys, trailing commas. */
function parseLoose(text: string): Record<string, unknown> {
  return new Function(`return (${text});`)() as Record<string, unknown>;
}

/** A .env file's variables (`export` or not). */
function readDotenv(text: string): Record<string, string> {
  return Object.fromEntries(text.split("\n").flatMap((line) => {
    const match = /^(?:export )?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    return match === null ? [] : [[match[1] as string, match[2] as string]];
  }));
}

/** A config file as its tool reads it, by its name. */
function readConfig(file: string, text: string): Record<string, unknown> {
  if (file.endsWith(".toml")) return parseToml(text) as Record<string, unknown>;
  return file.endsWith(".env") ? readDotenv(text) : parseLoose(text);
}

const snapshot = (file: string): { bytes: string; mtimeMs: number } => ({ bytes: readFileSync(file, "utf8"), mtimeMs: statSync(file).mtimeMs });

function place(file: string, text: string, mode = 0o640): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
}

// --- realistic existing configs -------------------------------------------------------------

const CLAUDE_SETTINGS = `{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "sonnet",
  "permissions": {
    "allow": ["Bash(npm run test:*)", "Read(~/.zshrc)"],
    "deny": ["Read(./.env)", "Read(./secrets/**)"]
  },
  "hooks": {
    "PostToolUse": [
      { "matcher": "Edit|Write", "hooks": [{ "type": "command", "command": "npx prettier --write \\"$CLAUDE_FILE_PATHS\\"" }] }
    ]
  },
  "enabledMcpjsonServers": ["github", "linear"],
  "env": {
    "BASH_DEFAULT_TIMEOUT_MS": "60000",
    "ANTHROPIC_MODEL": "claude-sonnet-4-5"
  },
  "statusLine": { "type": "command", "command": "~/.claude/statusline.sh" }
}
`;

const CODEX_CONFIG = `# ~/.codex/config.toml — mine, hand-edited
model = "gpt-5-codex" # what I use at work
approval_policy = "on-request"
sandbox_mode = "workspace-write"

# Local models for the train
[model_providers.local]
name = "Ollama"
base_url = "http://localhost:11434/v1"

[mcp_servers.docs]
command = "npx"
args = [
  "-y", # no prompt
  "@upstash/context7-mcp",
]
env = { "API_TIMEOUT" = "30" }

# The work profile
[profiles.work]
model = """o3"""
approval_policy = 'never'

[tui]
notifications = true
`;

const PI_MODELS = `{
  "providers": {
    "ollama": {
      "baseUrl": "http://localhost:11434/v1",
      "api": "openai-completions",
      "apiKey": "ollama",
      "models": [{ "id": "qwen2.5-coder:7b", "name": "Qwen Coder" }]
    }
  }
}
`;

const PI_SETTINGS = `{
  "theme": "dark",
  "defaultThinkingLevel": "medium",
  "defaultProvider": "ollama",
  "defaultModel": "qwen2.5-coder:7b"
}
`;

const OPENCODE_CONFIG = `{
  // opencode, JSONC with comments
  "$schema": "https://opencode.ai/config.json",
  "theme": "tokyonight",
  "model": "anthropic/claude-sonnet-4-5",
  "provider": {
    "ollama": {
      "npm": "@ai-sdk/openai-compatible",
      "options": { "baseURL": "http://localhost:11434/v1" }, // the laptop's
      "models": { "qwen2.5-coder": {} },
    },
  },
  "mcp": {
    "github": { "type": "local", "command": ["npx", "-y", "@modelcontextprotocol/server-github"], "enabled": true },
  },
  "permission": { "edit": "ask", "bash": { "git push": "ask" } },
}
`;

const OPENCLAW_CONFIG = `// ~/.openclaw/openclaw.json (JSON5)
{
  agents: {
    defaults: { workspace: "~/.openclaw/workspace", model: { primary: "openai/gpt-5.4" } },
  },
  channels: { whatsapp: { allowFrom: ["+15555550123"] } },
  models: {
    providers: {
      openai: { baseUrl: 'https://api.openai.com/v1', api: "openai-responses", apiKey: { source: "env", provider: "default", id: "OPENAI_API_KEY" }, models: [] },
    },
  },
  update: { checkOnStart: true },
}
`;

const DOTENV = `# project settings
DATABASE_URL=postgres://localhost/dev
export OPENAI_API_KEY=sk-old-one
LOG_LEVEL="debug"
`;

interface ToolCase {
  tool: string;
  /** The file under the home directory, its existing text, and how to read it. */
  file: string;
  before: string;
  read: (text: string) => Record<string, unknown>;
  /** What must survive: the existing document minus setup's own entries. */
  foreign: (doc: Record<string, unknown>) => unknown;
  /** What setup's entries must say. */
  owned: (doc: Record<string, unknown>) => void;
  /** Lines of the old text that must be in the new one, exactly. */
  keptLines?: string[];
  args?: string[];
}

const obj = (value: unknown): Record<string, unknown> => (typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {});
const without = (value: Record<string, unknown>, ...keys: string[]): Record<string, unknown> => Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));

const CASES: ToolCase[] = [
  {
    tool: "claude-code",
    file: ".claude/settings.json",
    before: CLAUDE_SETTINGS,
    read: (t) => JSON.parse(t) as Record<string, unknown>,
    foreign: (d) => ({ ...without(d, "env", "apiKeyHelper"), env: { BASH_DEFAULT_TIMEOUT_MS: obj(d["env"])["BASH_DEFAULT_TIMEOUT_MS"], ANTHROPIC_MODEL: obj(d["env"])["ANTHROPIC_MODEL"] } }),
    owned: (d) => {
      expect(d["apiKeyHelper"]).toBe(`${CLI} token --region us-east-1 --no-cache`);
      expect(obj(d["env"])).toMatchObject({ CLAUDE_CODE_USE_MANTLE: "1", CLAUDE_CODE_SKIP_MANTLE_AUTH: "1", AWS_REGION: "us-east-1", ANTHROPIC_DEFAULT_OPUS_MODEL: expect.stringMatching(/^anthropic\./) });
    },
  },
  {
    tool: "codex",
    file: ".codex/config.toml",
    before: CODEX_CONFIG,
    read: (t) => parseToml(t) as Record<string, unknown>,
    foreign: (d) => ({ ...without(d, "model_providers", "profiles"), model_providers: without(obj(d["model_providers"]), "mantle-vend"), profiles: without(obj(d["profiles"]), "mantle-vend") }),
    owned: (d) => {
      expect(obj(obj(d["model_providers"])["mantle-vend"])).toMatchObject({ wire_api: "responses", auth: { command: CLI, args: ["token", "--region", "us-east-1", "--no-cache"] } });
      expect(obj(d["profiles"])["mantle-vend"]).toEqual({ model: "openai.gpt-5.5", model_provider: "mantle-vend" });
    },
    keptLines: CODEX_CONFIG.split("\n").filter((line) => line.trim() !== ""),
    args: ["--model", "openai.gpt-5.5"],
  },
  {
    tool: "pi",
    file: ".pi/agent/models.json",
    before: PI_MODELS,
    read: (t) => JSON.parse(t) as Record<string, unknown>,
    foreign: (d) => without(obj(d["providers"]), "mantle-vend", "mantle-vend-anthropic"),
    owned: (d) => expect(obj(obj(d["providers"])["mantle-vend"])["apiKey"]).toBe(`!${CLI} token --region us-east-1`),
  },
  {
    tool: "opencode",
    file: ".config/opencode/opencode.json",
    before: OPENCODE_CONFIG,
    read: parseLoose,
    foreign: (d) => ({ ...without(d, "provider"), provider: without(obj(d["provider"]), "mantle-vend", "mantle-vend-responses", "mantle-vend-anthropic") }),
    owned: (d) => expect(obj(obj(obj(d["provider"])["mantle-vend"])["options"])["baseURL"]).toBe("http://127.0.0.1:8788/v1"),
    keptLines: ["  // opencode, JSONC with comments", '      "options": { "baseURL": "http://localhost:11434/v1" }, // the laptop\'s'],
  },
  {
    tool: "openclaw",
    file: ".openclaw/openclaw.json",
    before: OPENCLAW_CONFIG,
    read: parseLoose,
    foreign: (d) => ({ ...without(d, "models", "secrets"), models: { providers: without(obj(obj(d["models"])["providers"]), "amazon-bedrock-mantle") } }),
    owned: (d) => {
      expect(obj(obj(obj(d["secrets"])["providers"])["mantle-vend"])).toMatchObject({ source: "exec", command: CLI, args: ["openclaw-resolver"] });
      expect(obj(obj(obj(d["models"])["providers"])["amazon-bedrock-mantle"])["apiKey"]).toEqual({ source: "exec", provider: "mantle-vend", id: "us-east-1" });
    },
    keptLines: ["// ~/.openclaw/openclaw.json (JSON5)", "      openai: { baseUrl: 'https://api.openai.com/v1', api: \"openai-responses\", apiKey: { source: \"env\", provider: \"default\", id: \"OPENAI_API_KEY\" }, models: [] },"],
  },
  {
    tool: "openai-env",
    file: "work/.env",
    before: DOTENV,
    read: readDotenv,
    foreign: (d) => without(d, "OPENAI_BASE_URL", "OPENAI_API_KEY"),
    owned: (d) => expect(d).toMatchObject({ OPENAI_BASE_URL: "http://127.0.0.1:8788/v1", OPENAI_API_KEY: "mantle-vend-proxy" }),
    keptLines: ["# project settings", "DATABASE_URL=postgres://localhost/dev", 'LOG_LEVEL="debug"'],
  },
];

describe("setup <tool> --write merges into a realistic existing config: foreign entries survive, owned ones are set, .bak holds the old file, a second run changes nothing", () => {
  for (const c of CASES) {
    it(c.tool, async () => {
      const dir = home();
      const file = join(dir, c.file);
      place(file, c.before);
      const first = await setup(dir, [c.tool, "--write", ...(c.args ?? [])]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toBe("");
      const after = readFileSync(file, "utf8");
      expect(c.foreign(c.read(after))).toEqual(c.foreign(c.read(c.before)));
      c.owned(c.read(after));
      for (const line of c.keptLines ?? []) expect(after.split("\n"), line).toContain(line);
      expect(readFileSync(`${file}.bak`, "utf8")).toBe(c.before);
      expect(statSync(file).mode & 0o777).toBe(0o640);
      // The diff on stderr, as diff -u prints it.
      expect(first.stderr).toContain(`--- ${file}\n+++ ${file}\n@@ -`);
      expect(first.stderr).toContain(`mantle-vend: wrote ${file} (the previous one kept as ${file}.bak)`);
      expect(first.stderr).not.toContain(service.apiKey);
      expect(after).not.toContain(service.apiKey);

      const [written, backup] = [snapshot(file), snapshot(`${file}.bak`)];
      const second = await setup(dir, [c.tool, "--write", ...(c.args ?? [])]);
      expect(second.code, second.stderr).toBe(0);
      expect(snapshot(file)).toEqual(written);
      expect(snapshot(`${file}.bak`)).toEqual(backup);
      expect(second.stderr).toContain(`${file} already holds this config`);
      expect(second.stderr).not.toContain("@@");
    });
  }
});

describe("the diff on stderr is a unified diff that patch applies", () => {
  it("patch turns the old file into the new one", async () => {
    const dir = home();
    const file = join(dir, ".codex/config.toml");
    place(file, CODEX_CONFIG);
    const result = await setup(dir, ["codex", "--write", "--dry-run", "--model", "openai.gpt-5.5"]);
    expect(result.code).toBe(0);
    const diff = result.stderr.slice(result.stderr.indexOf("---"), result.stderr.lastIndexOf("mantle-vend:"));
    const copy = join(dir, "copy.toml");
    writeFileSync(copy, CODEX_CONFIG);
    const patched = spawnSync("patch", ["--silent", copy], { input: diff, encoding: "utf8" });
    expect(patched.status, patched.stderr).toBe(0);
    await setup(dir, ["codex", "--write", "--model", "openai.gpt-5.5"]);
    expect(readFileSync(copy, "utf8")).toBe(readFileSync(file, "utf8"));
  });
});

describe("the default model is set only with --default", () => {
  it("claude-code: ANTHROPIC_MODEL is the user's until --default; codex: the profile, and with --default the top-level model", async () => {
    const dir = home();
    const claude = join(dir, ".claude/settings.json");
    place(claude, CLAUDE_SETTINGS);
    await setup(dir, ["claude-code", "--write"]);
    expect(obj(parseLoose(readFileSync(claude, "utf8"))["env"])["ANTHROPIC_MODEL"]).toBe("claude-sonnet-4-5");
    await setup(dir, ["claude-code", "--write", "--default", "--model", "anthropic.claude-haiku-4-5"]);
    expect(obj(parseLoose(readFileSync(claude, "utf8"))["env"])["ANTHROPIC_MODEL"]).toBe("anthropic.claude-haiku-4-5");

    const codex = join(dir, ".codex/config.toml");
    place(codex, CODEX_CONFIG);
    await setup(dir, ["codex", "--write"]);
    expect(parseToml(readFileSync(codex, "utf8"))["model"]).toBe("gpt-5-codex");
    await setup(dir, ["codex", "--write", "--default"]);
    const doc = parseToml(readFileSync(codex, "utf8"));
    expect([doc["model"], doc["model_provider"]]).toEqual(["openai.gpt-5.5", "mantle-vend"]);
    // The user's comment on that line went with the value it described; every other line is there.
    for (const line of CODEX_CONFIG.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("model = "))) expect(readFileSync(codex, "utf8").split("\n")).toContain(line);
  });

  it("pi: --default writes defaultProvider and defaultModel into settings.json next to models.json, keeping the other settings", async () => {
    const dir = home();
    place(join(dir, ".pi/agent/models.json"), PI_MODELS);
    place(join(dir, ".pi/agent/settings.json"), PI_SETTINGS);
    const result = await setup(dir, ["pi", "--write", "--default", "--model", "openai.gpt-oss-120b"]);
    expect(result.code, result.stderr).toBe(0);
    const settings = JSON.parse(readFileSync(join(dir, ".pi/agent/settings.json"), "utf8")) as Record<string, unknown>;
    expect(settings).toEqual({ theme: "dark", defaultThinkingLevel: "medium", defaultProvider: "mantle-vend", defaultModel: "openai.gpt-oss-120b" });
    expect(readFileSync(join(dir, ".pi/agent/settings.json.bak"), "utf8")).toBe(PI_SETTINGS);
  });
});

describe("a new file gets setup's whole config, mode 0600, and the directories it needs", () => {
  it("codex: the switches that keep Codex from phoning home come with a file setup creates", async () => {
    const dir = home();
    const file = join(dir, ".codex/config.toml");
    const result = await setup(dir, ["codex", "--write", "--default"]);
    expect(result.code, result.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.bak`)).toBe(false);
    const doc = parseToml(readFileSync(file, "utf8"));
    expect(doc).toMatchObject({ model: "openai.gpt-5.5", model_provider: "mantle-vend", check_for_update_on_startup: false, analytics: { enabled: false } });
    expect(result.stderr).toContain(`--- /dev/null\n+++ ${file}`);
  });
});

describe("when a step fails the file keeps its bytes and its mtime, and the exit code says why", () => {
  const failures: Array<[string, (dir: string, tool: string) => Promise<CliResult>, number]> = [
    ["the service is down", (dir, tool) => setup(dir, [tool, "--write"], { MANTLE_VEND_URL: `http://127.0.0.1:${REFUSED_PORT}` }), 4],
    ["an unknown model", (dir, tool) => setup(dir, [tool, "--write", "--model", "no.such-model"]), 2],
    ["a read-only directory", (dir, tool) => readOnly(dir, tool), 7],
  ];
  for (const [what, run, code] of failures) {
    it(`${what}: exit ${code}, every tool's file untouched, no .bak`, async () => {
      for (const c of CASES) {
        const dir = home();
        const file = join(dir, c.file);
        place(file, c.before);
        const before = snapshot(file);
        const result = await run(dir, c.tool);
        expect(result.code, `${c.tool}: ${result.stderr}`).toBe(code);
        expect(snapshot(file), c.tool).toEqual(before);
        expect(existsSync(`${file}.bak`), c.tool).toBe(false);
        expect(result.stderr.trim().split("\n").filter((l) => l.startsWith("mantle-vend:") && !l.includes("warning:")), c.tool).toHaveLength(1);
      }
    });
  }

  it("a config that does not parse is exit 7 naming the line, and stays as it was", async () => {
    const dir = home();
    const file = join(dir, ".claude/settings.json");
    place(file, '{\n  "permissions": {\n    "allow": [\n}\n');
    const before = snapshot(file);
    const result = await setup(dir, ["claude-code", "--write"]);
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(new RegExp(`mantle-vend: cannot merge into ${file}: not valid JSON at line \\d+, column \\d+: .+; nothing was written\\n$`));
    expect(snapshot(file)).toEqual(before);
  });
});

/** The setup run with the config's directory read-only: a read-only bind mount as root (which ignores modes), else mode 0555. */
function readOnly(dir: string, tool: string): Promise<CliResult> {
  const target = dirname(join(dir, CASES.find((c) => c.tool === tool)?.file ?? ""));
  if (process.getuid?.() !== 0) {
    chmodSync(target, 0o555);
    return setup(dir, [tool, "--write"]).finally(() => chmodSync(target, 0o755));
  }
  const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"';
  return runProcess("unshare", ["-m", "sh", "-c", script, "sh", target, process.execPath, CLI, "setup", tool, "--write"], { env: env(dir), cwd: join(dir, "work") });
}

describe("--dry-run prints the diff and writes nothing", () => {
  it("exit 0, the diff on stderr, the file and its mtime as they were, no .bak", async () => {
    for (const c of CASES) {
      const dir = home();
      const file = join(dir, c.file);
      place(file, c.before);
      const before = snapshot(file);
      const result = await setup(dir, [c.tool, "--write", "--dry-run", ...(c.args ?? [])]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`+++ ${file}`);
      expect(result.stderr).toContain("mantle-vend: --dry-run: nothing was written");
      expect(snapshot(file)).toEqual(before);
      expect(existsSync(`${file}.bak`)).toBe(false);
    }
  });

  it("--dry-run, --default and --config-file go with --write", async () => {
    for (const flag of [["--dry-run"], ["--default"], ["--config-file", "x.json"]]) {
      expect((await setup(home(), ["claude-code", ...flag])).code, flag[0]).toBe(2);
    }
  });
});

describe("where the file is", () => {
  it("--config-file writes there; the tools' own variables (CODEX_HOME, CLAUDE_CONFIG_DIR, …) move the standard place; a symlinked file is written through", async () => {
    const dir = home();
    const result = await setup(dir, ["pi", "--write", "--config-file", join(dir, "elsewhere/models.json")]);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(dir, "elsewhere/models.json"))).toBe(true);

    const codexHome = join(dir, "codex-home");
    expect((await setup(dir, ["codex", "--write"], { CODEX_HOME: codexHome })).code).toBe(0);
    expect(existsSync(join(codexHome, "config.toml"))).toBe(true);
    expect((await setup(dir, ["claude-code", "--write"], { CLAUDE_CONFIG_DIR: join(dir, "claude-dir") })).code).toBe(0);
    expect(existsSync(join(dir, "claude-dir/settings.json"))).toBe(true);

    const dotfiles = join(dir, "dotfiles/settings.json");
    place(dotfiles, CLAUDE_SETTINGS);
    mkdirSync(join(dir, ".claude"), { recursive: true });
    symlinkSync(dotfiles, join(dir, ".claude/settings.json"));
    expect((await setup(dir, ["claude-code", "--write"])).code).toBe(0);
    expect(readFileSync(join(dir, ".claude/settings.json"), "utf8")).toContain("CLAUDE_CODE_USE_MANTLE");
    expect(readFileSync(`${dotfiles}.bak`, "utf8")).toBe(CLAUDE_SETTINGS);
  });
});

describe("configs name mantle-vend when it is on PATH, and warn when they must hold a path into a clone", () => {
  it("installed on PATH: `mantle-vend token …`; from a clone: its path, and a warning on stderr", async () => {
    const dir = home();
    const bin = join(dir, "bin");
    mkdirSync(bin);
    symlinkSync(CLI, join(bin, "mantle-vend"));
    const installed = await setup(dir, ["claude-code", "--write"], { PATH: `${bin}:${BARE_PATH}` });
    expect(obj(parseLoose(readFileSync(join(dir, ".claude/settings.json"), "utf8")))["apiKeyHelper"]).toBe("mantle-vend token --region us-east-1 --no-cache");
    expect(installed.stderr).not.toContain("warning:");
    const clone = await setup(home(), ["claude-code"]);
    expect(clone.stderr).toContain(`mantle-vend: warning: the config runs mantle-vend as ${CLI}, inside a clone of mantle-vend: it stops working when that moves or is cleaned away`);
  });
});

describe("setup --proxy carries the key a --require-key proxy keeps into each tool's API-key slot", () => {
  it("Claude Code's bearer token, Codex's bearer token, opencode's and OpenClaw's apiKey, pi's apiKey, OPENAI_API_KEY", async () => {
    const dir = home();
    const key = `mvp_${"k".repeat(43)}`;
    place(join(dir, ".config", "mantle-vend", "proxy", "8788.key"), `${key}\n`, 0o600);
    const proxy = ["--proxy", "http://127.0.0.1:8788"];
    const slots: Array<[string, string, (doc: Record<string, unknown>) => unknown]> = [
      ["claude-code", ".claude/settings.json", (d) => obj(d["env"])["AWS_BEARER_TOKEN_BEDROCK"]],
      ["codex", ".codex/config.toml", (d) => obj(obj(d["model_providers"])["mantle-vend"])["experimental_bearer_token"]],
      ["pi", ".pi/agent/models.json", (d) => obj(obj(d["providers"])["mantle-vend"])["apiKey"]],
      ["opencode", ".config/opencode/opencode.json", (d) => obj(obj(obj(d["provider"])["mantle-vend"])["options"])["apiKey"]],
      ["openclaw", ".openclaw/openclaw.json", (d) => obj(obj(obj(d["models"])["providers"])["amazon-bedrock-mantle"])["apiKey"]],
      ["openai-env", "work/.env", (d) => d["OPENAI_API_KEY"]],
    ];
    for (const [tool, file, slot] of slots) {
      const result = await setup(dir, [tool, "--write", ...proxy]);
      expect(result.code, `${tool}: ${result.stderr}`).toBe(0);
      // The diff on the terminal shows the key's first characters only.
      expect(result.stderr, tool).not.toContain(key);
      expect(slot(readConfig(file, readFileSync(join(dir, file), "utf8"))), tool).toBe(key);
    }
  });
});
