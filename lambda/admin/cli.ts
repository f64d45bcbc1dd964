import { SSMClient } from "@aws-sdk/client-ssm";
import { parseArgs } from "node:util";
import { OverridesError } from "../catalog/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../config.js";
import { ConfigError, UsageError } from "../errors.js";
import { FileParameterStore, SsmParameterStore, type ParameterStore } from "../store/index.js";
import { EXIT_CODES_HELP, group, TARGET_HELP, type Group } from "./command.js";
import { GRANT_FLAGS } from "./grant-flags.js";
import { IdentityAdmin } from "./identities-admin.js";
import { IDENTITY_COMMANDS } from "./identities-commands.js";
import { KeyAdmin } from "./keys-admin.js";
import { KEY_COMMANDS } from "./keys-commands.js";
import { ModelsAdmin } from "./models-admin.js";
import { MODEL_COMMANDS } from "./models-commands.js";
import { OPTIONS } from "./options.js";
import { USAGE_COMMANDS, usageSource } from "./usage-commands.js";

const GROUPS: Record<string, Group> = {
  keys: group("keys", ["name", ...GRANT_FLAGS, "expires-in", "grace"], (store, prefix) => new KeyAdmin(store, prefix), KEY_COMMANDS),
  identities: group(
    "identities",
    ["issuer", "audience", "claim", "subject", "jwks-uri", "jwks-file", "max-token-lifetime", "expires-in", ...GRANT_FLAGS, "disable", "enable", "json"],
    (store, prefix) => new IdentityAdmin(store, prefix),
    IDENTITY_COMMANDS,
  ),
  models: group(
    "models",
    ["hide", "show", "apis", "route", "context-window", "max-output-tokens", "reasoning", "input", "add", "force", "json"],
    (store, prefix) => new ModelsAdmin(store, prefix),
    MODEL_COMMANDS,
  ),
  usage: group("usage", ["day"], usageSource, USAGE_COMMANDS),
};

/** The exit codes of EXIT_CODES_HELP. */
const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, CONFIG: 3 } as const;

const withFooter = (text: string): string => `${text}\n\n${TARGET_HELP(DEFAULT_PARAMETER_PREFIX)}\n\n${EXIT_CODES_HELP}\n`;

const USAGE = withFooter(Object.values(GROUPS).map((g) => g.usage).join("\n\n"));

const findGroup = (name: string | undefined): Group | undefined => (name !== undefined && Object.hasOwn(GROUPS, name) ? GROUPS[name] : undefined);

/** The help `--help` asks for: the whole CLI's, a group's, or one command's. */
function helpFor(groupName: string | undefined, name: string | undefined): string {
  const chosen = findGroup(groupName);
  if (chosen === undefined) return USAGE;
  const command = name === undefined ? undefined : chosen.commandHelp(name);
  return withFooter(command ?? chosen.usage);
}

/** Where a mistake's help is: the command's, else the group's, else the whole CLI's. */
function helpPointer(groupName: string | undefined, name: string | undefined): string {
  const chosen = findGroup(groupName);
  if (chosen === undefined) return "mantle-vend-admin --help";
  return name !== undefined && chosen.commandHelp(name) !== undefined ? `mantle-vend-admin ${groupName} ${name} --help` : `mantle-vend-admin ${groupName} --help`;
}

/**
 * The command line read by the one OPTIONS table. A first, lenient pass finds what node's strict
 * parser would refuse with its own words (an unknown option, a missing value) and says it in ours,
 * naming the option and where the help is.
 */
function parseCommandLine(argv: string[]) {
  const loose = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const [groupName, name] = loose.positionals;
  const help = helpPointer(groupName, name);
  for (const token of loose.tokens) {
    if (token.kind !== "option") continue;
    if (!Object.hasOwn(OPTIONS, token.name)) throw new UsageError(`unknown option ${token.rawName}; see ${help}`);
    const takesValue = OPTIONS[token.name as keyof typeof OPTIONS].type === "string";
    if (takesValue && (token.value === undefined || (!token.inlineValue && token.value.startsWith("--")))) throw new UsageError(`${token.rawName} needs a value; see ${help}`);
    if (!takesValue && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value; see ${help}`);
  }
  return { ...parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, tokens: true }), help };
}

/** SSM in the region the flag, the environment or the AWS config names; a missing region says where to find it. */
async function ssmStore(region: string | undefined): Promise<ParameterStore> {
  const client = new SSMClient(region === undefined ? {} : { region });
  try {
    await client.config.region();
  } catch {
    throw new ConfigError("no AWS region for Parameter Store: pass --region <the stack's Region output>, or set AWS_REGION");
  }
  return new SsmParameterStore(client);
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals, tokens, help } = parseCommandLine(argv);
  const [groupName, name, ...rest] = positionals;
  const chosen = findGroup(groupName);
  if (values.help) {
    process.stdout.write(helpFor(groupName, name));
    return EXIT.OK;
  }
  if (chosen === undefined || (name === undefined && !chosen.single)) {
    // Help after a mistake goes with the error (stderr).
    process.stderr.write(groupName !== undefined && chosen === undefined ? `mantle-vend-admin: unknown command group ${groupName}; see ${help}\n` : helpFor(groupName, undefined));
    return EXIT.USAGE;
  }
  chosen.checkFlags(name, tokens.flatMap((token) => (token.kind === "option" ? [token.name] : [])));
  const store = values.local ? new FileParameterStore(values["data-dir"]) : await ssmStore(values.region);
  await chosen.run(name, store, values, rest);
  return EXIT.OK;
}

/** The whole CLI: runs `main` and turns its failures into one stderr line and an exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    const config = configProblem(error);
    process.stderr.write(`mantle-vend-admin: ${config ?? (error instanceof Error ? error.message : String(error))}\n`);
    if (config !== undefined) return EXIT.CONFIG;
    return error instanceof UsageError || error instanceof OverridesError ? EXIT.USAGE : EXIT.FAILURE;
  }
}

/** What is missing from the AWS configuration, when that is why the command failed. */
function configProblem(error: unknown): string | undefined {
  if (error instanceof ConfigError) return error.message;
  // The store wraps the SDK's errors; the credential chain's own failure is one of them.
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause.name === "CredentialsProviderError") {
      return "no AWS credentials for Parameter Store: the default credential chain found none (set AWS_PROFILE, or run where a role is available)";
    }
  }
  return undefined;
}
