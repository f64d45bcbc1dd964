import type { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import type { ParameterStore } from "../store/index.js";
import type { OPTIONS } from "./options.js";

/** What parseArgs yields for the CLI's options. */
export type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];
export type Flag = keyof typeof OPTIONS;

/** Every command takes these: where the parameters live. */
const TARGET_FLAGS: readonly Flag[] = ["local", "data-dir", "prefix", "help"];

/** One command: its lines of the usage text and what it does with the group's admin. */
export interface Command<A> {
  help: string;
  run(admin: A, options: Options, args: string[]): Promise<void>;
}

/** A command group (`keys`, `models`) as the dispatcher sees it. */
export interface Group {
  usage: string;
  /** Flags beyond the target flags that its commands take; any other is refused. */
  flags: ReadonlySet<string>;
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
  const only = Object.values(commands).length === 1 ? Object.values(commands)[0] : undefined;
  return {
    usage:
      only === undefined
        ? `usage: mantle-vend-admin ${groupName} <${Object.keys(commands).join("|")}> [options]\n\n${Object.values(commands)
            .map((command) => command.help)
            .join("\n")}`
        : `usage: mantle-vend-admin ${groupName} [options]\n\n${only.help}`,
    flags: new Set([...flags, ...TARGET_FLAGS]),
    single: only !== undefined,
    async run(name, store, options, args) {
      // A single-command group takes what follows its name as arguments.
      const command = only ?? (name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined);
      if (command === undefined) throw new UsageError(`unknown command ${groupName} ${name ?? ""}`);
      await command.run(open(store, options.prefix, options), options, only === undefined || name === undefined ? args : [name, ...args]);
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
