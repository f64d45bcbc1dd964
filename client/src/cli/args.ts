import { UsageError } from "./exit-codes.js";

export const COMMANDS = ["token", "env", "exec", "models", "openclaw-config", "openclaw-resolver", "proxy", "setup", "help"] as const;
export type Command = (typeof COMMANDS)[number];

const STRING_FLAGS = new Set(["url", "region", "proxy", "port", "host", "model"]);
const BOOLEAN_FLAGS = new Set(["json", "no-cache", "secret-ref", "help", "version", "allow-insecure-http", "require-key"]);
const GLOBAL_FLAGS = ["url", "region", "help", "allow-insecure-http"];

/** Flags each command accepts besides the global ones (--url, --region, --help). */
export const COMMAND_FLAGS: Record<Command, readonly string[]> = {
  token: ["json", "no-cache"],
  env: ["no-cache"],
  exec: ["no-cache"],
  models: ["json"],
  "openclaw-config": ["secret-ref", "proxy"],
  "openclaw-resolver": [],
  proxy: ["port", "host", "require-key"],
  setup: ["proxy", "model"],
  help: [],
};

export interface ParsedArgs {
  command: Command | undefined;
  flags: Map<string, string | true>;
  /** `exec`: the command and its arguments; `help`: the topic; `setup`: the tool. */
  rest: string[];
}

/**
 * Parses `mantle-vend [global flags] <command> [flags] [-- cmd…]`. Flags may come before or after the
 * command; `--name=value` and `--name value` both work. For `exec`, everything after `--` (or after the
 * first argument that is not a flag) is the command to run, untouched.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | true>();
  let command: Command | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h") {
      flags.set("help", true);
      continue;
    }
    if (arg === "-V") {
      flags.set("version", true);
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      if (STRING_FLAGS.has(name)) {
        let value: string | undefined;
        if (eq !== -1) value = arg.slice(eq + 1);
        else {
          value = argv[i + 1];
          i++;
        }
        if (value === undefined || value === "") throw new UsageError(`--${name} needs a value`);
        flags.set(name, value);
      } else if (BOOLEAN_FLAGS.has(name)) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        flags.set(name, true);
      } else {
        throw new UsageError(`unknown option --${name}`);
      }
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
    if (command === undefined) {
      if (!(COMMANDS as readonly string[]).includes(arg)) throw new UsageError(`unknown command "${arg}"`);
      command = arg as Command;
      continue;
    }
    if (command === "setup" && rest.length === 0) {
      rest.push(arg); // the tool; its flags may follow it
      continue;
    }
    if (command === "exec" || command === "help") {
      rest.push(...argv.slice(i));
      break;
    }
    throw new UsageError(`unexpected argument "${arg}"`);
  }
  if (command !== undefined && !flags.has("help")) {
    const allowed = new Set([...GLOBAL_FLAGS, ...COMMAND_FLAGS[command]]);
    for (const name of flags.keys()) {
      if (!allowed.has(name)) throw new UsageError(`${command} does not take --${name}`);
    }
  }
  return { command, flags, rest };
}
