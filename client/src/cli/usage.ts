/** The help texts, written from the command table: `mantle-vend --help` and `mantle-vend <command> --help`. */
import { VERSION } from "../version.js";
import type { Command } from "./command.js";
import { FLAGS, flagUsage, GLOBAL_FLAGS, type Flag } from "./flags.js";

const SUMMARY_COLUMN = 39;
const WIDTH = 110;

/**
 * `token [--json] [--no-cache]`, `setup <tool> [--proxy URL] [--model ID]`, `exec [--no-cache] -- <cmd> [args…]`;
 * `more` flags follow the command's own.
 */
function synopsis(command: Command, more: readonly Flag[] = []): string {
  const flags = [...command.flags, ...more].map((entry) => `[${(typeof entry === "string" ? [entry] : entry).map(flagUsage).join(" | ")}]`);
  const operands = command.operands;
  const words = operands?.take === "one" ? [command.name, operands.usage, ...flags] : [command.name, ...flags, ...(operands === undefined ? [] : [operands.usage])];
  return words.join(" ");
}

/** `text` broken into lines of at most `width`, each but the first indented by `indent`. */
function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

function row(left: string, right: string, column: number): string {
  const cell = `  ${left}`;
  const summary = wrap(right, column, WIDTH);
  return cell.length < column - 1 ? `${cell.padEnd(column)}${summary}` : `${cell}\n${" ".repeat(column)}${summary}`;
}

const FOOTER = `The API key is read from $MANTLE_VEND_API_KEY, or from the file $MANTLE_VEND_API_KEY_FILE names (mode 0600,
owned by you); never from the command line. Instead of a key, $MANTLE_VEND_IDENTITY (or --identity) names an
OIDC identity the service trusts; with neither, the session of mantle-vend login is used when there is one.
Plain http:// is refused for hosts other than loopback unless
--allow-insecure-http (or MANTLE_VEND_ALLOW_INSECURE_HTTP=1) is given. A failed request (unreachable,
timeout, 429, 5xx) is retried with backoff, 3 times unless MANTLE_VEND_RETRIES says otherwise (0 to 10).
Exit codes: 0 ok, 1 server error, 2 usage, 3 missing/bad configuration, 4 server unreachable,
5 API key or identity rejected (401) or login expired, 6 region not allowed for the credential or not
served (403, 400), 7 a tool's config file cannot be read, merged or written (setup --write), or is out of
date (doctor); exec passes its command's status through.
`;

/** The overview: every command of the table and the flags every command takes. */
export function usage(commands: readonly Command[]): string {
  return `mantle-vend ${VERSION}: short-lived Amazon Bedrock Mantle tokens and model catalogs from a mantle-vend service

Usage: mantle-vend <command> [options]

Commands:
${commands.map((command) => row(synopsis(command), command.summary, SUMMARY_COLUMN)).join("\n")}

Options for every command:
${GLOBAL_FLAGS.map((name) => row(name === "help" ? "-h, --help" : flagUsage(name), FLAGS[name].help, 25)).join("\n")}
${row("-V, --version", `${FLAGS.version.help} (alone, without a command)`, 25)}

${FOOTER}`;
}

/** `mantle-vend <command> --help`: its usage line, what it does, and its flags. */
export function commandHelp(command: Command): string {
  const own = command.flags.flatMap((entry) => (typeof entry === "string" ? [entry] : entry));
  const options = own.length === 0 ? "" : `\nOptions:\n${own.map((name) => row(flagUsage(name), FLAGS[name].help, 25)).join("\n")}\n`;
  return `Usage: mantle-vend ${synopsis(command, GLOBAL_FLAGS.filter((name) => name !== "help"))}\n\n${command.help}${options}`;
}

/** `mantle-vend help [command]`. */
export function helpFor(commands: readonly Command[], topic: string | undefined): string {
  const command = commands.find((c) => c.name === topic);
  return command === undefined ? usage(commands) : commandHelp(command);
}
