import type { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import type { ParameterStore } from "../store/index.js";
import type { OPTIONS } from "./options.js";

/** What parseArgs yields for the CLI's options. */
export type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];
export type Flag = keyof typeof OPTIONS;

/** Every command takes these: where the parameters live. */
const TARGET_FLAGS: readonly Flag[] = ["local", "data-dir", "prefix", "region", "help"];

/** Where a command writes, as every help text ends. */
export const TARGET_HELP = (defaultPrefix: string): string => `target: --local [--data-dir .mantle-vend]  the local server's file store (what npm start serves)
        otherwise Parameter Store under --prefix (default ${defaultPrefix}) in --region (default $AWS_REGION or
        the AWS config's region: the stack's Region output), with the default AWS credential chain`;

/** The admin CLI's exit codes, in every help text. */
export const EXIT_CODES_HELP = `exit codes: 0 done; 1 the store failed or refused (unreachable, access denied, a key that does not exist);
            2 bad command line (unknown command or option, bad value); 3 no AWS region or credentials for SSM`;

/** One command: its lines of the usage text and what it does with the group's admin. */
export interface Command<A> {
  /** Its usage line(s), indented two spaces, as the group's usage lists them. */
  help: string;
  /** The flags it takes besides the target flags; without a list it takes every flag of its group. */
  flags?: readonly Flag[];
  run(admin: A, options: Options, args: string[]): Promise<void>;
}

/** A command group (`keys`, `models`) as the dispatcher sees it. */
export interface Group {
  usage: string;
  /** `mantle-vend-admin <group> <command> --help`, or undefined for a command the group does not have. */
  commandHelp(name: string): string | undefined;
  /** Refuses a flag the command does not take, naming the command and where its help is. */
  checkFlags(name: string | undefined, given: readonly string[]): void;
  /** Runs a command; `name` undefined runs the group's only command, when it has just one (`usage`). */
  run(name: string | undefined, store: ParameterStore, options: Options, args: string[]): Promise<void>;
  /** Whether the group runs without a command name. */
  readonly single: boolean;
}

/** A group from its commands: the usage text, the flags and the dispatch all come from this one table. */
export function group<A>(
  groupName: string,
  flags: readonly Flag[],
  open: (store: ParameterStore, prefix: string, options: Options) => A,
  commands: Record<string, Command<A>>,
): Group {
  // A group of one command (`usage`) runs it without a command name.
  const only = Object.values(commands).length === 1 ? Object.values(commands)[0] : undefined;
  const find = (name: string): Command<A> | undefined => (Object.hasOwn(commands, name) ? commands[name] : undefined);
  const known = (name: string | undefined): Command<A> => {
    const command = only ?? (name === undefined ? undefined : find(name));
    if (command === undefined) throw new UsageError(`unknown command ${groupName} ${name ?? ""} (commands: ${Object.keys(commands).join(", ")}); see mantle-vend-admin ${groupName} --help`);
    return command;
  };
  return {
    usage:
      only === undefined
        ? `usage: mantle-vend-admin ${groupName} <${Object.keys(commands).join("|")}> [options]\n\n${Object.values(commands)
            .map((command) => command.help)
            .join("\n")}`
        : `usage: mantle-vend-admin ${only.help.trimStart()}`,
    single: only !== undefined,
    commandHelp(name) {
      const command = find(name);
      return command === undefined ? undefined : `usage: mantle-vend-admin ${command.help.trimStart()}`;
    },
    checkFlags(name, given) {
      const allowed = new Set<string>([...(known(name).flags ?? flags), ...TARGET_FLAGS]);
      const refused = given.find((flag) => !allowed.has(flag));
      const named = only === undefined ? `${groupName} ${name ?? ""}` : groupName;
      if (refused !== undefined) throw new UsageError(`${named} does not take --${refused}; see mantle-vend-admin ${named} --help`);
    },
    async run(name, store, options, args) {
      // A single-command group takes what follows its name as arguments.
      await known(name).run(open(store, options.prefix, options), options, only === undefined || name === undefined ? args : [name, ...args]);
    },
  };
}

export const out = (text: string): void => {
  process.stdout.write(text);
};

export const note = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  return [head, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n") + "\n";
}

/** `show` output: one "label   value" line per row. */
export function fields(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${label.padEnd(width)}${value}`).join("\n") + "\n";
}
