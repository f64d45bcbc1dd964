/**
 * Catalog-derived text never reaches a shell unquoted: every setup tool, fed model ids, regions, CLI
 * paths and proxy URLs holding spaces, quotes, `$()`, backticks and newlines, prints configs that parse
 * to exactly those values and command lines a real shell reads as exactly the intended words. Each
 * shell runs in a sandbox whose only commands record that they ran, in a temporary directory.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { PROXY_API_KEY_PLACEHOLDER } from "../../../client/src/proxy/placeholder.js";
import { parseCatalog } from "../../../client/src/responses.js";
import { merged } from "../../../client/src/setup/config-file.js";
import type { SetupContext, SetupOutput, SetupTool } from "../../../client/src/setup/context.js";
import { SETUP_TOOLS } from "../../../client/src/setup/index.js";
import { HOSTILE_IDS } from "../../support/hostile-text.js";

const sandbox = mkdtempSync(join(tmpdir(), "mantle-vend-quoting-"));
const bin = join(sandbox, "bin");
const ran = join(sandbox, "ran");
mkdirSync(bin);
mkdirSync(join(sandbox, "home"));
// The commands the hostile values would run: each only records that it ran.
for (const name of ["touch", "rm", "id"]) {
  writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${ran}'\n`);
  chmodSync(join(bin, name), 0o755);
}

afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/** What a POSIX shell (`/bin/sh`) makes of `script`, in the sandbox: the words it printed with printf %s\0, and whether anything ran. */
function inShell(script: string): { words: string[]; ran: boolean } {
  rmSync(ran, { force: true });
  const work = mkdtempSync(join(sandbox, "cwd-"));
  let out = "";
  try {
    out = execFileSync("/bin/sh", ["-c", script], { cwd: work, env: { PATH: bin, HOME: join(sandbox, "home") }, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch (error) {
    out = (error as { stdout?: string }).stdout ?? "";
  }
  return { words: out.split("\0").slice(0, -1), ran: existsSync(ran) };
}

/** The words a shell reads in a command line (assignments included), and whether reading it ran anything. */
const wordsOf = (line: string) => inShell(`set -- ${line}\nprintf '%s\\0' "$@"\n`);

/** The command lines a hint shows between backticks, read as a shell reads quotes (a quoted backtick does not end one). */
function backticked(hint: string): string[] {
  const lines: string[] = [];
  for (let i = hint.indexOf("`"); i !== -1; i = hint.indexOf("`", i)) {
    let j = i + 1;
    for (let quote: string | undefined; j < hint.length; j++) {
      const c = hint[j];
      if (quote === "'") {
        if (c === "'") quote = undefined;
      } else if (c === "\\") j++;
      else if (quote === '"') {
        if (c === '"') quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === "`") break;
    }
    lines.push(hint.slice(i + 1, j));
    i = j + 1;
  }
  return lines;
}

interface Case {
  label: string;
  id: string;
  region: string;
  cli: string;
  proxy: string | undefined;
}

const PATH_WITH_EVERYTHING = "/opt/my tools/it's \"x\"/$(touch${IFS}PATH)/`touch PATH2`/a\nb/;rm -rf ~/cli.cjs";
const cases: Case[] = [
  ...HOSTILE_IDS.map((id) => ({ label: `id ${JSON.stringify(id)}`, id, region: "us-east-1", cli: "/usr/lib/node_modules/@mantle-vend/client/dist/cli.cjs", proxy: undefined })),
  // Names an object literal would not keep as keys: each tool's config must still hold the model.
  ...["__proto__", "constructor", "prototype"].map((id) => ({ label: `id ${id}`, id, region: "us-east-1", cli: "/usr/bin/mantle-vend", proxy: undefined })),
  { label: "a CLI path with spaces, quotes, $(), backticks, a newline and ;", id: "openai.gpt-oss-120b", region: "us-east-1", cli: PATH_WITH_EVERYTHING, proxy: undefined },
  { label: "a region with $() and ;", id: "openai.gpt-oss-120b", region: "us-east-1;touch REGION$(touch REGION2)", cli: PATH_WITH_EVERYTHING, proxy: undefined },
  { label: "through a proxy at a URL with $() and quotes", id: "a'b$(touch ID)", region: "us-east-1", cli: PATH_WITH_EVERYTHING, proxy: "http://127.0.0.1:8788/it's$(touch PROXY)" },
];

function contextFor(c: Case): SetupContext {
  const root = "https://bedrock-mantle.us-east-1.api.aws";
  const catalog = parseCatalog({
    region: c.region,
    baseUrl: `${root}/v1`,
    checkedAt: "2026-11-25T11:00:00.000Z",
    changedAt: "2026-11-20T09:30:00.000Z",
    stale: false,
    // One model every tool can call: Chat Completions, Responses and Messages.
    models: [{ id: c.id, name: c.id, ownedBy: null, created: null, reasoning: false, apis: ["chat-completions", "responses", "messages"], baseUrl: `${root}/v1`, contextWindow: 128000, maxOutputTokens: 4096, input: ["text"] }],
  });
  const service = ["--url", "https://vend.example/it's $(touch URL)"];
  return {
    catalog,
    region: c.region,
    proxy: c.proxy,
    model: undefined,
    tokenCommand: (mode) => ({ path: c.cli, args: ["token", "--region", c.region, ...service, ...(mode === "fresh" ? ["--no-cache"] : [])] }),
    resolverCommand: { path: c.cli, args: ["openclaw-resolver", ...service] },
    credentialEnv: ["MANTLE_VEND_API_KEY"],
    proxyKey: () => PROXY_API_KEY_PLACEHOLDER,
    // The default model is the case's id, in the config and on the start line.
    asDefault: true,
    writing: false,
    configFile: join(c.cli, "config"),
  };
}

interface Read {
  /** The model ids the config offers the tool, read where the tool reads them. */
  models: string[];
  /** The shell command lines it holds, with the words each must be. */
  commands: Array<{ line: string; words: string[] }>;
}

/** The config, parsed in the tool's own format: the main file as setup makes it in a new file, or the shell text printed for it. */
function read(tool: SetupTool, output: SetupOutput, context: SetupContext): Read {
  const [main] = output.files;
  if (main === undefined) throw new Error(`setup ${tool.name} makes no file`);
  const text = output.text ?? merged(main, undefined);
  const fresh = context.tokenCommand("fresh");
  const cached = context.tokenCommand("cached");
  switch (tool.name) {
    case "codex": {
      const config = parseToml(text) as { model: string; model_providers: Record<string, { auth?: { command: string; args: string[] } }> };
      const auth = config.model_providers["mantle-vend"]?.auth;
      if (context.proxy === undefined) expect(auth).toEqual({ command: fresh.path, args: fresh.args, timeout_ms: 15000, refresh_interval_ms: 300000 });
      return { models: [config.model], commands: [] };
    }
    case "claude-code": {
      const config = JSON.parse(text) as { apiKeyHelper?: string; env: { ANTHROPIC_MODEL: string } };
      return { models: [config.env.ANTHROPIC_MODEL], commands: config.apiKeyHelper === undefined ? [] : [{ line: config.apiKeyHelper, words: [fresh.path, ...fresh.args] }] };
    }
    case "pi": {
      const config = JSON.parse(text) as { providers: Record<string, { apiKey: string; models: Array<{ id: string }> }> };
      const providers = Object.values(config.providers);
      const models = providers.flatMap((p) => p.models.map((m) => m.id));
      if (context.proxy !== undefined) return { models, commands: [] };
      return { models, commands: providers.map((p) => ({ line: p.apiKey.replace(/^!/, ""), words: [cached.path, ...cached.args] })) };
    }
    case "openclaw": {
      const config = JSON.parse(text) as {
        secrets?: { providers: Record<string, { command: string; args: string[] }> };
        models: { providers: Record<string, { models: Array<{ id: string }> }> };
      };
      if (context.proxy === undefined) expect(config.secrets?.providers["mantle-vend"]).toMatchObject({ command: context.resolverCommand.path, args: context.resolverCommand.args });
      return { models: Object.values(config.models.providers).flatMap((p) => p.models.map((m) => m.id)), commands: [] };
    }
    case "opencode": {
      // Keyed by id: JSON.parse makes every key its own, __proto__ included.
      const config = JSON.parse(text) as { provider: Record<string, { models: object }> };
      return { models: Object.values(config.provider).flatMap((p) => Object.keys(p.models)), commands: [] };
    }
    case "openai-env": {
      // What `eval "$(mantle-vend setup openai-env)"` runs: it sets the two variables and nothing else.
      const evaluated = inShell(`${text}\nprintf '%s\\0' "$OPENAI_BASE_URL" "$OPENAI_API_KEY"\n`);
      expect(evaluated).toEqual({ words: [`${context.proxy ?? "http://127.0.0.1:8788"}/v1`, PROXY_API_KEY_PLACEHOLDER], ran: false });
      return { models: [], commands: [] };
    }
    default:
      throw new Error(`no reader for ${tool.name}`);
  }
}

describe.each(SETUP_TOOLS.map((tool) => [tool.name, tool] as const))("setup %s quotes every value of its config and its start line", (_name, tool) => {
  it.each(cases.map((c) => [c.label, c] as const))("%s", (_label, c) => {
    const context = contextFor(c);
    const output = tool.build(context);
    const { models, commands } = read(tool, output, context);
    // The config offers the model under its id as it is: never cut, escaped away, lost or run.
    if (tool.name !== "openai-env") expect(models).toEqual([c.id]);
    for (const { line, words } of commands) expect(wordsOf(line), line).toEqual({ words, ran: false });
    const lines = backticked(output.start);
    if (tool.name === "pi") expect(lines.filter((line) => line.startsWith("PI_OFFLINE"))).toHaveLength(1);
    for (const line of lines) {
      const read = wordsOf(line);
      expect(read.ran, line).toBe(false);
      if (tool.name === "pi" && line.startsWith("PI_OFFLINE")) expect(read.words).toEqual(["PI_OFFLINE=1", "PI_TELEMETRY=0", "pi", "--model", `mantle-vend/${c.id}`]);
    }
    expect(existsSync(ran) ? readFileSync(ran, "utf8") : "").toBe("");
  });
});
