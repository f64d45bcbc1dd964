/**
 * How the suite runs each real tool for one headless turn: where the config `mantle-vend setup`
 * prints goes, the command line, the environment (telemetry and downloads off), and the prompt that
 * makes the emulator call the tool's shell tool with a nonce command.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { node24Bin, packageDir, prefixOf } from "./install.js";
import type { Job } from "./job.js";

const REGION = "us-east-1";

/** A job's defaults; each tool fills in the rest. */
export interface ToolRun {
  job: Omit<Job, "timeoutMs" | "serverEnv" | "setupArgs" | "emulatorFaults" | "credential"> & Partial<Pick<Job, "timeoutMs">>;
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

export const TOOLS = {
  pi(dir: string, o: ToolOptions): ToolRun {
    const { home, cwd } = dirs(dir);
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "pi",
        region: REGION,
        proxy: o.viaProxy === true,
        configPath: join(home, ".pi", "agent", "models.json"),
        files: {},
        links: {},
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
    const configDir = join(home, ".config", "opencode");
    const plugin = prefixOf("opencodePlugin");
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "opencode",
        region: REGION,
        proxy: true,
        configPath: join(configDir, "opencode.json"),
        // What opencode would `npm install` into its config dir at start, already there.
        files: {
          [join(configDir, "package.json")]: readFileSync(join(plugin, "package.json"), "utf8"),
          [join(configDir, "package-lock.json")]: readFileSync(join(plugin, "package-lock.json"), "utf8"),
        },
        links: { [join(configDir, "node_modules")]: join(plugin, "node_modules") },
        command: [bin(prefixOf("opencode"), "opencode"), "run", directive("bash", { command: proofCommand(o), description: "Write the proof file" })],
        env: {
          XDG_CONFIG_HOME: join(home, ".config"),
          XDG_DATA_HOME: join(home, ".local", "share"),
          XDG_STATE_HOME: join(home, ".local", "state"),
          OPENCODE_DISABLE_MODELS_FETCH: "1",
          OPENCODE_DISABLE_AUTOUPDATE: "1",
          OPENCODE_DISABLE_SHARE: "1",
          OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
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
        files: {},
        links: {},
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
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "claude-code",
        region: REGION,
        proxy: o.viaProxy === true,
        configPath: join(home, ".claude", "settings.json"),
        files: {},
        links: {},
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
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "codex",
        region: REGION,
        proxy: o.viaProxy === true,
        configPath: join(home, ".codex", "config.toml"),
        files: {},
        links: {},
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
    const envFile = join(home, "openai.env");
    const agent = join(import.meta.dirname, "openai-agent.cjs");
    return {
      proofFile: join(cwd, "proof.txt"),
      job: {
        tool: "openai-env",
        region: REGION,
        proxy: true,
        configPath: envFile,
        files: {},
        links: {},
        // The shell a user would type in: source the exports, run an OpenAI-SDK tool.
        command: ["sh", "-c", `. "$0" && exec node "$@"`, envFile, agent, prefixOf("openaiSdk"), o.model, directive("bash", { command: proofCommand(o) })],
        env: {},
        pathPrefix: "",
        home,
        cwd,
      },
    };
  },
} satisfies Record<string, (dir: string, o: ToolOptions) => ToolRun>;
