import { merged, plan, write } from "../../setup/config-file.js";
import { unifiedDiff } from "../../setup/diff.js";
import { findSetupTool, SETUP_TOOLS } from "../../setup/index.js";
import type { Command } from "../command.js";
import { stringFlag } from "../flags.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { stderr, stdout } from "../output.js";
import { buildSetup } from "../setup-build.js";
import { recordSetup } from "../setup-record.js";
import { clientFor, proxyUrlFlag } from "../settings.js";

const toolNames = SETUP_TOOLS.map((t) => t.name).join(", ");

/** A diff for the terminal: the proxy's key, which a config may hold, shown by its first characters only. */
const masked = (text: string): string => text.replace(/\b(mvp_[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+/g, "$1…");

export const setup: Command = {
  name: "setup",
  summary: `write or print a ready config for a coding agent or gateway (${toolNames})`,
  flags: ["proxy", "model", "write", "dry-run", "config-file", "default"],
  operands: { usage: "<tool>", take: "one" },
  help: `With --write, merges mantle-vend's entries into the tool's own config file, at its standard place (or
--config-file F), and changes nothing else there: Claude Code's env keys it sets and apiKeyHelper,
Codex's [model_providers.mantle-vend] and [profiles.mantle-vend], pi's providers["mantle-vend"],
opencode's provider["mantle-vend"], OpenClaw's provider and secret provider, OPENAI_* in .env (openai-env).
The tool's default model is set only with --default. The file is replaced atomically (mode kept, 0600 when
new), the previous one kept as <file>.bak, nothing is written when any step fails, and a unified diff of
the change goes to stderr; --dry-run prints the diff and writes nothing. Without --write, the config is
printed on stdout and one line on stderr says where it goes. Tools:
${SETUP_TOOLS.map((t) => `  ${t.name.padEnd(12)} ${t.summary}`).join("\n")}
Each tool gets its own refreshing-token mechanism where it has one (a command it runs for a token), else
the proxy; --proxy URL sends every tool through the mantle-vend proxy at URL (with the key a
--require-key proxy keeps). --model picks the default model (else the first of the region's catalog
that the tool can call). Nothing written holds the API key: export MANTLE_VEND_URL and
MANTLE_VEND_API_KEY (or MANTLE_VEND_API_KEY_FILE, or MANTLE_VEND_IDENTITY; after mantle-vend login,
the URL alone) where the tool runs.
`,
  async run(args, { env, settings }) {
    const name = args.operands[0];
    const tool = name === undefined ? undefined : findSetupTool(name);
    if (tool === undefined) {
      throw new UsageError(name === undefined ? `setup needs a tool: one of ${toolNames}` : `unknown tool "${name}" for setup: one of ${toolNames}`);
    }
    const writing = args.flags.has("write");
    for (const flag of ["dry-run", "config-file", "default"] as const) {
      if (args.flags.has(flag) && !writing) throw new UsageError(`--${flag} goes with --write${flag === "default" ? " (a printed config always sets the default model)" : ""}`);
    }
    const proxy = proxyUrlFlag(args);
    const s = settings();
    const catalog = await clientFor(s, { cache: false }).listModels();
    const model = stringFlag(args, "model");
    const asDefault = !writing || args.flags.has("default");
    const output = buildSetup(tool, { proxy, model, asDefault, writing, configFile: stringFlag(args, "config-file") }, catalog, s, env);
    const [main] = output.files;
    if (main === undefined) throw new Error(`setup ${tool.name} made no config`);
    if (!writing) {
      stdout(output.text ?? merged(main, undefined));
      stderr(`this goes in ${main.path} (mantle-vend setup ${tool.name} --write merges it into the file there); then run ${output.start}`);
      return EXIT.OK;
    }
    const planned = plan(output.files);
    for (const file of planned) process.stderr.write(masked(unifiedDiff(file.before ?? "", file.after, file.path)));
    const changed = planned.filter((file) => file.after !== file.before);
    if (args.flags.has("dry-run")) {
      stderr(changed.length === 0 ? `--dry-run: ${main.path} already holds this config` : "--dry-run: nothing was written");
      return EXIT.OK;
    }
    write(planned);
    recordSetup(env, { tool: tool.name, file: main.path, region: catalog.region, asDefault: args.flags.has("default"), ...(proxy === undefined ? {} : { proxy }), ...(model === undefined ? {} : { model }) });
    for (const file of changed) stderr(`wrote ${file.path}${file.before === undefined ? "" : ` (the previous one kept as ${file.path}.bak)`}`);
    stderr(`${changed.length === 0 ? `${main.path} already holds this config; ` : ""}run ${output.start}`);
    return EXIT.OK;
  },
};
