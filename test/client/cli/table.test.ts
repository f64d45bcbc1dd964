/**
 * The command table (client/src/cli/commands.ts) drives dispatch, flags and help: these tests read the
 * table and hold the parser and every help text to it, so a command or flag added there is parsed,
 * refused elsewhere and documented without a second list to keep in step.
 */
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../../client/src/cli/args.js";
import type { Command } from "../../../client/src/cli/command.js";
import { COMMANDS } from "../../../client/src/cli/commands.js";
import { UsageError } from "../../../client/src/cli/errors.js";
import { FLAGS, GLOBAL_FLAGS, isFlag, type Flag } from "../../../client/src/cli/flags.js";
import { commandHelp, usage } from "../../../client/src/cli/usage.js";

const ALL_FLAGS = Object.keys(FLAGS).filter(isFlag);
const ownFlags = (command: Command): Flag[] => command.flags.flatMap((entry) => (typeof entry === "string" ? [entry] : [...entry]));
const argsFor = (flag: Flag): string[] => ("value" in FLAGS[flag] ? [`--${flag}`, "x"] : [`--${flag}`]);
const operandsFor = (command: Command): string[] => (command.operands?.take === "one" ? ["tool"] : []);

describe("dispatch: every command of the table, and nothing else, is a command", () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))("%s parses to its table entry", (name, command) => {
    expect(parseArgs([name], COMMANDS).command).toBe(command);
  });

  it("an unknown command is a usage error; names are unique", () => {
    expect(() => parseArgs(["frobnicate"], COMMANDS)).toThrow(UsageError);
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });
});

describe("flags: a command takes its own and the global flags, and refuses every other", () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))("%s", (name, command) => {
    const accepted = new Set<Flag>([...GLOBAL_FLAGS, ...ownFlags(command)]);
    for (const flag of ALL_FLAGS) {
      const parse = (): unknown => parseArgs([name, ...operandsFor(command), ...argsFor(flag)], COMMANDS);
      if (accepted.has(flag)) expect(parse, `${name} --${flag}`).not.toThrow();
      else expect(parse, `${name} --${flag}`).toThrow(new UsageError(`${name} does not take --${flag}`));
    }
  });

  it("the flags of a group exclude each other", () => {
    expect(() => parseArgs(["openclaw-config", "--secret-ref", "--proxy", "http://127.0.0.1:8788"], COMMANDS)).toThrow(
      new UsageError("--secret-ref and --proxy exclude each other"),
    );
    expect(parseArgs(["openclaw-config", "--proxy=http://127.0.0.1:8788"], COMMANDS).flags.get("proxy")).toBe("http://127.0.0.1:8788");
  });

  it("a flag with a value needs one; a switch takes none; -h and -V are --help and --version", () => {
    expect(() => parseArgs(["token", "--region"], COMMANDS)).toThrow(new UsageError("--region needs a value"));
    expect(() => parseArgs(["token", "--json=yes"], COMMANDS)).toThrow(new UsageError("--json takes no value"));
    expect(() => parseArgs(["token", "--bogus"], COMMANDS)).toThrow(new UsageError("unknown option --bogus"));
    expect([...parseArgs(["-h"], COMMANDS).flags.keys()]).toEqual(["help"]);
    expect([...parseArgs(["-V"], COMMANDS).flags.keys()]).toEqual(["version"]);
  });
});

describe("operands: what a command takes after its name", () => {
  it("exec takes the rest untouched, after -- or from its first word that is not a flag", () => {
    expect(parseArgs(["exec", "--no-cache", "--", "sh", "-c", "--json"], COMMANDS).operands).toEqual(["sh", "-c", "--json"]);
    expect(parseArgs(["--region", "eu-west-1", "exec", "env", "--json"], COMMANDS)).toMatchObject({ operands: ["env", "--json"] });
  });

  it("setup takes one tool, and its flags may follow it; a command without operands takes none", () => {
    expect(parseArgs(["setup", "codex", "--model", "m"], COMMANDS)).toMatchObject({ operands: ["codex"] });
    expect(() => parseArgs(["setup", "codex", "pi"], COMMANDS)).toThrow(new UsageError('unexpected argument "pi"'));
    expect(() => parseArgs(["token", "extra"], COMMANDS)).toThrow(new UsageError('unexpected argument "extra"'));
  });
});

describe("help is written from the table", () => {
  it("the overview names every command with its flags and summary, and every global flag", () => {
    const text = usage(COMMANDS);
    for (const command of COMMANDS) {
      expect(text).toContain(`  ${command.name}`);
      expect(text.replace(/\n +/g, " ")).toContain(command.summary);
      for (const flag of ownFlags(command)) expect(text, `${command.name} --${flag}`).toContain(`--${flag}`);
    }
    for (const flag of GLOBAL_FLAGS) expect(text).toContain(`--${flag}`);
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))("%s --help: its usage line, its text and a line per own flag", (name, command) => {
    const text = commandHelp(command);
    expect(text.startsWith(`Usage: mantle-vend ${name}`)).toBe(true);
    expect(text).toContain(command.help);
    for (const flag of ownFlags(command)) expect(text).toMatch(new RegExp(`^  --${flag}.*${FLAGS[flag].help.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"));
  });

  it("a new command in the table is parsed and listed, with nothing else to change", () => {
    const extra: Command = { name: "regions", summary: "the key's regions", flags: ["json"], help: "Prints the key's regions.\n", run: async () => 0 };
    const table = [...COMMANDS, extra];
    expect(parseArgs(["regions", "--json"], table).command).toBe(extra);
    expect(() => parseArgs(["regions", "--no-cache"], table)).toThrow(UsageError);
    expect(usage(table)).toMatch(/^ {2}regions \[--json\] +the key's regions$/m);
  });
});
