/**
 * How the suite runs each real tool for one headless turn: the config the user had before setup (other
 * providers, permissions, comments), where `mantle-vend setup --write` merges into it, the command line,
 * the environment (telemetry and downloads off), and the prompt that makes the emulator call the tool's
 * shell tool with a nonce command.
 */
import { join } from "node:path";
import { node24Bin, packageDir, prefixOf } from "./install.js";
import type { Job } from "./job.js";

const REGION = "us-east-1";

/** A job's defaults; each tool fills in the rest. */
export interface ToolRun {
  job: Omit<Job, "timeoutMs" | "serverEnv" | "setupArgs" | "emulatorFaults" | "credential" | "requireKey"> & Partial<Pick<Job, "timeoutMs">>;
  /** The file the tool's shell tool writes the nonce into. */
  proofFile: string;
}

/** The prompt: a directive the Mantle emulator follows (it calls the named tool with these arguments). */
function directive(tool: string, args: Record<string, string>): string {
  return `Use your shell tool once. mantle-emulator: call ${tool} ${Buffer.from(JSON.stringify(args)).toString("base64url")}`;
}

/**
 * The shell command each tool runs: prints the nonce and writes it to proof.txt in the working dir.
 * `slow` waits over a second first: tokens are signed to the second, so one minted after the tool
 * ran differs from the one minted before.
 */
const proofCommand = (o: ToolOptions): string => `${o.slow === true ? "sleep 1.2; " : ""}echo ${o.nonce} | tee proof.txt`;

const bin = (prefix: string, name: string): string => join(prefix, "node_modules", ".bin", name);

function dirs(dir: string): { home: string; cwd: string } {
  return { home: join(dir, "home"), cwd: join(dir, "work") };
}

export interface ToolOptions {
  nonce: string;
  model: string;
  /** `--proxy` for setup (and start the proxy). */
  viaProxy?: boolean;
  /** The tool call takes over a second (see {@link proofCommand}). */
  slow?: boolean;
}

/**
 * The user's own settings before setup: what `setup --write` must leave as it is. They hold what a
 * user who wants no traffic but their model's sets for themselves (setup adds those switches only to a
 * file it creates), and nothing that would start a network client of its own (no MCP servers).
 */
export const EXISTING = {
  claudeCode: `{
  "permissions": { "allow": ["Bash(echo:*)", "Bash(tee:*)"], "deny": ["Read(./.env)"] },
  "hooks": { "PostToolUse": [{ "matcher": "Bash", "hooks": [{ "type": "command", "command": "true" }] }] },
  "env": { "BASH_DEFAULT_TIMEOUT_MS": "60000" },
  "includeCoAuthoredBy": false
}
`,
  codex: `# my Codex settings
approval_policy = "never"
check_for_update_on_startup = false

# the laptop's local models
[model_providers.local]
name = "Ollama"
base_url = "http://127.0.0.1:11434/v1"

[profiles.work]
model = "o3"

[features]
plugins = false
remote_plugin = false
apps = false

[analytics]
enabled = false
`,
  pi: `{
  "providers": {
    "ollama": { "baseUrl": "http://127.0.0.1:11434/v1", "api": "openai-completions", "apiKey": "ollama", "models": [{ "id": "qwen2.5-coder:7b" }] }
  }
}
`,
  piSettings: `{ "theme": "dark", "defaultThinkingLevel": "off" }
`,
  opencode: `{
  // opencode, as the user keeps it (JSONC)
  "$schema": "https://opencode.ai/config.json",
  "autoupdate": false,
  "share": "disabled",
  "provider": {
    "ollama": { "npm": "@ai-sdk/openai-compatible", "options": { "baseURL": "http://127.0.0.1:11434/v1" }, "models": { "qwen2.5-coder": {} } },
  },
  "permission": { "edit": "allow", "bash": "allow" },
}
`,
  openclaw: `// OpenClaw, JSON5
{
  update: { checkOnStart: false },
  telemetry: { enabled: false },
  models: {
    providers: {
      local: { baseUrl: "http://127.0.0.1:9/v1", api: "openai-completions", auth: "api-key", apiKey: "unused", models: [] },
    },
  },
}
`,
  dotenv: `# this project's settings
LOG_LEVEL=info
`,
};

