/** One command of `mantle-vend`, as the command table (commands.ts) holds it. */
import type { Sleep } from "../retry.js";
import type { Flag, GivenFlags } from "./flags.js";
import type { Settings } from "./settings.js";

export interface ParsedArgs extends GivenFlags {
  command: Command | undefined;
  flags: Map<Flag, string | true>;
  /** The words after the command: `exec`'s command line, `setup`'s tool, `help`'s topic. */
  operands: string[];
}

interface RunContext {
  env: NodeJS.ProcessEnv;
  /** The whole table, for `help`. */
  commands: readonly Command[];
  /** How a command that waits (login's polling) tells time and waits; tests pass a clock of theirs. Default: the real ones. */
  clock?: { now: () => number; sleep: Sleep };
  /** The service settings from the environment and the flags, read once, when a command first asks. */
  settings(): Settings;
}

export interface Command {
  readonly name: string;
  /** One line for the overview. */
  readonly summary: string;
  /** The flags it takes besides the global ones; an inner list is a group of which one at most may be given. */
  readonly flags: ReadonlyArray<Flag | readonly Flag[]>;
  /**
   * The words it takes after its name: `one` (setup's tool; flags may follow it) or `rest` (everything
   * from the first word that is not a flag, or after `--`, untouched: exec's command line).
   */
  readonly operands?: { readonly usage: string; readonly take: "one" | "rest" };
  /** What `mantle-vend <name> --help` prints below the usage line. */
  readonly help: string;
  run(args: ParsedArgs, context: RunContext): Promise<number>;
}
