import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { stderr } from "../output.js";
import { clientFor } from "../settings.js";

export const exec: Command = {
  name: "exec",
  summary: "run a command with those two variables set",
  flags: ["no-cache"],
  operands: { usage: "-- <cmd> [args…]", take: "rest" },
  help: `Runs the command with AWS_BEARER_TOKEN_BEDROCK and AWS_REGION added to the environment. Its exit status
is passed through (a death by signal is re-raised); signals sent to mantle-vend are forwarded to it.
The token is fixed when the command starts: long-running commands outlive it (use proxy instead).
`,
  async run(args, { env, settings }) {
    if (args.operands.length === 0) throw new UsageError("exec needs a command: mantle-vend exec -- <command> [args…]");
    const token = await clientFor(settings(), { cache: !args.flags.has("no-cache") }).getToken();
    // The child gets the short-lived token, never the long-lived API key that minted it.
    const { MANTLE_VEND_API_KEY: _apiKey, MANTLE_VEND_API_KEY_FILE: _apiKeyFile, ...childEnv } = env;
    // Loaded here only: node:child_process is no part of a `token` run.
    const { runCommand } = await import("../run-command.js");
    return runCommand(args.operands, { ...childEnv, AWS_BEARER_TOKEN_BEDROCK: token.token, AWS_REGION: token.region }, stderr);
  },
};
