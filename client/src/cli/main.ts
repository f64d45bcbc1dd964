#!/usr/bin/env node
// The `mantle-vend` CLI; client/scripts/build.mjs bundles it, from this file, into dist/cli.cjs.
import { VERSION } from "../version.js";
import { parseArgs } from "./args.js";
import { COMMANDS } from "./commands.js";
import { describeFailure, exitCodeFor } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { stderr, stdout } from "./output.js";
import { commandHelp, usage } from "./usage.js";

async function run(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, COMMANDS);
  const { command } = args;
  if (command === undefined) {
    if (args.flags.has("version")) stdout(`${VERSION}\n`);
    else if (args.flags.has("help")) stdout(usage(COMMANDS));
    else {
      process.stderr.write(usage(COMMANDS));
      return EXIT.USAGE;
    }
    return EXIT.OK;
  }
  if (args.flags.has("help")) {
    stdout(commandHelp(command));
    return EXIT.OK;
  }
  return command.run(args, { env: process.env, commands: COMMANDS });
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    stderr(describeFailure(error));
    process.exitCode = exitCodeFor(error);
  },
);
