import type { Command, ParsedArgs } from "./command.js";
import { UsageError } from "./errors.js";
import { FLAGS, GLOBAL_FLAGS, isFlag, type Flag, type FlagSpec } from "./flags.js";

const SHORT_FLAGS: ReadonlyMap<string, Flag> = new Map(
  Object.entries(FLAGS).flatMap(([name, spec]) => ("short" in spec && isFlag(name) ? [[`-${spec.short}`, name] as const] : [])),
);

/**
 * Parses `mantle-vend [global flags] <command> [flags] [operands]` by the command table. Flags may come
 * before or after the command; `--name=value` and `--name value` both work. A command that takes the
 * rest (exec) gets everything after `--`, or from its first word that is not a flag, untouched.
 */
export function parseArgs(argv: readonly string[], commands: readonly Command[]): ParsedArgs {
  const flags = new Map<Flag, string | true>();
  let command: Command | undefined;
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    const short = SHORT_FLAGS.get(arg);
    if (short !== undefined) {
      flags.set(short, true);
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      if (!isFlag(name)) throw new UsageError(`unknown option --${name}`);
      const spec: FlagSpec = FLAGS[name];
      if (spec.value === undefined) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        flags.set(name, true);
        continue;
      }
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === "") throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
    if (command === undefined) {
      command = commands.find((c) => c.name === arg);
      if (command === undefined) throw new UsageError(`unknown command "${arg}"`);
      continue;
    }
    const take = command.operands?.take;
    if (take === "rest") {
      operands.push(...argv.slice(i));
      break;
    }
    if (take === "one" && operands.length === 0) {
      operands.push(arg);
      continue;
    }
    throw new UsageError(`unexpected argument "${arg}"`);
  }
  if (command !== undefined && !flags.has("help")) checkFlags(command, flags);
  return { command, flags, operands };
}

/** Only the command's own and the global flags, and one at most of each group. */
function checkFlags(command: Command, flags: ReadonlyMap<Flag, string | true>): void {
  const allowed = new Set<string>(GLOBAL_FLAGS);
  for (const entry of command.flags) {
    const group = typeof entry === "string" ? [entry] : entry;
    for (const name of group) allowed.add(name);
    const given = group.filter((name) => flags.has(name));
    if (given.length > 1) throw new UsageError(`${given.map((name) => `--${name}`).join(" and ")} exclude each other`);
  }
  for (const name of flags.keys()) {
    if (!allowed.has(name)) throw new UsageError(`${command.name} does not take --${name}`);
  }
}
