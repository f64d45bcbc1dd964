import { mantleRoot } from "../../mantle-root.js";
import { findSetupTool, SETUP_TOOLS } from "../../setup/index.js";
import { stringFlag, type Command } from "../command.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { stderr, stdout } from "../output.js";
import { cliPath, clientFor, proxyUrlFlag, serviceArgs, settings } from "../settings.js";

const toolNames = SETUP_TOOLS.map((t) => t.name).join(", ");

export const setup: Command = {
  name: "setup",
  summary: `print a ready config for a coding agent or gateway (${toolNames})`,
  flags: ["proxy", "model"],
  operands: { usage: "<tool>", take: "one" },
  help: `Prints, on stdout, a ready configuration in the tool's own format for working through mantle-vend, and
on stderr one line saying where it goes and how to start. Tools:
${SETUP_TOOLS.map((t) => `  ${t.name.padEnd(12)} ${t.summary}`).join("\n")}
Each tool gets its own refreshing-token mechanism where it has one (a command it runs for a token), else
the proxy; --proxy URL sends every tool through the mantle-vend proxy at URL. --model picks the default
model (else the first of the region's catalog that the tool can call). Nothing printed holds the API
key: export MANTLE_VEND_URL and MANTLE_VEND_API_KEY (or MANTLE_VEND_API_KEY_FILE, or MANTLE_VEND_IDENTITY;
after mantle-vend login, the URL alone) where the tool runs.
`,
  async run(args, { env }) {
    const name = args.operands[0];
    const tool = name === undefined ? undefined : findSetupTool(name);
    if (tool === undefined) {
      throw new UsageError(name === undefined ? `setup needs a tool: one of ${toolNames}` : `unknown tool "${name}" for setup: one of ${toolNames}`);
    }
    const proxyUrl = proxyUrlFlag(args);
    const s = settings(args, env);
    const catalog = await clientFor(s, { cache: false }).listModels();
    const path = cliPath();
    const output = tool.build({
      catalog,
      region: catalog.region,
      // The proxy serves a Mantle root: a URL given with its /v1 is the same proxy.
      proxy: proxyUrl === undefined ? undefined : mantleRoot(proxyUrl),
      model: stringFlag(args, "model"),
      tokenCommand: (mode) => ({
        path,
        args: ["token", "--region", catalog.region, ...serviceArgs(s), ...(mode === "fresh" ? ["--no-cache"] : [])],
      }),
      resolverCommand: { path, args: ["openclaw-resolver", ...serviceArgs(s)] },
      credentialEnv: s.credentialEnv,
    });
    stdout(output.text);
    stderr(output.hint);
    return EXIT.OK;
  },
};