export const TOOLS = {
  pi(dir: string, o: ToolOptions): ToolRun {
    const { home, cwd } = dirs(dir);
    const agentDir = join(home, ".pi", "agent");
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "pi",
        region: REGION,
        proxy: o.viaProxy === true,
        configPath: join(agentDir, "models.json"),
        existing: { [join(agentDir, "models.json")]: EXISTING.pi, [join(agentDir, "settings.json")]: EXISTING.piSettings },
        startEnvFromSetup: false,
        command: [bin(prefixOf("pi"), "pi"), "--offline", "--no-session", "--model", `mantle-vend/${o.model}`, "-p", directive("bash", { command: proofCommand(o) })],
        env: { PI_OFFLINE: "1", PI_TELEMETRY: "0" },
        pathPrefix: "",
        home,
        cwd,
      },
    };
  },

  opencode(dir: string, o: ToolOptions): ToolRun {
    const { home, cwd } = dirs(dir);
    const configPath = join(home, ".config", "opencode", "opencode.json");
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "opencode",
        region: REGION,
        proxy: true,
        configPath,
        // Nothing of opencode's own in its config directory: its start-up install of @opencode-ai/plugin
        // meets npm offline, by setup's start line, and asks no registry.
        existing: { [configPath]: EXISTING.opencode },
        startEnvFromSetup: true,
        command: [bin(prefixOf("opencode"), "opencode"), "run", directive("bash", { command: proofCommand(o), description: "Write the proof file" })],
        env: {
          XDG_CONFIG_HOME: join(home, ".config"),
          XDG_DATA_HOME: join(home, ".local", "share"),
          XDG_STATE_HOME: join(home, ".local", "state"),
        },
        pathPrefix: "",
        home,
        cwd,
      },
    };
  },

  openclaw(dir: string, o: ToolOptions): ToolRun {
    const { home, cwd } = dirs(dir);
    const config = join(home, ".openclaw", "openclaw.json");
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "openclaw",
        region: REGION,
        proxy: o.viaProxy === true,
        configPath: config,
        existing: { [config]: EXISTING.openclaw },
        startEnvFromSetup: false,
        command: [join(node24Bin(), "node"), join(packageDir("openclaw"), "openclaw.mjs"), "agent", "exec", "--config", config, "--json", directive("exec", { command: proofCommand(o) })],
        env: {},
        // OpenClaw runs the resolver by path; its `#!/usr/bin/env node` finds Node 24 first.
        pathPrefix: `${node24Bin()}:`,
        home,
        cwd,
        timeoutMs: 240_000,
      },
    };
  },

  claudeCode(dir: string, o: ToolOptions): ToolRun {
    const { home, cwd } = dirs(dir);
    const configPath = join(home, ".claude", "settings.json");
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "claude-code",
        region: REGION,
        proxy: o.viaProxy === true,
        configPath,
        existing: { [configPath]: EXISTING.claudeCode },
        startEnvFromSetup: false,
        command: [bin(prefixOf("claudeCode"), "claude"), "-p", directive("Bash", { command: proofCommand(o) }), "--output-format", "json", "--allowedTools", "Bash"],
        env: {},
        pathPrefix: "",
        home,
        cwd,
      },
    };
  },

  codex(dir: string, o: ToolOptions): ToolRun {
    const { home, cwd } = dirs(dir);
    const configPath = join(home, ".codex", "config.toml");
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "codex",
        region: REGION,
        proxy: o.viaProxy === true,
        configPath,
        existing: { [configPath]: EXISTING.codex },
        startEnvFromSetup: false,
        command: [bin(prefixOf("codex"), "codex"), "exec", "--skip-git-repo-check", "-s", "workspace-write", directive("exec_command", { cmd: proofCommand(o) })],
        env: {},
        pathPrefix: "",
        home,
        cwd,
      },
    };
  },

  openaiEnv(dir: string, o: ToolOptions): ToolRun {
    const { home, cwd } = dirs(dir);
    const envFile = join(cwd, ".env");
    const agent = join(import.meta.dirname, "openai-agent.cjs");
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "openai-env",
        region: REGION,
        proxy: true,
        configPath: envFile,
        existing: { [envFile]: EXISTING.dotenv },
        startEnvFromSetup: false,
        // The shell a user would type in: load .env into the environment, run an OpenAI-SDK tool.
        command: ["sh", "-c", `set -a && . ./.env && set +a && exec node "$@"`, "sh", agent, prefixOf("openaiSdk"), o.model, directive("bash", { command: proofCommand(o) })],
        env: {},
        pathPrefix: "",
        home,
        cwd,
      },
    };
  },
} satisfies Record<string, (dir: string, o: ToolOptions) => ToolRun>;
