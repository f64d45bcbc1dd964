#!/usr/bin/env node
// The `mantle-vend` CLI; client/scripts/build.mjs bundles it, from this file, into dist/cli.cjs.
import { VERSION } from "../version.js";
import { parseArgs } from "./args.js";
import { COMMANDS } from "./commands.js";
import { describeFailure, exitCodeFor } from "./errors.js";
import { explainFailure } from "./explain.js";
import { EXIT } from "./exit-codes.js";
import { stderr, stdout } from "./output.js";
import { clientFor, settings, type Settings } from "./settings.js";
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
  let read: Settings | undefined;
  const context = { env: process.env, commands: COMMANDS, settings: () => (read ??= settings(args, process.env)) };
  try {
    return await command.run(args, context);
  } catch (error) {
    const s = read;
    throw s === undefined ? error : await explainFailure(error, s, () => clientFor(s, { cache: false, maxRetries: 0 }).regions());
  }
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
